package envelope_test

// The document protocol's vectors: one JSON file per case in
// testdata/vectors, read by this test natively and under GOOS=js
// GOARCH=wasm (the package's other tests need exec, plugins and the stock
// age tool and are built with !js), and by the web interface's browser test
// through the WebAssembly module. docs/document-protocol.md describes the
// fields. Regenerate with
//
//	go test -run TestVectors ./envelope/ -update-vectors
//
// which writes new random keys: review the diff, and keep every case's
// expectation.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/manifest"
)

var updateVectors = flag.Bool("update-vectors", false, "regenerate testdata/vectors")

// A vector is one case of the document protocol: what a reader holds
// (identity), what the server hands it (slot, private, content and the
// deposit record's cipher_sha256) and what opening must give.
type vector struct {
	Comment      string `json:"comment"`
	Identity     string `json:"identity"`      // the reader's age identity file
	Slot         []byte `json:"slot"`          // base64: the reader's key slot
	Private      []byte `json:"private"`       // base64: sealed private metadata (may be empty)
	Content      []byte `json:"content"`       // base64: the ciphertext, an age file
	CipherSHA256 string `json:"cipher_sha256"` // hex, as the deposit record holds it
	// Manifest, if present, is the deposit's signed manifest (its bytes; the
	// signature is checked elsewhere): the plaintext must match its
	// commitment.
	Manifest string `json:"manifest,omitempty"`
	// Expect is "ok" or the error code envelope.ErrorCode gives.
	Expect string `json:"expect"`
	// For "ok": the plaintext (base64) and the private metadata.
	Plaintext   []byte         `json:"plaintext,omitempty"`
	PrivateMeta map[string]any `json:"private_meta,omitempty"`
}

const vectorDir = "testdata/vectors"

func TestVectors(t *testing.T) {
	if *updateVectors {
		writeVectors(t)
	}
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("want the protocol's vectors in %s, found %d (%v)", vectorDir, len(files), err)
	}
	codes := map[string]int{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var v vector
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			codes[v.Expect]++
			var out bytes.Buffer
			o, err := openVector(&out, &v)
			if got := envelope.ErrorCode(err); got != v.Expect {
				t.Fatalf("%s: got %q (%v), want %q", v.Comment, got, err, v.Expect)
			}
			if v.Expect != "ok" {
				return
			}
			if !bytes.Equal(out.Bytes(), v.Plaintext) {
				t.Fatal("plaintext differs from the vector's")
			}
			if got, want := normalise(t, o.Private), normalise(t, v.PrivateMeta); !reflect.DeepEqual(got, want) {
				t.Fatalf("private metadata %v, want %v", got, want)
			}
			resealed(t, &v)
		})
	}
	for _, c := range []string{"ok", "wrong_identity", "malformed", "integrity"} {
		if codes[c] == 0 {
			t.Errorf("no vector expects %q", c)
		}
	}
}

// openVector is what every reader does: open the slot, then Open.
func openVector(out *bytes.Buffer, v *vector) (*envelope.Opened, error) {
	ids, err := envelope.ParseIdentities(strings.NewReader(v.Identity), nil)
	if err != nil {
		return nil, err
	}
	k, err := envelope.OpenSlot(v.Slot, ids...)
	if err != nil {
		return nil, err
	}
	var m *manifest.Manifest
	if v.Manifest != "" {
		if m, err = manifest.Parse([]byte(v.Manifest)); err != nil {
			return nil, err
		}
	}
	return envelope.Open(out, bytes.NewReader(v.Content), k, v.Private, v.CipherSHA256, m)
}

