// Package manifest is the signed identity of a deposit: what the depositor
// deposited, bound at creation so that no grantee, custodian, admin or
// server operator can change the content, the consent or who deposited it
// without every reader, auditor and court bundle noticing.
//
// A manifest names the document id, its collection and kind, the
// depositor, the time, the SHA-256 of the ciphertext as first deposited, a
// hiding commitment to the plaintext's SHA-256 and size (the server, which
// sees the manifest, learns nothing about the plaintext from it), the
// SHA-256 of the redacted public metadata exactly as sent, and the consent
// scopes. The depositor signs its bytes ([Manifest.Bytes]) with an SSH
// signature (namespace [Namespace]); the server checks it, records the
// manifest and its signature in the audit event of the deposit, and keeps
// both through every rekey. Readers check what they decrypt against it.
//
// The package is pure: no keys, no storage, no network. The server and
// every client use it. docs/document-protocol.md describes the format for
// other implementations.
package manifest

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Format is the manifest's format string.
const Format = "amana-deposit/1"

// Namespace is the SSH signature namespace of manifests (ssh-keygen -Y … -n).
const Namespace = "amana-deposit"

// NonceField is the private metadata field that holds the commitment's
// nonce (hex). Only readers can see it.
const NonceField = "plain_nonce"

// MaxSize bounds an encoded manifest.
const MaxSize = 4 << 10

// ErrMismatch is wrapped by every failed comparison with a manifest.
var ErrMismatch = errors.New("manifest: does not match")

// Manifest is a deposit's identity. The JSON field order is the order of
// the struct: Bytes is canonical.
type Manifest struct {
	Format          string   `json:"format"`
	ID              string   `json:"id"`
	Collection      string   `json:"collection"`
	Kind            string   `json:"kind"`
	Depositor       string   `json:"depositor"`
	DepositedAt     string   `json:"deposited_at"` // RFC 3339, UTC, seconds
	CipherSHA256    string   `json:"cipher_sha256"`
	PlainCommitment string   `json:"plain_commitment"`
	PublicSHA256    string   `json:"public_sha256"`
	ConsentScopes   []string `json:"consent_scopes"`
}

// Bytes returns the manifest as signed and stored: compact JSON, fields in
// order, one trailing newline (so the file court bundles hold is a text file
// whose exact bytes ssh-keygen -Y verify reads).
func (m *Manifest) Bytes() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(m) // cannot fail: strings and a slice of strings
	return buf.Bytes()
}

var (
	hexRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	idRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	timeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
)

// Parse reads a manifest and checks that it is well formed and canonical:
// its bytes are exactly what Bytes gives, so one manifest has one encoding
// and one hash.
func Parse(b []byte) (*Manifest, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("manifest: more than %d bytes", MaxSize)
	}
	var m Manifest
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	if !bytes.Equal(m.Bytes(), b) {
		return nil, errors.New("manifest: not in canonical form")
	}
	return &m, nil
}

// Check reports a malformed field.
func (m *Manifest) Check() error {
	bad := func(field string) error { return fmt.Errorf("manifest: malformed %s", field) }
	switch {
	case m.Format != Format:
		return fmt.Errorf("manifest: format %q, want %q", m.Format, Format)
	case !idRE.MatchString(m.ID):
		return bad("id")
	case !idRE.MatchString(m.Collection):
		return bad("collection")
	case !idRE.MatchString(m.Kind):
		return bad("kind")
	case !idRE.MatchString(m.Depositor):
		return bad("depositor")
	case !timeRE.MatchString(m.DepositedAt):
		return bad("deposited_at")
	case !hexRE.MatchString(m.CipherSHA256):
		return bad("cipher_sha256")
	case !hexRE.MatchString(m.PlainCommitment):
		return bad("plain_commitment")
	case !hexRE.MatchString(m.PublicSHA256):
		return bad("public_sha256")
	case len(m.ConsentScopes) == 0 || !slices.IsSorted(m.ConsentScopes) || len(slices.Compact(slices.Clone(m.ConsentScopes))) != len(m.ConsentScopes):
		return bad("consent_scopes (sorted, distinct, at least one)")
	}
	for _, s := range m.ConsentScopes {
		if !idRE.MatchString(s) {
			return bad("consent_scopes")
		}
	}
	if _, err := time.Parse(time.RFC3339, m.DepositedAt); err != nil {
		return bad("deposited_at")
	}
	return nil
}

