//go:build !js

package envelope_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"filippo.io/age"

	"github.com/amana-vault/amana/envelope"
)

// Revocation: mallory keeps a copy of her slot (and so the old document key),
// alice and bob keep access after the rekey.
func TestRekeyRevokes(t *testing.T) {
	users := map[string]*user{
		"alice":   newUser(t, "pq"),
		"bob":     newUser(t, "x25519"),
		"mallory": newUser(t, "ssh-ed25519"),
	}
	plain := randomBytes(150 << 10)
	old := seal(t, plain, users)
	oldKey, err := envelope.OpenSlot(old.Slots["mallory"], users["mallory"].ids...)
	if err != nil {
		t.Fatal(err)
	}

	var ct bytes.Buffer
	s, err := rekeyTo(&ct, bytes.NewReader(old.content), old.Key,
		map[string]age.Recipient{"alice": users["alice"].r, "bob": users["bob"].r})
	if err != nil {
		t.Fatalf("Rekey: %v", err)
	}
	priv, err := envelope.SealPrivate(s.Key, []byte(`{"notes":"private"}`))
	if err != nil {
		t.Fatal(err)
	}
	rekeyed := sealed{sealedDoc: s, content: ct.Bytes(), private: priv}
	checkDigest(t, rekeyed, plain)
	if s.PlainSHA256 != old.PlainSHA256 {
		t.Error("plaintext digest changed across rekey")
	}
	if s.CipherSHA256 == old.CipherSHA256 {
		t.Error("ciphertext unchanged by rekey")
	}
	if s.Key.String() == old.Key.String() {
		t.Fatal("Rekey kept the document key")
	}
	if _, ok := s.Slots["mallory"]; ok || len(s.Slots) != 2 {
		t.Fatalf("new slots %v, want alice and bob only", keys(s.Slots))
	}

	for _, name := range []string{"alice", "bob"} {
		if got := open(t, users[name], rekeyed, name); !bytes.Equal(got, plain) {
			t.Errorf("%s: content differs after rekey", name)
		}
	}
	var out bytes.Buffer
	if _, err := envelope.Decrypt(&out, bytes.NewReader(rekeyed.content), oldKey); !errors.Is(err, envelope.ErrWrongIdentity) {
		t.Errorf("old key on new content: %v, want ErrWrongIdentity", err)
	}
	if out.Len() != 0 {
		t.Error("old key decrypted something")
	}
	if _, err := envelope.OpenPrivate(oldKey, rekeyed.private); !errors.Is(err, envelope.ErrWrongIdentity) {
		t.Errorf("old key on new private metadata: %v, want ErrWrongIdentity", err)
	}
	// Mallory's identity opens none of the new slots.
	for name, slot := range s.Slots {
		if _, err := envelope.OpenSlot(slot, users["mallory"].ids...); !errors.Is(err, envelope.ErrWrongIdentity) {
			t.Errorf("mallory on %s's new slot: %v", name, err)
		}
	}
}

func TestRekeyKeyKind(t *testing.T) {
	u := newUser(t, "x25519")
	rs := map[string]age.Recipient{"u": u.r}
	old := seal(t, []byte("x"), map[string]*user{"u": u}, envelope.Classic())
	s, err := rekeyTo(&bytes.Buffer{}, bytes.NewReader(old.content), old.Key, rs)
	if err != nil || !s.Key.PostQuantum() {
		t.Errorf("Rekey of a classic document: %v, PostQuantum=%v; want a post-quantum key by default", err, s != nil && s.Key.PostQuantum())
	}
	s, err = rekeyTo(&bytes.Buffer{}, bytes.NewReader(old.content), old.Key, rs, envelope.Classic())
	if err != nil || s.Key.PostQuantum() {
		t.Errorf("Rekey with Classic: %v", err)
	}
}

