package httpapi_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/amana-vault/amana/client"
)

// TestAccessRequest: a lawyer who cannot open a document asks for it; only
// the document's keepers see the request, everyone else gets the 404 of a
// missing document; one grant satisfies it and the lawyer opens the
// document.
func TestAccessRequest(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	content := []byte("fictional statement for an access request")
	dep, err := r.Deposit(ctx, sampleDeposit(content))
	if err != nil {
		t.Fatal(err)
	}
	id := dep.Document.ID
	lawyer := e.login("a.karim")
	ahmed := e.login("r.ahmed")
	out := e.login("r.outsider")
	aud := e.login("auditor")
	admin := e.login("l.custodian")

	req, err := lawyer.RequestAccess(ctx, id)
	if err != nil || req.User != "a.karim" || req.Role != "lawyer" || req.Document != id || req.Collection != "kirkuk-2018" {
		t.Fatalf("RequestAccess = %+v, %v", req, err)
	}
	resp := e.raw(lawyer, "POST", "/v1/documents/"+id+"/requests", nil, "")
	var again client.AccessRequest
	if err := json.Unmarshal(e.body(resp), &again); resp.StatusCode != 200 || err != nil || !again.RequestedAt.Equal(req.RequestedAt) {
		t.Errorf("asking again: %d %+v %v", resp.StatusCode, again, err)
	}

	// Who may ask.
	missingBody := e.missingDocument(out)
	for _, c := range []struct {
		who    *client.Client
		name   string
		id     string
		status int
	}{
		{r, "the depositor", id, 403},
		{admin, "a custodian", id, 403},
		{out, "an outsider", id, 404},
		{aud, "the auditor", id, 404},
		{lawyer, "a lawyer, for a missing document", strings.Repeat("a", 26), 404},
	} {
		if _, err := c.who.RequestAccess(ctx, c.id); !client.IsStatus(err, c.status) {
			t.Errorf("%s asking: %v, want %d", c.name, err, c.status)
		}
	}
	// No free text: a body is refused and nothing is recorded.
	resp = e.raw(ahmed, "POST", "/v1/documents/"+id+"/requests", strings.NewReader(`{"reason":"Fictional Person asked me"}`), "application/json")
	if resp.StatusCode != 400 {
		t.Errorf("a request with a reason: %d", resp.StatusCode)
	}
	e.body(resp)
	// The consent decides: a research-only document is not for a lawyer.
	research := sampleDeposit([]byte("research only"))
	research.Consent.Scopes = []string{"research"}
	dep2, err := r.Deposit(ctx, research)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lawyer.RequestAccess(ctx, dep2.Document.ID); !client.IsStatus(err, 422) {
		t.Errorf("a lawyer asking for a research-only document: %v", err)
	}

	// Who sees requests: the depositor and the custodian.
	for _, k := range []*client.Client{r, admin} {
		got, err := k.DocumentRequests(ctx, id)
		if err != nil || len(got) != 1 || got[0].User != "a.karim" {
			t.Errorf("a keeper sees %+v, %v", got, err)
		}
		all, err := k.Requests(ctx)
		if err != nil || len(all) != 1 || all[0].Document != id || all[0].User != "a.karim" {
			t.Errorf("a keeper's list: %+v, %v", all, err)
		}
	}
	// Nobody else learns that a request exists: the answer is the missing
	// document's, byte for byte.
	for name, c := range map[string]*client.Client{"the requester": lawyer, "a member": ahmed, "an outsider": out, "the auditor": aud} {
		resp := e.raw(c, "GET", "/v1/documents/"+id+"/requests", nil, "")
		if b := e.body(resp); resp.StatusCode != 404 || !bytes.Equal(b, missingBody) {
			t.Errorf("%s: %d %s, want %s", name, resp.StatusCode, b, missingBody)
		}
		if all, err := c.Requests(ctx); err != nil || len(all) != 0 {
			t.Errorf("%s's list: %+v, %v", name, all, err)
		}
	}
	if _, err := (&client.Client{BaseURL: r.BaseURL}).Requests(ctx); !client.IsStatus(err, 401) {
		t.Errorf("without a session: %v", err)
	}

	// One grant satisfies the request; the lawyer opens the document.
	u := e.users["r.hassan"]
	r.TOTP = func() (string, error) { e.step(); return e.code(u), nil }
	if err := r.Grant(ctx, id, "a.karim", []age.Identity{u.identity}); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Requests(ctx); err != nil || len(got) != 0 {
		t.Errorf("after the grant: %+v, %v", got, err)
	}
	var buf bytes.Buffer
	if _, err := lawyer.Get(ctx, id, []age.Identity{e.users["a.karim"].identity}, &buf); err != nil || !bytes.Equal(buf.Bytes(), content) {
		t.Fatalf("the lawyer opens the document: %v", err)
	}
	if _, err := lawyer.RequestAccess(ctx, id); !client.IsStatus(err, 403) {
		t.Errorf("asking for a document one holds: %v", err)
	}

	// The audit log: who asked for what, refusals included.
	events, _, err := aud.AuditEvents(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ok, denied int
	for _, raw := range events {
		var ev struct{ Action, Actor, Target, Doc, Outcome string }
		json.Unmarshal(raw, &ev)
		if ev.Action != "document.request" {
			continue
		}
		switch {
		case ev.Outcome == "ok" && ev.Actor == "a.karim" && ev.Target == "a.karim" && ev.Doc == id:
			ok++
		case ev.Outcome == "denied" && ev.Actor == "r.outsider":
			denied++
		}
	}
	if ok != 2 || denied != 1 {
		t.Errorf("document.request events: %d ok by the lawyer, %d denied for the outsider; want 2 and 1", ok, denied)
	}
}

// TestAccessRequestLimit: a user may ask twenty times an hour.
func TestAccessRequestLimit(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	dep, err := r.Deposit(ctx, sampleDeposit([]byte("fictional statement")))
	if err != nil {
		t.Fatal(err)
	}
	ahmed := e.login("r.ahmed")
	for i := range 20 {
		if _, err := ahmed.RequestAccess(ctx, dep.Document.ID); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	if _, err := ahmed.RequestAccess(ctx, dep.Document.ID); !client.IsStatus(err, 429) {
		t.Fatalf("request 21: %v", err)
	}
	// Another user is not held back.
	if _, err := e.login("a.karim").RequestAccess(ctx, dep.Document.ID); err != nil {
		t.Fatal(err)
	}
}
