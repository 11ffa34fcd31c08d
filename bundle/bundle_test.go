package bundle_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/amana-vault/amana/bundle"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/manifest"
	"github.com/amana-vault/amana/sshsig"
	"github.com/amana-vault/amana/vault"
)

// madeBundle is a real court bundle and what it must state.
type madeBundle struct {
	zip                   []byte
	vkey                  string
	doc, cipherSum, plain string
	signingKey            string // the depositor's, authorized_keys form
	made                  func(content []byte, nonce string) []byte
}

// makeBundle deposits a document with its signed manifest in a real vault,
// reads it back as its depositor and writes the court bundle. made writes
// the same bundle with other content (a keeper's forgery: new content, its
// hashes, a nonce of the forger's choosing).
func makeBundle(t testing.TB) madeBundle {
	t.Helper()
	now := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	opts := vault.Options{ScryptWorkFactor: 10, Now: func() time.Time { return now }}
	admin, _ := age.GenerateX25519Identity()
	res, _ := age.GenerateHybridIdentity()
	signPEM, signKey, err := sshsig.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sshsig.ParseSigningKey(signPEM)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := vault.Create(t.TempDir(), "pass", vault.NewUser{ID: "admin", Recipient: admin.Recipient().String()}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ac := vault.Caller{User: "admin"}
	if _, _, err := v.AddUser(ac, vault.NewUser{ID: "r.one", Role: vault.RoleResearcher, Recipient: res.Recipient().String(), SigningKey: signKey}); err != nil {
		t.Fatal(err)
	}
	v.CreateCollection(ac, vault.Collection{ID: "c1", Members: []string{"r.one"}})
	rc := vault.Caller{User: "r.one"}

	content := []byte("fictional statement for the court bundle test\n")
	recips, _ := v.CollectionRecipients(rc, "c1")
	rs, err := envelope.ParseRecipients(recips)
	if err != nil {
		t.Fatal(err)
	}
	dep, err := envelope.NewDeposit(rs)
	if err != nil {
		t.Fatal(err)
	}
	public := []byte(`{"title":"Statement","language":"en"}`)
	const docID = "bundletestdocumentaaaaaaaa"
	up, err := v.BeginDeposit(rc, vault.DepositRequest{ID: docID, Collection: "c1", Kind: "testimony",
		Public:       vault.PublicMeta{Title: "Statement", Language: "en"},
		PublicSigned: public,
		Consent:      vault.Consent{Scopes: []string{"legal_proceedings", "research"}, RecordedAt: "2025-01-01", RecordedBy: "r.one"},
		Slots:        dep.Slots})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := dep.Seal(up, bytes.NewReader(content), map[string]any{"file_name": "statement.txt"})
	if err != nil {
		t.Fatal(err)
	}
	m := &manifest.Manifest{Format: manifest.Format, ID: docID, Collection: "c1", Kind: "testimony", Depositor: "r.one",
		DepositedAt: manifest.FormatTime(now), CipherSHA256: hex.EncodeToString(sealed.CipherSHA256[:]),
		PlainCommitment: sealed.Commitment, PublicSHA256: manifest.PublicSHA256(public), ConsentScopes: []string{"legal_proceedings", "research"}}
	sig, err := manifest.Sign(m, signer)
	if err != nil {
		t.Fatal(err)
	}
	up.SetManifest(m.Bytes(), sig)
	doc, err := up.Commit(sealed.CipherSHA256, sealed.Private)
	if err != nil {
		t.Fatal(err)
	}
	private, err := envelope.OpenPrivateMeta(dep.Key, sealed.Private)
	if err != nil {
		t.Fatal(err)
	}
	nonce := private[envelope.NonceField].(string)
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
	write := func(content, cipher []byte, nonce string) []byte {
		sum := sha256.Sum256(content)
		var buf bytes.Buffer
		err := bundle.Write(&buf, bundle.Bundle{
			Manifest: bundle.Manifest{Document: doc.ID, Collection: doc.Collection, Kind: doc.Kind, Depositor: doc.Depositor,
				DepositedAt: doc.DepositedAt, CipherSHA256: hex.EncodeToString(sha256Of(cipher)), PlainSHA256: hex.EncodeToString(sum[:]),
				PlainSize: int64(len(content)), PlainNonce: nonce, FileName: "../../statement.txt", Public: pub, Consent: con, ExportedBy: "r.one", ExportedAt: now},
			Content: bytes.NewReader(content), Cipher: bytes.NewReader(cipher), DocKey: dep.Key.String(),
			Events: trail.Events, Proofs: proofs, Checkpoint: trail.Checkpoint, Verifier: trail.Verifier,
			Deposit: bundle.Deposit{Manifest: []byte(doc.Manifest), Signature: []byte(doc.ManifestSig), SigningKey: signKey, PublicSigned: doc.PublicSigned},
		})
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	return madeBundle{zip: write(content, cipher, nonce), vkey: v.VerifierKey(), doc: doc.ID, cipherSum: doc.CipherSHA256,
		plain: hex.EncodeToString(sealed.PlainSHA256[:]), signingKey: signKey,
		made: func(other []byte, nonce string) []byte {
			var ct bytes.Buffer
			if _, err := envelope.Encrypt(&ct, bytes.NewReader(other), dep.Key); err != nil {
				t.Fatal(err)
			}
			return write(other, ct.Bytes(), nonce)
		}}
}

func sha256Of(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

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
		{"signature changed", bundle.FileDepositSignature, func(b []byte) []byte {
			return bytes.Replace(b, []byte("U1NIU0lH"), []byte("U1NIU0lI"), 1)
		}, vkey, "signature"},
		{"other signer", bundle.FileAllowedSigners, func([]byte) []byte {
			_, k, _ := sshsig.GenerateSigningKey()
			return []byte(`r.one namespaces="amana-deposit" ` + k + "\n")
		}, vkey, "signature"},
		{"public metadata changed", bundle.FileDepositPublic, func(b []byte) []byte {
			return bytes.Replace(b, []byte("Statement"), []byte("Statemenu"), 1)
		}, vkey, "public_sha256"},
		{"signed manifest missing", bundle.FileDepositManifest, func([]byte) []byte { return nil }, vkey, "missing"},
		{"nonce changed", bundle.FileManifest, func(b []byte) []byte {
			var m map[string]any
			json.Unmarshal(b, &m)
			m["plain_nonce"] = strings.Repeat("0", 64)
			out, _ := json.Marshal(m)
			return out
		}, vkey, "not what"},
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

// A keeper holding the document key re-encrypts other content and builds a
// consistent bundle around it (hashes, document key, a nonce of its
// choosing): the depositor's signed commitment gives it away. (The log's
// deposit event records the first ciphertext, so a forged bundle must also
// pass off the ciphertext of a later rekey; the commitment fails first.)
func TestBundleForgedContent(t *testing.T) {
	m := makeBundle(t)
	forged := m.made([]byte("a different statement\n"), strings.Repeat("0", 64))
	if _, err := verify(forged, m.vkey); err == nil || !strings.Contains(err.Error(), "ciphertext") && !strings.Contains(err.Error(), "not what") {
		t.Fatalf("forged content: %v", err)
	}
}

// The deposit's signature checks with OpenSSH alone, as the bundle's README
// says, and fails once one byte of the manifest changes.
func TestBundleSignatureWithSSHKeygen(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Fatal("ssh-keygen (OpenSSH) is needed: apt-get install openssh-client")
	}
	m := makeBundle(t)
	dir := t.TempDir()
	zr, err := zip.NewReader(bytes.NewReader(m.zip), int64(len(m.zip)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	for _, name := range []string{bundle.FileDepositManifest, bundle.FileDepositSignature, bundle.FileAllowedSigners, bundle.FileDepositPublic} {
		if len(files[name]) == 0 {
			t.Fatalf("%s missing from the bundle", name)
		}
		os.MkdirAll(filepath.Join(dir, "deposit"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(string(files[bundle.FileReadme]), "ssh-keygen -Y verify -f deposit/allowed_signers -I r.one -n amana-deposit") {
		t.Error("the bundle's README does not show the ssh-keygen command")
	}
	check := func(manifestBytes []byte) (string, error) {
		cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", "deposit/allowed_signers", "-I", "r.one", "-n", "amana-deposit", "-s", "deposit/manifest.json.sig")
		cmd.Dir = dir
		cmd.Stdin = bytes.NewReader(manifestBytes)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := check(files[bundle.FileDepositManifest]); err != nil || !strings.Contains(out, "Good") {
		t.Fatalf("ssh-keygen -Y verify: %v\n%s", err, out)
	}
	changed := bytes.Clone(files[bundle.FileDepositManifest])
	changed[len(changed)/2] ^= 1
	if out, err := check(changed); err == nil {
		t.Fatalf("ssh-keygen accepted a changed manifest:\n%s", out)
	}
	if _, err := verify(rewrite(t, m.zip, bundle.FileDepositManifest, func([]byte) []byte { return changed }), m.vkey); err == nil {
		t.Fatal("verify-bundle accepted a changed manifest")
	}
}

// custodyFiles returns the names of the bundle's custody/SEQ.json files.
func custodyFiles(t *testing.T, zb []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "custody/") && strings.HasSuffix(f.Name, ".json") {
			out = append(out, f.Name)
		}
	}
	return out
}

func TestBundleSpicyTampering(t *testing.T) {
	m := makeBundle(t)
	names := custodyFiles(t, m.zip)
	if len(names) < 2 {
		t.Fatalf("custody files %v", names)
	}
	first := names[0]
	tests := []struct {
		name, file string
		edit       func([]byte) []byte
		want       string
	}{
		{"event file changed", first, func(b []byte) []byte { return append(bytes.Clone(b), '\n') }, "not the event's leaf data"},
		{"event file missing", first, func([]byte) []byte { return nil }, "missing"},
		{"proof missing", first + ".spicy", func([]byte) []byte { return nil }, "missing"},
		{"proof hash changed", first + ".spicy", func(b []byte) []byte {
			lines := strings.Split(string(b), "\n")
			h := []byte(lines[1])
			h[0] ^= 1
			lines[1] = string(h)
			return []byte(strings.Join(lines, "\n"))
		}, ".spicy"},
		{"other index", first + ".spicy", func(b []byte) []byte {
			_, rest, _ := bytes.Cut(b, []byte("\n"))
			return append([]byte("index 999999\n"), rest...)
		}, "index 999999"},
		{"checkpoint forged", first + ".spicy", func(b []byte) []byte {
			b = bytes.Clone(b)
			b[len(b)-10] ^= 1
			return b
		}, "checkpoint"},
		{"no blank line", first + ".spicy", func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n\n"), []byte("\n")) }, ".spicy"},
		{"malformed index", first + ".spicy", func(b []byte) []byte { return append([]byte("index 01"), b[bytes.IndexByte(b, '\n'):]...) }, "malformed index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verify(rewrite(t, m.zip, tt.file, tt.edit), m.vkey)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one about %q", err, tt.want)
			}
		})
	}
	// A custody file for an event that is not in custody.jsonl.
	extra := rewrite(t, m.zip, first, func(b []byte) []byte { return b })
	zr, _ := zip.NewReader(bytes.NewReader(extra), int64(len(extra)))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, _ := zw.Create(f.Name)
		rc, _ := f.Open()
		io.Copy(w, rc)
		rc.Close()
	}
	w, _ := zw.Create("custody/999999.json")
	w.Write([]byte(`{"seq":999999}`))
	zw.Close()
	if _, err := verify(buf.Bytes(), m.vkey); err == nil || !strings.Contains(err.Error(), "custody/999999.json") {
		t.Fatalf("an extra custody file: %v", err)
	}
}

// TestBundleWithSpicy checks a bundle's custody trail with the spicy tool
// of filippo.io/torchwood, which knows nothing of Amana.
func TestBundleWithSpicy(t *testing.T) {
	spicy := amanatest.Tool(t, "spicy")
	m := makeBundle(t)
	dir := t.TempDir()
	unzip(t, m.zip, dir)
	run := func(key string) (string, error) {
		names, _ := filepath.Glob(filepath.Join(dir, "custody", "*.json"))
		if len(names) < 2 {
			t.Fatalf("custody files %v", names)
		}
		out, err := exec.Command(spicy, append([]string{"-verify", key}, names...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := run(m.vkey); err != nil || !strings.Contains(out, "verified") {
		t.Fatalf("spicy -verify: %v\n%s", err, out)
	}
	if out, err := run("amana.local/vault+00000000+AQTCnn2Iin34SPIapJfKrfbNd2wjYMrVuL08xb5q1vo7"); err == nil {
		t.Fatalf("spicy verified with another key:\n%s", out)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "custody", "*.json"))
	b, _ := os.ReadFile(names[0])
	os.WriteFile(names[0], bytes.Replace(b, []byte(`"outcome":"ok"`), []byte(`"outcome":"ko"`), 1), 0o644)
	if out, err := run(m.vkey); err == nil {
		t.Fatalf("spicy verified a changed event:\n%s", out)
	}
}

func unzip(t *testing.T, zb []byte, dir string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
