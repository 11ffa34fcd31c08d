package vault

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"go.etcd.io/bbolt"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/internal/fakeclock"
	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/vault/audit"
)

const testPassphrase = "correct horse battery staple"

// testUser is a user with its private identity, which in real use never
// leaves the user's machine.
type testUser struct {
	id, role, recipient string
	identity            age.Identity
	totpURL             string
}

func (u testUser) caller() Caller {
	return Caller{User: u.id, RequestID: "req-" + u.id, Addr: "192.0.2.7"}
}

func newX25519(t testing.TB, id, role string) testUser {
	t.Helper()
	k, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return testUser{id: id, role: role, recipient: k.Recipient().String(), identity: k}
}

func newPQ(t testing.TB, id, role string) testUser {
	t.Helper()
	k, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return testUser{id: id, role: role, recipient: k.Recipient().String(), identity: k}
}

func newSSH(t testing.TB, id, role string) testUser {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	ident, err := agessh.NewEd25519Identity(priv)
	if err != nil {
		t.Fatal(err)
	}
	r := string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(sshPub)))
	return testUser{id: id, role: role, recipient: r + " r.two@laptop", identity: ident}
}

// fixture is a vault with the users of a small programme: a custodian, two
// researchers and a lawyer in one collection, an outsider researcher in
// another, and an auditor.
type fixture struct {
	v                                *Vault
	dir                              string
	admin, r1, r2, lawyer, r3, audit testUser
	clock                            *fakeclock.Clock
}

func testOptions(clock *fakeclock.Clock) Options {
	return Options{
		ScryptWorkFactor: 10,
		ChunkSize:        4096,
		Now:              clock.Now,
	}
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureIn(t, "")
}

