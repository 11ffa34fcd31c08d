// Package bundle writes and verifies court bundles: a self-contained zip
// holding a document, its decrypted content, and the proof of its custody
// from the vault's audit log.
//
// A bundle holds:
//
//	manifest.json     document id, hashes, public metadata, consent, who exported it and when
//	content/NAME      the decrypted content
//	content.age       the ciphertext exactly as the vault stores it
//	document.key      the document's age identity: age -d -i document.key content.age
//	custody.jsonl     the audit events about the document, one per line (leaf data)
//	proofs.json       an RFC 6962 inclusion proof for each event
//	checkpoint        the signed checkpoint (C2SP tlog-checkpoint) the proofs lead to
//	verifier          the log's note verifier key
//	custody/SEQ.json  each custody event again, as its exact leaf data
//	custody/SEQ.json.spicy  its inclusion proof and the checkpoint in the
//	                  C2SP tlog-proof layout that torchwood's spicy reads
//	README.txt        how to check all of it by hand
//
// Verify checks, offline: the content hashes to the manifest's plaintext
// hash; the ciphertext hashes to the manifest's ciphertext hash, which the
// last deposit or rekey event in the signed log also records; the
// document key decrypts the ciphertext into the content; every custody
// event is about this document and is included in the signed checkpoint's
// tree; the checkpoint is signed by the verifier key. A bundle holds
// decrypted evidence: handle it as the evidence itself.
package bundle

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/bundle/layout"
	"github.com/amana-vault/amana/manifest"
	"github.com/amana-vault/amana/sshsig"
)

// File names inside a bundle (package layout lists them all).
const (
	FileManifest         = layout.FileManifest
	FileCipher           = layout.FileCipher
	FileKey              = layout.FileKey
	FileCustody          = layout.FileCustody
	FileProofs           = layout.FileProofs
	FileCheckpoint       = layout.FileCheckpoint
	FileVerifier         = layout.FileVerifier
	FileReadme           = layout.FileReadme
	FileDepositManifest  = layout.FileDepositManifest
	FileDepositSignature = layout.FileDepositSignature
	FileAllowedSigners   = layout.FileAllowedSigners
	FileDepositPublic    = layout.FileDepositPublic
	contentDir           = layout.ContentDir
	custodyDir           = layout.CustodyDir
	formatName           = layout.Format
)

// The bundle's parts, as package layout defines them.
type (
	Manifest = layout.Manifest
	Proof    = layout.Proof
	Bundle   = layout.Bundle
	Deposit  = layout.Deposit
)

// Write writes b as a zip to w, streaming content and ciphertext.
func Write(w io.Writer, b Bundle) error {
	entries, err := layout.Entries(b)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	zw := zip.NewWriter(w)
	for _, e := range entries {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: e.Modified})
		if err != nil {
			return fmt.Errorf("bundle: writing %s: %w", e.Name, err)
		}
		if _, err := io.Copy(f, e.R); err != nil {
			return fmt.Errorf("bundle: writing %s: %w", e.Name, err)
		}
	}
	return zw.Close()
}

// CustodyEventName is the name of custody event seq's own file in a
// bundle: custody/SEQ.json, SEQ in decimal.
func CustodyEventName(seq int64) string { return layout.CustodyEventName(seq) }

// Spicy returns the proof that the leaf at index seq is in the tree that
// checkpoint signs, in the C2SP tlog-proof layout that the spicy tool of
// filippo.io/torchwood reads from FILE.spicy (see layout.Spicy).
func Spicy(seq int64, proof tlog.RecordProof, checkpoint []byte) []byte {
	return layout.Spicy(seq, proof, checkpoint)
}

func safeName(n string) string { return layout.SafeName(n) }