// Time returns DepositedAt as a time.
func (m *Manifest) Time() time.Time {
	t, _ := time.Parse(time.RFC3339, m.DepositedAt)
	return t
}

// FormatTime formats t as DepositedAt.
func FormatTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// Commitment is the hiding commitment to a plaintext: the SHA-256 (hex) of
// the text line
//
//	amana-plaintext/1 NONCE PLAIN_SHA256 SIZE\n
//
// with the nonce and the plaintext's SHA-256 in lower-case hex and the size
// in decimal bytes; the nonce is 32 random bytes that only readers see
// (private metadata, NonceField). A shell computes it with printf and
// sha256sum (docs/document-protocol.md).
func Commitment(nonceHex, plainSHA256Hex string, size int64) string {
	line := "amana-plaintext/1 " + nonceHex + " " + plainSHA256Hex + " " + strconv.FormatInt(size, 10) + "\n"
	sum := sha256.Sum256([]byte(line))
	return hex.EncodeToString(sum[:])
}

// CheckPlaintext compares a decrypted plaintext's SHA-256 and size, and the
// nonce from the private metadata, with the manifest's commitment.
func (m *Manifest) CheckPlaintext(nonceHex string, plainSHA256 [32]byte, size int64) error {
	if len(nonceHex) != 64 || !hexRE.MatchString(nonceHex) {
		return fmt.Errorf("%w: the private metadata holds no valid %s", ErrMismatch, NonceField)
	}
	got := Commitment(nonceHex, hex.EncodeToString(plainSHA256[:]), size)
	if subtle.ConstantTimeCompare([]byte(got), []byte(m.PlainCommitment)) != 1 {
		return fmt.Errorf("%w: the plaintext is not what %s deposited (commitment %s, the signed manifest has %s)", ErrMismatch, m.Depositor, got, m.PlainCommitment)
	}
	return nil
}

// PublicSHA256 hashes the public metadata exactly as the depositor sent it:
// the bytes of the JSON object.
func PublicSHA256(public []byte) string {
	sum := sha256.Sum256(public)
	return hex.EncodeToString(sum[:])
}

// Expect lists what a verifier knows independently of the manifest; empty
// fields are not compared.
type Expect struct {
	ID, Collection, Kind, Depositor string
	CipherSHA256                    string
	PublicSHA256                    string
	ConsentScopes                   []string // sorted
}

// Match compares the manifest with what the verifier knows, naming the
// first field that differs.
func (m *Manifest) Match(e Expect) error {
	for _, f := range []struct{ name, got, want string }{
		{"id", m.ID, e.ID},
		{"collection", m.Collection, e.Collection},
		{"kind", m.Kind, e.Kind},
		{"depositor", m.Depositor, e.Depositor},
		{"cipher_sha256", m.CipherSHA256, e.CipherSHA256},
		{"public_sha256", m.PublicSHA256, e.PublicSHA256},
	} {
		if f.want != "" && f.got != f.want {
			return fmt.Errorf("%w: %s is %q in the signed manifest, %q here", ErrMismatch, f.name, f.got, f.want)
		}
	}
	if e.ConsentScopes != nil && !slices.Equal(m.ConsentScopes, e.ConsentScopes) {
		return fmt.Errorf("%w: consent scopes are %v in the signed manifest, %v here", ErrMismatch, m.ConsentScopes, e.ConsentScopes)
	}
	return nil
}
