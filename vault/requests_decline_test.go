package vault

import (
	"errors"
	"testing"
	"time"
)

// TestPendingRequestAndDecline: the requester sees its own request, a
// keeper anyone's, and nobody else anything; a keeper declines a request,
// which is recorded with the requester as target and leaves nothing
// pending; the requester and a member who keeps nothing cannot decline;
// the decline stands for DeclineHold, then the requester may ask again.
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
	declined := f.clock.Now()
	// The requester, and a keeper, see it declined; nobody else anything.
	for _, who := range []testUser{f.lawyer, f.r1} {
		r, err := f.v.PendingRequest(who.caller(), doc.ID, f.lawyer.id)
		if err != nil || r.DeclinedAt == nil || r.AskAgainAt == nil {
			t.Fatalf("%s reads the declined request: %+v, %v", who.id, r, err)
		}
		if !r.DeclinedAt.Equal(declined) || !r.AskAgainAt.Equal(declined.Add(DeclineHold)) {
			t.Errorf("%s: declined %v, ask again %v", who.id, r.DeclinedAt, r.AskAgainAt)
		}
	}
	for _, who := range []testUser{f.r2, f.audit} {
		if r, err := f.v.PendingRequest(who.caller(), doc.ID, f.lawyer.id); !isErr(err, ErrNotFound) {
			t.Errorf("%s reads the declined request: %+v, %v", who.id, r, err)
		}
	}
	if all, _ := f.v.AllRequests(f.r1.caller()); len(all) != 0 {
		t.Errorf("a declined request is listed: %+v", all)
	}
	if err := f.v.Decline(f.r1.caller(), doc.ID, f.lawyer.id); !isErr(err, ErrNotFound) {
		t.Errorf("declining again: %v", err)
	}
	if err := f.v.Decline(f.r1.caller(), "no-such-document", f.lawyer.id); !isErr(err, ErrNotFound) {
		t.Errorf("declining for a missing document: %v", err)
	}

	// Asking again while the decline stands is refused and recorded.
	f.clock.Add(DeclineHold - time.Minute)
	e = f.expectEvent(t, f.lawyer.id, "document.request", "conflict", func() {
		_, _, err := f.v.Request(f.lawyer.caller(), doc.ID)
		var de *DeclinedError
		if !errors.As(err, &de) || !de.DeclinedAt.Equal(declined) || !de.AskAgainAt.Equal(declined.Add(DeclineHold)) {
			t.Errorf("asking again within the hold: %v", err)
		}
	})
	if e.Detail["reason"] != "declined" || e.Detail["declined"] != declined.UTC().Format(time.RFC3339) {
		t.Errorf("refused request's detail: %v", e.Detail)
	}
	if _, err := f.v.PendingRequest(f.lawyer.caller(), doc.ID, f.lawyer.id); err != nil {
		t.Errorf("the refused request changed the declined one: %v", err)
	}

	// After the hold, asking makes a new, pending request.
	f.clock.Add(time.Minute)
	if _, err := f.v.PendingRequest(f.lawyer.caller(), doc.ID, f.lawyer.id); !isErr(err, ErrNotFound) {
		t.Errorf("a decline past its hold is still shown: %v", err)
	}
	r, created, err := f.v.Request(f.lawyer.caller(), doc.ID)
	if err != nil || !created || !r.RequestedAt.Equal(f.clock.Now()) || r.DeclinedAt != nil {
		t.Fatalf("asking after the hold: %+v, created %v, %v", r, created, err)
	}
	if got, _ := f.v.Requests(f.r1.caller(), doc.ID); len(got) != 1 || got[0].User != f.lawyer.id {
		t.Errorf("the new request is not listed: %+v", got)
	}
}

// TestGrantAfterDecline: a keeper may grant a declined request while the
// decline stands; the grant clears it, and after a revoke the member may
// ask again at once.
func TestGrantAfterDecline(t *testing.T) {
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("content"), nil)
	if _, _, err := f.v.Request(f.lawyer.caller(), doc.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.v.Decline(f.r1.caller(), doc.ID, f.lawyer.id); err != nil {
		t.Fatal(err)
	}
	grantTo(t, f, doc.ID, f.r1, f.lawyer)
	if _, err := f.v.PendingRequest(f.r1.caller(), doc.ID, f.lawyer.id); !isErr(err, ErrNotFound) {
		t.Errorf("after the grant the decline is still there: %v", err)
	}
	if err := f.v.Revoke(f.r1.caller(), doc.ID, f.lawyer.id); err != nil {
		t.Fatal(err)
	}
	if _, created, err := f.v.Request(f.lawyer.caller(), doc.ID); err != nil || !created {
		t.Errorf("asking after a grant and a revoke: %v, created %v", err, created)
	}
}

// TestDeclinedRequestsLimit: declines that stand count towards
// MaxRequests, also of requesters who left the collection; a decline past
// its hold makes room.
func TestDeclinedRequestsLimit(t *testing.T) {
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("content"), nil)
	ac := f.admin.caller()
	ids := f.askers(t, doc, MaxRequests+1)
	for _, id := range ids[:MaxRequests] {
		if _, _, err := f.v.Request(Caller{User: id}, doc.ID); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if err := f.v.Decline(f.r1.caller(), doc.ID, id); err != nil {
			t.Fatalf("declining %s: %v", id, err)
		}
	}
	last := Caller{User: ids[MaxRequests]}
	if _, _, err := f.v.Request(last, doc.ID); !isErr(err, ErrTooLarge) {
		t.Fatalf("with %d declines standing: %v", MaxRequests, err)
	}
	if _, err := f.v.UpdateCollection(ac, doc.Collection, CollectionUpdate{RemoveMembers: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.v.Request(last, doc.ID); !isErr(err, ErrTooLarge) {
		t.Fatalf("after a declined requester left: %v", err)
	}
	f.clock.Add(DeclineHold)
	if _, created, err := f.v.Request(last, doc.ID); err != nil || !created {
		t.Fatalf("after the hold: %v, %v", created, err)
	}
	if got, _ := f.v.Requests(f.r1.caller(), doc.ID); len(got) != 1 {
		t.Errorf("%d pending, want 1", len(got))
	}
}

// TestDeclineOutlastsLeaving: a declined requester who leaves the
// collection and comes back is still declined until the hold ends,
// whatever others ask in between.
func TestDeclineOutlastsLeaving(t *testing.T) {
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("content"), nil)
	ac := f.admin.caller()
	ids := f.askers(t, doc, 2)
	asker, other := Caller{User: ids[0]}, Caller{User: ids[1]}
	if _, _, err := f.v.Request(asker, doc.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.v.Decline(f.r1.caller(), doc.ID, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.UpdateCollection(ac, doc.Collection, CollectionUpdate{RemoveMembers: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.v.Request(other, doc.ID); err != nil { // cleans up what no longer stands
		t.Fatal(err)
	}
	if _, err := f.v.UpdateCollection(ac, doc.Collection, CollectionUpdate{AddMembers: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	var de *DeclinedError
	if _, _, err := f.v.Request(asker, doc.ID); !errors.As(err, &de) {
		t.Fatalf("back in the collection: %v", err)
	}
	if r, err := f.v.PendingRequest(asker, doc.ID, ids[0]); err != nil || r.DeclinedAt == nil {
		t.Errorf("back in the collection, the requester sees %+v, %v", r, err)
	}
}
