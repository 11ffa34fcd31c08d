//go:build !js

package envelope_test

import (
	"bytes"
	"io"
	"testing"

	"filippo.io/age"

	"github.com/amana-vault/amana/envelope"
)

const benchSize = 64 << 20

// Each benchmark has an "age" peer doing the same with plain age and no
// hashing, so the cost of Seal and Decrypt shows as a ratio in one run.

func BenchmarkSeal(b *testing.B) {
	u := newUser(b, "pq")
	plain := randomBytes(benchSize)
	rs := map[string]age.Recipient{"u": u.r}
	b.Run("envelope", func(b *testing.B) {
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sealTo(io.Discard, bytes.NewReader(plain), rs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("age", func(b *testing.B) {
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			k, _ := envelope.NewDocKey()
			w, err := age.Encrypt(io.Discard, k.Recipient())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(w, bytes.NewReader(plain)); err != nil {
				b.Fatal(err)
			}
			w.Close()
		}
	})
}

func BenchmarkDecrypt(b *testing.B) {
	u := newUser(b, "pq")
	var ct bytes.Buffer
	s, err := sealTo(&ct, bytes.NewReader(randomBytes(benchSize)), map[string]age.Recipient{"u": u.r})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("envelope", func(b *testing.B) {
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := envelope.Decrypt(io.Discard, bytes.NewReader(ct.Bytes()), s.Key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("age", func(b *testing.B) {
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			r, err := age.Decrypt(bytes.NewReader(ct.Bytes()), s.Key.Identity())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWrap is the cost of making one key slot, by document key and user
// kind. It reports the slot's size.
func BenchmarkWrap(b *testing.B) {
	for _, tt := range []struct {
		name    string
		newKey  func() (*envelope.DocKey, error)
		userKey string
	}{
		{"pq-doc/pq-user", envelope.NewDocKey, "pq"},
		{"pq-doc/x25519-user", envelope.NewDocKey, "x25519"},
		{"pq-doc/ssh-ed25519-user", envelope.NewDocKey, "ssh-ed25519"},
		{"x25519-doc/x25519-user", envelope.NewClassicDocKey, "x25519"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			k, _ := tt.newKey()
			u := newUser(b, tt.userKey)
			var slot []byte
			for b.Loop() {
				var err error
				if slot, err = envelope.Wrap(k, u.r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(slot)), "slot-bytes")
		})
	}
}

// BenchmarkGrant is what granting access costs: the granter opens its own
// slot and wraps the document key for the grantee. The content is sealed
// beforehand and never touched, so the cost is the same at 1 KiB and 1 GiB.
func BenchmarkGrant(b *testing.B) {
	granter, grantee := newUser(b, "pq"), newUser(b, "pq")
	rs := map[string]age.Recipient{"granter": granter.r}
	for _, size := range []struct {
		name string
		n    int64
	}{{"1KiB", 1 << 10}, {"1GiB", 1 << 30}} {
		// Sealed from a generator to io.Discard: no 1 GiB buffer.
		s, err := sealTo(io.Discard, io.LimitReader(pattern{}, size.n), rs)
		if err != nil {
			b.Fatal(err)
		}
		if s.PlainSize != size.n {
			b.Fatalf("sealed %d bytes, want %d", s.PlainSize, size.n)
		}
		slot := s.Slots["granter"]
		b.Run(size.name, func(b *testing.B) {
			var out []byte
			for b.Loop() {
				k, err := envelope.OpenSlot(slot, granter.ids...)
				if err != nil {
					b.Fatal(err)
				}
				if out, err = envelope.Wrap(k, grantee.r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(out)), "slot-bytes")
		})
	}
}

// pattern is an endless reader of cheap, non-constant bytes.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return len(p), nil
}
