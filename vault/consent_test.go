package vault

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"go.etcd.io/bbolt"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/envelope"
)

// plantSlot gives u a key slot for document id, wrapped from key, as a
// vault written before the consent rule could hold it (plantSlotRaw).
func (f *fixture) plantSlot(t testing.TB, id string, u testUser, key *envelope.DocKey) {
	t.Helper()
	r, err := recipientOf(u)
	if err != nil {
		t.Fatal(err)
	}
	slot, err := envelope.Wrap(key, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := plantSlotRaw(f.v, id, u.id, slot); err != nil {
		t.Fatal(err)
	}
}

// plantSlotRaw writes slot as user's key slot for document id straight
// into the slots bucket and the record, without any of the vault's checks:
// what a vault written before the consent rule holds.
func plantSlotRaw(v *Vault, id, user string, slot []byte) error {
	return v.db.Update(func(tx *bbolt.Tx) error {
		d, err := v.getDoc(tx, id)
		if err != nil {
			return err
		}
		if err := v.putSlot(tx, id, user, slot); err != nil {
			return err
		}
		if !d.HoldsSlot(user) {
			d.SlotHolders = append(d.SlotHolders, user)
			slices.Sort(d.SlotHolders)
		}
		return v.putDoc(tx, d)
	})
}

func isConsentErr(err error) bool {
	var ce *ConsentError
	return errors.As(err, &ce)
}

// sealFor makes a deposit request's key slots, for a fresh document key,
// for exactly the users given.
func sealFor(t testing.TB, users ...testUser) (map[string][]byte, *envelope.DocKey) {
	t.Helper()
	key, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	slots := map[string][]byte{}
	for _, u := range users {
		r, err := recipientOf(u)
		if err != nil {
			t.Fatal(err)
		}
		if slots[u.id], err = envelope.Wrap(key, r); err != nil {
			t.Fatal(err)
		}
	}
	return slots, key
}

// TestDepositConsent: a deposit seals to the depositor and the custodians
// whose role the consent covers, and to nobody it does not cover.
func TestDepositConsent(t *testing.T) {
	f := newFixture(t)
	admin := f.admin.caller()
	// An admin makes the lawyer a custodian of the collection.
	if _, err := f.v.UpdateCollection(admin, "kirkuk-2018", CollectionUpdate{AddCustodians: []string{f.lawyer.id}}); err != nil {
		t.Fatal(err)
	}
	research := sampleMeta()
	research.Consent.Scopes = []string{ScopeResearch}

	// What a depositor must seal to depends on the consent.
	for _, c := range []struct {
		scopes []string
		want   []string
	}{
		{[]string{ScopeResearch}, []string{f.admin.id, f.r1.id}},
		{[]string{ScopeLegalProceedings}, []string{f.lawyer.id, f.admin.id}},
		{[]string{ScopeResearch, ScopeLegalProceedings}, []string{f.lawyer.id, f.admin.id, f.r1.id}},
		{[]string{ScopeAdvocacy}, []string{f.admin.id}},
		{nil, []string{f.lawyer.id, f.admin.id, f.r1.id}}, // no scopes: every custodian, as before
	} {
		got, err := f.v.CollectionRecipients(f.r1.caller(), "kirkuk-2018", c.scopes...)
		if err != nil {
			t.Fatal(err)
		}
		if ids := slices.Sorted(maps.Keys(got)); !slices.Equal(ids, c.want) {
			t.Errorf("recipients for %v: %v, want %v", c.scopes, ids, c.want)
		}
	}
	if got, err := f.v.CollectionRecipients(f.r1.caller(), "kirkuk-2018", "marketing"); err != nil || len(got) != 1 || got[f.admin.id] == "" {
		t.Errorf("recipients for an unknown scope: %v, %v; want the admin custodian only", got, err)
	}

	// Through the recipients the vault names: the lawyer custodian gets
	// no slot for a research-only deposit.
	doc, _ := f.deposit(t, f.r1, research, []byte("research only"), nil)
	if !slices.Equal(doc.SlotHolders, []string{f.admin.id, f.r1.id}) {
		t.Errorf("research-only deposit sealed to %v", doc.SlotHolders)
	}
	if _, err := f.v.KeySlot(f.lawyer.caller(), doc.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("the lawyer custodian reads a research-only deposit: %v", err)
	}

	// By hand, with a slot for the lawyer custodian: refused, audited, and
	// nothing left behind.
	slots, _ := sealFor(t, f.r1, f.admin, f.lawyer)
	req := research
	req.Slots = slots
	ev := f.expectEvent(t, f.r1.id, "document.deposit", "invalid", func() {
		_, err := f.v.BeginDeposit(f.r1.caller(), req)
		var ce *ConsentError
		if !errors.As(err, &ce) || ce.User != f.lawyer.id || ce.Role != RoleLawyer || !isInvalidErr(err) {
			t.Fatalf("deposit with a slot for the lawyer custodian: %v", err)
		}
		if !strings.Contains(err.Error(), "legal_proceedings") {
			t.Errorf("the refusal does not say what the consent lacks: %v", err)
		}
	})
	if ev.Detail["reason"] != "consent" || ev.Collection != "kirkuk-2018" {
		t.Errorf("audit event %+v", ev)
	}
	// Nor an extra slot for a member the consent does not cover, nor one
	// for an auditor.
	req.Slots, _ = sealFor(t, f.r1, f.admin, f.lawyer)
	if _, err := f.v.BeginDeposit(f.r1.caller(), req); !isConsentErr(err) {
		t.Errorf("deposit with a slot for a lawyer member: %v", err)
	}

	// Legal proceedings only: the researcher depositor holds no slot, the
	// lawyer custodian does.
	legal := sampleMeta()
	legal.Consent.Scopes = []string{ScopeLegalProceedings}
	doc, _ = f.deposit(t, f.r1, legal, []byte("legal only"), nil)
	if !slices.Equal(doc.SlotHolders, []string{f.lawyer.id, f.admin.id}) {
		t.Errorf("legal-only deposit sealed to %v", doc.SlotHolders)
	}
	if _, err := f.v.KeySlot(f.r1.caller(), doc.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("the depositor reads a deposit whose consent does not cover research: %v", err)
	}
	if got, err := f.readAs(f.lawyer, doc.ID); err != nil || string(got) != "legal only" {
		t.Errorf("the lawyer custodian reads a legal-only deposit: %q, %v", got, err)
	}
	req = legal
	req.Slots, _ = sealFor(t, f.r1, f.admin, f.lawyer)
	if _, err := f.v.BeginDeposit(f.r1.caller(), req); !isConsentErr(err) {
		t.Errorf("depositor's own slot on a legal-only deposit: %v", err)
	}
	req.Slots, _ = sealFor(t, f.admin)
	if _, err := f.v.BeginDeposit(f.r1.caller(), req); !isInvalidErr(err) || isConsentErr(err) {
		t.Errorf("legal-only deposit without the lawyer custodian's slot: %v", err)
	}

	// A consent that covers nobody who would hold a slot: refused.
	if _, err := f.v.CreateCollection(admin, Collection{ID: "duhok-2019", Members: []string{f.r1.id}, Custodians: []string{f.r2.id}}); err != nil {
		t.Fatal(err)
	}
	nobody := legal
	nobody.Collection = "duhok-2019"
	if _, _, err := f.tryDeposit(f.r1, nobody, []byte("x"), nil); !isInvalidErr(err) || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("deposit nobody could read: %v", err)
	}
}

