package audit

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

const hmacPrefix = "hmac-sha256:"

// MinHMACKeySize is the smallest HMAC key New accepts.
const MinHMACKeySize = 32

// A Log holds the secrets needed to write the audit log: the HMAC key for
// person-identifying values and the Ed25519 key that signs checkpoints.
// The log itself lives in the caller's bbolt database. A Log is safe for
// concurrent use.
type Log struct {
	origin  string
	hmacKey []byte
	signer  *signer
	vkey    string
	now     func() time.Time
}

// New returns a Log whose checkpoints carry origin (which is also the name of
// the signing key, so it must be a valid note key name: non-empty UTF-8, no
// spaces, no '+'), hashing identifying values with hmacKey and signing with
// signingKey.
func New(origin string, hmacKey []byte, signingKey ed25519.PrivateKey) (*Log, error) {
	if origin == "" || !utf8.ValidString(origin) || strings.ContainsFunc(origin, unicode.IsSpace) || strings.Contains(origin, "+") {
		return nil, fmt.Errorf("audit: invalid origin %q: want non-empty UTF-8 without spaces or '+'", origin)
	}
	if len(hmacKey) < MinHMACKeySize {
		return nil, fmt.Errorf("audit: HMAC key is %d bytes, want at least %d", len(hmacKey), MinHMACKeySize)
	}
	if len(signingKey) != ed25519.PrivateKeySize {
		return nil, errors.New("audit: signing key is not an Ed25519 private key")
	}
	// Rederive from the seed so a key whose public half was damaged cannot
	// produce signatures that nothing verifies.
	key := ed25519.NewKeyFromSeed(signingKey.Seed())
	vkey, err := note.NewEd25519VerifierKey(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return &Log{
		origin:  origin,
		hmacKey: append([]byte(nil), hmacKey...),
		signer:  &signer{name: origin, hash: v.KeyHash(), key: key},
		vkey:    vkey,
		now:     time.Now,
	}, nil
}

// Origin returns the log's origin line.
func (l *Log) Origin() string { return l.origin }

// VerifierKey returns the public note verifier key of the checkpoint signer,
// "origin+hash+base64". It is what auditors need to check checkpoints.
func (l *Log) VerifierKey() string { return l.vkey }

// HMAC returns "hmac-sha256:" and the hex HMAC-SHA256 of value under the
// log's key. Equal values give equal results, so auditors can correlate
// events, and an administrator can look up a known value, without the log
// holding the value itself.
func (l *Log) HMAC(value string) string {
	m := hmac.New(sha256.New, l.hmacKey)
	m.Write([]byte(value))
	return hmacPrefix + hex.EncodeToString(m.Sum(nil))
}
