package envelope

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"filippo.io/age"
)

// Sealed is the result of Seal and Rekey.
type Sealed struct {
	// Key is the new document key. Use it for SealPrivate, then forget it:
	// the slots are the only copies that should survive.
	Key *DocKey
	// Slots holds one key slot per recipient, under the same names as the
	// recipients map given to Seal.
	Slots map[string][]byte
	Digest
}

// An Option changes how Seal and Rekey make the document key.
type Option func(*options)

type options struct{ classic bool }

// Classic makes the document key X25519 instead of post-quantum hybrid.
func Classic() Option { return func(o *options) { o.classic = true } }

// Seal encrypts src to a fresh document key and writes the age file to dst.
// It returns the key, one key slot per entry of recipients (a user id, say,
// to that user's recipient), and the digests of what it read and wrote.
//
// Seal is NewDocKey, Wrap for each recipient, then Encrypt; use those
// directly when the slots must be sent before the content. Slots are made
// before any content is read, so a plugin that fails fails early. If Seal
// returns an error, dst may have received a partial age file, which must be
// discarded.
func Seal(dst io.Writer, src io.Reader, recipients map[string]age.Recipient, opts ...Option) (*Sealed, error) {
	k, slots, err := keyAndSlots(recipients, opts)
	if err != nil {
		return nil, err
	}
	d, err := Encrypt(dst, src, k)
	if err != nil {
		return nil, err
	}
	return &Sealed{Key: k, Slots: slots, Digest: d}, nil
}

// keyAndSlots makes a fresh document key and wraps it for each recipient.
func keyAndSlots(recipients map[string]age.Recipient, opts []Option) (*DocKey, map[string][]byte, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if len(recipients) == 0 {
		return nil, nil, errors.New("envelope: no recipients: nobody could ever open the document")
	}
	newKey := NewDocKey
	if o.classic {
		newKey = NewClassicDocKey
	}
	k, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	slots := make(map[string][]byte, len(recipients))
	// In a stable order, so plugins that prompt do so predictably.
	for _, name := range slices.Sorted(maps.Keys(recipients)) {
		if recipients[name] == nil {
			return nil, nil, fmt.Errorf("envelope: recipient %q is nil", name)
		}
		slot, err := Wrap(k, recipients[name])
		if err != nil {
			return nil, nil, fmt.Errorf("envelope: key slot for %q: %w", name, err)
		}
		slots[name] = slot
	}
	return k, slots, nil
}

// Rekey decrypts src with the old document key and re-encrypts it, streaming,
// to a fresh document key with a new slot for each of recipients (those who
// keep access). Use it on revocation: the old key, and every copy of an old
// slot, cannot open the new ciphertext.
//
// The new key is post-quantum unless opts include Classic, whatever the old
// one was. Rekey is NewDocKey, Wrap for each recipient, then Reencrypt.
// Errors classify as in Decrypt; on error dst must be discarded. The returned
// plaintext digest should equal the one recorded at deposit.
func Rekey(dst io.Writer, src io.Reader, old *DocKey, recipients map[string]age.Recipient, opts ...Option) (*Sealed, error) {
	if old == nil {
		return nil, errors.New("envelope: Rekey needs the old document key")
	}
	k, slots, err := keyAndSlots(recipients, opts)
	if err != nil {
		return nil, err
	}
	d, err := Reencrypt(dst, src, old, k)
	if err != nil {
		return nil, err
	}
	return &Sealed{Key: k, Slots: slots, Digest: d}, nil
}
