package inbrowser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/amana-vault/amana/envelope"
)

// maxIdentityFile bounds an identity file read from disk.
const maxIdentityFile = 64 << 10

// A Keyring holds a user's age identities in memory for one session.
type Keyring struct {
	ids []age.Identity
}

// ParseKeyring parses an age identity file (as written by 'amana keygen'
// or age-keygen). Plugin identities are refused: a browser cannot run them.
func ParseKeyring(file []byte) (*Keyring, error) {
	if len(file) > maxIdentityFile {
		return nil, errors.New("identity file too large")
	}
	if bytes.Contains(file, []byte("AGE-PLUGIN-")) {
		return nil, errors.New("plugin identities cannot be used in a browser")
	}
	ids, err := envelope.ParseIdentities(bytes.NewReader(file), nil)
	if err != nil {
		return nil, fmt.Errorf("not an age identity file: %w", err)
	}
	if len(ids) == 0 {
		return nil, errors.New("the file holds no identity")
	}
	return &Keyring{ids: ids}, nil
}

// Forget drops the identities; the keyring opens nothing afterwards.
func (k *Keyring) Forget() {
	if k != nil {
		k.ids = nil
	}
}

func (k *Keyring) identities() ([]age.Identity, error) {
	if k == nil || len(k.ids) == 0 {
		return nil, errors.New("no identity loaded: log in again")
	}
	return k.ids, nil
}

// openSlot opens a key slot of the user's with the identities loaded.
func (k *Keyring) openSlot(slot []byte) (*envelope.DocKey, error) {
	ids, err := k.identities()
	if err != nil {
		return nil, err
	}
	return envelope.OpenSlot(slot, ids...)
}

// AnswerChallenge decrypts the server's armored login challenge and returns
// the response to send back, proving possession of the identity.
func (k *Keyring) AnswerChallenge(challenge string) (string, error) {
	ids, err := k.identities()
	if err != nil {
		return "", err
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(challenge)), ids...)
	if err != nil {
		return "", fmt.Errorf("the login challenge does not open with this identity: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(r, 1025))
	if err != nil {
		return "", fmt.Errorf("login challenge: %w", err)
	}
	if len(b) > 1024 {
		return "", errors.New("login challenge too long")
	}
	return string(b), nil
}

// Rewrap opens the caller's key slot and wraps the document key again for
// another user's recipient: the key slot of a grant.
func (k *Keyring) Rewrap(slot []byte, to string) ([]byte, error) {
	key, err := k.openSlot(slot)
	if err != nil {
		return nil, err
	}
	return envelope.WrapFor(key, "the grantee", to)
}