// ParseSpicy reads what Spicy writes: the index, the inclusion proof and
// the checkpoint note (not yet verified).
func ParseSpicy(b []byte) (seq int64, proof tlog.RecordProof, checkpoint []byte, err error) {
	s, ok := strings.CutPrefix(string(b), "index ")
	if !ok {
		return 0, nil, nil, errors.New("does not begin with \"index \"")
	}
	line, s, ok := strings.Cut(s, "\n")
	if !ok {
		return 0, nil, nil, errors.New("no line after the index")
	}
	seq, err = strconv.ParseInt(line, 10, 64)
	if err != nil || seq < 0 || strconv.FormatInt(seq, 10) != line {
		return 0, nil, nil, fmt.Errorf("malformed index %q", line)
	}
	for {
		line, s, ok = strings.Cut(s, "\n")
		if !ok {
			return 0, nil, nil, errors.New("no blank line before the checkpoint")
		}
		if line == "" {
			break
		}
		if len(proof) == 64 {
			return 0, nil, nil, errors.New("more than 64 proof hashes")
		}
		h, err := tlog.ParseHash(line)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("malformed proof hash %q", line)
		}
		proof = append(proof, h)
	}
	return seq, proof, []byte(s), nil
}

// Report is what Verify established.
type Report struct {
	Manifest       Manifest
	Events         int
	CheckpointSize int64
	// Checkpoint is the signed checkpoint note the proofs lead to, with
	// any witness cosignatures (check them with auditlog.OpenCosigned).
	Checkpoint      []byte
	VerifierKey     string
	VerifierFromZip bool // no key was given: the bundle's own key was used
	// DepositorKey is the SHA256 fingerprint of the key that signed the
	// deposit, as deposit/allowed_signers gives it.
	DepositorKey string
}

// MaxEntry bounds what Verify reads of one small file in the zip.
const MaxEntry = 64 << 20

