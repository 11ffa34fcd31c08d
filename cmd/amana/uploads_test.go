package main

import (
	"os"
	"path/filepath"
	"slices"
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
	ids := e.srv.AbandonUploads("r.hassan", 4, 4096)

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
	if len(list) != 4 {
		t.Fatalf("uploads --json: %v", list)
	}
	for _, u := range list {
		if !slices.Contains(ids, u["id"].(string)) || u["length"] != float64(4096) || u["offset"] != float64(0) {
			t.Errorf("uploads --json lists %v; made %q", u, ids)
		}
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
