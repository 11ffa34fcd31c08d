package vault

import (
	"testing"
)

// Openable names the documents the caller holds a slot for and may fetch
// it, and records nothing.
func TestOpenable(t *testing.T) {
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("content"), nil)
	ids := []string{doc.ID, "no-such-document"}
	before := f.logSize(t)
	for _, c := range []struct {
		who  testUser
		want bool
	}{
		{f.r1, true},      // the depositor holds a slot
		{f.r2, false},     // a member without one
		{f.r3, false},     // another collection's member
		{f.audit, false},  // auditors never hold slots
		{f.lawyer, false}, // a member, not granted
	} {
		got, err := f.v.Openable(c.who.caller(), ids)
		if err != nil {
			t.Fatalf("%s: %v", c.who.id, err)
		}
		if got[doc.ID] != c.want || got["no-such-document"] || len(got) > 1 {
			t.Errorf("%s: openable %v, want %s %v", c.who.id, got, doc.ID, c.want)
		}
		all, err := f.v.OpenableIDs(c.who.caller())
		if err != nil || all == nil || (len(all) == 1 && all[0] == doc.ID) != c.want || len(all) > 1 {
			t.Errorf("%s: OpenableIDs %v, %v", c.who.id, all, err)
		}
	}
	if after := f.logSize(t); after != before {
		t.Errorf("Openable recorded %d events", after-before)
	}
	if _, err := f.v.Openable(Caller{User: "nobody"}, ids); err == nil {
		t.Error("an unknown caller was answered")
	}
	if _, err := f.v.OpenableIDs(Caller{User: "nobody"}); err == nil {
		t.Error("an unknown caller was given a list")
	}
}