func TestRekeyRefusesBadInput(t *testing.T) {
	u := newUser(t, "x25519")
	rs := map[string]age.Recipient{"u": u.r}
	old := seal(t, randomBytes(200<<10), map[string]*user{"u": u})
	other, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rekeyTo(&bytes.Buffer{}, bytes.NewReader(old.content), other, rs); !errors.Is(err, envelope.ErrWrongIdentity) {
		t.Errorf("Rekey with the wrong key: %v, want ErrWrongIdentity", err)
	}
	hl := headerLen(t, old.content)
	for name, bad := range map[string][]byte{
		"modified chunk": flip(old.content, len(old.content)-100),
		"truncated":      old.content[:hl+16+(64<<10)+16],
	} {
		if _, err := rekeyTo(&bytes.Buffer{}, bytes.NewReader(bad), old.Key, rs); !errors.Is(err, envelope.ErrMalformed) {
			t.Errorf("Rekey of %s content: %v, want ErrMalformed", name, err)
		}
	}
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestReencryptToSameKeyRefused(t *testing.T) {
	u := newUser(t, "x25519")
	s := seal(t, []byte("x"), map[string]*user{"u": u})
	if _, err := envelope.Reencrypt(&bytes.Buffer{}, bytes.NewReader(s.content), s.Key, s.Key); err == nil {
		t.Fatal("Reencrypt to the same key succeeded: it would revoke nobody")
	}
}

// The deposit flow of a client that must send slots before the content:
// NewDocKey, Wrap, then Encrypt.
func TestEncryptWithSlotsFirst(t *testing.T) {
	u := newUser(t, "pq")
	k, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	slot, err := envelope.Wrap(k, u.r)
	if err != nil {
		t.Fatal(err)
	}
	plain := randomBytes(70 << 10)
	var ct bytes.Buffer
	d, err := envelope.Encrypt(&ct, bytes.NewReader(plain), k)
	if err != nil {
		t.Fatal(err)
	}
	s := sealed{sealedDoc: &sealedDoc{Key: k, Slots: map[string][]byte{"u": slot}, Digest: d}, content: ct.Bytes()}
	if s.private, err = envelope.SealPrivate(k, []byte(`{"notes":"private"}`)); err != nil {
		t.Fatal(err)
	}
	checkDigest(t, s, plain)
	if got := open(t, u, s, "u"); !bytes.Equal(got, plain) {
		t.Fatal("content differs")
	}
}

// A rekey never launders content: the plaintext must hash to what the
// private metadata records.
func TestDepositRekeyChecksPlaintext(t *testing.T) {
	u := newUser(t, "x25519")
	rs := map[string]age.Recipient{"u": u.r}
	d, err := envelope.NewDeposit(rs)
	if err != nil {
		t.Fatal(err)
	}
	var ct bytes.Buffer
	s, err := d.Seal(&ct, bytes.NewReader([]byte("deposited")), map[string]any{"notes": "n"})
	if err != nil {
		t.Fatal(err)
	}
	private, err := envelope.OpenPrivateMeta(d.Key, s.Private)
	if err != nil {
		t.Fatal(err)
	}
	// The holder of the key re-encrypts other plaintext under it.
	var forged bytes.Buffer
	if _, err := envelope.Encrypt(&forged, bytes.NewReader([]byte("replaced!")), d.Key); err != nil {
		t.Fatal(err)
	}
	next, err := envelope.NewDeposit(rs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := next.Rekey(io.Discard, bytes.NewReader(forged.Bytes()), d.Key, private, nil); !errors.Is(err, envelope.ErrIntegrity) {
		t.Fatalf("rekey of substituted plaintext: %v, want ErrIntegrity", err)
	}
	var out bytes.Buffer
	s2, err := next.Rekey(&out, bytes.NewReader(ct.Bytes()), d.Key, private, nil)
	if err != nil {
		t.Fatalf("rekey of the deposited content: %v", err)
	}
	var plain bytes.Buffer
	o, err := envelope.Open(&plain, bytes.NewReader(out.Bytes()), next.Key, s2.Private, fmt.Sprintf("%x", s2.CipherSHA256), nil)
	if err != nil || plain.String() != "deposited" || o.Private["notes"] != "n" {
		t.Fatalf("Open after rekey = %q, %v, %v", plain.String(), o, err)
	}
}