// resealed seals an ok vector's plaintext and private metadata again to the
// vector's identity and checks that it opens to the same.
func resealed(t *testing.T, v *vector) {
	t.Helper()
	ids, err := envelope.ParseIdentities(strings.NewReader(v.Identity), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := recipientOf(t, ids[0])
	d, err := envelope.NewDeposit(map[string]age.Recipient{"reader": r})
	if err != nil {
		t.Fatal(err)
	}
	private := map[string]any{}
	for k, val := range v.PrivateMeta {
		if k != envelope.PlainSHA256Field && k != envelope.PlainSizeField && k != envelope.NonceField {
			private[k] = val
		}
	}
	var ct bytes.Buffer
	s, err := d.Seal(&ct, bytes.NewReader(v.Plaintext), private)
	if err != nil {
		t.Fatal(err)
	}
	again := vector{Identity: v.Identity, Slot: d.Slots["reader"], Private: s.Private, Content: ct.Bytes(),
		CipherSHA256: hex.EncodeToString(s.CipherSHA256[:])}
	var out bytes.Buffer
	o, err := openVector(&out, &again)
	if err != nil {
		t.Fatalf("resealed vector does not open: %v", err)
	}
	if o.Private[envelope.NonceField] == v.PrivateMeta[envelope.NonceField] {
		t.Fatal("sealing again reused the commitment nonce")
	}
	delete(o.Private, envelope.NonceField)
	want := maps.Clone(v.PrivateMeta)
	delete(want, envelope.NonceField)
	if !bytes.Equal(out.Bytes(), v.Plaintext) || !reflect.DeepEqual(normalise(t, o.Private), normalise(t, want)) {
		t.Fatal("resealed vector opens to something else")
	}
}

func recipientOf(t *testing.T, id age.Identity) age.Recipient {
	switch id := id.(type) {
	case *age.X25519Identity:
		return id.Recipient()
	case *age.HybridIdentity:
		return id.Recipient()
	}
	t.Fatalf("vector identity of type %T", id)
	return nil
}

// normalise compares JSON values whatever their Go number types.
func normalise(t *testing.T, m map[string]any) any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// writeVectors generates testdata/vectors. The plaintexts are fictional.
func writeVectors(t *testing.T) {
	reader, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	pqReader, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	type made struct {
		key        *envelope.DocKey
		slot       []byte
		private    []byte
		content    []byte
		sum        string
		commitment string
	}
	seal := func(id age.Identity, r age.Recipient, plain []byte, private map[string]any) made {
		d, err := envelope.NewDeposit(map[string]age.Recipient{"reader": r})
		if err != nil {
			t.Fatal(err)
		}
		var ct bytes.Buffer
		s, err := d.Seal(&ct, bytes.NewReader(plain), private)
		if err != nil {
			t.Fatal(err)
		}
		return made{d.Key, d.Slots["reader"], s.Private, ct.Bytes(), hex.EncodeToString(s.CipherSHA256[:]), s.Commitment}
	}
	sealPrivate := func(k *envelope.DocKey, json string) []byte {
		b, err := envelope.SealPrivate(k, []byte(json))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	encrypt := func(k *envelope.DocKey, plain []byte) ([]byte, string) {
		var ct bytes.Buffer
		dg, err := envelope.Encrypt(&ct, bytes.NewReader(plain), k)
		if err != nil {
			t.Fatal(err)
		}
		return ct.Bytes(), hex.EncodeToString(dg.CipherSHA256[:])
	}
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		return c
	}

	text := []byte("A fictional statement used as a test vector. It names nobody.\n")
	long := bytes.Repeat([]byte("Fictional interview notes, line for the test vector.\n"), 1400) // > one 64 KiB chunk
	private := map[string]any{"notes": "fictional", "file_name": "statement.txt"}
	id := reader.String() + "\n"
	base := seal(reader, reader.Recipient(), text, private)
	hexSum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

	forged, forgedSum := encrypt(base.key, []byte("A different statement put in place of the deposited one.\n"))
	vectors := map[string]vector{
		"ok-x25519-reader": {Comment: "an X25519 reader opens a post-quantum document key's slot", Identity: id,
			Slot: base.slot, Private: base.private, Content: base.content, CipherSHA256: base.sum, Expect: "ok", Plaintext: text},
		"ok-wrong-case-hash": {Comment: "the recorded hash is compared as bytes: upper-case hex is the same hash", Identity: id,
			Slot: base.slot, Private: base.private, Content: base.content, CipherSHA256: strings.ToUpper(base.sum), Expect: "ok", Plaintext: text},
		"wrong-identity": {Comment: "a slot for someone else", Identity: stranger.String() + "\n",
			Slot: base.slot, Private: base.private, Content: base.content, CipherSHA256: base.sum, Expect: "wrong_identity"},
		"slot-body-modified": {Comment: "one bit of the slot's payload flipped", Identity: id,
			Slot: flip(base.slot, len(base.slot)-3), Private: base.private, Content: base.content, CipherSHA256: base.sum, Expect: "malformed"},
		"slot-not-a-key": {Comment: "a slot whose plaintext is not a document key", Identity: id,
			Slot: wrapText(t, reader.Recipient(), "hello"), Private: base.private, Content: base.content, CipherSHA256: base.sum, Expect: "malformed"},
		"content-modified": {Comment: "one bit of the ciphertext's payload flipped, the recorded hash updated to match", Identity: id,
			Slot: base.slot, Private: base.private, Content: flip(base.content, len(base.content)-5), CipherSHA256: hexSum(flip(base.content, len(base.content)-5)), Expect: "malformed"},
		"content-truncated": {Comment: "the ciphertext cut before its last chunk ends", Identity: id,
			Slot: base.slot, Private: base.private, Content: base.content[:len(base.content)-20], CipherSHA256: hexSum(base.content[:len(base.content)-20]), Expect: "malformed"},
		"cipher-hash-differs": {Comment: "the deposit record's ciphertext hash is not the ciphertext's", Identity: id,
			Slot: base.slot, Private: base.private, Content: base.content, CipherSHA256: hexSum([]byte("other")), Expect: "integrity"},
		"cipher-hash-not-hex": {Comment: "the deposit record's ciphertext hash is not a SHA-256", Identity: id,
			Slot: base.slot, Private: base.private, Content: base.content, CipherSHA256: "not-a-hash", Expect: "integrity"},
		"plaintext-substituted": {Comment: "someone holding the document key encrypted other plaintext and updated the ciphertext hash; the sealed plaintext hash gives it away", Identity: id,
			Slot: base.slot, Private: base.private, Content: forged, CipherSHA256: forgedSum, Expect: "integrity"},
		"private-missing": {Comment: "no private metadata, so no plaintext hash to check", Identity: id,
			Slot: base.slot, Content: base.content, CipherSHA256: base.sum, Expect: "integrity"},
		"private-without-hash": {Comment: "private metadata that records no plaintext hash", Identity: id,
			Slot: base.slot, Private: sealPrivate(base.key, `{"notes":"fictional"}`), Content: base.content, CipherSHA256: base.sum, Expect: "integrity"},
		"private-size-differs": {Comment: "the sealed plaintext size differs from the plaintext's", Identity: id,
			Slot: base.slot, Private: sealPrivate(base.key, `{"plain_sha256":"`+hexSum(text)+`","plain_size":1}`), Content: base.content, CipherSHA256: base.sum, Expect: "integrity"},
		"private-not-object": {Comment: "private metadata that is not a JSON object", Identity: id,
			Slot: base.slot, Private: sealPrivate(base.key, `["plain_sha256"]`), Content: base.content, CipherSHA256: base.sum, Expect: "malformed"},
		"private-modified": {Comment: "one bit of the sealed private metadata flipped", Identity: id,
			Slot: base.slot, Private: flip(base.private, len(base.private)-2), Content: base.content, CipherSHA256: base.sum, Expect: "malformed"},
	}
	// The signed manifest of base's deposit, and what a keeper who holds the
	// document key could do: encrypt other plaintext under it and re-seal the
	// private metadata with that plaintext's hash, size and a nonce of its
	// choosing. Only the manifest's commitment gives it away.
	signed := (&manifest.Manifest{Format: manifest.Format, ID: "vectordocument00000000000", Collection: "kirkuk-2018", Kind: "testimony",
		Depositor: "r.hassan", DepositedAt: "2026-03-01T09:00:00Z", CipherSHA256: base.sum, PlainCommitment: base.commitment,
		PublicSHA256: manifest.PublicSHA256([]byte(`{"title":"A fictional statement","language":"en"}`)), ConsentScopes: []string{"research"}}).Bytes()
	vectors["ok-with-manifest"] = vector{Comment: "the plaintext matches the signed manifest's commitment", Identity: id,
		Slot: base.slot, Private: base.private, Content: base.content, CipherSHA256: base.sum, Manifest: string(signed), Expect: "ok", Plaintext: text}
	other := []byte("A different statement put in place of the deposited one.\n")
	otherSum := sha256.Sum256(other)
	resealed := sealPrivate(base.key, `{"notes":"fictional","file_name":"statement.txt","plain_sha256":"`+hex.EncodeToString(otherSum[:])+
		`","plain_size":`+fmt.Sprint(len(other))+`,"plain_nonce":"`+strings.Repeat("0", 64)+`"}`)
	vectors["plaintext-resealed"] = vector{Comment: "a key holder substituted the plaintext and re-sealed consistent private metadata; the signed manifest's commitment gives it away", Identity: id,
		Slot: base.slot, Private: resealed, Content: forged, CipherSHA256: forgedSum, Manifest: string(signed), Expect: "integrity"}
	vectors["plaintext-resealed-without-manifest"] = vector{Comment: "the same substitution passes the checks that do not use the manifest: readers must always check it", Identity: id,
		Slot: base.slot, Private: resealed, Content: forged, CipherSHA256: forgedSum, Expect: "ok", Plaintext: other}

	pq := seal(pqReader, pqReader.Recipient(), long, private)
	vectors["ok-pq-reader-two-chunks"] = vector{Comment: "a post-quantum reader, content over one 64 KiB chunk", Identity: pqReader.String() + "\n",
		Slot: pq.slot, Private: pq.private, Content: pq.content, CipherSHA256: pq.sum, Expect: "ok", Plaintext: long}
	empty := seal(reader, reader.Recipient(), nil, nil)
	vectors["ok-empty"] = vector{Comment: "an empty document with no private fields but the protocol's", Identity: id,
		Slot: empty.slot, Private: empty.private, Content: empty.content, CipherSHA256: empty.sum, Expect: "ok", Plaintext: []byte{}}

	if err := os.MkdirAll(vectorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	for _, f := range old {
		os.Remove(f)
	}
	for name, v := range vectors {
		if v.Expect == "ok" {
			var out bytes.Buffer
			o, err := openVector(&out, &v)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			v.PrivateMeta = o.Private
		}
		b, err := json.MarshalIndent(v, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(vectorDir, name+".json"), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// wrapText makes an age file to r holding s: a slot that holds no key.
func wrapText(t *testing.T, r age.Recipient, s string) []byte {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
