package vault

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestRequest: a member without a slot whom the consent covers may ask; the
// keepers see the request and nobody else learns of it; a grant satisfies
// it; a holder, an outsider, an auditor and someone the consent does not
// cover are refused.
func TestRequest(t *testing.T) {
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("content"), nil)

	e := f.expectEvent(t, f.lawyer.id, "document.request", "ok", func() {
		req, created, err := f.v.Request(f.lawyer.caller(), doc.ID)
		if err != nil || !created || req.User != f.lawyer.id || req.Role != RoleLawyer || req.Document != doc.ID {
			t.Fatalf("Request = %+v, %v, %v", req, created, err)
		}
	})
	if e.Doc != doc.ID || e.Target != f.lawyer.id || e.Collection != doc.Collection {
		t.Errorf("event doc %q target %q collection %q", e.Doc, e.Target, e.Collection)
	}
	first, _ := f.v.Requests(f.r1.caller(), doc.ID)
	f.clock.Add(time.Hour)
	f.reopen(t) // requests are kept across a restart
	req, created, err := f.v.Request(f.lawyer.caller(), doc.ID)
	if err != nil || created || len(first) != 1 || !req.RequestedAt.Equal(first[0].RequestedAt) {
		t.Errorf("asking again: %+v, created %v, %v; first %+v", req, created, err, first)
	}

	// Who may ask.
	for _, c := range []struct {
		who  testUser
		want error
	}{
		{f.r1, ErrForbidden},    // holds a slot already
		{f.r3, ErrNotFound},     // not a member
		{f.audit, ErrNotFound},  // never holds a slot
		{f.admin, ErrForbidden}, // the collection's custodian, holds a slot
	} {
		if _, _, err := f.v.Request(c.who.caller(), doc.ID); !isErr(err, c.want) {
			t.Errorf("%s asking: %v, want %v", c.who.id, err, c.want)
		}
	}
	if _, _, err := f.v.Request(f.lawyer.caller(), "no-such-document"); !isErr(err, ErrNotFound) {
		t.Errorf("asking for a missing document: %v", err)
	}
	research := sampleMeta()
	research.Consent.Scopes = []string{ScopeResearch}
	doc2, _ := f.deposit(t, f.r1, research, []byte("other"), nil)
	if _, _, err := f.v.Request(f.lawyer.caller(), doc2.ID); !isConsentErr(err) {
		t.Errorf("a lawyer asking for a research-only document: %v", err)
	}
	if _, _, err := f.v.Request(f.r2.caller(), doc2.ID); err != nil {
		t.Errorf("a researcher asking for a research-only document: %v", err)
	}

	// Who sees requests: the keepers only, and listing records nothing.
	before := f.logSize(t)
	got, err := f.v.Requests(f.r1.caller(), doc.ID)
	if err != nil || len(got) != 1 || got[0].User != f.lawyer.id {
		t.Fatalf("the depositor sees %+v, %v", got, err)
	}
	all, err := f.v.AllRequests(f.r1.caller())
	if err != nil || len(all) != 2 || !slices.ContainsFunc(all, func(r AccessRequest) bool { return r.Document == doc2.ID && r.User == f.r2.id }) {
		t.Errorf("AllRequests for the depositor: %+v, %v", all, err)
	}
	if got, err := f.v.Requests(f.admin.caller(), doc.ID); err != nil || len(got) != 1 {
		t.Errorf("the custodian sees %+v, %v", got, err)
	}
	for _, who := range []testUser{f.r2, f.lawyer, f.r3, f.audit} {
		if got, err := f.v.Requests(who.caller(), doc.ID); !isErr(err, ErrNotFound) {
			t.Errorf("%s sees %+v, %v; want not found", who.id, got, err)
		}
		if got, err := f.v.AllRequests(who.caller()); err != nil || len(got) != 0 {
			t.Errorf("%s sees all %+v, %v", who.id, got, err)
		}
	}
	if _, err := f.v.Requests(f.r1.caller(), "no-such-document"); !isErr(err, ErrNotFound) {
		t.Errorf("requests of a missing document: %v", err)
	}
	if _, err := f.v.AllRequests(Caller{User: "nobody"}); err == nil {
		t.Error("an unknown caller was given a list")
	}
	if after := f.logSize(t); after != before {
		t.Errorf("listing recorded %d events", after-before)
	}

	// A grant satisfies the request, and a holder may not ask again.
	grantTo(t, f, doc.ID, f.r1, f.lawyer)
	if got, err := f.v.Requests(f.r1.caller(), doc.ID); err != nil || len(got) != 0 {
		t.Errorf("after the grant: %+v, %v", got, err)
	}
	if _, _, err := f.v.Request(f.lawyer.caller(), doc.ID); !isErr(err, ErrForbidden) {
		t.Errorf("a holder asking: %v", err)
	}
	// A requester who leaves the collection no longer has a pending request.
	if _, err := f.v.UpdateCollection(f.admin.caller(), doc.Collection, CollectionUpdate{RemoveMembers: []string{f.r2.id}}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.v.Requests(f.r1.caller(), doc2.ID); err != nil || len(got) != 0 {
		t.Errorf("a former member's request: %+v, %v", got, err)
	}
}

