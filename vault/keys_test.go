package vault

import (
	"fmt"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/sshsig"
)

// verifyKeys fetches id's keys as caller and checks them as a client
// would, from the checkpoint last (nil for none).
func (f *fixture) verifyKeys(t testing.TB, caller testUser, id string, last []byte) (*auditlog.UserKeys, auditlog.KeyBinding) {
	t.Helper()
	since := int64(0)
	if last != nil {
		cp, err := auditlog.OpenCheckpoint(last, f.v.VerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		since = cp.Size
	}
	k, err := f.v.UserKeyProof(caller.caller(), id, since, KeyPurposeVerify)
	if err != nil {
		t.Fatalf("UserKeyProof(%s) as %s: %v", id, caller.id, err)
	}
	b, _, err := auditlog.VerifyUserKeys(k, id, f.v.VerifierKey(), last)
	if err != nil {
		t.Fatalf("keys of %s: %v", id, err)
	}
	return k, b
}

// TestUserKeyProof: every user's keys are bound by the event that creates
// it and by every change of keys; any active user gets them with a proof
// that a client checks, and the request is audited.
func TestUserKeyProof(t *testing.T) {
	f := newFixture(t)
	a := f.admin.caller()

	// The first admin is bound by the vault's creation, the others by
	// their creation.
	_, b := f.verifyKeys(t, f.r1, f.admin.id, nil)
	if ev := f.eventsFrom(t, b.Seq)[0]; ev.Action != "vault.init" || b.Recipient != f.admin.recipient {
		t.Errorf("the admin is bound by %s: %+v", ev.Action, b)
	}
	k, b := f.verifyKeys(t, f.audit, f.r1.id, nil) // an auditor shares no collection: still allowed
	if ev := f.eventsFrom(t, b.Seq)[0]; ev.Action != "user.create" || k.Recipient != f.r1.recipient || k.SigningKey != "" {
		t.Errorf("r.hassan is bound by %s: %+v", ev.Action, k)
	}
	created := b.Seq
	last := []byte(k.Checkpoint)

	// The request is audited with its purpose.
	e := f.expectEvent(t, f.r3.id, "user.keys", "ok", func() {
		if _, err := f.v.UserKeyProof(f.r3.caller(), f.r1.id, 0, KeyPurposeTrust); err != nil {
			t.Fatal(err)
		}
	})
	if e.Target != f.r1.id || e.Detail["purpose"] != KeyPurposeTrust || e.Detail["binding"] == "" {
		t.Errorf("user.keys event %+v", e)
	}

	// A name change binds nothing; a failed key change neither.
	name := "Rania Hassan"
	if _, err := f.v.UpdateUser(a, f.r1.id, UserUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	bad := "age1notarecipient"
	if _, err := f.v.UpdateUser(a, f.r1.id, UserUpdate{Recipient: &bad}); !isInvalidErr(err) {
		t.Fatalf("bad recipient: %v", err)
	}
	if _, b := f.verifyKeys(t, f.r2, f.r1.id, last); b.Seq != created {
		t.Errorf("bound by %d after a name change, want %d", b.Seq, created)
	}

	// A change of keys binds the new ones, with the old ones.
	next := newX25519(t, f.r1.id, RoleResearcher)
	sk := newSigningKey(t)
	if _, err := f.v.UpdateUser(a, f.r1.id, UserUpdate{Recipient: &next.recipient, SigningKey: &sk}); err != nil {
		t.Fatal(err)
	}
	k, b = f.verifyKeys(t, f.r2, f.r1.id, last)
	if b.Seq <= created || k.Recipient != next.recipient || k.SigningKey != sk || b.OldRecipient != f.r1.recipient || b.OldSigningKey != "" {
		t.Errorf("after a change: %+v, %+v", k, b)
	}
	last = []byte(k.Checkpoint)
	// Changing only the signing key still binds both keys.
	sk2 := newSigningKey(t)
	if _, err := f.v.UpdateUser(a, f.r1.id, UserUpdate{SigningKey: &sk2}); err != nil {
		t.Fatal(err)
	}
	_, b = f.verifyKeys(t, f.r2, f.r1.id, last)
	if b.Recipient != next.recipient || b.SigningKey != sk2 || b.OldSigningKey != sk || b.OldRecipient != "" {
		t.Errorf("after a signing key change: %+v", b)
	}
	empty := ""
	if _, err := f.v.UpdateUser(a, f.r1.id, UserUpdate{SigningKey: &empty}); err != nil {
		t.Fatal(err)
	}
	k, b = f.verifyKeys(t, f.r2, f.r1.id, nil)
	if k.SigningKey != "" || b.SigningKey != "" || b.OldSigningKey != sk2 {
		t.Errorf("after a removal: %+v", b)
	}
	// A signing key given at creation is bound with it.
	sk3 := newSigningKey(t)
	pub, _ := sshsig.ParsePublicKey(sk3)
	if _, _, err := f.v.AddUser(a, NewUser{ID: "r.new", Role: RoleResearcher, Recipient: next.recipient, SigningKey: sk3 + " me@laptop"}); err != nil {
		t.Fatal(err)
	}
	if k, _ := f.verifyKeys(t, f.r2, "r.new", nil); k.SigningKey != sshsig.AuthorizedKey(pub) {
		t.Errorf("r.new: %+v", k)
	}

	// Refusals, each audited.
	for _, c := range []struct {
		name    string
		caller  Caller
		id      string
		since   int64
		purpose string
		check   func(error) bool
	}{
		{"unknown user", f.r2.caller(), "nobody", 0, "", func(err error) bool { return isErr(err, ErrNotFound) }},
		{"negative since", f.r2.caller(), f.r1.id, -1, "", isInvalidErr},
		{"unknown purpose", f.r2.caller(), f.r1.id, 0, "steal", isInvalidErr},
		{"anonymous", Caller{}, f.r1.id, 0, "", func(err error) bool { return isErr(err, ErrForbidden) }},
	} {
		before := f.logSize(t)
		_, err := f.v.UserKeyProof(c.caller, c.id, c.since, c.purpose)
		if !c.check(err) {
			t.Errorf("%s: %v", c.name, err)
		}
		if evs := f.eventsFrom(t, before); len(evs) != 1 || evs[0].Action != "user.keys" || evs[0].Outcome == "ok" {
			t.Errorf("%s: audit %v", c.name, evs)
		}
	}
	// A caller whose checkpoint is beyond the log gets no consistency
	// proof, and its client refuses the answer.
	k, err := f.v.UserKeyProof(f.r2.caller(), f.r1.id, 1<<40, "")
	if err != nil || len(k.Consistency) != 0 {
		t.Fatalf("since beyond the log: %v %v", k, err)
	}
}

// TestBindUnbound: a vault written before the log bound keys binds every
// user's keys once, when it is next opened.
func TestBindUnbound(t *testing.T) {
	f := newFixture(t)
	if err := f.v.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(f.dir+"/"+DBFile, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket(bucketKeyBindings) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f.v, err = Open(f.dir, testPassphrase, testOptions(f.clock))
	if err != nil {
		t.Fatal(err)
	}
	before := f.logSize(t)
	var bound []string
	for _, e := range f.eventsFrom(t, 0) {
		if e.Action == "user.bind" {
			bound = append(bound, e.Target)
			if e.Actor != "" || e.Detail[auditlog.DetailRecipient] == "" || e.Detail[auditlog.DetailPreviousBinding] != auditlog.NoPreviousBinding {
				t.Errorf("user.bind event %+v", e)
			}
		}
	}
	if len(bound) != 6 {
		t.Errorf("bound %v, want the 6 users", bound)
	}
	_, b := f.verifyKeys(t, f.r1, f.r2.id, nil)
	if ev := f.eventsFrom(t, b.Seq)[0]; ev.Action != "user.bind" || !strings.HasPrefix(b.Recipient, "ssh-ed25519 ") {
		t.Errorf("r.two bound by %+v", ev)
	}
	f.reopen(t)
	if n := f.logSize(t); n != before+1 { // the proof's own event only
		t.Errorf("reopening again appended %d events", n-before-1)
	}
}

// TestKeysAtDeposit: the audit event of a deposit is given, with its
// proof, to whoever may read the document's record, and the keys bound to
// the depositor when it was appended are given, with the proof that no
// binding lies between (the next binding names the one before it), to
// any active user; both are audited.
func TestKeysAtDeposit(t *testing.T) {
	f := newFixture(t)
	a := f.admin.caller()
	vkey := f.v.VerifierKey()
	_, created := f.verifyKeys(t, f.r2, f.r1.id, nil)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("a fictional testimony"), []byte(`{"file_name":"t.txt"}`))

	// Every binding event names the user's previous one.
	for _, e := range f.eventsFrom(t, 0) {
		if b, ok := auditlog.BindingOf(e); ok && (!b.Chained || b.Previous != -1) {
			t.Errorf("first binding of %s: %v", b.User, e.Detail)
		}
	}
	sk := newSigningKey(t)
	if _, err := f.v.UpdateUser(a, f.r1.id, UserUpdate{SigningKey: &sk}); err != nil {
		t.Fatal(err)
	}
	_, changed := f.verifyKeys(t, f.r2, f.r1.id, nil)
	if !changed.Chained || changed.Previous != created.Seq || changed.SigningKey != sk {
		t.Fatalf("the change: %+v, want it to name event %d", changed, created.Seq)
	}

	// The deposit's event, as a fellow member gets it.
	var p *auditlog.EventProof
	e := f.expectEvent(t, f.r2.id, "document.manifest", "ok", func() {
		var err error
		if p, err = f.v.DepositProof(f.r2.caller(), doc.ID, 0); err != nil {
			t.Fatal(err)
		}
	})
	if e.Doc != doc.ID || e.Collection != "kirkuk-2018" || e.Detail["deposit"] != fmt.Sprint(p.Seq) {
		t.Errorf("document.manifest event %+v", e)
	}
	dep, cp, err := auditlog.VerifyEventProof(p, vkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if dep.Action != "document.deposit" || dep.Doc != doc.ID || dep.Actor != f.r1.id || dep.Outcome != "ok" || dep.Seq <= created.Seq || dep.Seq >= changed.Seq {
		t.Fatalf("deposit event %+v", dep)
	}
	// From the checkpoint kept, the next answer is consistent with it.
	last := []byte(p.Checkpoint)
	p2, err := f.v.DepositProof(f.r1.caller(), doc.ID, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := auditlog.VerifyEventProof(p2, vkey, last); err != nil || p2.Seq != p.Seq {
		t.Fatalf("from %d: %v", cp.Size, err)
	}

	// The keys in effect at the deposit: those of the creation, with the
	// change after it as the next binding.
	var k *auditlog.UserKeys
	e = f.expectEvent(t, f.r3.id, "user.keys", "ok", func() {
		if k, err = f.v.UserKeyProofAt(f.r3.caller(), f.r1.id, dep.Seq, cp.Size, KeyPurposeVerify); err != nil {
			t.Fatal(err)
		}
	})
	if e.Detail["at"] != fmt.Sprint(dep.Seq) || e.Detail["binding"] != fmt.Sprint(created.Seq) {
		t.Errorf("user.keys event %+v", e)
	}
	at, _, err := auditlog.VerifyUserKeysAt(k, f.r1.id, dep.Seq, vkey, last)
	if err != nil {
		t.Fatal(err)
	}
	if at.Seq != created.Seq || at.SigningKey != "" || k.Recipient != f.r1.recipient || at.Next == nil || at.Next.Seq != changed.Seq || !at.Gapless {
		t.Errorf("keys at the deposit: %+v", at)
	}
	// After the change: its keys, and nothing after them yet.
	now := f.logSize(t)
	k, err = f.v.UserKeyProofAt(f.r3.caller(), f.r1.id, now, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if at, _, err := auditlog.VerifyUserKeysAt(k, f.r1.id, now, vkey, nil); err != nil || at.Seq != changed.Seq || at.SigningKey != sk || at.Next != nil {
		t.Errorf("keys now: %+v, %v", at, err)
	}
	// A second change: the binding between is named by it.
	sk2 := newSigningKey(t)
	if _, err := f.v.UpdateUser(a, f.r1.id, UserUpdate{SigningKey: &sk2}); err != nil {
		t.Fatal(err)
	}
	k, err = f.v.UserKeyProofAt(f.r3.caller(), f.r1.id, now, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if at, _, err := auditlog.VerifyUserKeysAt(k, f.r1.id, now, vkey, nil); err != nil || at.Seq != changed.Seq || at.Next == nil || at.Next.Previous != changed.Seq || !at.Gapless {
		t.Errorf("keys between the changes: %+v, %v", at, err)
	}

	// Refusals, each audited.
	shredded, _ := f.deposit(t, f.r1, sampleMeta(), []byte("shredded"), nil)
	if err := f.v.Shred(a, shredded.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		caller Caller
		id     string
		since  int64
		check  func(error) bool
	}{
		{"outsider", f.r3.caller(), doc.ID, 0, func(err error) bool { return isErr(err, ErrNotFound) }},
		{"auditor", f.audit.caller(), doc.ID, 0, func(err error) bool { return isErr(err, ErrNotFound) }},
		{"shredded", f.r1.caller(), shredded.ID, 0, func(err error) bool { return isErr(err, ErrNotFound) }},
		{"unknown", a, "aaaaaaaaaaaaaaaaaaaaaaaaaa", 0, func(err error) bool { return isErr(err, ErrNotFound) }},
		{"negative since", f.r1.caller(), doc.ID, -1, isInvalidErr},
		{"anonymous", Caller{}, doc.ID, 0, func(err error) bool { return isErr(err, ErrForbidden) }},
	} {
		before := f.logSize(t)
		if _, err := f.v.DepositProof(c.caller, c.id, c.since); !c.check(err) {
			t.Errorf("%s: %v", c.name, err)
		}
		if evs := f.eventsFrom(t, before); len(evs) != 1 || evs[0].Action != "document.manifest" || evs[0].Outcome == "ok" {
			t.Errorf("%s: audit %v", c.name, evs)
		}
	}
	for _, c := range []struct {
		name  string
		at    int64
		check func(error) bool
	}{
		{"at 0", 0, isInvalidErr},
		{"negative at", -3, isInvalidErr},
		{"before the user existed", created.Seq, func(err error) bool { return isErr(err, ErrConflict) }},
	} {
		before := f.logSize(t)
		if _, err := f.v.UserKeyProofAt(f.r2.caller(), f.r1.id, c.at, 0, ""); !c.check(err) {
			t.Errorf("%s: %v", c.name, err)
		}
		if evs := f.eventsFrom(t, before); len(evs) != 1 || evs[0].Action != "user.keys" || evs[0].Outcome == "ok" {
			t.Errorf("%s: audit %v", c.name, evs)
		}
	}
}
