//go:build !js

package envelope_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"filippo.io/age"

	"github.com/amana-vault/amana/envelope"
)

// sealInPieces seals plain with sw in pieces of n bytes and returns the
// age file's digest, checking Written after each piece against dst.
func sealInPieces(t *testing.T, sw *envelope.SealWriter, dst *bytes.Buffer, plain []byte, n int) *envelope.Sealed {
	t.Helper()
	for rest := plain; len(rest) > 0; {
		m := min(len(rest), n)
		if _, err := sw.Write(rest[:m]); err != nil {
			t.Fatal(err)
		}
		rest = rest[m:]
		if w, sum := sw.Written(); w != int64(dst.Len()) || sum != sha256.Sum256(dst.Bytes()) {
			t.Fatalf("Written says %d bytes, the file has %d, or their hashes differ", w, dst.Len())
		}
	}
	s, err := sw.Close()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestResealMatchesAge encrypts with age.Encrypt to a document key, then
// seals again from that file's head with the document key recovered from
// a key slot: the second file is the first, byte for byte, whatever the
// slicing, and the stock age library and the document protocol read it.
func TestResealMatchesAge(t *testing.T) {
	owner, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 2 * 64 << 10, 3<<20 + 5} {
		for _, classic := range []bool{false, true} {
			plain := randomBytes(size)
			var opts []envelope.Option
			if classic {
				opts = append(opts, envelope.Classic())
			}
			d, err := envelope.NewDeposit(map[string]age.Recipient{"r.hassan": owner.Recipient()}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			// The first file is age's own, from age.Encrypt.
			var first bytes.Buffer
			aw, err := age.Encrypt(&first, d.Key.Recipient())
			if err != nil {
				t.Fatal(err)
			}
			head := bytes.Clone(first.Bytes())
			for rest := plain; len(rest) > 0; rest = rest[min(len(rest), 40000):] {
				aw.Write(rest[:min(len(rest), 40000)])
			}
			if err := aw.Close(); err != nil {
				t.Fatal(err)
			}

			// A page reloaded: it kept head and the slot, and its user's identity opens the slot.
			k, err := envelope.OpenSlot(d.Slots["r.hassan"], owner)
			if err != nil {
				t.Fatal(err)
			}
			again := &envelope.Deposit{Key: k, Slots: d.Slots}
			var second bytes.Buffer
			rw, err := again.NewResealWriter(&second, head, map[string]any{"file_name": "interview.m4a"})
			if err != nil {
				t.Fatalf("%d: %v", size, err)
			}
			if second.Len() != len(head) || rw.CipherSize(int64(size)) != int64(first.Len()) {
				t.Fatalf("%d: reseal starts with %d bytes, predicts %d, want %d and %d", size, second.Len(), rw.CipherSize(int64(size)), len(head), first.Len())
			}
			s2 := sealInPieces(t, rw, &second, plain, 4<<20)
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Fatalf("%d (classic %v): the resealed file differs from age's", size, classic)
			}
			if s2.CipherSHA256 != sha256.Sum256(first.Bytes()) || s2.PlainSHA256 != sha256.Sum256(plain) || s2.CipherSize != int64(second.Len()) {
				t.Fatalf("%d: digests differ", size)
			}
			r, err := age.Decrypt(bytes.NewReader(second.Bytes()), k.Identity())
			if err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("%d: age reads back something else: %v", size, err)
			}
			var out bytes.Buffer
			o, err := envelope.Open(&out, bytes.NewReader(second.Bytes()), k, s2.Private, hex.EncodeToString(s2.CipherSHA256[:]), nil)
			if err != nil || !bytes.Equal(out.Bytes(), plain) || o.Private["file_name"] != "interview.m4a" {
				t.Fatalf("%d: Open: %v", size, err)
			}
		}
	}
}