// TestGrantConsent: a grant to a user the consent does not cover is a
// ConsentError, audited as invalid.
func TestGrantConsent(t *testing.T) {
	f := newFixture(t)
	req := sampleMeta()
	req.Consent.Scopes = []string{ScopeResearch}
	doc, key := f.deposit(t, f.r1, req, []byte("research only"), nil)
	r, _ := recipientOf(f.lawyer)
	slot, _ := envelope.Wrap(key, r)
	ev := f.expectEvent(t, f.r1.id, "document.grant", "invalid", func() {
		if err := f.v.Grant(f.r1.caller(), doc.ID, f.lawyer.id, slot); !isConsentErr(err) {
			t.Errorf("grant to a lawyer without legal consent: %v", err)
		}
	})
	if ev.Detail["reason"] != "consent" {
		t.Errorf("audit event %+v", ev)
	}
}

// rekeyAs re-encrypts document id under a new key, as u, with slots for
// to (default: the current holders), and returns the new key.
func (f *fixture) rekeyAs(t testing.TB, u testUser, id string, private []byte, to ...testUser) (*Document, *envelope.DocKey, error) {
	t.Helper()
	if to == nil {
		d, _, err := f.v.PublicRecord(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range d.SlotHolders {
			to = append(to, f.user(h))
		}
	}
	slots, newKey := sealFor(t, to...)
	up, err := f.v.BeginRekey(u.caller(), id, slots)
	if err != nil {
		return nil, nil, err
	}
	slot, err := f.v.KeySlot(u.caller(), id)
	if err != nil {
		up.Abort()
		return nil, nil, err
	}
	cur, err := envelope.OpenSlot(slot, u.identity)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.v.OpenContent(u.caller(), id)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := envelope.Reencrypt(up, c, cur, newKey)
	if err != nil {
		t.Fatal(err)
	}
	var priv []byte
	if private != nil {
		priv, _ = envelope.SealPrivate(newKey, private)
	}
	d, err := up.Commit(sealed.CipherSHA256, priv)
	return d, newKey, err
}

// TestRekeyKeepers: only the depositor, the custodians and admins holding
// a slot may replace a document's ciphertext; a grantee may not.
func TestRekeyKeepers(t *testing.T) {
	f := newFixture(t)
	content := []byte("the evidence as deposited")
	private := []byte(`{"notes":"fictional"}`)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), content, private, f.r2, f.lawyer)

	// Grantees (researcher and lawyer): refused, audited, nothing changed.
	for _, g := range []testUser{f.r2, f.lawyer} {
		slots, _ := sealFor(t, f.admin, f.r1, f.r2, f.lawyer)
		ev := f.expectEvent(t, g.id, "document.rekey", "denied", func() {
			if _, err := f.v.BeginRekey(g.caller(), doc.ID, slots); !errors.Is(err, ErrForbidden) {
				t.Errorf("rekey by grantee %s: %v, want ErrForbidden", g.id, err)
			}
		})
		if ev.Doc != doc.ID || ev.Collection != "kirkuk-2018" || ev.Detail["reason"] != "forbidden" {
			t.Errorf("audit event of the refused rekey: %+v", ev)
		}
	}
	// Neither a member without a slot, nor an admin without one.
	if _, _, err := f.rekeyAs(t, f.r3, doc.ID, private); !errors.Is(err, ErrNotFound) {
		t.Errorf("rekey by an outsider: %v", err)
	}
	if d, _, _ := f.v.PublicRecord(doc.ID); d.Generation != 0 || d.CipherSHA256 != doc.CipherSHA256 {
		t.Fatalf("refused rekeys changed the document: %+v", d)
	}

	// The depositor, then the custodian: every remaining holder opens the
	// result, and the replaced key no longer does.
	for i, keeper := range []testUser{f.r1, f.admin} {
		d, newKey, err := f.rekeyAs(t, keeper, doc.ID, private)
		if err != nil {
			t.Fatalf("rekey by keeper %s: %v", keeper.id, err)
		}
		if d.Generation != i+1 {
			t.Errorf("generation %d after rekey %d", d.Generation, i+1)
		}
		for _, h := range []testUser{f.admin, f.r1, f.r2, f.lawyer} {
			got, err := f.readAs(h, doc.ID)
			if err != nil || !bytes.Equal(got, content) {
				t.Errorf("%s after the rekey by %s: %v", h.id, keeper.id, err)
			}
		}
		slot, _ := f.v.KeySlot(f.r2.caller(), doc.ID)
		if k, err := envelope.OpenSlot(slot, f.r2.identity); err != nil || k.String() != newKey.String() {
			t.Errorf("the grantee's slot does not hold the new key: %v", err)
		}
	}

	// The new slots are for exactly the current holders.
	if _, _, err := f.rekeyAs(t, f.r1, doc.ID, private, f.r1, f.admin, f.r2); !isInvalidErr(err) {
		t.Errorf("rekey leaving a holder out: %v", err)
	}
	if _, _, err := f.rekeyAs(t, f.r1, doc.ID, private, f.r1, f.admin, f.r2, f.lawyer, f.r3); !isInvalidErr(err) {
		t.Errorf("rekey adding a user: %v", err)
	}
}

