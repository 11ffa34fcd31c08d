package vault

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/envelope"
)

// TestEveryOperationIsAudited checks the event each vault operation
// appends: actor, action, outcome and targets.
func TestEveryOperationIsAudited(t *testing.T) {
	f := newFixture(t)
	a, r1, r3 := f.admin.caller(), f.r1.caller(), f.r3.caller()
	var doc *Document

	type step struct {
		actor, action, outcome string
		op                     func()
		check                  func(t *testing.T, doc, target, collection string)
	}
	docIs := func(t *testing.T, d, _, _ string) {
		if doc == nil || d != doc.ID {
			t.Errorf("event doc = %q", d)
		}
	}
	name := "Fictional Name"
	steps := []step{
		{f.admin.id, "user.create", "ok", func() {
			f.v.AddUser(a, NewUser{ID: "r.new", Role: RoleResearcher, Recipient: f.r3.recipient})
		}, func(t *testing.T, _, target, _ string) {
			if target != "r.new" {
				t.Errorf("target %q", target)
			}
		}},
		{f.r1.id, "user.create", "denied", func() {
			f.v.AddUser(r1, NewUser{ID: "r.newer", Role: RoleAdmin, Recipient: f.r3.recipient})
		}, nil},
		{f.admin.id, "user.create", "conflict", func() {
			f.v.AddUser(a, NewUser{ID: "r.new", Role: RoleResearcher, Recipient: f.r3.recipient})
		}, nil},
		{f.admin.id, "user.list", "ok", func() { f.v.ListUsers(a) }, nil},
		{f.admin.id, "user.read", "ok", func() { f.v.GetUser(a, f.r1.id) }, nil},
		{f.admin.id, "user.update", "ok", func() { f.v.UpdateUser(a, "r.new", UserUpdate{Name: &name}) }, nil},
		{f.admin.id, "user.update", "invalid", func() { f.v.UpdateUser(a, f.admin.id, UserUpdate{State: ptr(StateDisabled)}) }, nil},
		{f.admin.id, "collection.create", "ok", func() { f.v.CreateCollection(a, Collection{ID: "mosul-2019"}) }, func(t *testing.T, _, _, c string) {
			if c != "mosul-2019" {
				t.Errorf("collection %q", c)
			}
		}},
		{f.admin.id, "collection.update", "ok", func() { f.v.UpdateCollection(a, "mosul-2019", CollectionUpdate{AddMembers: []string{f.r1.id}}) }, nil},
		{f.r1.id, "collection.list", "ok", func() { f.v.ListCollections(r1) }, nil},
		{f.r3.id, "collection.recipients", "denied", func() { f.v.CollectionRecipients(r3, "kirkuk-2018") }, nil},
		{f.r1.id, "collection.recipients", "ok", func() { f.v.CollectionRecipients(r1, "kirkuk-2018") }, nil},
	}
	for _, s := range steps {
		t.Run(s.action+"/"+s.outcome, func(t *testing.T) {
			e := f.expectEvent(t, s.actor, s.action, s.outcome, s.op)
			if e.RequestID != "req-"+s.actor {
				t.Errorf("request id %q", e.RequestID)
			}
			if !strings.HasPrefix(e.Hashed["addr"], "hmac-sha256:") {
				t.Errorf("client address not recorded as HMAC: %v", e.Hashed)
			}
			if s.check != nil {
				s.check(t, e.Doc, e.Target, e.Collection)
			}
		})
	}

	// Deposit: the deposit event, and the recipients fetch before it.
	before := f.logSize(t)
	doc, _ = f.deposit(t, f.r1, sampleMeta(), []byte("audited content"), []byte(`{}`))
	evs := f.eventsFrom(t, before)
	if len(evs) != 2 || evs[1].Action != "document.deposit" || evs[1].Outcome != "ok" || evs[1].Doc != doc.ID || evs[1].Collection != "kirkuk-2018" {
		t.Fatalf("deposit events: %+v", evs)
	}
	if evs[1].Detail["size"] == "" {
		t.Errorf("deposit event has no size")
	}

	slot, _ := f.v.KeySlot(r1, doc.ID)
	key, _ := envelope.OpenSlot(slot, f.r1.identity)
	lr, _ := recipientOf(f.lawyer)
	lawyerSlot, _ := envelope.Wrap(key, lr)

	docSteps := []step{
		{f.r1.id, "document.read", "ok", func() { f.v.GetDocument(r1, doc.ID) }, docIs},
		{f.r3.id, "document.read", "denied", func() { f.v.GetDocument(r3, doc.ID) }, docIs},
		{f.r1.id, "document.keyslot", "ok", func() { f.v.KeySlot(r1, doc.ID) }, docIs},
		{f.lawyer.id, "document.keyslot", "denied", func() { f.v.KeySlot(f.lawyer.caller(), doc.ID) }, docIs},
		{f.r1.id, "document.private", "ok", func() { f.v.Private(r1, doc.ID) }, docIs},
		{f.r1.id, "document.download", "ok", func() { f.v.OpenContent(r1, doc.ID) }, docIs},
		{f.audit.id, "document.download", "denied", func() { f.v.OpenContent(f.audit.caller(), doc.ID) }, docIs},
		{f.r1.id, "document.grant", "ok", func() { f.v.Grant(r1, doc.ID, f.lawyer.id, lawyerSlot) }, func(t *testing.T, d, target, _ string) {
			docIs(t, d, "", "")
			if target != f.lawyer.id {
				t.Errorf("target %q", target)
			}
		}},
		{f.r1.id, "document.revoke", "ok", func() { f.v.Revoke(r1, doc.ID, f.lawyer.id) }, docIs},
		{f.lawyer.id, "document.request", "ok", func() { f.v.Request(f.lawyer.caller(), doc.ID) }, func(t *testing.T, d, target, _ string) {
			docIs(t, d, "", "")
			if target != f.lawyer.id {
				t.Errorf("target %q", target)
			}
		}},
		{f.r3.id, "document.request", "denied", func() { f.v.Request(r3, doc.ID) }, docIs},
		{f.r1.id, "document.rekey", "denied", func() { f.v.BeginRekey(f.lawyer.caller(), doc.ID, nil) }, nil},
		{f.r1.id, "document.shred", "denied", func() { f.v.Shred(r1, doc.ID) }, docIs},
		{f.admin.id, "document.shred", "ok", func() { f.v.Shred(a, doc.ID) }, docIs},
		{f.admin.id, "vault.backup", "ok", func() { f.v.Backup(a, new(bytes.Buffer)) }, nil},
	}
	docSteps[11].actor = f.lawyer.id
	for _, s := range docSteps {
		t.Run(s.action+"/"+s.outcome, func(t *testing.T) {
			e := f.expectEvent(t, s.actor, s.action, s.outcome, s.op)
			if s.check != nil {
				s.check(t, e.Doc, e.Target, e.Collection)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestCustodyTrail(t *testing.T) {
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("custody"), nil)
	f.v.KeySlot(f.r1.caller(), doc.ID)
	f.v.KeySlot(f.r3.caller(), doc.ID) // a denied probe is part of the trail
	other, _ := f.deposit(t, f.r1, sampleMeta(), []byte("other"), nil)
	f.v.KeySlot(f.r1.caller(), other.ID)

	if _, err := f.v.CustodyTrail(f.lawyer.caller(), doc.ID); err == nil {
		t.Fatal("a member without a slot read the custody trail")
	}
	c, err := f.v.CustodyTrail(f.r1.caller(), doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := auditlog.OpenCheckpoint(c.Checkpoint, f.v.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i, leaf := range c.Events {
		e, err := auditlog.ParseEvent(leaf)
		if err != nil {
			t.Fatal(err)
		}
		if e.Doc != doc.ID || e.Seq != c.Seqs[i] {
			t.Fatalf("event %d is about %s (seq %d)", i, e.Doc, e.Seq)
		}
		if err := tlog.CheckRecord(c.Proofs[i], cp.Size, cp.Root, e.Seq, tlog.RecordHash(leaf)); err != nil {
			t.Fatalf("inclusion proof of seq %d: %v", e.Seq, err)
		}
		actions = append(actions, e.Action+"/"+e.Outcome)
	}
	want := "document.deposit/ok document.keyslot/ok document.keyslot/denied document.custody/denied document.custody/ok"
	if got := strings.Join(actions, " "); got != want {
		t.Fatalf("trail %q, want %q", got, want)
	}
	if cp.Size <= c.Seqs[len(c.Seqs)-1] {
		t.Fatal("checkpoint does not cover the trail")
	}
}
