package envelope

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// maxSlotPlaintext bounds what OpenSlot reads: a key string is under 100 bytes.
const maxSlotPlaintext = 1 << 10

// Wrap makes a key slot: an age file encrypted to r whose plaintext is k's
// secret key string and a newline, which the stock age tool accepts as an
// identity file. Use one slot per user; wrapping a post-quantum document key
// to a classic recipient works, but that slot is only classically secure.
//
// For a plugin recipient, Wrap runs age-plugin-NAME from PATH.
func Wrap(k *DocKey, r age.Recipient) ([]byte, error) {
	if k == nil || r == nil {
		return nil, errors.New("envelope: Wrap needs a document key and a recipient")
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, fmt.Errorf("envelope: wrapping document key: %w", err)
	}
	if _, err := io.WriteString(w, k.s+"\n"); err != nil {
		return nil, fmt.Errorf("envelope: wrapping document key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("envelope: wrapping document key: %w", err)
	}
	return buf.Bytes(), nil
}

// OpenSlot decrypts a key slot with the first of ids that matches it and
// returns the document key inside.
//
// It returns an error wrapping ErrWrongIdentity if no identity matches, and
// ErrMalformed if the slot is not an intact age file or does not contain
// exactly a document key. Errors of plugins (missing binary, token not
// present) are returned as they are.
func OpenSlot(slot []byte, ids ...age.Identity) (*DocKey, error) {
	if len(ids) == 0 {
		return nil, errors.New("envelope: OpenSlot needs at least one identity")
	}
	watched := watch(ids)
	aids := make([]age.Identity, len(watched))
	for i, w := range watched {
		aids[i] = w
	}
	r, err := age.Decrypt(bytes.NewReader(slot), aids...)
	if err != nil {
		return nil, watchedError("key slot", err, watched)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxSlotPlaintext+1))
	if err != nil {
		return nil, decryptError("key slot", err, nil)
	}
	if len(plain) > maxSlotPlaintext {
		return nil, fmt.Errorf("%w: key slot: plaintext too long for a document key", ErrMalformed)
	}
	k, err := ParseDocKey(string(plain))
	if err != nil {
		return nil, fmt.Errorf("key slot: %w", err)
	}
	return k, nil
}
