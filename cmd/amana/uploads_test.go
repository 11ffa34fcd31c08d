package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUploadsCLI: uploads no command will continue fill a researcher's
// quota and a deposit is refused with a pointer to 'amana uploads'; the
// command lists them, another user cannot cancel them, their owner does,
// and the deposit then goes through.
func TestUploadsCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createCollection()
	e.login("r.hassan")
	e.login("r.ahmed")
	if r := e.ok("r.hassan", "uploads"); !strings.Contains(r.stdout, "No unfinished uploads.") {
		t.Errorf("no uploads: %q", r.stdout)
	}
	// Four uploads made elsewhere (another machine, a browser).
	c := e.srv.Login("r.hassan")
	var ids []string
	for range 4 {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/v1/uploads", nil)
		req.Header.Set("Authorization", "Bearer "+c.Token)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Upload-Length", "4096")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("creating an upload: %d", resp.StatusCode)
		}
		ids = append(ids, strings.TrimPrefix(resp.Header.Get("Location"), "/v1/uploads/"))
	}

	dir := t.TempDir()
	file, meta := filepath.Join(dir, "note.txt"), filepath.Join(dir, "meta.json")
	os.WriteFile(file, []byte("a fictional field note\n"), 0o600)
	os.WriteFile(meta, []byte(`{"title":"Field note","language":"en","consent":{"scopes":["research"],"recorded_at":"2019-03-02","recorded_by":"r.hassan"}}`), 0o600)
	deposit := []string{"deposit", file, "--collection", "kirkuk-2018", "--kind", "report", "--meta", meta}
	// The deposit's own note on redaction comes first.
	if r := e.run("r.hassan", deposit...); r.code != 1 || !strings.HasSuffix(r.stderr, "finish or cancel one first (see them with 'amana uploads', cancel one with 'amana uploads cancel ID')\n") {
		t.Fatalf("deposit with a full quota: exit %d\n%s", r.code, r.stderr)
	}

	list := decode[[]map[string]any](t, e.ok("r.hassan", "uploads", "--json").stdout)
	if len(list) != 4 || list[0]["id"] != ids[0] || list[0]["length"] != float64(4096) || list[0]["offset"] != float64(0) {
		t.Fatalf("uploads --json: %v", list)
	}
	if r := e.ok("r.hassan", "uploads"); !strings.Contains(r.stdout, "RECEIVED") || !strings.Contains(r.stdout, ids[3]) {
		t.Errorf("uploads:\n%s", r.stdout)
	}
	if r := e.ok("r.ahmed", "uploads"); strings.Contains(r.stdout, ids[0]) {
		t.Errorf("r.ahmed sees r.hassan's uploads:\n%s", r.stdout)
	}
	e.fail("r.ahmed", "not found", "uploads", "cancel", ids[0])
	if r := e.ok("r.hassan", "uploads", "cancel", ids[0], ids[1]); !strings.Contains(r.stdout, "Cancelled upload "+ids[1]) {
		t.Errorf("cancel: %q", r.stdout)
	}
	e.fail("r.hassan", "not found", "uploads", "cancel", ids[0])
	if r := e.run("r.hassan", "uploads", "cancel"); r.code != 2 {
		t.Errorf("cancel without an id: exit %d", r.code)
	}
	if list := decode[[]map[string]any](t, e.ok("r.hassan", "uploads", "--json").stdout); len(list) != 2 {
		t.Errorf("after cancelling two: %v", list)
	}
	e.ok("r.hassan", deposit...)
}