// Verify checks a bundle offline. verifier is the log's published key; if
// empty, the key inside the bundle is used and the report says so. Every
// failure names what failed.
func Verify(r io.ReaderAt, size int64, verifier string) (*Report, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("bundle: not a zip file: %w", err)
	}
	files := map[string]*zip.File{}
	var contentFile *zip.File
	for _, f := range zr.File {
		if _, dup := files[f.Name]; dup {
			return nil, fmt.Errorf("bundle: %s appears twice", f.Name)
		}
		files[f.Name] = f
		if strings.HasPrefix(f.Name, contentDir) && len(f.Name) > len(contentDir) {
			if contentFile != nil {
				return nil, errors.New("bundle: more than one content file")
			}
			contentFile = f
		}
	}
	small := func(name string) ([]byte, error) {
		f, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("bundle: %s is missing", name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("bundle: %s: %w", name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, MaxEntry+1))
		if err != nil {
			return nil, fmt.Errorf("bundle: %s: %w", name, err)
		}
		if len(b) > MaxEntry {
			return nil, fmt.Errorf("bundle: %s is too large", name)
		}
		return b, nil
	}
	rep := &Report{}
	mb, err := small(FileManifest)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(mb, &rep.Manifest); err != nil {
		return nil, fmt.Errorf("bundle: manifest.json: %w", err)
	}
	m := &rep.Manifest
	if m.Format != formatName {
		return rep, fmt.Errorf("bundle: unknown format %q", m.Format)
	}
	if contentFile == nil || contentFile.Name != contentDir+safeName(m.FileName) {
		return rep, errors.New("bundle: the content file is missing or not the one the manifest names")
	}

	// 1. Content and ciphertext hashes.
	plainSum, err := hashEntry(contentFile)
	if err != nil {
		return rep, err
	}
	if plainSum != m.PlainSHA256 {
		return rep, fmt.Errorf("bundle: content SHA-256 is %s, the manifest says %s", plainSum, m.PlainSHA256)
	}
	cf, ok := files[FileCipher]
	if !ok {
		return rep, errors.New("bundle: content.age is missing")
	}
	cipherSum, err := hashEntry(cf)
	if err != nil {
		return rep, err
	}
	if cipherSum != m.CipherSHA256 {
		return rep, fmt.Errorf("bundle: content.age SHA-256 is %s, the manifest says %s", cipherSum, m.CipherSHA256)
	}

	// 2. The document key turns the ciphertext into the content.
	kb, err := small(FileKey)
	if err != nil {
		return rep, err
	}
	ids, err := age.ParseIdentities(bytes.NewReader(kb))
	if err != nil {
		return rep, fmt.Errorf("bundle: document.key: %w", err)
	}
	crc, err := cf.Open()
	if err != nil {
		return rep, err
	}
	defer crc.Close()
	pr, err := age.Decrypt(crc, ids...)
	if err != nil {
		return rep, fmt.Errorf("bundle: document.key does not open content.age: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, pr); err != nil {
		return rep, fmt.Errorf("bundle: content.age does not decrypt: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.PlainSHA256 {
		return rep, fmt.Errorf("bundle: content.age decrypts to SHA-256 %s, not the content's %s", got, m.PlainSHA256)
	}

	// 3. The signed checkpoint.
	vb, err := small(FileVerifier)
	if err != nil {
		return rep, err
	}
	zipKey := strings.TrimSpace(string(vb))
	if verifier == "" {
		verifier, rep.VerifierFromZip = zipKey, true
	} else if verifier != zipKey {
		return rep, fmt.Errorf("bundle: it names verifier key %s, not the one given", zipKey)
	}
	rep.VerifierKey = verifier
	cpb, err := small(FileCheckpoint)
	if err != nil {
		return rep, err
	}
	cp, err := auditlog.OpenCheckpoint(cpb, verifier)
	if err != nil {
		return rep, fmt.Errorf("bundle: checkpoint: %w", err)
	}
	rep.CheckpointSize, rep.Checkpoint = cp.Size, cpb

	// 4. Every custody event is about this document and in the tree.
	eb, err := small(FileCustody)
	if err != nil {
		return rep, err
	}
	pb, err := small(FileProofs)
	if err != nil {
		return rep, err
	}
	var proofs []Proof
	if err := json.Unmarshal(pb, &proofs); err != nil {
		return rep, fmt.Errorf("bundle: proofs.json: %w", err)
	}
	var lines [][]byte
	if len(eb) > 0 {
		lines = bytes.Split(bytes.TrimSuffix(eb, []byte("\n")), []byte("\n"))
	}
	var spicyErr error // already says "bundle:"
	trail, err := layout.CheckCustody(cp, m.Document, lines, proofs, func(seq int64, raw []byte) error {
		spicyErr = checkSpicy(small, seq, raw, verifier)
		return spicyErr
	})
	if spicyErr != nil {
		return rep, spicyErr
	}
	if err != nil {
		return rep, fmt.Errorf("bundle: %w", err)
	}
	lastHash, depositManifest, seqs := trail.CipherSHA256, trail.DepositManifest, trail.Seqs
	rep.Events = len(lines)
	// custody/ holds exactly those events, each with its proof.
	for name := range files {
		if !strings.HasPrefix(name, custodyDir) {
			continue
		}
		seq, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(name, custodyDir), ".spicy"), ".json"), 10, 64)
		if err != nil || (name != CustodyEventName(seq) && name != CustodyEventName(seq)+".spicy") || !slices.Contains(seqs, seq) {
			return rep, fmt.Errorf("bundle: %s is not a custody event of custody.jsonl", name)
		}
	}
	if lastHash == "" {
		return rep, errors.New("bundle: the custody trail has no successful deposit")
	}
	if lastHash != m.CipherSHA256 {
		return rep, fmt.Errorf("bundle: the signed log records ciphertext %s, the bundle holds %s", lastHash, m.CipherSHA256)
	}

	// 5. The depositor's signed manifest: signature, fields, commitment, and
	// the same manifest in the log's deposit event.
	dm, err := verifyDeposit(small, m, plainSum)
	if err != nil {
		return rep, err
	}
	rep.DepositorKey = dm.key
	if depositManifest == "" {
		return rep, errors.New("bundle: the custody trail's deposit event records no signed manifest")
	}
	if depositManifest != string(dm.bytes) {
		return rep, errors.New("bundle: deposit/manifest.json is not the manifest the signed log recorded at deposit")
	}
	return rep, nil
}