// newFixtureIn is newFixture with the blob store blobStore.
func newFixtureIn(t testing.TB, blobStore string) *fixture {
	t.Helper()
	clock := fakeclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	f := &fixture{
		dir:    t.TempDir(),
		admin:  newX25519(t, "l.custodian", RoleAdmin),
		r1:     newPQ(t, "r.hassan", RoleResearcher),
		r2:     newSSH(t, "r.two", RoleResearcher),
		lawyer: newPQ(t, "a.lawyer", RoleLawyer),
		r3:     newX25519(t, "r.outsider", RoleResearcher),
		audit:  newX25519(t, "auditor", RoleAuditor),
		clock:  clock,
	}
	opts := testOptions(f.clock)
	opts.BlobStore = blobStore
	v, created, err := Create(f.dir, testPassphrase, NewUser{ID: f.admin.id, Recipient: f.admin.recipient}, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.admin.totpURL = created.TOTPURL
	f.v = v
	t.Cleanup(func() { f.v.Close() })
	ac := f.admin.caller()
	for _, u := range []*testUser{&f.r1, &f.r2, &f.lawyer, &f.r3, &f.audit} {
		_, url, err := v.AddUser(ac, NewUser{ID: u.id, Role: u.role, Recipient: u.recipient})
		if err != nil {
			t.Fatalf("AddUser %s: %v", u.id, err)
		}
		u.totpURL = url
	}
	if _, err := v.CreateCollection(ac, Collection{ID: "kirkuk-2018", Name: "Kirkuk 2018",
		Members: []string{f.r1.id, f.r2.id, f.lawyer.id}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.CreateCollection(ac, Collection{ID: "sinjar-2017", Members: []string{f.r3.id}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// reopen closes and opens the vault again, as after a restart.
func (f *fixture) reopen(t testing.TB) {
	t.Helper()
	if err := f.v.Close(); err != nil {
		t.Fatal(err)
	}
	v, err := Open(f.dir, testPassphrase, testOptions(f.clock))
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
}

func (f *fixture) user(id string) testUser {
	for _, u := range []testUser{f.admin, f.r1, f.r2, f.lawyer, f.r3, f.audit} {
		if u.id == id {
			return u
		}
	}
	panic("no test user " + id)
}

func sampleMeta() DepositRequest {
	return DepositRequest{
		Collection: "kirkuk-2018",
		Kind:       "testimony",
		Public: PublicMeta{
			Title:        "Testimony on checkpoint detentions",
			Summary:      "A fictional account recorded for testing.",
			Language:     "en",
			Governorate:  "kirkuk",
			IncidentDate: "2017-06",
			Tags:         []string{"Detention", "checkpoint"},
		},
		Consent: Consent{Scopes: []string{ScopeResearch, ScopeLegalProceedings}, RecordedAt: "2018-03-02", RecordedBy: "r.hassan"},
	}
}

// deposit seals content on the "client" (envelope) for the depositor and
// the custodians plus extra, and streams it into the vault.
func (f *fixture) deposit(t testing.TB, by testUser, req DepositRequest, content, private []byte, extra ...testUser) (*Document, *envelope.DocKey) {
	t.Helper()
	doc, key, err := f.tryDeposit(by, req, content, private, extra...)
	if err != nil {
		t.Fatalf("deposit: %v", err)
	}
	return doc, key
}

func (f *fixture) tryDeposit(by testUser, req DepositRequest, content, private []byte, extra ...testUser) (*Document, *envelope.DocKey, error) {
	recips, err := f.v.CollectionRecipients(by.caller(), req.Collection, req.Consent.Scopes...)
	if err != nil {
		return nil, nil, err
	}
	for _, u := range extra {
		recips[u.id] = u.recipient
	}
	rs := map[string]age.Recipient{}
	for id, s := range recips {
		r, err := recipient.Parse(s)
		if err != nil {
			return nil, nil, err
		}
		rs[id] = r
	}
	key, err := envelope.NewDocKey()
	if err != nil {
		return nil, nil, err
	}
	req.Slots = map[string][]byte{}
	for id, r := range rs {
		if req.Slots[id], err = envelope.Wrap(key, r); err != nil {
			return nil, nil, err
		}
	}
	up, err := f.v.BeginDeposit(by.caller(), req)
	if err != nil {
		return nil, nil, err
	}
	sealed, err := envelope.Encrypt(up, bytes.NewReader(content), key)
	if err != nil {
		up.Abort()
		return nil, nil, err
	}
	var priv []byte
	if private != nil {
		if priv, err = envelope.SealPrivate(key, private); err != nil {
			return nil, nil, err
		}
	}
	doc, err := up.Commit(sealed.CipherSHA256, priv)
	return doc, key, err
}

// readAs fetches the caller's key slot and the ciphertext, and decrypts on
// the "client" with the caller's identity.
func (f *fixture) readAs(u testUser, id string) ([]byte, error) {
	slot, err := f.v.KeySlot(u.caller(), id)
	if err != nil {
		return nil, err
	}
	key, err := envelope.OpenSlot(slot, u.identity)
	if err != nil {
		return nil, err
	}
	c, err := f.v.OpenContent(u.caller(), id)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out bytes.Buffer
	if _, err := envelope.Decrypt(&out, c, key); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// events returns the audit events after seq (exclusive of nothing: from
// seq on), decoded.
func (f *fixture) eventsFrom(t testing.TB, seq int64) []*audit.Event {
	t.Helper()
	var out []*audit.Event
	err := f.v.db.View(func(tx *bbolt.Tx) error {
		leaves, err := audit.Events(tx, seq, 1<<20)
		if err != nil {
			return err
		}
		for _, l := range leaves {
			e, err := auditlog.ParseEvent(l)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) logSize(t testing.TB) int64 {
	t.Helper()
	var n int64
	if err := f.v.db.View(func(tx *bbolt.Tx) (err error) { n, err = audit.Size(tx); return }); err != nil {
		t.Fatal(err)
	}
	return n
}

// expectEvent runs op and checks that it appended exactly one event with
// this actor, action and outcome, and returns it.
func (f *fixture) expectEvent(t testing.TB, actor, action, outcome string, op func()) *audit.Event {
	t.Helper()
	before := f.logSize(t)
	op()
	evs := f.eventsFrom(t, before)
	if len(evs) != 1 {
		var got []string
		for _, e := range evs {
			got = append(got, e.Action+"/"+e.Outcome)
		}
		t.Fatalf("%s: want 1 audit event, got %d: %v", action, len(evs), got)
	}
	e := evs[0]
	if e.Actor != actor || e.Action != action || e.Outcome != outcome {
		t.Fatalf("audit event = %s %s %s, want %s %s %s", e.Actor, e.Action, e.Outcome, actor, action, outcome)
	}
	return e
}

func isErr(err, target error) bool { return errors.Is(err, target) }

func isInvalidErr(err error) bool {
	var inv *InvalidError
	return errors.As(err, &inv)
}

// scanDir reports which markers occur in any file under dir.
func scanDir(t testing.TB, dir string, markers [][]byte) []string {
	t.Helper()
	var found []string
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range markers {
			if bytes.Contains(data, m) {
				found = append(found, string(m)+" in "+path)
			}
		}
		return nil
	})
	return found
}

var _ = io.EOF

func recipientOfString(s string) (age.Recipient, error) { return recipient.Parse(s) }

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// storeBlobs counts the complete and the pending blobs in the vault's
// directory blob store.
func storeBlobs(t testing.TB, v *Vault) (blobs, pending int) {
	t.Helper()
	err := v.blobs.Walk(context.Background(), func(blobstore.Sum, int64) error {
		blobs++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = v.blobs.WalkPending(context.Background(), func(string) error {
		pending++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return blobs, pending
}
