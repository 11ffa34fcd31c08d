package vault_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/vault"
)

// fzUser is a user of the fuzzing vault.
type fzUser struct {
	id, role, recipient string
	stanza              string // the stanza type its key slots carry; "" for plugins
	r                   age.Recipient
}

// fzVault is a vault with one researcher per kind of key (X25519,
// post-quantum hybrid, ssh-ed25519), a lawyer with a plugin recipient, and
// their collection "c1", whose custodian is the X25519 admin.
type fzVault struct {
	v     *vault.Vault
	admin fzUser
	users []fzUser // researchers x25519, pq, ssh; lawyer plugin
}

func newFzVault(tb testing.TB) *fzVault {
	tb.Helper()
	mk := func(id, role string, kind string) fzUser {
		u := fzUser{id: id, role: role}
		switch kind {
		case "x25519":
			k, _ := age.GenerateX25519Identity()
			u.recipient, u.stanza = k.Recipient().String(), "X25519"
		case "pq":
			k, _ := age.GenerateHybridIdentity()
			u.recipient, u.stanza = k.Recipient().String(), "mlkem768x25519"
		case "ssh":
			pub, _, _ := ed25519.GenerateKey(rand.Reader)
			sp, _ := ssh.NewPublicKey(pub)
			u.recipient, u.stanza = string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(sp))), "ssh-ed25519"
		case "plugin":
			u.recipient = plugin.EncodeRecipient("yubikey", []byte("fuzz plugin recipient"))
		}
		if kind != "plugin" {
			r, err := recipient.Parse(u.recipient)
			if err != nil {
				tb.Fatal(err)
			}
			u.r = r
		}
		return u
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	fv := &fzVault{admin: mk("l.custodian", vault.RoleAdmin, "x25519")}
	v, _, err := vault.Create(filepath.Join(tb.TempDir(), "vault"), "fuzz passphrase",
		vault.NewUser{ID: fv.admin.id, Recipient: fv.admin.recipient},
		vault.Options{ScryptWorkFactor: 10, ChunkSize: 4096, Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { v.Close() })
	fv.v = v
	fv.users = []fzUser{
		mk("r.x25519", vault.RoleResearcher, "x25519"),
		mk("r.pq", vault.RoleResearcher, "pq"),
		mk("r.ssh", vault.RoleResearcher, "ssh"),
		mk("a.plugin", vault.RoleLawyer, "plugin"),
	}
	ac := vault.Caller{User: fv.admin.id}
	var members []string
	for _, u := range fv.users {
		if _, _, err := v.AddUser(ac, vault.NewUser{ID: u.id, Role: u.role, Recipient: u.recipient}); err != nil {
			tb.Fatal(err)
		}
		members = append(members, u.id)
	}
	if _, err := v.CreateCollection(ac, vault.Collection{ID: "c1", Members: members}); err != nil {
		tb.Fatal(err)
	}
	return fv
}

func fzRequest(slots map[string][]byte) vault.DepositRequest {
	return vault.DepositRequest{
		Collection: "c1", Kind: "testimony",
		Public:  vault.PublicMeta{Title: "Fictional statement", Language: "en", Governorate: "Kirkuk"},
		Consent: vault.Consent{Scopes: []string{"research", "legal_proceedings"}, RecordedAt: "2025-01-01", RecordedBy: "r.x25519"},
		Slots:   slots,
	}
}

