// Package layout is what a court bundle holds, file by file: the names,
// the manifest, the README and the proof files, without the zip that
// package bundle puts them in (see package bundle for the format).
package layout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/sshsig"
)

// File names inside a bundle.
const (
	FileManifest   = "manifest.json"
	FileCipher     = "content.age"
	FileKey        = "document.key"
	FileCustody    = "custody.jsonl"
	FileProofs     = "proofs.json"
	FileCheckpoint = "checkpoint"
	FileVerifier   = "verifier"
	FileReadme     = "README.txt"
	ContentDir     = "content/" // holds the one content file
	CustodyDir     = "custody/" // holds custody/SEQ.json and custody/SEQ.json.spicy

	// The deposit as its depositor signed it: the manifest (package
	// manifest), its armored SSH signature (namespace amana-deposit), an
	// OpenSSH allowed_signers file naming the depositor's key, and the
	// public metadata exactly as sent (the manifest holds its SHA-256).
	FileDepositManifest  = "deposit/manifest.json"
	FileDepositSignature = "deposit/manifest.json.sig"
	FileAllowedSigners   = "deposit/allowed_signers"
	FileDepositPublic    = "deposit/public.json"
)

// Manifest describes the bundled document.
type Manifest struct {
	Format       string    `json:"format"` // "amana-bundle/1"
	Document     string    `json:"document"`
	Collection   string    `json:"collection"`
	Kind         string    `json:"kind"`
	Depositor    string    `json:"depositor"`
	DepositedAt  time.Time `json:"deposited_at"`
	Generation   int       `json:"generation"`
	CipherSHA256 string    `json:"cipher_sha256"`
	PlainSHA256  string    `json:"plain_sha256"`
	PlainSize    int64     `json:"plain_size"`
	// PlainNonce opens the signed manifest's commitment to the plaintext.
	PlainNonce string          `json:"plain_nonce"`
	FileName   string          `json:"file_name"`
	MediaType  string          `json:"media_type,omitempty"`
	Public     json.RawMessage `json:"public"`
	Consent    json.RawMessage `json:"consent"`
	ExportedBy string          `json:"exported_by"`
	ExportedAt time.Time       `json:"exported_at"`
}

// Format is the bundle format this package lays out, in manifest.json.
const Format = "amana-bundle/1"

// Proof is the inclusion proof of one custody event.
type Proof struct {
	Seq   int64       `json:"seq"`
	Proof []tlog.Hash `json:"proof"`
}

// Bundle is what Write needs.
type Bundle struct {
	Manifest   Manifest
	Content    io.Reader // plaintext, streamed into the zip
	Cipher     io.Reader // ciphertext, streamed into the zip
	DocKey     string    // AGE-SECRET-KEY-…
	Events     [][]byte  // custody events, leaf data
	Proofs     []Proof
	Checkpoint []byte
	Verifier   string
	Deposit    Deposit
}

// Deposit is the deposit's signed identity.
type Deposit struct {
	Manifest     []byte // the manifest's exact bytes
	Signature    []byte // armored SSH signature
	SigningKey   string // the depositor's public signing key, authorized_keys format
	PublicSigned []byte // the public metadata as the depositor sent it
}

// Entry is one file of a bundle, in the order it is written.
type Entry struct {
	Name     string
	R        io.Reader
	Modified time.Time
}

