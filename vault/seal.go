package vault

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// The server key is 32 random bytes generated at init. It never touches the
// disk in the clear: it is stored as an age file encrypted with an scrypt
// passphrase. Every server secret is derived from it, each for one purpose.
const serverKeySize = 32

// serverKeys holds what is derived from the unsealed server key.
type serverKeys struct {
	records cipher.AEAD        // AES-256-GCM for document and collection records and TOTP secrets
	hmac    []byte             // audit HMAC key for person-identifying values
	slots   []byte             // HMAC key naming key slots' holders (slotKey)
	signing ed25519.PrivateKey // checkpoint signing key
	mirror  string             // the key of the mirrored records (mirror.go)
}

func hkdfDerive(master []byte, label string, n int) ([]byte, error) {
	return hkdf.Key(sha256.New, master, nil, "amana "+label, n)
}

func deriveKeys(master []byte) (*serverKeys, error) {
	derive := func(label string, n int) ([]byte, error) {
		return hkdfDerive(master, label, n)
	}
	rec, err := derive("records v1", 32)
	if err != nil {
		return nil, err
	}
	mac, err := derive("audit hmac v1", 32)
	if err != nil {
		return nil, err
	}
	slots, err := derive("slot holders v1", 32)
	if err != nil {
		return nil, err
	}
	seed, err := derive("checkpoint signing v1", ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(rec)
	if err != nil {
		return nil, err
	}
	mirror, err := mirrorKey(master)
	if err != nil {
		return nil, err
	}
	return &serverKeys{records: aead, hmac: mac, slots: slots, signing: ed25519.NewKeyFromSeed(seed), mirror: mirror}, nil
}

// sealServerKey encrypts master with the passphrase. workFactor 0 means the
// age default (2^18, about a second).
func sealServerKey(master []byte, passphrase string, workFactor int) ([]byte, error) {
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("vault: passphrase: %w", err)
	}
	if workFactor > 0 {
		r.SetWorkFactor(workFactor)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(master); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func unsealServerKey(sealed []byte, passphrase string) ([]byte, error) {
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	r, err := age.Decrypt(bytes.NewReader(sealed), id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, ErrWrongPassphrase
		}
		return nil, fmt.Errorf("vault: sealed server key: %w", err)
	}
	master, err := io.ReadAll(io.LimitReader(r, serverKeySize+1))
	if err != nil {
		return nil, fmt.Errorf("vault: sealed server key: %w", err)
	}
	if len(master) != serverKeySize {
		return nil, errors.New("vault: sealed server key has the wrong size")
	}
	return master, nil
}

// seal encrypts a server-held secret with AES-256-GCM. ad binds the
// ciphertext to its place (a record kind and id), so sealed values cannot
// be swapped between records.
func (k *serverKeys) seal(plaintext []byte, ad string) ([]byte, error) {
	aead := k.records
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plaintext, []byte(ad)), nil
}

func (k *serverKeys) open(sealed []byte, ad string) ([]byte, error) {
	aead := k.records
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("vault: sealed record too short")
	}
	n := aead.NonceSize()
	pt, err := aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return nil, errors.New("vault: sealed record failed authentication")
	}
	return pt, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}