// askers adds n researchers to doc's collection and returns their ids.
func (f *fixture) askers(t *testing.T, doc *Document, n int) []string {
	t.Helper()
	ac := f.admin.caller()
	var ids []string
	for i := range n {
		u := newX25519(t, fmt.Sprintf("r.asker%03d", i), RoleResearcher)
		if _, _, err := f.v.AddUser(ac, NewUser{ID: u.id, Role: u.role, Recipient: u.recipient}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.id)
	}
	if _, err := f.v.UpdateCollection(ac, doc.Collection, CollectionUpdate{AddMembers: ids}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestRequestLimit: a document holds at most MaxRequests pending requests;
// requests that are no longer pending make room.
func TestRequestLimit(t *testing.T) {
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("content"), nil)
	ac := f.admin.caller()
	ids := f.askers(t, doc, MaxRequests+1)
	for _, id := range ids[:MaxRequests] {
		if _, _, err := f.v.Request(Caller{User: id}, doc.ID); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	last := Caller{User: ids[MaxRequests]}
	if _, _, err := f.v.Request(last, doc.ID); !isErr(err, ErrTooLarge) {
		t.Fatalf("request %d: %v", MaxRequests+1, err)
	}
	// One requester leaves the collection: its request no longer counts.
	if _, err := f.v.UpdateCollection(ac, doc.Collection, CollectionUpdate{RemoveMembers: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	if _, created, err := f.v.Request(last, doc.ID); err != nil || !created {
		t.Fatalf("after one left: %v, %v", created, err)
	}
	if got, err := f.v.Requests(f.r1.caller(), doc.ID); err != nil || len(got) != MaxRequests {
		t.Errorf("%d pending, %v; want %d", len(got), err, MaxRequests)
	}
}

// BenchmarkAllRequests lists a keeper's pending requests in a vault of 500
// documents, one in ten of them asked for: the listing unseals every
// document record.
func BenchmarkAllRequests(b *testing.B) {
	f := newFixture(b)
	for i := range 500 {
		doc, _ := f.deposit(b, f.r1, sampleMeta(), []byte("content "+fmt.Sprint(i)), nil)
		if i%10 == 0 {
			if _, _, err := f.v.Request(f.lawyer.caller(), doc.ID); err != nil {
				b.Fatal(err)
			}
		}
	}
	for b.Loop() {
		got, err := f.v.AllRequests(f.r1.caller())
		if err != nil || len(got) != 50 {
			b.Fatalf("%d requests, %v", len(got), err)
		}
	}
}
