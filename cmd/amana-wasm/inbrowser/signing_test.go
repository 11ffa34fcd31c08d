package inbrowser

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/manifest"
	"github.com/amana-vault/amana/sshsig"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signingKey(t *testing.T, user string) *SigningKey {
	t.Helper()
	k, err := ParseSigningKey(readFile(t, filepath.Join("../../../keys-example", user+".sign")))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The browser's signatures are byte for byte those of ssh-keygen -Y sign
// (the sshsig vector) and of sshsig.Sign, the command line's.
func TestSignaturesAsOpenSSH(t *testing.T) {
	k, err := ParseSigningKey(readFile(t, "../../../sshsig/testdata/ed25519.key"))
	if err != nil {
		t.Fatal(err)
	}
	msg := readFile(t, "../../../sshsig/testdata/message.txt")
	if got, want := sshSignature(k.priv, k.pub, sshsig.DepositNamespace, msg), readFile(t, "../../../sshsig/testdata/ed25519.sig"); !bytes.Equal(got, want) {
		t.Errorf("signature differs from ssh-keygen's:\n%s\n%s", got, want)
	}
	if pub := strings.Fields(string(readFile(t, "../../../sshsig/testdata/ed25519.pub"))); k.PublicKey() != pub[0]+" "+pub[1] {
		t.Errorf("public key %q, want %q", k.PublicKey(), pub[:2])
	}

	m := &manifest.Manifest{Format: manifest.Format, ID: newDocID(), Collection: "kirkuk-2018", Kind: "testimony",
		DepositedAt: manifest.FormatTime(time.Now()), CipherSHA256: strings.Repeat("a", 64), PlainCommitment: strings.Repeat("b", 64),
		PublicSHA256: strings.Repeat("c", 64), ConsentScopes: []string{"legal_proceedings", "research"}}
	for _, u := range []string{"r.ahmed", "r.hassan", "l.custodian", "a.karim"} {
		m.Depositor = u
		file := readFile(t, filepath.Join("../../../keys-example", u+".sign"))
		ref, err := sshsig.ParseSigningKey(file)
		if err != nil {
			t.Fatal(err)
		}
		want, err := manifest.Sign(m, ref)
		if err != nil {
			t.Fatal(err)
		}
		k, err := ParseSigningKey(file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.SignManifest(m)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: the browser's manifest signature differs from manifest.Sign's (%v)", u, err)
		}
		if k.PublicKey() != sshsig.AuthorizedKey(ref.PublicKey()) || k.Fingerprint() != sshsig.Fingerprint(ref.PublicKey()) {
			t.Errorf("%s: public key %s (%s)", u, k.PublicKey(), k.Fingerprint())
		}
		k.Forget()
		if _, err := k.SignManifest(m); !errors.Is(err, ErrNoSigningKey) {
			t.Errorf("%s: a forgotten key signed: %v", u, err)
		}
	}
}

// ParseSigningKey accepts what sshsig.ParseSigningKey accepts, and says
// clearly why a security key or an encrypted file cannot sign here.
func TestParseSigningKeyRefuses(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	enc, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		file []byte
		code string
	}{
		{"security key", readFile(t, "../../../sshsig/testdata/sk.key"), "security_key"},
		{"passphrase", pem.EncodeToMemory(enc), "passphrase"},
		{"age identity", readFile(t, "../../../keys-example/r.ahmed.key"), "error"},
		{"public key", readFile(t, "../../../sshsig/testdata/ed25519.pub"), "error"},
		{"empty", nil, "error"},
		{"huge", bytes.Repeat([]byte("A"), sshsig.MaxKeySize+1), "error"},
	}
	for _, c := range cases {
		k, err := ParseSigningKey(c.file)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if _, ref := sshsig.ParseSigningKey(c.file); ref == nil {
			t.Errorf("%s: sshsig.ParseSigningKey accepts what the browser refuses", c.name)
		}
		if got := ErrorCode(err); got != c.code || k != nil {
			t.Errorf("%s: code %q, want %q (%v)", c.name, got, c.code, err)
		}
		if strings.Contains(err.Error(), "OPENSSH PRIVATE KEY-----\n") || strings.Contains(err.Error(), "AGE-SECRET") {
			t.Errorf("%s: the error quotes the file: %v", c.name, err)
		}
	}
	if _, err := ParseSigningKey(readFile(t, "../../../sshsig/testdata/sk.key")); !strings.Contains(err.Error(), "cannot sign in a browser") {
		t.Errorf("security key: %v", err)
	}
}

