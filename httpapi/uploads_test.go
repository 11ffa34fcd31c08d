package httpapi_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/vault"
)

const tusType = "application/offset+octet-stream"

// tus sends a tus request as id ("": anonymous).
func (e *env) tus(id, method, path string, body []byte, header ...string) *http.Response {
	e.t.Helper()
	var c *client.Client
	if id != "" {
		c = e.login(id)
	}
	h := append([]string{"Tus-Resumable", "1.0.0"}, header...)
	var ct string
	if body != nil {
		ct = tusType
	}
	resp := e.raw(c, method, path, bytes.NewReader(body), ct, h...)
	resp.Body.Close()
	if resp.Header.Get("Tus-Resumable") != "1.0.0" {
		e.t.Errorf("%s %s: answer %d without Tus-Resumable", method, path, resp.StatusCode)
	}
	return resp
}

func (e *env) offsetOf(id, path string) int64 {
	e.t.Helper()
	resp := e.tus(id, http.MethodHead, path, nil)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("HEAD %s: %d", path, resp.StatusCode)
	}
	n, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func pendingBlobs(t *testing.T, dir string) int {
	ents, err := os.ReadDir(filepath.Join(dir, "blobs", "pending"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestUploadsProtocol(t *testing.T) {
	e := newEnv(t)
	resp := e.tus("", http.MethodOptions, "/v1/uploads", nil)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Tus-Version") != "1.0.0" ||
		resp.Header.Get("Tus-Extension") != "creation,creation-with-upload,termination,expiration" ||
		resp.Header.Get("Tus-Max-Size") == "" {
		t.Fatalf("OPTIONS: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := e.tus("", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "10"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous creation: %d", resp.StatusCode)
	}
	hassan := e.login("r.hassan")
	if resp := e.raw(hassan, http.MethodPost, "/v1/uploads", nil, "", "Upload-Length", "10"); resp.StatusCode != http.StatusPreconditionFailed || resp.Header.Get("Tus-Version") != "1.0.0" {
		t.Fatalf("creation without Tus-Resumable: %d", resp.StatusCode)
	}
	for _, tc := range []struct {
		name   string
		header []string
		want   int
	}{
		{"no length", nil, http.StatusBadRequest},
		{"negative length", []string{"Upload-Length", "-1"}, http.StatusBadRequest},
		{"length not a number", []string{"Upload-Length", "1e9"}, http.StatusBadRequest},
		{"deferred length", []string{"Upload-Defer-Length", "1"}, http.StatusBadRequest},
		{"longer than a document may be", []string{"Upload-Length", strconv.FormatInt(9<<30, 10)}, http.StatusRequestEntityTooLarge},
		{"metadata not base64", []string{"Upload-Length", "10", "Upload-Metadata", "name !!!"}, http.StatusBadRequest},
		{"metadata key twice", []string{"Upload-Length", "10", "Upload-Metadata", "a YQ==,a YQ=="}, http.StatusBadRequest},
		{"metadata too large", []string{"Upload-Length", "10", "Upload-Metadata", "a " + strings.Repeat("QUFB", 1100)}, http.StatusRequestHeaderFieldsTooLarge},
	} {
		if resp := e.tus("r.hassan", http.MethodPost, "/v1/uploads", nil, tc.header...); resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	if n := pendingBlobs(t, e.srv.Dir); n != 0 {
		t.Fatalf("refused creations left %d pending blobs", n)
	}

	resp = e.tus("r.hassan", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "100", "Upload-Metadata", "filetype YXVkaW8vbXA0,note")
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(resp.Header.Get("Location"), "/v1/uploads/") || resp.Header.Get("Upload-Expires") == "" {
		t.Fatalf("creation: %d %v", resp.StatusCode, resp.Header)
	}
	path := resp.Header.Get("Location")
	head := e.tus("r.hassan", http.MethodHead, path, nil)
	if head.StatusCode != http.StatusOK || head.Header.Get("Upload-Length") != "100" || head.Header.Get("Upload-Metadata") != "filetype YXVkaW8vbXA0,note" || head.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("HEAD: %d %v", head.StatusCode, head.Header)
	}
	// Another user's upload is one that does not exist, whatever the method.
	for _, m := range []string{http.MethodHead, http.MethodPatch, http.MethodDelete} {
		var body []byte
		var h []string
		if m == http.MethodPatch {
			body, h = []byte("0123456789"), []string{"Upload-Offset", "0"}
		}
		other := e.tus("r.ahmed", m, path, body, h...)
		none := e.tus("r.ahmed", m, "/v1/uploads/aaaaaaaaaaaaaaaaaaaaaaaaaa", body, h...)
		if other.StatusCode != http.StatusNotFound || none.StatusCode != http.StatusNotFound {
			t.Errorf("%s of another's upload: %d; of none: %d", m, other.StatusCode, none.StatusCode)
		}
	}
	// Hostile PATCHes change nothing.
	for _, tc := range []struct {
		name   string
		ct     string
		body   []byte
		header []string
		want   int
	}{
		{"no offset", tusType, []byte("0123456789"), nil, http.StatusBadRequest},
		{"wrong offset", tusType, []byte("0123456789"), []string{"Upload-Offset", "5"}, http.StatusConflict},
		{"offset not a number", tusType, []byte("0123456789"), []string{"Upload-Offset", "x"}, http.StatusBadRequest},
		{"wrong content type", "application/octet-stream", []byte("0123456789"), []string{"Upload-Offset", "0"}, http.StatusUnsupportedMediaType},
		{"past the length", tusType, make([]byte, 101), []string{"Upload-Offset", "0"}, http.StatusRequestEntityTooLarge},
	} {
		h := append([]string{"Tus-Resumable", "1.0.0"}, tc.header...)
		resp := e.raw(hassan, http.MethodPatch, path, bytes.NewReader(tc.body), tc.ct, h...)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if n := e.offsetOf("r.hassan", path); n != 0 {
			t.Fatalf("%s: offset %d after a refused PATCH", tc.name, n)
		}
	}
	resp = e.tus("r.hassan", http.MethodPatch, path, []byte("0123456789"), "Upload-Offset", "0")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Upload-Offset") != "10" {
		t.Fatalf("PATCH: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := e.tus("r.hassan", http.MethodPatch, path, []byte("0123456789"), "Upload-Offset", "0"); resp.StatusCode != http.StatusConflict || resp.Header.Get("Upload-Offset") != "10" {
		t.Fatalf("PATCH repeated: %d", resp.StatusCode)
	}
	if n := e.offsetOf("r.hassan", path); n != 10 {
		t.Fatalf("offset %d, want 10", n)
	}
	if resp := e.tus("r.hassan", http.MethodDelete, path, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if resp := e.tus("r.hassan", http.MethodHead, path, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("HEAD after DELETE: %d", resp.StatusCode)
	}
	if n := pendingBlobs(t, e.srv.Dir); n != 0 {
		t.Fatalf("termination left %d pending blobs", n)
	}
	// An auditor may not upload at all.
	if resp := e.tus("auditor", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "10"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("auditor's creation: %d", resp.StatusCode)
	}
	// The audit log has the creation and the termination.
	page, err := e.v.AuditEvents(vault.Caller{User: "l.custodian"}, 0, vault.MaxAuditPage)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	for _, ev := range page {
		log.Write(ev)
		log.WriteByte('\n')
	}
	for _, action := range []string{`"action":"upload.create"`, `"action":"upload.terminate"`} {
		if !strings.Contains(log.String(), action) {
			t.Errorf("no %s event", action)
		}
	}
	if strings.Contains(log.String(), "YXVkaW8vbXA0") {
		t.Error("the audit log holds the upload's metadata")
	}
}

func TestUploadQuotas(t *testing.T) {
	e := newEnv(t)
	var paths []string
	for i := range 4 {
		resp := e.tus("r.hassan", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "10")
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %d: %d", i, resp.StatusCode)
		}
		paths = append(paths, resp.Header.Get("Location"))
	}
	if resp := e.tus("r.hassan", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "10"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fifth upload: %d, want 429", resp.StatusCode)
	}
	// Another user's quota is its own.
	if resp := e.tus("r.ahmed", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "10"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("another user's upload: %d", resp.StatusCode)
	}
	for _, p := range paths[:3] {
		e.tus("r.hassan", http.MethodDelete, p, nil)
	}
	// Pending bytes: two uploads of a document's largest size fill it.
	big := strconv.FormatInt(8<<30, 10)
	for i := range 2 {
		if resp := e.tus("r.hassan", http.MethodPost, "/v1/uploads", nil, "Upload-Length", big); i == 0 && resp.StatusCode != http.StatusCreated || i == 1 && resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("large upload %d: %d", i, resp.StatusCode)
		}
	}
}

func TestUploadsExpire(t *testing.T) {
	e := newEnv(t)
	resp := e.tus("r.hassan", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "100")
	path := resp.Header.Get("Location")
	e.tus("r.hassan", http.MethodPatch, path, []byte("0123456789"), "Upload-Offset", "0")
	e.clock.Add(23 * time.Hour)
	if n, err := e.v.SweepUploads(); err != nil || n != 0 {
		t.Fatalf("sweep before expiry: %d, %v", n, err)
	}
	if n := e.offsetOf("r.hassan", path); n != 10 {
		t.Fatalf("offset %d", n)
	}
	e.clock.Add(2 * time.Hour)
	if resp := e.tus("r.hassan", http.MethodHead, path, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("HEAD of an expired upload: %d", resp.StatusCode)
	}
	if n, err := e.v.SweepUploads(); err != nil || n != 1 {
		t.Fatalf("sweep after expiry: %d, %v", n, err)
	}
	if n := pendingBlobs(t, e.srv.Dir); n != 0 {
		t.Fatalf("the sweep left %d pending blobs", n)
	}
}
