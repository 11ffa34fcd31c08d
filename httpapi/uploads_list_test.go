package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/amana-vault/amana/client"
)

// TestUploadList: a user lists its own unfinished uploads, oldest first,
// with what each holds and the metadata it was created with; nobody else's
// are listed, an anonymous caller is refused, listing records no event,
// and expired or cancelled uploads are gone from the list. A user whose
// quota is full cancels a forgotten upload and may upload again.
func TestUploadList(t *testing.T) {
	e := newEnv(t)
	hassan, ahmed, aud := e.login("r.hassan"), e.login("r.ahmed"), e.login("auditor")
	md := "filename " + base64.StdEncoding.EncodeToString([]byte("statement.ogg"))
	first := e.tus("r.hassan", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "100", "Upload-Metadata", md).Header.Get("Location")
	e.tus("r.hassan", http.MethodPatch, first, []byte("0123456789"), "Upload-Offset", "0")
	e.clock.Add(time.Minute)
	second := e.tus("r.hassan", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "50").Header.Get("Location")
	other := e.tus("r.ahmed", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "70").Header.Get("Location")

	events, _, err := aud.AuditEvents(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	ups, err := hassan.Uploads(ctx)
	if err != nil || len(ups) != 2 {
		t.Fatalf("r.hassan's uploads: %+v, %v", ups, err)
	}
	if ups[0].Location != first || ups[0].Length != 100 || ups[0].Offset != 10 || ups[0].Metadata != md ||
		ups[0].ID != strings.TrimPrefix(first, "/v1/uploads/") || !ups[0].Expires.After(ups[0].Created) {
		t.Errorf("first upload listed as %+v", ups[0])
	}
	if ups[1].Location != second || ups[1].Length != 50 || ups[1].Offset != 0 || ups[1].Metadata != "" || !ups[1].Created.After(ups[0].Created) {
		t.Errorf("second upload listed as %+v", ups[1])
	}
	if got, err := ahmed.Uploads(ctx); err != nil || len(got) != 1 || got[0].Location != other {
		t.Errorf("r.ahmed's uploads: %+v, %v", got, err)
	}
	resp := e.raw(aud, "GET", "/v1/uploads", nil, "")
	if b := e.body(resp); resp.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"uploads":[],"max_uploads":4,"max_bytes":17179869184}` || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the auditor's uploads: %d %s", resp.StatusCode, b)
	}
	if resp := e.raw(nil, "GET", "/v1/uploads", nil, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous listing: %d", resp.StatusCode)
	}
	after, _, err := aud.AuditEvents(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	// Besides the auditor's reading of the log and the anonymous
	// refusal, the listings recorded nothing.
	for _, raw := range after[len(events):] {
		var ev struct{ Action, Actor string }
		json.Unmarshal(raw, &ev)
		if ev.Action != "audit.read" && ev.Action != "request.refused" {
			t.Errorf("listing recorded %s by %s", ev.Action, ev.Actor)
		}
	}

	// Someone else's upload cannot be cancelled; one's own can.
	if err := ahmed.CancelUpload(ctx, ups[0].ID); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("r.ahmed cancels r.hassan's upload: %v", err)
	}
	if err := hassan.CancelUpload(ctx, ups[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := hassan.CancelUpload(ctx, "../documents"); err == nil {
		t.Error("an upload id with a slash was sent")
	}
	if got, _ := hassan.Uploads(ctx); len(got) != 1 || got[0].Location != first {
		t.Errorf("after the cancel: %+v", got)
	}

	// A full quota: list, cancel the forgotten one, upload again.
	for range 3 {
		e.tus("r.hassan", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "10")
	}
	if resp := e.tus("r.hassan", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "10"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a fifth upload: %d", resp.StatusCode)
	}
	got, _ := hassan.Uploads(ctx)
	if len(got) != 4 {
		t.Fatalf("%d uploads listed with a full quota", len(got))
	}
	if err := hassan.CancelUpload(ctx, got[0].ID); err != nil {
		t.Fatal(err)
	}
	if resp := e.tus("r.hassan", http.MethodPost, "/v1/uploads", nil, "Upload-Length", "10"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after a cancel: %d", resp.StatusCode)
	}

	// Expired uploads are not listed.
	e.clock.Add(25 * time.Hour)
	if got, err := e.login("r.hassan").Uploads(ctx); err != nil || len(got) != 0 {
		t.Errorf("after expiry: %+v, %v", got, err)
	}
}
