package vault

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/recipient"
)

func TestCreateRefusesExistingVault(t *testing.T) {
	f := newFixture(t)
	_, _, err := Create(f.dir, testPassphrase, NewUser{ID: "other", Recipient: f.admin.recipient}, testOptions(f.clock))
	if err == nil || !strings.Contains(err.Error(), "already holds a vault") {
		t.Fatalf("Create over an existing vault: %v", err)
	}
	// The existing vault is untouched.
	f.reopen(t)
	if _, err := f.v.GetUser(f.admin.caller(), f.admin.id); err != nil {
		t.Fatal(err)
	}
}

func TestOpenWrongPassphrase(t *testing.T) {
	f := newFixture(t)
	f.v.Close()
	_, err := Open(f.dir, "not the passphrase", testOptions(f.clock))
	if !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Open with a wrong passphrase: %v, want ErrWrongPassphrase", err)
	}
	v, err := Open(f.dir, testPassphrase, testOptions(f.clock))
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
}

func TestOpenMissingVault(t *testing.T) {
	_, err := Open(t.TempDir(), testPassphrase, Options{})
	if !errors.Is(err, ErrNoVault) {
		t.Fatalf("Open of an empty directory: %v", err)
	}
}

func TestCreateValidatesAdmin(t *testing.T) {
	for _, nu := range []NewUser{
		{ID: "Admin", Recipient: "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"},
		{ID: "admin", Recipient: "not a recipient"},
		{ID: "admin", Recipient: ""},
		{ID: "", Recipient: "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"},
	} {
		dir := t.TempDir()
		if _, _, err := Create(dir, testPassphrase, nu, Options{ScryptWorkFactor: 10}); !isInvalidErr(err) {
			t.Errorf("Create(%q, %q): %v, want InvalidError", nu.ID, nu.Recipient, err)
		}
		if _, err := os.Stat(filepath.Join(dir, DBFile)); err == nil {
			t.Errorf("Create(%q) left a vault file behind", nu.ID)
		}
	}
}

func TestDepositAndReadEveryRecipientType(t *testing.T) {
	f := newFixture(t)
	content := bytes.Repeat([]byte("fictional interview transcript line\n"), 1000) // several chunks
	private := []byte(`{"file_name":"interview-07.wav","persons":["Test Person"]}`)
	req := sampleMeta()
	doc, _ := f.deposit(t, f.r1, req, content, private, f.r2)

	if doc.Public.Governorate != "Kirkuk" || strings.Join(doc.Public.Tags, ",") != "checkpoint,detention" {
		t.Errorf("public metadata not normalised: %+v", doc.Public)
	}
	sum := sha256.Sum256(mustReadAll(t, f, f.r1, doc.ID, false))
	if got := doc.CipherSHA256; got != hexSum(sum) {
		t.Errorf("CipherSHA256 = %s, want %x", got, sum)
	}
	// Depositor (PQ), custodian (X25519) and a co-researcher (ssh-ed25519).
	for _, u := range []testUser{f.r1, f.admin, f.r2} {
		got, err := f.readAs(u, doc.ID)
		if err != nil {
			t.Fatalf("%s reads: %v", u.id, err)
		}
		if !bytes.Equal(got, content) {
			t.Fatalf("%s read different content", u.id)
		}
		slot, _ := f.v.KeySlot(u.caller(), doc.ID)
		key, err := envelope.OpenSlot(slot, u.identity)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := f.v.Private(u.caller(), doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := envelope.OpenPrivate(key, enc)
		if err != nil || !bytes.Equal(pt, private) {
			t.Fatalf("%s private metadata: %q, %v", u.id, pt, err)
		}
	}
	// A member without a slot knows the document exists but cannot read.
	if _, err := f.v.GetDocument(f.lawyer.caller(), doc.ID); err != nil {
		t.Fatalf("lawyer member sees metadata: %v", err)
	}
	if _, err := f.v.KeySlot(f.lawyer.caller(), doc.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("lawyer without slot: %v, want ErrForbidden", err)
	}
	if _, err := f.v.OpenContent(f.lawyer.caller(), doc.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("lawyer without slot, content: %v, want ErrForbidden", err)
	}
	// Outsiders and auditors cannot tell it exists.
	for _, u := range []testUser{f.r3, f.audit} {
		if _, err := f.v.GetDocument(u.caller(), doc.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s GetDocument: %v, want ErrNotFound", u.id, err)
		}
		if _, err := f.v.KeySlot(u.caller(), doc.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s KeySlot: %v, want ErrNotFound", u.id, err)
		}
	}
	// A wrong identity cannot open someone else's slot.
	slot, _ := f.v.KeySlot(f.r1.caller(), doc.ID)
	if _, err := envelope.OpenSlot(slot, f.r2.identity); !errors.Is(err, envelope.ErrWrongIdentity) {
		t.Errorf("wrong identity opens slot: %v", err)
	}
}

func TestGuessedIDIsNotFoundAndAudited(t *testing.T) {
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("content"), nil)
	for _, id := range []string{newID(), doc.ID} {
		e := f.expectEvent(t, f.r3.id, "document.keyslot", "denied", func() {
			if _, err := f.v.KeySlot(f.r3.caller(), id); !errors.Is(err, ErrNotFound) {
				t.Errorf("probe %s: %v, want ErrNotFound", id, err)
			}
		})
		if e.Doc != id {
			t.Errorf("denied event names doc %q, want %q", e.Doc, id)
		}
	}
}