// TestRekeyConsent: a rekey re-wraps only for holders the consent covers;
// a slot that a vault written before the rule holds for someone it does
// not cover is revoked first.
func TestRekeyConsent(t *testing.T) {
	f := newFixture(t)
	req := sampleMeta()
	req.Consent.Scopes = []string{ScopeResearch}
	doc, key := f.deposit(t, f.r1, req, []byte("research only"), nil)
	f.plantSlot(t, doc.ID, f.lawyer, key)
	if _, _, err := f.rekeyAs(t, f.r1, doc.ID, nil); !isConsentErr(err) {
		t.Fatalf("rekey re-wrapping for an uncovered lawyer: %v", err)
	}
	if err := f.v.Revoke(f.r1.caller(), doc.ID, f.lawyer.id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.rekeyAs(t, f.r1, doc.ID, nil); err != nil {
		t.Fatalf("rekey after the revocation: %v", err)
	}

	// An uncovered custodian's slot may be revoked, unlike a covered one's.
	if _, err := f.v.UpdateCollection(f.admin.caller(), "kirkuk-2018", CollectionUpdate{AddCustodians: []string{f.lawyer.id}}); err != nil {
		t.Fatal(err)
	}
	slot, _ := f.v.KeySlot(f.r1.caller(), doc.ID)
	key, _ = envelope.OpenSlot(slot, f.r1.identity)
	f.plantSlot(t, doc.ID, f.lawyer, key)
	if err := f.v.Revoke(f.r1.caller(), doc.ID, f.admin.id); !isInvalidErr(err) {
		t.Errorf("revoking a covered custodian: %v", err)
	}
	if err := f.v.Revoke(f.admin.caller(), doc.ID, f.lawyer.id); err != nil {
		t.Errorf("revoking an uncovered custodian: %v", err)
	}
}

// TestSlotShape: a key slot is one stanza, shaped as age writes it for
// the user's kind of key and, for SSH keys, tagged with that very key.
func TestSlotShape(t *testing.T) {
	key, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	x, _ := age.GenerateX25519Identity()
	x2, _ := age.GenerateX25519Identity()
	pq, _ := age.GenerateHybridIdentity()
	ed, other := newSSH(t, "a", RoleResearcher), newSSH(t, "b", RoleResearcher)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, _ := ssh.NewPublicKey(&rsaKey.PublicKey)
	rsaRcpt := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(rsaPub)))
	rsaR, err := agessh.NewRSARecipient(rsaPub)
	if err != nil {
		t.Fatal(err)
	}
	wrap := func(rs ...age.Recipient) []byte {
		t.Helper()
		var b bytes.Buffer
		w, err := age.Encrypt(&b, rs...)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(key.String() + "\n"))
		w.Close()
		return b.Bytes()
	}
	mustR := func(s string) age.Recipient {
		r, err := recipientOfString(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	edR, otherR := mustR(ed.recipient), mustR(other.recipient)
	mangle := func(b []byte, old, new string) []byte {
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
	xSlot := wrap(x.Recipient())
	xShare := strings.Fields(strings.Split(string(xSlot), "\n")[1])[2]
	for _, c := range []struct {
		name string
		slot []byte
		for_ string
		ok   bool
	}{
		{"x25519", xSlot, x.Recipient().String(), true},
		{"pq", wrap(pq.Recipient()), pq.Recipient().String(), true},
		{"ssh-ed25519", wrap(edR), ed.recipient, true},
		{"ssh-rsa", wrap(rsaR), rsaRcpt, true},
		{"x25519 and another key", wrap(x.Recipient(), x2.Recipient()), x.Recipient().String(), false},
		{"ssh-ed25519 for another key", wrap(otherR), ed.recipient, false},
		{"ssh-ed25519 for two keys", wrap(edR, otherR), ed.recipient, false},
		{"ssh-rsa for an ed25519 key", wrap(rsaR), ed.recipient, false},
		{"pq for an x25519 key", wrap(pq.Recipient()), x.Recipient().String(), false},
		{"x25519 share too short", mangle(xSlot, xShare, xShare[:20]), x.Recipient().String(), false},
		{"x25519 with an extra argument", mangle(xSlot, xShare, xShare+" AAAA"), x.Recipient().String(), false},
	} {
		err := checkSlot("slot", c.slot, c.for_)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok %v", c.name, err, c.ok)
		}
		if err != nil && !isInvalidErr(err) {
			t.Errorf("%s: untyped error %v", c.name, err)
		}
	}
}

// TestCheckConsent: the check finds the slots that a vault written before
// the consent rule holds for users it does not cover, whoever they are to
// the document, and nothing in a vault without any.
func TestCheckConsent(t *testing.T) {
	f := newFixture(t)
	research := sampleMeta()
	research.Consent.Scopes = []string{ScopeResearch}
	legal := sampleMeta()
	legal.Consent.Scopes = []string{ScopeLegalProceedings}
	d1, k1 := f.deposit(t, f.r1, research, []byte("one"), nil)
	d2, k2 := f.deposit(t, f.r1, legal, []byte("two"), nil)
	d3, k3 := f.deposit(t, f.r1, sampleMeta(), []byte("three"), nil, f.lawyer, f.r2)
	shredded, ks := f.deposit(t, f.r1, research, []byte("four"), nil)
	f.plantSlot(t, shredded.ID, f.lawyer, ks)
	if err := f.v.Shred(f.admin.caller(), shredded.ID); err != nil {
		t.Fatal(err)
	}

	var rep *ConsentReport
	ev := f.expectEvent(t, f.admin.id, "vault.check", "ok", func() {
		var err error
		if rep, err = f.v.CheckConsent(f.admin.caller()); err != nil {
			t.Fatal(err)
		}
	})
	if rep.Documents != 3 || len(rep.Violations) != 0 {
		t.Fatalf("a vault kept by the rule: %+v", rep)
	}
	if ev.Detail["documents"] != "3" || ev.Detail["violations"] != "0" {
		t.Errorf("audit event %+v", ev)
	}

	// The older rule: a lawyer custodian sealed into a research-only
	// deposit, the researcher depositor into a legal-only one; and a slot
	// the record does not list, and one for an auditor.
	if _, err := f.v.UpdateCollection(f.admin.caller(), "kirkuk-2018", CollectionUpdate{AddCustodians: []string{f.lawyer.id}}); err != nil {
		t.Fatal(err)
	}
	f.plantSlot(t, d1.ID, f.lawyer, k1)
	f.plantSlot(t, d2.ID, f.r1, k2)
	f.plantSlot(t, d3.ID, f.audit, k3)
	f.plantSlot(t, d1.ID, f.r2, k1) // a grant, and covered: not a violation
	err := f.v.db.Update(func(tx *bbolt.Tx) error {
		return f.v.putSlot(tx, d2.ID, f.r3.id, []byte("stray"))
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = f.v.CheckConsent(f.admin.caller())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range rep.Violations {
		got = append(got, v.Doc+" "+v.User+" "+v.Role+" "+v.As+" "+strings.Join(v.Scopes, ","))
		if v.Collection != "kirkuk-2018" {
			t.Errorf("violation %+v: collection", v)
		}
	}
	want := []string{
		d1.ID + " a.lawyer lawyer custodian research",
		d2.ID + " r.hassan researcher depositor legal_proceedings",
		d2.ID + " r.outsider researcher holder legal_proceedings",
		d3.ID + " auditor auditor holder legal_proceedings,research",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Only admins check, and a refusal is audited.
	for _, u := range []testUser{f.r1, f.lawyer, f.audit} {
		f.expectEvent(t, u.id, "vault.check", "denied", func() {
			if _, err := f.v.CheckConsent(u.caller()); !errors.Is(err, ErrForbidden) {
				t.Errorf("check by %s: %v", u.id, err)
			}
		})
	}
}
