//go:build !js

package envelope_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/amana-vault/amana/envelope"
)

// Whatever the bytes, opening them never panics and fails with one of the
// two sentinel errors.
func FuzzOpen(f *testing.F) {
	u := newUser(f, "x25519")
	s := seal(f, []byte("fuzz"), map[string]*user{"u": u})
	f.Add(s.Slots["u"])
	f.Add(s.content)
	f.Add(s.private)
	f.Add([]byte("age-encryption.org/v1\n-> X25519 \n\n--- \n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := envelope.OpenSlot(b, u.ids...); err == nil {
			if k.String() != s.Key.String() {
				t.Fatal("OpenSlot returned a key that was never sealed")
			}
		} else if !isDetected(err) {
			t.Fatalf("OpenSlot: unclassified error %v", err)
		}
		if _, err := envelope.Decrypt(io.Discard, bytes.NewReader(b), s.Key); err != nil && !isDetected(err) {
			t.Fatalf("Decrypt: unclassified error %v", err)
		}
		if _, err := envelope.OpenPrivate(s.Key, b); err != nil && !isDetected(err) {
			t.Fatalf("OpenPrivate: unclassified error %v", err)
		}
	})
}

func FuzzParseIdentities(f *testing.F) {
	for _, kind := range []string{"x25519", "pq", "ssh-ed25519"} {
		f.Add(newUser(f, kind).keyFile)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := envelope.ParseIdentities(bytes.NewReader(b), nil)
		if err == nil && len(ids) == 0 {
			t.Fatal("no identities and no error")
		}
		// Only a passphrase-protected SSH key, which nobody can unlock here,
		// fails without ErrMalformed.
		if err != nil && !errors.Is(err, envelope.ErrMalformed) && !bytes.Contains(b, []byte("-----BEGIN")) {
			t.Fatalf("unclassified error %v", err)
		}
	})
}
