package vault

import "testing"

// TestPendingRequestAndDecline: the requester sees its own request, a
// keeper anyone's, and nobody else anything; a keeper declines a request,
// which is recorded with the requester as target and leaves nothing
// pending; the requester and a member who keeps nothing cannot decline;
// the requester may ask again.
func TestPendingRequestAndDecline(t *testing.T) {
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("content"), nil)
	if _, err := f.v.PendingRequest(f.lawyer.caller(), doc.ID, f.lawyer.id); !isErr(err, ErrNotFound) {
		t.Errorf("before asking: %v", err)
	}
	if _, _, err := f.v.Request(f.lawyer.caller(), doc.ID); err != nil {
		t.Fatal(err)
	}
	before := f.logSize(t)
	for _, who := range []testUser{f.lawyer, f.r1, f.admin} {
		r, err := f.v.PendingRequest(who.caller(), doc.ID, f.lawyer.id)
		if err != nil || r.User != f.lawyer.id || r.Document != doc.ID || r.RequestedAt.IsZero() {
			t.Errorf("%s reads the request: %+v, %v", who.id, r, err)
		}
	}
	// A member who keeps nothing, an outsider and an auditor learn nothing.
	for _, who := range []testUser{f.r2, f.r3, f.audit} {
		if r, err := f.v.PendingRequest(who.caller(), doc.ID, f.lawyer.id); !isErr(err, ErrNotFound) {
			t.Errorf("%s reads the lawyer's request: %+v, %v", who.id, r, err)
		}
	}
	if _, err := f.v.PendingRequest(f.r3.caller(), doc.ID, f.r3.id); !isErr(err, ErrNotFound) {
		t.Errorf("an outsider's own request of a document it cannot see: %v", err)
	}
	if f.logSize(t) != before {
		t.Error("reading a request recorded an event")
	}

	// Only a keeper declines.
	for _, who := range []testUser{f.lawyer, f.r2, f.r3, f.audit} {
		f.expectEvent(t, who.id, "document.decline", "denied", func() {
			if err := f.v.Decline(who.caller(), doc.ID, f.lawyer.id); !isErr(err, ErrNotFound) {
				t.Errorf("%s declines: %v", who.id, err)
			}
		})
	}
	if _, err := f.v.PendingRequest(f.lawyer.caller(), doc.ID, f.lawyer.id); err != nil {
		t.Fatalf("the request went with a refused decline: %v", err)
	}
	e := f.expectEvent(t, f.r1.id, "document.decline", "ok", func() {
		if err := f.v.Decline(f.r1.caller(), doc.ID, f.lawyer.id); err != nil {
			t.Fatal(err)
		}
	})
	if e.Doc != doc.ID || e.Target != f.lawyer.id || e.Collection != doc.Collection {
		t.Errorf("event doc %q target %q collection %q", e.Doc, e.Target, e.Collection)
	}
	if got, _ := f.v.Requests(f.r1.caller(), doc.ID); len(got) != 0 {
		t.Errorf("after the decline: %+v", got)
	}
	if _, err := f.v.PendingRequest(f.lawyer.caller(), doc.ID, f.lawyer.id); !isErr(err, ErrNotFound) {
		t.Errorf("the requester still sees its request: %v", err)
	}
	if err := f.v.Decline(f.r1.caller(), doc.ID, f.lawyer.id); !isErr(err, ErrNotFound) {
		t.Errorf("declining again: %v", err)
	}
	if err := f.v.Decline(f.r1.caller(), "no-such-document", f.lawyer.id); !isErr(err, ErrNotFound) {
		t.Errorf("declining for a missing document: %v", err)
	}
	if _, created, err := f.v.Request(f.lawyer.caller(), doc.ID); err != nil || !created {
		t.Errorf("asking again after a decline: %v, created %v", err, created)
	}
}
