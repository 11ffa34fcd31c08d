package inbrowser

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/manifest"
)

// ErrIntegrity is returned when a document is not what was deposited: what
// was decrypted must be thrown away.
var ErrIntegrity = envelope.ErrIntegrity

// Sealed is a deposit sealed in the browser, ready to upload: key slots,
// the content as an age file, the sealed private metadata and the
// ciphertext's SHA-256, as the multipart parts meta, content and final
// carry them, and the commitment to the plaintext that the signed manifest
// holds.
type Sealed struct {
	Slots        map[string][]byte
	Content      []byte
	Private      []byte
	CipherSHA256 string
	PlainSHA256  string
	Commitment   string
}

// Seal is the document protocol's deposit (envelope.NewDeposit and
// Deposit.Seal), as the command line does it, for recipients given as user
// id → age recipient; SealDeposit signs its manifest.
func Seal(recipients map[string]string, private map[string]any, plain []byte) (*Sealed, error) {
	rs, err := envelope.ParseRecipients(recipients)
	if err != nil {
		return nil, err
	}
	dep, err := envelope.NewDeposit(rs)
	if err != nil {
		return nil, err
	}
	var ct bytes.Buffer
	s, err := dep.Seal(&ct, bytes.NewReader(plain), private)
	if err != nil {
		return nil, err
	}
	return &Sealed{
		Slots:        dep.Slots,
		Content:      ct.Bytes(),
		Private:      s.Private,
		CipherSHA256: hex.EncodeToString(s.CipherSHA256[:]),
		PlainSHA256:  hex.EncodeToString(s.PlainSHA256[:]),
		Commitment:   s.Commitment,
	}, nil
}

// Opened is a document decrypted and verified in the browser.
type Opened struct {
	Plain       []byte
	Private     map[string]any
	PlainSHA256 string
}

// Open is the document protocol's open (envelope.OpenSlot and
// envelope.Open): the caller's key slot, the sealed private metadata and the
// content, checked against the deposit record's ciphertext SHA-256 (hex) and,
// when m is not nil, the commitment of the deposit's verified manifest.
func (k *Keyring) Open(slot, private, content []byte, cipherSHA256 string, m *manifest.Manifest) (*Opened, error) {
	o, _, err := k.open(slot, private, content, cipherSHA256, m)
	return o, err
}

// open is Open, and also returns the document key.
func (k *Keyring) open(slot, private, content []byte, cipherSHA256 string, m *manifest.Manifest) (*Opened, *envelope.DocKey, error) {
	key, err := k.openSlot(slot)
	if err != nil {
		return nil, nil, err
	}
	// The plaintext is a little shorter than the age file: one allocation.
	var pt bytes.Buffer
	pt.Grow(len(content))
	o, err := envelope.Open(&pt, bytes.NewReader(content), key, private, cipherSHA256, m)
	if err != nil {
		return nil, nil, err
	}
	return &Opened{Plain: pt.Bytes(), Private: o.Private, PlainSHA256: hex.EncodeToString(o.PlainSHA256[:])}, key, nil
}

// Record is a document as GET /v1/documents/{id} gives it: what OpenDocument
// checks the signed manifest against.
type Record struct {
	ID           string                    `json:"id"`
	Collection   string                    `json:"collection"`
	Kind         string                    `json:"kind"`
	Depositor    string                    `json:"depositor"`
	CipherSHA256 string                    `json:"cipher_sha256"`
	Consent      struct{ Scopes []string } `json:"consent"`
	Manifest     string                    `json:"manifest"`
	ManifestSig  string                    `json:"manifest_sig"`
	PublicSigned json.RawMessage           `json:"public_signed"`
}

// OpenDocument is what the document page does: verify the deposit's signed
// manifest against the record with the depositor's signing key
// (manifest.VerifyRecord), then Open against it.
func (k *Keyring) OpenDocument(slot, private, content, record []byte, signingKey string) (*Opened, error) {
	var r Record
	if err := json.Unmarshal(record, &r); err != nil {
		return nil, fmt.Errorf("document record: %w", err)
	}
	o, _, err := k.openRecord(slot, private, content, &r, signingKey)
	return o, err
}

// openRecord is OpenDocument for a record already read, and also returns
// the document key.
func (k *Keyring) openRecord(slot, private, content []byte, r *Record, signingKey string) (*Opened, *envelope.DocKey, error) {
	m, err := manifest.VerifyRecord(manifest.Record{
		ID: r.ID, Collection: r.Collection, Kind: r.Kind, Depositor: r.Depositor, ConsentScopes: r.Consent.Scopes,
		Manifest: []byte(r.Manifest), ManifestSig: []byte(r.ManifestSig), PublicSigned: r.PublicSigned,
	}, signingKey)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	return k.open(slot, private, content, r.CipherSHA256, m)
}
