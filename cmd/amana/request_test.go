package main

import (
	"strings"
	"testing"
)

// TestRequestCLI: a lawyer asks for a document with 'amana request'; the
// depositor sees it in 'amana requests' and grants it; the lawyer then
// reads it. Nobody else sees the request.
func TestRequestCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createCollection()
	e.login("r.hassan")
	content := []byte("a fictional statement asked for\n")
	id := strings.Trim(string(e.deposit("r.hassan", content)["id"]), `"`)
	e.login("a.karim")
	e.fail("a.karim", "not allowed", "get", id, "-o", t.TempDir()+"/x")
	if r := e.ok("a.karim", "request", id); !strings.Contains(r.stdout, "Asked for access to "+id) {
		t.Errorf("request: %s", r.stdout)
	}

	r := e.ok("r.hassan", "requests")
	if !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "a.karim") || !strings.Contains(r.stdout, "lawyer") {
		t.Errorf("the depositor's requests:\n%s", r.stdout)
	}
	got := decode[[]map[string]any](t, e.ok("r.hassan", "requests", id, "--json").stdout)
	if len(got) != 1 || got[0]["user"] != "a.karim" || got[0]["document"] != id {
		t.Errorf("requests DOC --json: %v", got)
	}
	// The requester does not see its own request listed, and asking for a
	// document's requests is answered as for a missing document.
	if r := e.ok("a.karim", "requests"); !strings.Contains(r.stdout, "No pending access requests") {
		t.Errorf("the lawyer's list:\n%s", r.stdout)
	}
	e.fail("a.karim", "not found", "requests", id)

	e.ok("r.hassan", "grant", id, "a.karim")
	if r := e.ok("r.hassan", "requests"); !strings.Contains(r.stdout, "No pending access requests") {
		t.Errorf("after the grant:\n%s", r.stdout)
	}
	e.ok("a.karim", "get", id, "-o", t.TempDir()+"/statement.txt")
	e.fail("a.karim", "not allowed", "request", id)
}
