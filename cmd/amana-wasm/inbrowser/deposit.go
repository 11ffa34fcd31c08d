package inbrowser

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/amana-vault/amana/envelope"
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
	return k.sign(req, newDocID(), public, scopes, s, now)
}

// sign makes and signs the manifest of the deposit req of the sealed s.
func (k *SigningKey) sign(req DepositRequest, id string, public []byte, scopes []string, s *Sealed, now time.Time) (*SignedDeposit, error) {
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

// StreamDeposit is SealDeposit for a file the page reads slice by slice,
// to upload as it goes (a resumable upload): only one slice is in memory
// at a time. Its first ciphertext (the age header) and its length are known
// before any plaintext is read.
type StreamDeposit struct {
	k      *SigningKey
	req    DepositRequest
	id     string
	public []byte
	scopes []string
	slots  map[string][]byte
	sw     *envelope.SealWriter
	out    bytes.Buffer
	size   int64
	n      int64
	// Length is the length of the whole age file.
	Length int64
}

// Resume is what the page keeps of a StreamDeposit whose upload a
// reload of the page interrupted: the depositor's key slot and the head of
// the age file (header and payload nonce). Neither is secret.
type Resume struct {
	Slot, Head []byte
}

// StartDeposit starts a deposit of size bytes of plaintext. With from,
// it goes on with the earlier deposit from describes: one of keys opens
// the slot, the document key is wrapped again for req's recipients, and
// Write makes the same ciphertext as the first time from the same file,
// which the caller checks with Written before it sends anything new.
func (k *SigningKey) StartDeposit(req DepositRequest, size int64, keys *Keyring, from *Resume) (*StreamDeposit, error) {
	if k == nil || k.priv == nil {
		return nil, ErrNoSigningKey
	}
	if size < 0 {
		return nil, errors.New("a file's size is not negative")
	}
	public, err := canonicalPublic(req.Public)
	if err != nil {
		return nil, err
	}
	scopes := slices.Compact(slices.Sorted(slices.Values(req.ConsentScopes)))
	if len(scopes) == 0 {
		return nil, errors.New("the consent gives no scope: choose at least one")
	}
	rs, err := envelope.ParseRecipients(req.Recipients)
	if err != nil {
		return nil, err
	}
	var dep *envelope.Deposit
	if from == nil {
		dep, err = envelope.NewDeposit(rs)
	} else {
		var key *envelope.DocKey
		if key, err = keys.openSlot(from.Slot); err == nil {
			dep, err = envelope.DepositFor(key, rs)
		}
	}
	if err != nil {
		return nil, err
	}
	d := &StreamDeposit{k: k, req: req, id: newDocID(), public: public, scopes: scopes, slots: dep.Slots, size: size}
	if from == nil {
		d.sw, err = dep.NewSealWriter(&d.out, req.Private)
	} else {
		d.sw, err = dep.NewResealWriter(&d.out, from.Head, req.Private)
	}
	if err != nil {
		return nil, err
	}
	d.Length = d.sw.CipherSize(size)
	return d, nil
}

// ID is the document's id; Public, the public metadata as signed; Slots,
// the key slots; Scopes, the consent scopes as signed.
func (d *StreamDeposit) ID() string               { return d.id }
func (d *StreamDeposit) Public() []byte           { return d.public }
func (d *StreamDeposit) Slots() map[string][]byte { return d.slots }
func (d *StreamDeposit) Scopes() []string         { return d.scopes }

// Write seals the next slice of plaintext and returns the ciphertext made
// since the last call (the header first), valid until the next call.
func (d *StreamDeposit) Write(p []byte) ([]byte, error) {
	if d.sw == nil {
		return nil, errors.New("the deposit is finished")
	}
	if d.n+int64(len(p)) > d.size {
		return nil, errors.New("the file grew while it was read")
	}
	d.n += int64(len(p))
	if _, err := d.sw.Write(p); err != nil {
		return nil, err
	}
	return d.take(), nil
}

// Written returns the length and SHA-256 of the ciphertext made so far.
func (d *StreamDeposit) Written() (int64, [32]byte) {
	if d.sw == nil {
		return 0, [32]byte{}
	}
	return d.sw.Written()
}

func (d *StreamDeposit) take() []byte {
	b := d.out.Bytes()
	d.out.Reset()
	return b
}

// Finish ends the age file, signs the manifest dated now and returns the
// deposit with the last of the ciphertext (Content).
func (d *StreamDeposit) Finish(now time.Time) (*SignedDeposit, error) {
	if d.sw == nil {
		return nil, errors.New("the deposit is finished")
	}
	if d.n != d.size {
		return nil, errors.New("the file changed while it was read")
	}
	s, err := d.sw.Close()
	d.sw = nil
	if err != nil {
		return nil, err
	}
	if s.CipherSize != d.Length {
		return nil, fmt.Errorf("the age file has %d bytes, not the %d announced", s.CipherSize, d.Length)
	}
	sealed := &Sealed{Slots: d.slots, Content: d.take(), Private: s.Private,
		CipherSHA256: hex.EncodeToString(s.CipherSHA256[:]), PlainSHA256: hex.EncodeToString(s.PlainSHA256[:]),
		Commitment: s.Commitment}
	return d.k.sign(d.req, d.id, d.public, d.scopes, sealed, now)
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
