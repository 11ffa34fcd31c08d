package inbrowser

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/bundle/layout"
	"github.com/amana-vault/amana/envelope"
)

// MaxExport bounds the ciphertext of a document the page exports as a
// court bundle. The bundle is made in memory: the ciphertext and the
// plaintext in the module, the page's ciphertext, its copy of the
// plaintext and the Blob of the zip; TestBrowserExportBundleMemory
// measures about seven and a half times the document in all, so about
// 480 MiB at this bound, which a phone's browser can still give. A larger
// document is exported with 'amana export', which streams through a file.
const MaxExport = 64 << 20

// ErrTooLarge is returned by ExportBundle for a document over MaxExport.
var ErrTooLarge = errors.New("the document is too large to export in the browser: use 'amana export'")

// Export is what the document page fetched for a court bundle, as the
// command line's 'amana export' fetches it.
type Export struct {
	Slot, Private, Content []byte // GET …/keyslot, …/private, …/content
	Record                 []byte // GET /v1/documents/{id}, exactly as sent
	SigningKey             string // the depositor's signing key, as the audit log binds it
	Custody                []byte // GET …/custody
	Verifier               string // the log's verifier key the page pinned
	ExportedBy             string
	ExportedAt             time.Time
}

// exportRecord is the part of the record the bundle's manifest copies.
type exportRecord struct {
	DepositedAt time.Time       `json:"deposited_at"`
	Generation  int             `json:"generation"`
	Public      json.RawMessage `json:"public"`
	Consent     json.RawMessage `json:"consent"`
}

// custody is the answer of GET /v1/documents/{id}/custody.
type custody struct {
	Events     []json.RawMessage `json:"events"`
	Proofs     []layout.Proof    `json:"proofs"`
	Checkpoint string            `json:"checkpoint"`
	Verifier   string            `json:"verifier"`
}

// ExportBundle writes the court bundle that 'amana export' writes (the
// files of package bundle/layout, in a stored zip), from what the page
// fetched. Before writing it checks what bundle.Verify will: the document
// opens and matches its signed manifest (OpenDocument); the checkpoint is
// signed by the pinned verifier key; every custody event is about this
// document and included in that checkpoint; and the last deposit or rekey
// event records the ciphertext's hash. The plaintext is cleared from the
// module's memory by Clear, once the page has copied the bundle.
//
// The bundle is returned in parts (see writeZip): the plaintext and
// e.Content are two of them, as they are, so the page can reuse its own
// copy of the ciphertext and the document is not copied again here.
func (k *Keyring) ExportBundle(e Export) (*Exported, error) {
	if len(e.Content) > MaxExport {
		return nil, ErrTooLarge
	}
	var r Record
	var x exportRecord
	if err := json.Unmarshal(e.Record, &r); err != nil {
		return nil, fmt.Errorf("document record: %w", err)
	}
	if err := json.Unmarshal(e.Record, &x); err != nil {
		return nil, fmt.Errorf("document record: %w", err)
	}
	var c custody
	if err := json.Unmarshal(e.Custody, &c); err != nil {
		return nil, fmt.Errorf("custody trail: %w", err)
	}
	if e.Verifier == "" {
		return nil, errors.New("no verifier key to check the bundle with")
	}
	events := make([][]byte, len(c.Events))
	for i, ev := range c.Events {
		events[i] = ev
	}
	if err := checkCustody(c, events, e.Verifier, r.ID, r.CipherSHA256); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	o, key, err := k.openRecord(e.Slot, e.Private, e.Content, &r, e.SigningKey)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			clear(o.Plain)
		}
	}()
	name, _ := o.Private["file_name"].(string)
	media, _ := o.Private["media_type"].(string)
	nonce, _ := o.Private[envelope.NonceField].(string)
	entries, err := layout.Entries(layout.Bundle{
		Manifest: layout.Manifest{
			Document: r.ID, Collection: r.Collection, Kind: r.Kind, Depositor: r.Depositor,
			DepositedAt: x.DepositedAt, Generation: x.Generation, CipherSHA256: r.CipherSHA256,
			PlainSHA256: o.PlainSHA256, PlainSize: int64(len(o.Plain)),
			PlainNonce: nonce, FileName: name, MediaType: media,
			Public: compact(x.Public), Consent: compact(x.Consent),
			ExportedBy: e.ExportedBy, ExportedAt: e.ExportedAt.UTC(),
		},
		Content: NewSlice(o.Plain), Cipher: NewSlice(e.Content), DocKey: key.String(),
		Events: events, Proofs: c.Proofs, Checkpoint: []byte(c.Checkpoint), Verifier: c.Verifier,
		Deposit: layout.Deposit{Manifest: []byte(r.Manifest), Signature: []byte(r.ManifestSig),
			SigningKey: e.SigningKey, PublicSigned: r.PublicSigned},
	})
	if err != nil {
		return nil, err
	}
	parts, err := writeZip(entries)
	if err != nil {
		return nil, err
	}
	ok = true
	return &Exported{Parts: parts}, nil
}

// Exported is a court bundle made by ExportBundle: joined in order, its
// parts are the zip.
type Exported struct {
	Parts [][]byte
}

// Clear overwrites the bundle (it holds the plaintext and the document
// key) once the page has its copy.
func (x *Exported) Clear() {
	for _, p := range x.Parts {
		clear(p)
	}
}

// checkCustody checks a custody trail, c with its events, as bundle.Verify
// will: its checkpoint is signed by verifier, each event is about doc and
// is in the checkpoint's tree (layout.CheckCustody), and the last deposit
// or rekey records cipherSHA256.
func checkCustody(c custody, events [][]byte, verifier, doc, cipherSHA256 string) error {
	if c.Verifier != verifier {
		return fmt.Errorf("the custody trail names verifier key %s, not the one this browser pinned", c.Verifier)
	}
	cp, err := auditlog.OpenCheckpoint([]byte(c.Checkpoint), verifier)
	if err != nil {
		return fmt.Errorf("custody checkpoint: %w", err)
	}
	trail, err := layout.CheckCustody(cp, doc, events, c.Proofs, nil)
	if err != nil {
		return err
	}
	if trail.CipherSHA256 != cipherSHA256 {
		return fmt.Errorf("the signed log records ciphertext %q for this document, the record says %q", trail.CipherSHA256, cipherSHA256)
	}
	return nil
}

// compact is b without insignificant spaces, or null when b is empty.
func compact(b json.RawMessage) json.RawMessage {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return json.RawMessage("null")
	}
	return out.Bytes()
}
