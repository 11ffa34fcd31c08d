package envelope

import (
	"fmt"
	"strings"

	"filippo.io/age"
)

// A DocKey is a document's own age identity. Whoever holds it can read the
// document's content and private metadata, with Amana or with the stock age
// tool. It never leaves the client unwrapped.
type DocKey struct {
	id age.Identity  // *age.HybridIdentity or *age.X25519Identity
	r  age.Recipient // its recipient
	s  string        // AGE-SECRET-KEY-…
	pq bool
}

// NewDocKey returns a fresh post-quantum hybrid (ML-KEM-768 + X25519)
// document key. This is the default.
func NewDocKey() (*DocKey, error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, fmt.Errorf("envelope: generating document key: %w", err)
	}
	return &DocKey{id: id, r: id.Recipient(), s: id.String(), pq: true}, nil
}

// NewClassicDocKey returns a fresh X25519 document key: the headers of the
// content and private metadata shrink from about 1.6 KB to 200 bytes (key
// slots depend on the user's key, not this one), and nothing protects the
// document against a future quantum computer.
func NewClassicDocKey() (*DocKey, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("envelope: generating document key: %w", err)
	}
	return &DocKey{id: id, r: id.Recipient(), s: id.String()}, nil
}

// ParseDocKey parses a document key string, AGE-SECRET-KEY-PQ-1… or
// AGE-SECRET-KEY-1…, as found in a key slot. A single trailing newline is
// allowed; anything else around the key is not. Errors wrap ErrMalformed and
// never contain the input.
func ParseDocKey(s string) (*DocKey, error) {
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	switch {
	case strings.HasPrefix(s, "AGE-SECRET-KEY-PQ-1"):
		id, err := age.ParseHybridIdentity(s)
		if err != nil {
			return nil, fmt.Errorf("%w: document key: %v", ErrMalformed, err)
		}
		return &DocKey{id: id, r: id.Recipient(), s: id.String(), pq: true}, nil
	case strings.HasPrefix(s, "AGE-SECRET-KEY-1"):
		id, err := age.ParseX25519Identity(s)
		if err != nil {
			return nil, fmt.Errorf("%w: document key: %v", ErrMalformed, err)
		}
		return &DocKey{id: id, r: id.Recipient(), s: id.String()}, nil
	}
	return nil, fmt.Errorf("%w: document key: not an age secret key", ErrMalformed)
}

// String returns the secret key encoding, AGE-SECRET-KEY-…: this is the
// secret itself, so never log it or print a DocKey with %v.
func (k *DocKey) String() string { return k.s }

// Recipient returns the public key that content and private metadata are
// encrypted to.
func (k *DocKey) Recipient() age.Recipient { return k.r }

// Identity returns the key as an age.Identity, for age.Decrypt or
// age.DecryptReaderAt (random access to ranges of the content).
func (k *DocKey) Identity() age.Identity { return k.id }

// PostQuantum reports whether k is a hybrid ML-KEM-768 + X25519 key.
func (k *DocKey) PostQuantum() bool { return k.pq }