// Entries lays b out as the files of a bundle, in order; the zip that
// holds them is the caller's (package bundle writes it, and so does the
// browser module, which cannot afford archive/zip's compressors). The
// content and ciphertext readers are returned as they are, to stream.
func Entries(b Bundle) ([]Entry, error) {
	if len(b.Events) != len(b.Proofs) {
		return nil, errors.New("one proof per custody event is needed")
	}
	b.Manifest.Format = Format
	pub, err := sshsig.ParsePublicKey(b.Deposit.SigningKey)
	if err != nil {
		return nil, fmt.Errorf("the depositor's signing key: %w", err)
	}
	if len(b.Deposit.Manifest) == 0 || len(b.Deposit.Signature) == 0 {
		return nil, errors.New("the deposit's signed manifest is needed")
	}
	name := SafeName(b.Manifest.FileName)
	b.Manifest.FileName = name
	manifest, err := json.MarshalIndent(b.Manifest, "", "  ")
	if err != nil {
		return nil, err
	}
	var custody bytes.Buffer
	for _, e := range b.Events {
		custody.Write(e)
		custody.WriteByte('\n')
	}
	proofs, err := json.MarshalIndent(b.Proofs, "", "  ")
	if err != nil {
		return nil, err
	}
	t := b.Manifest.ExportedAt
	out := []Entry{
		{FileReadme, strings.NewReader(readme(b.Manifest)), t},
		{FileManifest, bytes.NewReader(manifest), t},
		{ContentDir + name, b.Content, t},
		{FileCipher, b.Cipher, t},
		{FileKey, strings.NewReader(b.DocKey + "\n"), t},
		{FileCustody, &custody, t},
		{FileProofs, bytes.NewReader(proofs), t},
		{FileCheckpoint, bytes.NewReader(b.Checkpoint), t},
		{FileVerifier, strings.NewReader(b.Verifier + "\n"), t},
		{FileDepositManifest, bytes.NewReader(b.Deposit.Manifest), t},
		{FileDepositSignature, bytes.NewReader(b.Deposit.Signature), t},
		{FileAllowedSigners, bytes.NewReader(sshsig.AllowedSigners(b.Manifest.Depositor, pub)), t},
		{FileDepositPublic, bytes.NewReader(b.Deposit.PublicSigned), t},
	}
	for i, e := range b.Events {
		seq := b.Proofs[i].Seq
		name := CustodyEventName(seq)
		out = append(out, Entry{name, bytes.NewReader(e), t},
			Entry{name + ".spicy", bytes.NewReader(Spicy(seq, b.Proofs[i].Proof, b.Checkpoint)), t})
	}
	return out, nil
}

// CustodyEventName is the name of custody event seq's own file in a
// bundle: custody/SEQ.json, SEQ in decimal.
func CustodyEventName(seq int64) string {
	return fmt.Sprintf("%s%d.json", CustodyDir, seq)
}

// Spicy returns the proof that the leaf at index seq is in the tree that
// checkpoint signs, in the C2SP tlog-proof layout that the spicy tool of
// filippo.io/torchwood reads from FILE.spicy: "index SEQ", the inclusion
// proof's hashes (base64, one a line), a blank line, then the signed
// checkpoint note with all its signatures.
func Spicy(seq int64, proof tlog.RecordProof, checkpoint []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "index %d\n", seq)
	for _, h := range proof {
		fmt.Fprintf(&b, "%s\n", h)
	}
	b.WriteByte('\n')
	b.Write(checkpoint)
	return b.Bytes()
}

// SafeName keeps a file name usable inside the zip: no directories, no
// dot files, nothing empty.
func SafeName(n string) string {
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	n = strings.TrimLeft(n, ".")
	if n == "" || n == "/" {
		n = "document"
	}
	return n
}

func readme(m Manifest) string {
	return fmt.Sprintf(`Amana court bundle for document %s (exported %s by %s)

This bundle holds decrypted evidence. Handle it as the evidence itself.

Check it with Amana:      amana verify-bundle THIS.zip --verifier "<the log's published verifier key>"
Or check the custody trail with spicy (filippo.io/torchwood/cmd/spicy):
  spicy -verify "<the log's published verifier key>" custody/*.json
  (each custody/SEQ.json is one line of custody.jsonl, exactly; custody/SEQ.json.spicy
  proves it is event SEQ of the log the checkpoint, with its witnesses' cosignatures, signs)
Or by hand, with the stock age tool and any SHA-256 tool:
  1. sha256sum content/%s   must equal plain_sha256 in manifest.json
  2. sha256sum content.age  must equal cipher_sha256 in manifest.json, and the
     cipher_sha256 of the last document.deposit or document.rekey event in custody.jsonl
  3. age -d -i document.key content.age | cmp - content/%s
  4. Each line of custody.jsonl is an audit event (RFC 6962 leaf data); proofs.json
     proves each is in the tree whose root the signed note in "checkpoint" states;
     "verifier" is the key that signed it: compare it with the key published by the
     vault's custodians.
  5. The depositor's signature of the deposit, with OpenSSH alone:
       ssh-keygen -Y verify -f deposit/allowed_signers -I %s -n amana-deposit \
           -s deposit/manifest.json.sig < deposit/manifest.json
     must print "Good ... signature"; compare the key in deposit/allowed_signers with
     the one the vault's audit log binds to %s.
  6. The content is what was deposited: with N the plain_nonce and S the plain_sha256
     of manifest.json, and SIZE the content's size in bytes,
       printf 'amana-plaintext/1 %%s %%s %%d\n' N S SIZE | sha256sum
     must equal plain_commitment in deposit/manifest.json; sha256sum
     deposit/public.json must equal its public_sha256.
`, m.Document, m.ExportedAt.Format(time.RFC3339), m.ExportedBy, m.FileName, m.FileName, m.Depositor, m.Depositor)
}
