package envelope

import (
	"bytes"
	"fmt"
	"io"

	"filippo.io/age"
)

// MaxPrivateSize is the largest private metadata plaintext SealPrivate and
// OpenPrivate accept. Private metadata is a small JSON object (names, places,
// notes); the limit keeps a hostile file from exhausting memory.
const MaxPrivateSize = 1 << 20

// SealPrivate encrypts a document's private metadata (JSON from the caller)
// to the document key, as an age file.
func SealPrivate(k *DocKey, plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxPrivateSize {
		return nil, fmt.Errorf("envelope: private metadata is %d bytes, more than %d", len(plaintext), MaxPrivateSize)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, k.r)
	if err != nil {
		return nil, fmt.Errorf("envelope: encrypting private metadata: %w", err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, fmt.Errorf("envelope: encrypting private metadata: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("envelope: encrypting private metadata: %w", err)
	}
	return buf.Bytes(), nil
}

// OpenPrivate decrypts private metadata sealed to k. Errors classify as in
// Decrypt.
func OpenPrivate(k *DocKey, ciphertext []byte) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(ciphertext), k.id)
	if err != nil {
		return nil, decryptError("private metadata", err, nil)
	}
	plain, err := io.ReadAll(io.LimitReader(r, MaxPrivateSize+1))
	if err != nil {
		return nil, decryptError("private metadata", err, nil)
	}
	if len(plain) > MaxPrivateSize {
		return nil, fmt.Errorf("%w: private metadata: more than %d bytes", ErrMalformed, MaxPrivateSize)
	}
	return plain, nil
}
