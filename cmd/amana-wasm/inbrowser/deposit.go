package inbrowser

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/amana-vault/amana/manifest"
)

// DepositRequest is a deposit as the page describes it.
type DepositRequest struct {
	// Recipients to seal to: user id → age recipient.
	Recipients map[string]string `json:"recipients"`
	// Private is the private metadata (file name, media type, persons,
	// notes), sealed with the document.
	Private    map[string]any `json:"private"`
	Collection string         `json:"collection"`
	Kind       string         `json:"kind"`
	// Depositor is the logged-in user, who signs.
	Depositor     string   `json:"depositor"`
	ConsentScopes []string `json:"consent_scopes"`
	// Public is the redacted public metadata, a JSON object.
	Public json.RawMessage `json:"public"`
}

// SignedDeposit is a deposit sealed and signed in the browser: Sealed, the
// document id, the public metadata exactly as hashed into the manifest (to
// send as is, as the meta part's "public"), the consent scopes as signed
// (sorted, distinct), and the manifest with the depositor's signature.
type SignedDeposit struct {
	*Sealed
	ID            string
	Public        []byte
	ConsentScopes []string
	Manifest      []byte
	ManifestSig   []byte
}

// SealDeposit is the document protocol's deposit with its signed manifest,
// as client.Deposit does it: a fresh document id, the content and private
// metadata sealed to the recipients, and the manifest over the ciphertext
// hash, the plaintext commitment, the public metadata's bytes and the
// sorted consent scopes, signed with k (SignManifest). now is the
// depositor's clock.
func (k *SigningKey) SealDeposit(req DepositRequest, plain []byte, now time.Time) (*SignedDeposit, error) {
	if k == nil || k.priv == nil {
		return nil, ErrNoSigningKey
	}
	public, err := canonicalPublic(req.Public)
	if err != nil {
		return nil, err
	}
	scopes := slices.Compact(slices.Sorted(slices.Values(req.ConsentScopes)))
	if len(scopes) == 0 {
		return nil, errors.New("the consent gives no scope: choose at least one")
	}
	s, err := Seal(req.Recipients, req.Private, plain)
	if err != nil {
		return nil, err
	}
	id := newDocID()
	m := &manifest.Manifest{
		Format: manifest.Format, ID: id, Collection: req.Collection, Kind: req.Kind,
		Depositor: req.Depositor, DepositedAt: manifest.FormatTime(now),
		CipherSHA256: s.CipherSHA256, PlainCommitment: s.Commitment,
		PublicSHA256: manifest.PublicSHA256(public), ConsentScopes: scopes,
	}
	sig, err := k.SignManifest(m)
	if err != nil {
		return nil, fmt.Errorf("signing the deposit: %w", err)
	}
	return &SignedDeposit{Sealed: s, ID: id, Public: public, ConsentScopes: scopes, Manifest: m.Bytes(), ManifestSig: sig}, nil
}

// canonicalPublic returns the public metadata as it is hashed and sent:
// compact, with <, >, & and the line separators escaped, as Go's encoding/json
// writes it. The server may store and serve it through encoding/json, which
// leaves these bytes as they are, so a reader hashes exactly what was signed.
func canonicalPublic(b []byte) ([]byte, error) {
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		return nil, fmt.Errorf("public metadata: %w", err)
	}
	if !bytes.HasPrefix(c.Bytes(), []byte("{")) {
		return nil, errors.New("public metadata: not a JSON object")
	}
	var out bytes.Buffer
	json.HTMLEscape(&out, c.Bytes())
	return out.Bytes(), nil
}

// newDocID returns a fresh document id: 128 random bits as 26 lower-case
// base32 characters, as the server and client.Deposit make them.
func newDocID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