// checkSpicy checks custody event seq's own files: custody/SEQ.json must
// hold exactly its leaf data, and custody/SEQ.json.spicy prove it in a
// checkpoint signed by verifier, as torchwood's spicy -verify checks it.
func checkSpicy(small func(string) ([]byte, error), seq int64, leaf []byte, verifier string) error {
	name := CustodyEventName(seq)
	b, err := small(name)
	if err != nil {
		return err
	}
	if !bytes.Equal(b, leaf) {
		return fmt.Errorf("bundle: %s is not the event's leaf data in custody.jsonl", name)
	}
	sp, err := small(name + ".spicy")
	if err != nil {
		return err
	}
	index, proof, note, err := ParseSpicy(sp)
	if err != nil {
		return fmt.Errorf("bundle: %s.spicy: %w", name, err)
	}
	if index != seq {
		return fmt.Errorf("bundle: %s.spicy is for index %d", name, index)
	}
	cp, err := auditlog.OpenCheckpoint(note, verifier)
	if err != nil {
		return fmt.Errorf("bundle: %s.spicy: %w", name, err)
	}
	if err := auditlog.CheckInclusion(cp, seq, b, proof); err != nil {
		return fmt.Errorf("bundle: %s.spicy: %w", name, err)
	}
	return nil
}

type verifiedDeposit struct {
	bytes []byte
	key   string // fingerprint of the depositor's signing key
}

// verifyDeposit checks the deposit/ files against the bundle's manifest m
// and the content's SHA-256.
func verifyDeposit(small func(string) ([]byte, error), m *Manifest, plainSum string) (*verifiedDeposit, error) {
	mb, err := small(FileDepositManifest)
	if err != nil {
		return nil, err
	}
	sig, err := small(FileDepositSignature)
	if err != nil {
		return nil, err
	}
	as, err := small(FileAllowedSigners)
	if err != nil {
		return nil, err
	}
	pubJSON, err := small(FileDepositPublic)
	if err != nil {
		return nil, err
	}
	key, err := allowedSigner(as, m.Depositor)
	if err != nil {
		return nil, err
	}
	dm, err := manifest.Verify(mb, sig, key)
	if err != nil {
		return nil, fmt.Errorf("bundle: deposit/manifest.json: %w", err)
	}
	var consent struct{ Scopes []string }
	if err := json.Unmarshal(m.Consent, &consent); err != nil {
		return nil, fmt.Errorf("bundle: manifest.json consent: %w", err)
	}
	scopes := slices.Compact(slices.Sorted(slices.Values(consent.Scopes)))
	if err := dm.Match(manifest.Expect{ID: m.Document, Collection: m.Collection, Kind: m.Kind, Depositor: m.Depositor,
		PublicSHA256: manifest.PublicSHA256(pubJSON), ConsentScopes: scopes}); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	sum, err := hex.DecodeString(plainSum)
	if err != nil || len(sum) != 32 {
		return nil, errors.New("bundle: content hash")
	}
	if err := dm.CheckPlaintext(m.PlainNonce, [32]byte(sum), m.PlainSize); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	pub, _ := sshsig.ParsePublicKey(key)
	return &verifiedDeposit{bytes: mb, key: sshsig.Fingerprint(pub)}, nil
}

// allowedSigner returns the key an allowed_signers file gives principal for
// the deposit namespace.
func allowedSigner(file []byte, principal string) (string, error) {
	for _, line := range strings.Split(string(file), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == principal && f[1] == `namespaces="`+manifest.Namespace+`"` {
			return f[2] + " " + f[3], nil
		}
	}
	return "", fmt.Errorf("bundle: deposit/allowed_signers names no key for %s in namespace %s", principal, manifest.Namespace)
}

func hashEntry(f *zip.File) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", fmt.Errorf("bundle: %s: %w", f.Name, err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", fmt.Errorf("bundle: %s: %w", f.Name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