// TestResealChangedPlaintext: a different plaintext makes a different file
// from the first differing chunk on, and Written tells at a slice boundary.
func TestResealChangedPlaintext(t *testing.T) {
	owner, _ := age.GenerateX25519Identity()
	d, err := envelope.NewDeposit(map[string]age.Recipient{"r.hassan": owner.Recipient()}, envelope.Classic())
	if err != nil {
		t.Fatal(err)
	}
	plain := randomBytes(1 << 20)
	var first, second bytes.Buffer
	sw, _ := d.NewSealWriter(&first, nil)
	head := bytes.Clone(first.Bytes())
	sw.Write(plain[:512<<10])
	n1, sum1 := sw.Written()
	changed := bytes.Clone(plain)
	changed[100<<10] ^= 1
	rw, err := d.NewResealWriter(&second, head, nil)
	if err != nil {
		t.Fatal(err)
	}
	rw.Write(changed[:512<<10])
	if n2, sum2 := rw.Written(); n1 != n2 || sum1 == sum2 {
		t.Fatalf("a changed plaintext gave %d bytes (want %d) hashing the same: %v", n2, n1, sum1 == sum2)
	}
	if !bytes.Equal(first.Bytes()[:len(head)+64<<10+16], second.Bytes()[:len(head)+64<<10+16]) {
		t.Fatal("the unchanged first chunk was sealed differently")
	}
}

// TestResealRefuses: a head for another key, modified, truncated or
// followed by more bytes is refused with the protocol's errors.
func TestResealRefuses(t *testing.T) {
	owner, _ := age.GenerateX25519Identity()
	d, err := envelope.NewDeposit(map[string]age.Recipient{"r.hassan": owner.Recipient()}, envelope.Classic())
	if err != nil {
		t.Fatal(err)
	}
	var first bytes.Buffer
	if _, err := d.NewSealWriter(&first, nil); err != nil {
		t.Fatal(err)
	}
	head := first.Bytes()
	other, err := envelope.NewClassicDocKey()
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte { b := bytes.Clone(head); b[i] ^= 1; return b }
	mac := bytes.LastIndex(head, []byte("--- ")) + 5
	for _, c := range []struct {
		name string
		key  *envelope.DocKey
		head []byte
		want error
	}{
		{"another document's key", other, head, envelope.ErrWrongIdentity},
		{"header MAC modified", d.Key, flip(mac), envelope.ErrMalformed},
		{"no nonce", d.Key, head[:len(head)-16], envelope.ErrMalformed},
		{"nonce cut short", d.Key, head[:len(head)-1], envelope.ErrMalformed},
		{"bytes after the nonce", d.Key, append(bytes.Clone(head), 0), envelope.ErrMalformed},
		{"not age", d.Key, []byte("fictional notes, not an age file"), envelope.ErrMalformed},
		{"empty", d.Key, nil, envelope.ErrMalformed},
	} {
		var out bytes.Buffer
		_, err := (&envelope.Deposit{Key: c.key}).NewResealWriter(&out, c.head, nil)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%s: %d bytes written before the refusal", c.name, out.Len())
		}
	}
}

// TestStockAgeReadsReseal: the stock age command reads a resealed file
// with the document key from a slot, like any document.
func TestStockAgeReadsReseal(t *testing.T) {
	ageCmd, _ := stockAge(t)
	u := newUser(t, "pq")
	d, err := envelope.NewDeposit(map[string]age.Recipient{"u": u.r})
	if err != nil {
		t.Fatal(err)
	}
	var first, second bytes.Buffer
	if _, err := d.NewSealWriter(&first, nil); err != nil {
		t.Fatal(err)
	}
	plain := randomBytes(300<<10 + 3)
	rw, err := d.NewResealWriter(&second, first.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rw.Write(plain)
	if _, err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	content := writeFile(t, dir, "content.age", second.Bytes())
	key := writeFile(t, dir, "doc.key", []byte(d.Key.String()+"\n"))
	if out := run(t, ageCmd, "-d", "-i", key, content); !bytes.Equal(out, plain) {
		t.Fatal("age -d of the resealed file differs from the plaintext")
	}
}
