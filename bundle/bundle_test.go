package bundle_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/amana-vault/amana/bundle"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/vault"
)

// madeBundle is a real court bundle and what it must state.
type madeBundle struct {
	zip                   []byte
	vkey                  string
	doc, cipherSum, plain string
}

// makeBundle deposits a document in a real vault, reads it back as its
// depositor and writes the court bundle.
func makeBundle(t testing.TB) madeBundle {
	t.Helper()
	now := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	opts := vault.Options{ScryptWorkFactor: 10, Now: func() time.Time { return now }}
	admin, _ := age.GenerateX25519Identity()
	res, _ := age.GenerateHybridIdentity()
	v, _, err := vault.Create(t.TempDir(), "pass", vault.NewUser{ID: "admin", Recipient: admin.Recipient().String()}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ac := vault.Caller{User: "admin"}
	v.AddUser(ac, vault.NewUser{ID: "r.one", Role: vault.RoleResearcher, Recipient: res.Recipient().String()})
	v.CreateCollection(ac, vault.Collection{ID: "c1", Members: []string{"r.one"}})
	rc := vault.Caller{User: "r.one"}

	content := []byte("fictional statement for the court bundle test\n")
	key, _ := envelope.NewDocKey()
	recips, _ := v.CollectionRecipients(rc, "c1")
	slots := map[string][]byte{}
	for id, s := range recips {
		r, _ := recipient.Parse(s)
		slots[id], _ = envelope.Wrap(key, r)
	}
	up, err := v.BeginDeposit(rc, vault.DepositRequest{Collection: "c1", Kind: "testimony",
		Public:  vault.PublicMeta{Title: "Statement", Language: "en"},
		Consent: vault.Consent{Scopes: []string{"legal_proceedings"}, RecordedAt: "2025-01-01", RecordedBy: "r.one"},
		Slots:   slots})
	if err != nil {
		t.Fatal(err)
	}
	d, err := envelope.Encrypt(up, bytes.NewReader(content), key)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := up.Commit(d.CipherSHA256, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.OpenContent(rc, doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	cipher, _ := io.ReadAll(c)
	trail, err := v.CustodyTrail(rc, doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	proofs := make([]bundle.Proof, len(trail.Seqs))
	for i := range proofs {
		proofs[i] = bundle.Proof{Seq: trail.Seqs[i], Proof: trail.Proofs[i]}
	}
	pub, _ := json.Marshal(doc.Public)
	con, _ := json.Marshal(doc.Consent)
	var buf bytes.Buffer
	err = bundle.Write(&buf, bundle.Bundle{
		Manifest: bundle.Manifest{Document: doc.ID, Collection: doc.Collection, Kind: doc.Kind, Depositor: doc.Depositor,
			DepositedAt: doc.DepositedAt, CipherSHA256: doc.CipherSHA256, PlainSHA256: hex.EncodeToString(d.PlainSHA256[:]),
			PlainSize: d.PlainSize, FileName: "../../statement.txt", Public: pub, Consent: con, ExportedBy: "r.one", ExportedAt: now},
		Content: bytes.NewReader(content), Cipher: bytes.NewReader(cipher), DocKey: key.String(),
		Events: trail.Events, Proofs: proofs, Checkpoint: trail.Checkpoint, Verifier: trail.Verifier,
	})
	if err != nil {
		t.Fatal(err)
	}
	return madeBundle{zip: buf.Bytes(), vkey: v.VerifierKey(), doc: doc.ID, cipherSum: doc.CipherSHA256,
		plain: hex.EncodeToString(d.PlainSHA256[:])}
}

// rewrite returns the bundle with one file's content changed by edit.
func rewrite(t *testing.T, zb []byte, name string, edit func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == name {
			found = true
			b = edit(b)
			if b == nil {
				continue // delete
			}
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	zw.Close()
	if !found {
		t.Fatalf("no %s in bundle", name)
	}
	return out.Bytes()
}

func verify(b []byte, key string) (*bundle.Report, error) {
	return bundle.Verify(bytes.NewReader(b), int64(len(b)), key)
}

func TestBundleVerifies(t *testing.T) {
	m := makeBundle(t)
	zb, vkey := m.zip, m.vkey
	rep, err := verify(zb, vkey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events < 2 || rep.VerifierFromZip || rep.Manifest.FileName != "statement.txt" {
		t.Fatalf("report %+v", rep)
	}
	if rep, err := verify(zb, ""); err != nil || !rep.VerifierFromZip {
		t.Fatalf("without a key: %+v %v", rep, err)
	}
}

func TestBundleTampering(t *testing.T) {
	m := makeBundle(t)
	zb, vkey := m.zip, m.vkey
	flip := func(b []byte) []byte { b = bytes.Clone(b); b[len(b)/2] ^= 1; return b }
	other, _ := age.GenerateX25519Identity()
	otherVerifier := "amana.local/vault+00000000+AQTCnn2Iin34SPIapJfKrfbNd2wjYMrVuL08xb5q1vo7"
	tests := []struct {
		name, file string
		edit       func([]byte) []byte
		key        string
		want       string
	}{
		{"content changed", "content/statement.txt", flip, vkey, "content SHA-256"},
		{"ciphertext changed", bundle.FileCipher, flip, vkey, "content.age SHA-256"},
		{"manifest hash changed", bundle.FileManifest, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"plain_sha256": "`), []byte(`"plain_sha256": "0`), 1)
		}, vkey, "content SHA-256"},
		{"wrong document key", bundle.FileKey, func([]byte) []byte { return []byte(other.String() + "\n") }, vkey, "does not open"},
		{"event edited", bundle.FileCustody, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"outcome":"ok"`), []byte(`"outcome":"ko"`), 1)
		}, vkey, "not in the signed log"},
		{"event removed", bundle.FileCustody, func(b []byte) []byte {
			_, rest, _ := bytes.Cut(b, []byte("\n"))
			return rest
		}, vkey, "proofs"},
		{"proof changed", bundle.FileProofs, func(b []byte) []byte {
			var p []bundle.Proof
			json.Unmarshal(b, &p)
			p[0].Proof[0][0] ^= 1
			out, _ := json.Marshal(p)
			return out
		}, vkey, "not in the signed log"},
		{"checkpoint forged", bundle.FileCheckpoint, flip, vkey, "checkpoint"},
		{"other verifier", bundle.FileVerifier, func([]byte) []byte { return []byte(otherVerifier + "\n") }, vkey, "names verifier key"},
		{"given another key", "", nil, otherVerifier, "names verifier key"},
		{"missing checkpoint", bundle.FileCheckpoint, func([]byte) []byte { return nil }, vkey, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := zb
			if tt.file != "" {
				b = rewrite(t, zb, tt.file, tt.edit)
			}
			_, err := verify(b, tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one about %q", err, tt.want)
			}
		})
	}
	if _, err := verify([]byte("not a zip"), vkey); err == nil {
		t.Fatal("garbage verified")
	}
}

var _ = sha256.Sum256