func mustReadAll(t *testing.T, f *fixture, u testUser, id string, _ bool) []byte {
	t.Helper()
	c, err := f.v.OpenContent(u.caller(), id)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hexSum(s [32]byte) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range s {
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}

func TestContentRangeReads(t *testing.T) {
	f := newFixture(t)
	content := make([]byte, 3*4096+123)
	for i := range content {
		content[i] = byte(i * 7)
	}
	doc, _ := f.deposit(t, f.r1, sampleMeta(), content, nil)
	full := mustReadAll(t, f, f.r1, doc.ID, false)
	if int64(len(full)) != doc.Size {
		t.Fatalf("read %d bytes, size %d", len(full), doc.Size)
	}
	c, err := f.v.OpenContent(f.r1.caller(), doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int64{{0, 10}, {4090, 20}, {4096, 4096}, {doc.Size - 5, 5}, {100, 3 * 4096}} {
		buf := make([]byte, r[1])
		n, err := c.ReadAt(buf, r[0])
		if err != nil || int64(n) != r[1] || !bytes.Equal(buf, full[r[0]:r[0]+r[1]]) {
			t.Errorf("ReadAt(%d, %d) = %d, %v", r[0], r[1], n, err)
		}
	}
	if _, err := c.ReadAt(make([]byte, 10), doc.Size-5); err == nil {
		t.Error("ReadAt past the end: no EOF")
	}
}

func TestGrant(t *testing.T) {
	f := newFixture(t)
	content := []byte("fictional case study")
	doc, _ := f.deposit(t, f.r1, sampleMeta(), content, nil)
	wrapFor := func(by, to testUser) []byte {
		slot, err := f.v.KeySlot(by.caller(), doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		key, err := envelope.OpenSlot(slot, by.identity)
		if err != nil {
			t.Fatal(err)
		}
		r, err := recipientOf(to)
		if err != nil {
			t.Fatal(err)
		}
		s, err := envelope.Wrap(key, r)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// A slot wrapped for the wrong key kind is refused (lawyer is PQ).
	if err := f.v.Grant(f.r1.caller(), doc.ID, f.lawyer.id, wrapFor(f.r1, f.admin)); !isInvalidErr(err) {
		t.Errorf("grant with a slot for another key kind: %v", err)
	}
	if err := f.v.Grant(f.r1.caller(), doc.ID, f.lawyer.id, []byte("age-encryption.org/v1\n-> X25519 garbage")); !isInvalidErr(err) {
		t.Errorf("grant with a garbage slot: %v", err)
	}
	lawyerSlot := wrapFor(f.r1, f.lawyer)
	f.expectEvent(t, f.r1.id, "document.grant", "ok", func() {
		if err := f.v.Grant(f.r1.caller(), doc.ID, f.lawyer.id, lawyerSlot); err != nil {
			t.Fatal(err)
		}
	})
	got, err := f.readAs(f.lawyer, doc.ID)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("lawyer reads granted document: %v", err)
	}
	if err := f.v.Grant(f.r1.caller(), doc.ID, f.lawyer.id, wrapFor(f.r1, f.lawyer)); !errors.Is(err, ErrExists) {
		t.Errorf("second grant: %v, want ErrExists", err)
	}
	// Outside the collection, or an auditor: refused.
	if err := f.v.Grant(f.r1.caller(), doc.ID, f.r3.id, wrapFor(f.r1, f.r3)); !isInvalidErr(err) {
		t.Errorf("grant to a non-member: %v", err)
	}
	// Someone without a slot cannot grant.
	if err := f.v.Grant(f.r2.caller(), doc.ID, f.r2.id, wrapFor(f.r1, f.r2)); !errors.Is(err, ErrForbidden) {
		t.Errorf("grant by a non-holder: %v, want ErrForbidden", err)
	}

	// Consent without legal_proceedings: no grant to a lawyer.
	req := sampleMeta()
	req.Consent.Scopes = []string{ScopeResearch}
	doc2, _ := f.deposit(t, f.r1, req, content, nil)
	slot, _ := f.v.KeySlot(f.r1.caller(), doc2.ID)
	key, _ := envelope.OpenSlot(slot, f.r1.identity)
	r, _ := recipientOf(f.lawyer)
	s, _ := envelope.Wrap(key, r)
	f.expectEvent(t, f.r1.id, "document.grant", "invalid", func() {
		if err := f.v.Grant(f.r1.caller(), doc2.ID, f.lawyer.id, s); !isInvalidErr(err) {
			t.Errorf("grant to a lawyer without legal consent: %v", err)
		}
	})
	// Nor at deposit time.
	if _, _, err := f.tryDeposit(f.r1, req, content, nil, f.lawyer); !isInvalidErr(err) {
		t.Errorf("deposit with a lawyer slot without legal consent: %v", err)
	}
}

func TestRevokeAndRekey(t *testing.T) {
	f := newFixture(t)
	content := bytes.Repeat([]byte("rekey me "), 2000)
	private := []byte(`{"notes":"fictional"}`)
	doc, oldKey := f.deposit(t, f.r1, sampleMeta(), content, private, f.lawyer)
	oldCipher := mustReadAll(t, f, f.r1, doc.ID, false)

	if err := f.v.Revoke(f.r1.caller(), doc.ID, f.admin.id); !isInvalidErr(err) {
		t.Errorf("revoking a custodian: %v", err)
	}
	if err := f.v.Revoke(f.r2.caller(), doc.ID, f.lawyer.id); !errors.Is(err, ErrForbidden) {
		t.Errorf("revoke by a member without slot: %v", err)
	}
	f.expectEvent(t, f.admin.id, "document.revoke", "ok", func() {
		if err := f.v.Revoke(f.admin.caller(), doc.ID, f.lawyer.id); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := f.v.KeySlot(f.lawyer.caller(), doc.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("revoked lawyer KeySlot: %v", err)
	}

	// Rekey by the depositor: new key for the remaining holders.
	slot, _ := f.v.KeySlot(f.r1.caller(), doc.ID)
	cur, err := envelope.OpenSlot(slot, f.r1.identity)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	slots := map[string][]byte{}
	for _, id := range []string{f.r1.id, f.admin.id} {
		r, _ := recipientOf(f.user(id))
		slots[id], _ = envelope.Wrap(newKey, r)
	}
	// Slots for the wrong set of holders are refused.
	if _, err := f.v.BeginRekey(f.r1.caller(), doc.ID, map[string][]byte{f.r1.id: slots[f.r1.id]}); !isInvalidErr(err) {
		t.Errorf("rekey with missing slots: %v", err)
	}
	up, err := f.v.BeginRekey(f.r1.caller(), doc.ID, slots)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.v.OpenContent(f.r1.caller(), doc.ID)
	sealed, err := envelope.Reencrypt(up, c, cur, newKey)
	if err != nil {
		t.Fatal(err)
	}
	// Rekeying without private metadata would lose it: refused.
	if _, err := up.Commit(sealed.CipherSHA256, nil); !isInvalidErr(err) {
		t.Fatalf("rekey commit without private: %v", err)
	}
	up, _ = f.v.BeginRekey(f.r1.caller(), doc.ID, slots)
	c, _ = f.v.OpenContent(f.r1.caller(), doc.ID)
	sealed, _ = envelope.Reencrypt(up, c, cur, newKey)
	priv, _ := envelope.SealPrivate(newKey, private)
	d2, err := up.Commit(sealed.CipherSHA256, priv)
	if err != nil {
		t.Fatal(err)
	}
	if d2.Generation != 1 || d2.CipherSHA256 == doc.CipherSHA256 {
		t.Errorf("after rekey: generation %d, same hash %v", d2.Generation, d2.CipherSHA256 == doc.CipherSHA256)
	}
	newCipher := mustReadAll(t, f, f.r1, doc.ID, false)
	// The revoked lawyer kept a copy of the old document key: it opens the
	// old ciphertext but not the new one.
	if _, err := envelope.Decrypt(new(bytes.Buffer), bytes.NewReader(oldCipher), oldKey); err != nil {
		t.Fatalf("old key on old ciphertext: %v", err)
	}
	if _, err := envelope.Decrypt(new(bytes.Buffer), bytes.NewReader(newCipher), oldKey); err == nil {
		t.Fatal("the revoked user's old document key decrypts the rekeyed content")
	}
	for _, u := range []testUser{f.r1, f.admin} {
		got, err := f.readAs(u, doc.ID)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("%s after rekey: %v", u.id, err)
		}
	}
	// Only one blob remains.
	if n, _ := storeBlobs(t, f.v); n != 1 {
		t.Errorf("%d blobs after rekey, want 1", n)
	}
	// The last slot cannot be revoked; once only custodians remain, they stay.
	if err := f.v.Revoke(f.admin.caller(), doc.ID, f.r1.id); err != nil {
		t.Fatal(err)
	}
	if err := f.v.Revoke(f.admin.caller(), doc.ID, f.admin.id); err == nil {
		t.Error("revoked the last key slot")
	}
}

func recipientOf(u testUser) (age.Recipient, error) { return recipient.Parse(u.recipient) }

func TestShred(t *testing.T) {
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("to be shredded"), []byte(`{"n":1}`))
	if err := f.v.Shred(f.r1.caller(), doc.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("researcher shreds: %v, want ErrForbidden", err)
	}
	f.expectEvent(t, f.admin.id, "document.shred", "ok", func() {
		if err := f.v.Shred(f.admin.caller(), doc.ID); err != nil {
			t.Fatal(err)
		}
	})
	for _, u := range []testUser{f.r1, f.admin} {
		if _, err := f.v.GetDocument(u.caller(), doc.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s sees a shredded document: %v", u.id, err)
		}
		if _, err := f.v.KeySlot(u.caller(), doc.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s gets a shredded slot: %v", u.id, err)
		}
	}
	f.v.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketSlots).Bucket([]byte(doc.ID)) != nil || tx.Bucket(bucketPrivate).Get([]byte(doc.ID)) != nil {
			t.Error("slots or private metadata survive shredding")
		}
		return nil
	})
	if n, _ := storeBlobs(t, f.v); n != 0 {
		t.Errorf("%d blobs survive shredding", n)
	}
	entries, err := f.v.Outbox(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if last := entries[len(entries)-1]; last.Doc != doc.ID || last.Op != OutboxDelete {
		t.Errorf("last outbox entry %+v, want delete of %s", last, doc.ID)
	}
	if err := f.v.Shred(f.admin.caller(), doc.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second shred: %v", err)
	}
}

var _ = json.Marshal
