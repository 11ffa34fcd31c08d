package audit

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/amana-vault/amana/auditlog"
)

// MinHMACKeySize is the smallest HMAC key New accepts.
const MinHMACKeySize = 32

// A Log holds the secrets needed to write the audit log: the HMAC key for
// person-identifying values and the Ed25519 key that signs checkpoints.
// The log itself lives in the caller's bbolt database. A Log is safe for
// concurrent use.
type Log struct {
	origin  string
	hmacKey []byte
	signer  note.Signer
	vkey    string
	now     func() time.Time
}

// New returns a Log whose checkpoints carry origin (which is also the name of
// the signing key, so it must be a valid note key name: non-empty UTF-8, no
// spaces, no '+'), hashing identifying values with hmacKey and signing with
// signingKey.
func New(origin string, hmacKey []byte, signingKey ed25519.PrivateKey) (*Log, error) {
	s, vkey, err := auditlog.NewSigner(origin, signingKey)
	if err != nil {
		return nil, err
	}
	if len(hmacKey) < MinHMACKeySize {
		return nil, fmt.Errorf("audit: HMAC key is %d bytes, want at least %d", len(hmacKey), MinHMACKeySize)
	}
	return &Log{
		origin:  origin,
		hmacKey: append([]byte(nil), hmacKey...),
		signer:  s,
		vkey:    vkey,
		now:     time.Now,
	}, nil
}

// Origin returns the log's origin line.
func (l *Log) Origin() string { return l.origin }

// VerifierKey returns the public note verifier key of the checkpoint signer,
// "origin+hash+base64". It is what auditors need to check checkpoints.
func (l *Log) VerifierKey() string { return l.vkey }

// HMAC returns the keyed hash under which the log records value (see
// auditlog.HMAC): auditors can correlate events, and an administrator can
// look up a known value, without the log holding the value itself.
func (l *Log) HMAC(value string) string { return auditlog.HMAC(l.hmacKey, value) }
