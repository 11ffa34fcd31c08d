package inbrowser

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/recipient"
)

// ErrIntegrity is returned when a hash does not match: what was decrypted
// must be thrown away.
var ErrIntegrity = errors.New("integrity check failed")

// Sealed is a deposit sealed in the browser, ready to upload: key slots,
// the content as an age file, the sealed private metadata and the
// ciphertext's SHA-256, as the multipart parts meta, content and final
// carry them.
type Sealed struct {
	Slots        map[string][]byte
	Content      []byte
	Private      []byte
	CipherSHA256 string
	PlainSHA256  string
}

// Seal encrypts plain to a fresh document key, wraps the key for every
// recipient (user id → age recipient) and seals the private metadata with
// the plaintext's SHA-256 and size added, as client.Deposit does.
func Seal(recipients map[string]string, private map[string]any, plain []byte) (*Sealed, error) {
	if len(recipients) == 0 {
		return nil, errors.New("no recipients")
	}
	key, err := envelope.NewDocKey()
	if err != nil {
		return nil, err
	}
	out := &Sealed{Slots: map[string][]byte{}}
	for _, id := range slices.Sorted(maps.Keys(recipients)) {
		r, err := recipient.Parse(recipients[id])
		if err != nil {
			return nil, fmt.Errorf("recipient of %s: %w", id, err)
		}
		if out.Slots[id], err = envelope.Wrap(key, r); err != nil {
			return nil, fmt.Errorf("key slot for %s: %w", id, err)
		}
	}
	var ct bytes.Buffer
	d, err := envelope.Encrypt(&ct, bytes.NewReader(plain), key)
	if err != nil {
		return nil, err
	}
	p := maps.Clone(private)
	if p == nil {
		p = map[string]any{}
	}
	p["plain_sha256"] = hex.EncodeToString(d.PlainSHA256[:])
	p["plain_size"] = d.PlainSize
	pj, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	if out.Private, err = envelope.SealPrivate(key, pj); err != nil {
		return nil, err
	}
	out.Content = ct.Bytes()
	out.CipherSHA256 = hex.EncodeToString(d.CipherSHA256[:])
	out.PlainSHA256 = hex.EncodeToString(d.PlainSHA256[:])
	return out, nil
}

// Opened is a document decrypted and verified in the browser.
type Opened struct {
	Plain       []byte
	Private     map[string]any // nil if the document has none
	PlainSHA256 string
}

// Open opens the caller's key slot, decrypts the private metadata (may be
// empty) and the content, and checks the ciphertext's SHA-256 against the
// deposit record (cipherSHA256, hex) and the plaintext's against the
// private metadata's plain_sha256.
func (k *Keyring) Open(slot, private, content []byte, cipherSHA256 string) (*Opened, error) {
	ids, err := k.identities()
	if err != nil {
		return nil, err
	}
	key, err := envelope.OpenSlot(slot, ids...)
	if err != nil {
		return nil, err
	}
	out := &Opened{}
	if len(private) > 0 {
		b, err := envelope.OpenPrivate(key, private)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &out.Private); err != nil {
			return nil, fmt.Errorf("private metadata is not a JSON object: %w", err)
		}
	}
	var pt bytes.Buffer
	d, err := envelope.Decrypt(&pt, bytes.NewReader(content), key)
	if err != nil {
		return nil, err
	}
	if got := hex.EncodeToString(d.CipherSHA256[:]); got != cipherSHA256 {
		return nil, fmt.Errorf("%w: ciphertext SHA-256 %s, deposit recorded %s", ErrIntegrity, got, cipherSHA256)
	}
	out.PlainSHA256 = hex.EncodeToString(d.PlainSHA256[:])
	if want, ok := out.Private["plain_sha256"].(string); ok && want != out.PlainSHA256 {
		return nil, fmt.Errorf("%w: plaintext SHA-256 %s, depositor recorded %s", ErrIntegrity, out.PlainSHA256, want)
	}
	out.Plain = pt.Bytes()
	return out, nil
}