// A deposit sealed and signed in the browser verifies as readers check it
// (manifest.VerifyRecord, then the plaintext against the commitment), and
// opens in the browser from the record as the server gives it back.
func TestSealDepositSignsAndOpens(t *testing.T) {
	users := demoUsers(t)
	k := signingKey(t, "r.ahmed")
	plain := []byte("a testimony, sealed and signed in the browser\n")
	public := []byte(`{ "title": "Q&A <at> the camp", "language": "en", "tags": ["a\u2028b"] }`)
	req := DepositRequest{
		Recipients: map[string]string{"r.ahmed": users["r.ahmed"].Recipient, "l.custodian": users["l.custodian"].Recipient},
		Private:    map[string]any{"notes": "private"},
		Collection: "kirkuk-2018", Kind: "testimony", Depositor: "r.ahmed",
		ConsentScopes: []string{"research", "legal_proceedings", "research"},
		Public:        public,
	}
	d, err := k.SealDeposit(req, plain, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[a-z2-7]{26}$`).MatchString(d.ID) {
		t.Errorf("document id %q", d.ID)
	}
	if !slices.Equal(d.ConsentScopes, []string{"legal_proceedings", "research"}) {
		t.Errorf("consent scopes %v", d.ConsentScopes)
	}
	// The public metadata as sent is a fixed point of Go's encoding/json,
	// which the server stores and serves it with.
	if want := `{"title":"Q\u0026A \u003cat\u003e the camp","language":"en","tags":["a\u2028b"]}`; string(d.Public) != want {
		t.Errorf("public metadata sent as %s, want %s", d.Public, want)
	}
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		enc.Encode(struct {
			P json.RawMessage `json:"p"`
		}{d.Public})
		if !bytes.Contains(b.Bytes(), d.Public) {
			t.Errorf("encoding/json (escape HTML %v) changes the public metadata: %s", html, b.Bytes())
		}
	}
	rec, _ := json.Marshal(map[string]any{
		"id": d.ID, "collection": "kirkuk-2018", "kind": "testimony", "depositor": "r.ahmed",
		"cipher_sha256": d.CipherSHA256, "consent": map[string]any{"scopes": []string{"research", "legal_proceedings"}},
		"manifest": string(d.Manifest), "manifest_sig": string(d.ManifestSig), "public_signed": json.RawMessage(d.Public),
	})
	o, err := keyring(t, users["l.custodian"]).OpenDocument(d.Slots["l.custodian"], d.Private, d.Content, rec, k.PublicKey())
	if err != nil || !bytes.Equal(o.Plain, plain) || o.Private["notes"] != "private" {
		t.Fatalf("opening the signed deposit: %v", err)
	}
	// Another depositor's key, another record, other content: refused.
	other := signingKey(t, "r.hassan").PublicKey()
	if _, err := keyring(t, users["r.ahmed"]).OpenDocument(d.Slots["r.ahmed"], d.Private, d.Content, rec, other); ErrorCode(err) != "integrity" {
		t.Errorf("verified with another user's key: %v", err)
	}
	bad := bytes.Replace(rec, []byte(`"kind":"testimony"`), []byte(`"kind":"interview"`), 1)
	if _, err := keyring(t, users["r.ahmed"]).OpenDocument(d.Slots["r.ahmed"], d.Private, d.Content, bad, k.PublicKey()); ErrorCode(err) != "integrity" {
		t.Errorf("a record that differs from the manifest: %v", err)
	}
	// A keeper's forgery: other plaintext under the same document key's
	// holders, with consistent private metadata, fails the commitment.
	f, err := Seal(req.Recipients, map[string]any{"notes": "private"}, []byte("a statement the depositor never made\n"))
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Replace(rec, []byte(d.CipherSHA256), []byte(f.CipherSHA256), 1)
	if _, err := keyring(t, users["r.ahmed"]).OpenDocument(f.Slots["r.ahmed"], f.Private, f.Content, forged, k.PublicKey()); ErrorCode(err) != "integrity" || !strings.Contains(err.Error(), "not what r.ahmed deposited") {
		t.Errorf("forged content: %v", err)
	}

	// No key, no scope, no JSON object: refused before anything is sealed.
	var none *SigningKey
	if _, err := none.SealDeposit(req, plain, time.Now()); ErrorCode(err) != "no_signing_key" {
		t.Errorf("no signing key: %v", err)
	}
	for _, r := range []DepositRequest{
		{Recipients: req.Recipients, Collection: "c", Kind: "testimony", Depositor: "r.ahmed", Public: public},
		{Recipients: req.Recipients, Collection: "c", Kind: "testimony", Depositor: "r.ahmed", ConsentScopes: []string{"research"}, Public: []byte(`["x"]`)},
	} {
		if _, err := k.SealDeposit(r, plain, time.Now()); err == nil {
			t.Errorf("sealed %+v", r)
		}
	}
}

// A deposit sealed slice by slice (StartDeposit) is a deposit like
// SealDeposit's: the announced length, a signed manifest that verifies, and
// content that opens to the file.
func TestStreamDepositSignsAndOpens(t *testing.T) {
	users := demoUsers(t)
	k := signingKey(t, "r.ahmed")
	plain := bytes.Repeat([]byte("a long recording, sealed in slices in the browser\n"), 9000)
	req := DepositRequest{
		Recipients: map[string]string{"r.ahmed": users["r.ahmed"].Recipient},
		Private:    map[string]any{"notes": "private"},
		Collection: "kirkuk-2018", Kind: "interview", Depositor: "r.ahmed",
		ConsentScopes: []string{"research"},
		Public:        []byte(`{"title":"A recording","language":"en"}`),
	}
	d, err := k.StartDeposit(req, int64(len(plain)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var content []byte
	for rest := plain; len(rest) > 0; {
		n := min(len(rest), 100000)
		ct, err := d.Write(rest[:n])
		if err != nil {
			t.Fatal(err)
		}
		content = append(content, ct...)
		rest = rest[n:]
	}
	if _, err := d.Write([]byte("x")); err == nil {
		t.Error("wrote past the announced size")
	}
	s, err := d.Finish(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	content = append(content, s.Content...)
	if int64(len(content)) != d.Length {
		t.Fatalf("age file of %d bytes, announced %d", len(content), d.Length)
	}
	rec, _ := json.Marshal(map[string]any{
		"id": s.ID, "collection": "kirkuk-2018", "kind": "interview", "depositor": "r.ahmed",
		"cipher_sha256": s.CipherSHA256, "consent": map[string]any{"scopes": []string{"research"}},
		"manifest": string(s.Manifest), "manifest_sig": string(s.ManifestSig), "public_signed": json.RawMessage(s.Public),
	})
	o, err := keyring(t, users["r.ahmed"]).OpenDocument(s.Slots["r.ahmed"], s.Private, content, rec, k.PublicKey())
	if err != nil || !bytes.Equal(o.Plain, plain) || o.Private["notes"] != "private" {
		t.Fatalf("opening the streamed deposit: %v", err)
	}
	if _, err := d.Finish(time.Now()); err == nil {
		t.Error("finished twice")
	}
	short, _ := k.StartDeposit(req, 10, nil, nil)
	short.Write([]byte("12345"))
	if _, err := short.Finish(time.Now()); err == nil {
		t.Error("finished a deposit shorter than announced")
	}
}