func fzWrap(tb testing.TB, key *envelope.DocKey, r age.Recipient) []byte {
	tb.Helper()
	s, err := envelope.Wrap(key, r)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// stanzaRecorder is an identity that never matches: age's own header
// parser hands it every stanza, so its error lists their types.
type stanzaRecorder struct{}

func (stanzaRecorder) Unwrap([]*age.Stanza) ([]byte, error) { return nil, age.ErrIncorrectIdentity }

// ageStanzaTypes parses b's header with age itself (independently of the
// vault's check) and returns the type of each recipient stanza.
func ageStanzaTypes(b []byte) ([]string, error) {
	_, err := age.Decrypt(bytes.NewReader(b), stanzaRecorder{})
	var nm *age.NoIdentityMatchError
	if errors.As(err, &nm) {
		return nm.StanzaTypes, nil
	}
	if err == nil {
		return nil, errors.New("a non-matching identity decrypted the file")
	}
	return nil, err
}

// fakeHeader is a syntactically valid age header with the given stanzas
// (type and arguments) and an arbitrary MAC.
func fakeHeader(stanzas ...string) []byte {
	var b bytes.Buffer
	b.WriteString("age-encryption.org/v1\n")
	for _, s := range stanzas {
		b.WriteString("-> " + s + "\nAAAA\n")
	}
	b.WriteString("--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n")
	return b.Bytes()
}

// FuzzDepositSlot offers BeginDeposit a fuzzed key slot (the vault's age
// header checks) for a user chosen by who: the depositor with an X25519,
// hybrid or ssh-ed25519 key, or a plugin-key lawyer. Everything else in
// the request is valid, so a refusal must be a *vault.InvalidError; an
// accepted slot must be an age file, at most 16 KiB, whose stanzas (as age
// itself parses them) are all of the type that user's key takes.
func FuzzDepositSlot(f *testing.F) {
	fv := newFzVault(f)
	key, _ := envelope.NewDocKey()
	for i, u := range fv.users[:3] {
		f.Add(fzWrap(f, key, u.r), uint8(i))
		f.Add(fzWrap(f, key, fv.users[(i+1)%3].r), uint8(i)) // wrapped for another kind of key
	}
	f.Add(fakeHeader("piv-p256 AAAA AAAA"), uint8(3))
	f.Add(fakeHeader("X25519 AAAA", "scrypt AAAA 10"), uint8(0))
	f.Add(fakeHeader(), uint8(1))
	f.Add([]byte("age-encryption.org/v1\n-> X25519 \n\n--- \n"), uint8(0))
	f.Add([]byte("-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCg==\n-----END AGE ENCRYPTED FILE-----\n"), uint8(0))
	f.Add(bytes.Repeat([]byte("A"), 17<<10), uint8(2))
	f.Add([]byte{}, uint8(0))

	f.Fuzz(func(t *testing.T, slot []byte, who uint8) {
		target := fv.users[int(who)%len(fv.users)]
		depositor := target
		if target.role != vault.RoleResearcher {
			depositor = fv.users[0]
		}
		slots := map[string][]byte{
			fv.admin.id:  fzWrap(t, key, mustRecipient(t, fv.admin.recipient)),
			depositor.id: fzWrap(t, key, depositor.r),
		}
		slots[target.id] = slot
		up, err := fv.v.BeginDeposit(vault.Caller{User: depositor.id}, fzRequest(slots))
		if err != nil {
			checkInvalid(t, err)
			return
		}
		defer up.Abort()
		if len(slot) == 0 || len(slot) > vault.MaxSlot {
			t.Fatalf("accepted a key slot of %d bytes", len(slot))
		}
		types, err := ageStanzaTypes(slot)
		if err != nil {
			t.Fatalf("accepted a key slot age cannot parse: %v\n%q", err, slot)
		}
		if len(types) == 0 {
			t.Fatalf("accepted a key slot without stanzas: %q", slot)
		}
		if target.stanza != "" {
			for _, typ := range types {
				if typ != target.stanza {
					t.Fatalf("accepted a %q stanza in a slot for a %s key: %q", typ, target.stanza, slot)
				}
			}
		}
	})
}

func mustRecipient(tb testing.TB, s string) age.Recipient {
	r, err := recipient.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// FuzzDepositContent streams fuzzed ciphertext and private metadata into a
// deposit whose request is valid, and commits it with the content's real
// SHA-256. Refusals are *vault.InvalidError and leave no document. An
// accepted deposit's content and private metadata are age files to exactly
// one document key (as age parses them), and the content reads back byte
// for byte.
func FuzzDepositContent(f *testing.F) {
	fv := newFzVault(f)
	dep := fv.users[0]
	for _, classic := range []bool{false, true} {
		newKey := envelope.NewDocKey
		if classic {
			newKey = envelope.NewClassicDocKey
		}
		key, _ := newKey()
		var c bytes.Buffer
		envelope.Encrypt(&c, bytes.NewReader(bytes.Repeat([]byte("fictional content "), 500)), key)
		priv, _ := envelope.SealPrivate(key, []byte(`{"file_name":"a.txt"}`))
		f.Add(c.Bytes(), priv)
		f.Add(c.Bytes(), []byte(nil))
		f.Add(c.Bytes()[:200], priv[:len(priv)/2])
	}
	other, _ := age.GenerateX25519Identity()
	var two bytes.Buffer
	w, _ := age.Encrypt(&two, other.Recipient(), mustRecipient(f, fv.admin.recipient))
	w.Write([]byte("two recipients"))
	w.Close()
	f.Add(two.Bytes(), []byte(nil))
	f.Add(fakeHeader("scrypt AAAA 10"), []byte(nil))
	f.Add(fakeHeader("X25519 AAAA"), fakeHeader("ssh-ed25519 AAAA AAAA"))
	f.Add([]byte("not an age file"), []byte(nil))
	f.Add([]byte{}, []byte(nil))

	key, _ := envelope.NewDocKey()
	slots := map[string][]byte{
		fv.admin.id: fzWrap(f, key, mustRecipient(f, fv.admin.recipient)),
		dep.id:      fzWrap(f, key, dep.r),
	}
	c := vault.Caller{User: dep.id}
	f.Fuzz(func(t *testing.T, content, private []byte) {
		up, err := fv.v.BeginDeposit(c, fzRequest(slots))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := up.Write(content); err != nil {
			checkInvalid(t, err)
			return
		}
		doc, err := up.Commit(sha256.Sum256(content), private)
		if err != nil {
			checkInvalid(t, err)
			if _, err := fv.v.GetDocument(c, up.DocID()); !errors.Is(err, vault.ErrNotFound) {
				t.Fatalf("a refused deposit is visible: %v", err)
			}
			return
		}
		for name, b := range map[string][]byte{"content": content, "private": private} {
			if name == "private" && len(b) == 0 {
				continue
			}
			types, err := ageStanzaTypes(b)
			if err != nil {
				t.Fatalf("accepted %s that age cannot parse: %v\n%q", name, err, b)
			}
			if len(types) != 1 || (types[0] != "X25519" && types[0] != "mlkem768x25519") {
				t.Fatalf("accepted %s with stanzas %q", name, types)
			}
		}
		if doc.Size != int64(len(content)) || doc.CipherSHA256 != fzHex(content) {
			t.Fatalf("document record %+v does not describe the content", doc)
		}
		r, err := fv.v.OpenContent(c, doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("content does not read back: %v", err)
		}
		if p, err := fv.v.Private(c, doc.ID); err != nil || !bytes.Equal(p, private) {
			t.Fatalf("private metadata does not read back: %v", err)
		}
		if err := fv.v.Shred(vault.Caller{User: fv.admin.id}, doc.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func fzHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
