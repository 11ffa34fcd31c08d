package httpapi_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/vault"
)

// TestDeclineAccessRequest: the requester reads its own pending request
// (what the page shows after a reload), a keeper anyone's, and everyone
// else gets the 404 of a missing document, byte for byte; a non-keeper
// cannot decline; the depositor declines, which leaves nothing pending and
// is in the audit log with the requester as target; the requester sees it
// declined, and asking again is refused with 409.
func TestDeclineAccessRequest(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	dep, err := r.Deposit(ctx, sampleDeposit([]byte("fictional statement for a declined request")))
	if err != nil {
		t.Fatal(err)
	}
	id := dep.Document.ID
	lawyer := e.login("a.karim")
	ahmed := e.login("r.ahmed")
	out := e.login("r.outsider")
	aud := e.login("auditor")

	if _, err := lawyer.PendingRequest(ctx, id, "a.karim"); !client.IsStatus(err, 404) {
		t.Errorf("before asking: %v", err)
	}
	if _, err := lawyer.RequestAccess(ctx, id); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*client.Client{"the requester": lawyer, "the depositor": r} {
		q, err := c.PendingRequest(ctx, id, "a.karim")
		if err != nil || q.User != "a.karim" || q.Document != id || q.Role != "lawyer" {
			t.Errorf("%s reads %+v, %v", name, q, err)
		}
	}
	missing := e.missingDocument(out)
	for name, c := range map[string]*client.Client{"a member": ahmed, "an outsider": out, "the auditor": aud} {
		resp := e.raw(c, "GET", "/v1/documents/"+id+"/requests/a.karim", nil, "")
		if b := e.body(resp); resp.StatusCode != 404 || !bytes.Equal(b, missing) {
			t.Errorf("%s reads the lawyer's request: %d %s", name, resp.StatusCode, b)
		}
		if err := c.Decline(ctx, id, "a.karim"); !client.IsStatus(err, 404) {
			t.Errorf("%s declines: %v", name, err)
		}
	}
	if err := lawyer.Decline(ctx, id, "a.karim"); !client.IsStatus(err, 404) {
		t.Errorf("the requester declines its own request: %v", err)
	}
	if err := r.Decline(ctx, id, "r.ahmed"); !client.IsStatus(err, 404) {
		t.Errorf("declining a request nobody made: %v", err)
	}
	if resp := e.raw(r, "DELETE", "/v1/documents/"+id+"/requests/a.karim", nil, ""); resp.StatusCode != 204 {
		t.Fatalf("the depositor declines: %d %s", resp.StatusCode, e.body(resp))
	}
	if reqs, err := r.DocumentRequests(ctx, id); err != nil || len(reqs) != 0 {
		t.Errorf("after the decline: %+v, %v", reqs, err)
	}
	q, err := lawyer.PendingRequest(ctx, id, "a.karim")
	if err != nil || q.DeclinedAt == nil || q.AskAgainAt == nil || q.AskAgainAt.Sub(*q.DeclinedAt) != vault.DeclineHold {
		t.Errorf("the requester after the decline: %+v, %v", q, err)
	}
	// Asking again while the decline stands: 409 declined, nothing pending.
	resp := e.raw(lawyer, "POST", "/v1/documents/"+id+"/requests", nil, "")
	if b := e.body(resp); resp.StatusCode != 409 || !bytes.Contains(b, []byte(`"code":"declined"`)) || !bytes.Contains(b, []byte("you may ask again from")) {
		t.Errorf("asking again after the decline: %d %s", resp.StatusCode, b)
	}
	if reqs, err := r.DocumentRequests(ctx, id); err != nil || len(reqs) != 0 {
		t.Errorf("after asking again: %+v, %v", reqs, err)
	}

	events, _, err := aud.AuditEvents(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ok, denied int
	for _, raw := range events {
		var ev struct{ Action, Actor, Target, Doc, Outcome string }
		json.Unmarshal(raw, &ev)
		if ev.Action != "document.decline" {
			continue
		}
		switch {
		case ev.Outcome == "ok" && ev.Actor == "r.hassan" && ev.Target == "a.karim" && ev.Doc == id:
			ok++
		case ev.Outcome != "ok":
			denied++
		}
	}
	if ok != 1 || denied != 5 {
		t.Errorf("document.decline events: %d ok by the depositor, %d refused; want 1 and 5", ok, denied)
	}
}
