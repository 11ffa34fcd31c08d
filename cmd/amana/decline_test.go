package main

import (
	"strings"
	"testing"
)

// TestDeclineCLI: a member who keeps nothing and the requester cannot
// decline; the depositor declines, the request is no longer listed, and
// the lawyer's asking again is refused while the decline stands.
func TestDeclineCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createCollection()
	e.login("r.hassan")
	id := strings.Trim(string(e.deposit("r.hassan", []byte("a fictional statement, declined\n"))["id"]), `"`)
	e.login("a.karim")
	e.ok("a.karim", "request", id)
	e.fail("a.karim", "not found", "decline", id, "a.karim")
	e.fail("r.hassan", "not found", "decline", id, "r.ahmed") // nobody asked
	if r := e.ok("r.hassan", "decline", id, "a.karim"); !strings.Contains(r.stdout, "Declined a.karim's request for "+id) {
		t.Errorf("decline: %s", r.stdout)
	}
	if r := e.ok("r.hassan", "requests"); !strings.Contains(r.stdout, "No pending access requests") {
		t.Errorf("after the decline:\n%s", r.stdout)
	}
	e.fail("r.hassan", "not found", "decline", id, "a.karim")
	e.fail("a.karim", "your request was declined on", "request", id)
	if r := e.ok("r.hassan", "requests"); !strings.Contains(r.stdout, "No pending access requests") {
		t.Errorf("after asking again:\n%s", r.stdout)
	}
}
