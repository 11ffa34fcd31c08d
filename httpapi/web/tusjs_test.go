package web_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
)

// An existing tus client, the npm package tus-js-client, uploads an age
// file to /v1/uploads through a link cut every 20 MiB: it creates the
// upload, sends it in chunks, resumes after each cut with HEAD, and the
// server ends up holding exactly the file. It terminates an upload with
// DELETE, which another user cannot do.
func TestTusJSClient(t *testing.T) {
	if testing.Short() {
		t.Skip("tus-js-client test skipped in -short mode")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("tus-js-client test skipped: no node (install Debian's nodejs, as .ci/web.sh does)")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "tus-js-client", "package.json")); err != nil {
		t.Skipf("tus-js-client test skipped: %v; run npm ci in httpapi/web, as .ci/web.sh does", err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "tus-js-client.mjs"))
	if err != nil {
		t.Fatal(err)
	}

	s := amanatest.NewServer(t, amanatest.Options{
		Collections: []vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan", "r.ahmed"}}},
	})
	owner, other := s.Login("r.hassan"), s.Login("r.ahmed")

	// A real age file of 48 MiB, as a client would upload before naming it
	// in a deposit.
	k, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, 48<<20)
	rand.Read(plain)
	var sealed bytes.Buffer
	if _, err := envelope.Encrypt(&sealed, bytes.NewReader(plain), k); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "recording.age")
	if err := os.WriteFile(file, sealed.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(sealed.Bytes())
	size := int64(sealed.Len())

	run := func(token string, args ...string) ([]byte, error) {
		cmd := exec.Command(node, append([]string{script}, args...)...)
		cmd.Dir = "."
		cmd.Env = append(os.Environ(), "AMANA_TOKEN="+token)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return out, &exec.ExitError{ProcessState: cmd.ProcessState, Stderr: stderr.Bytes()}
		}
		return out, nil
	}
	head := func(url, token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodHead, url, nil)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	proxy := amanatest.NewProxy(t, s.Listener.Addr().String(), 20<<20)
	out, err := run(owner.Token, "upload", proxy.URL, file, strconv.Itoa(8<<20))
	if err != nil {
		t.Fatalf("tus-js-client: %v: %s", err, err.(*exec.ExitError).Stderr)
	}
	var got struct {
		URL     string `json:"url"`
		Retries int    `json:"retries"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("tus-js-client printed %q: %v", out, err)
	}
	t.Logf("tus-js-client: %d bytes through %d cuts, %d retries, %d bytes sent (%.3f×)",
		size, proxy.Cuts(), got.Retries, proxy.Sent(), float64(proxy.Sent())/float64(size))
	if proxy.Cuts() < 2 || got.Retries < 2 {
		t.Errorf("the link was cut %d times and the client retried %d times; want at least 2 of each", proxy.Cuts(), got.Retries)
	}
	if limit := size + size*15/100; proxy.Sent() > limit {
		t.Errorf("%d bytes sent for a file of %d: more than 1.15×", proxy.Sent(), size)
	}
	path, ok := strings.CutPrefix(got.URL, proxy.URL)
	if !ok || !strings.HasPrefix(path, "/v1/uploads/") {
		t.Fatalf("upload URL %q is not under %s/v1/uploads/", got.URL, proxy.URL)
	}
	url := s.URL + path
	if resp := head(url, owner.Token); resp.StatusCode != http.StatusOK || resp.Header.Get("Upload-Offset") != strconv.FormatInt(size, 10) {
		t.Fatalf("HEAD after the upload: %d, offset %q; want 200, %d", resp.StatusCode, resp.Header.Get("Upload-Offset"), size)
	}
	if n := pendingWithSum(t, s.Dir, want); n != 1 {
		t.Fatalf("%d pending blobs hold the uploaded file; want 1", n)
	}

	// Another user cannot terminate it, nor learn that it exists.
	if _, err := run(other.Token, "terminate", url); err == nil {
		t.Fatal("another user terminated the upload")
	}
	if resp := head(url, other.Token); resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD by another user: %d; want 404", resp.StatusCode)
	}
	if resp := head(url, owner.Token); resp.StatusCode != http.StatusOK {
		t.Fatalf("the upload is gone after another user's DELETE: HEAD %d", resp.StatusCode)
	}
	// Its owner can.
	if out, err := run(owner.Token, "terminate", url); err != nil {
		t.Fatalf("terminate: %v: %s %s", err, out, err.(*exec.ExitError).Stderr)
	}
	if resp := head(url, owner.Token); resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD after terminate: %d; want 404", resp.StatusCode)
	}
	if n := pendingWithSum(t, s.Dir, want); n != 0 {
		t.Errorf("the terminated upload's bytes are still in %d pending blobs", n)
	}
}

// pendingWithSum counts the pending blobs of the vault in dir whose
// contents hash to sum.
func pendingWithSum(t *testing.T, dir string, sum [32]byte) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "blobs", "pending"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, "blobs", "pending", e.Name()))
		if err == nil && sha256.Sum256(b) == sum {
			n++
		}
	}
	return n
}
