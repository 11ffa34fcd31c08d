package sshsig

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// skSigner emulates a FIDO authenticator holding an sk-ssh-ed25519 key:
// the signature a token makes (PROTOCOL.u2f), computed in software, so
// that the format can be checked against OpenSSH without a token.
type skSigner struct {
	priv    ed25519.PrivateKey
	flags   byte
	counter uint32
}

const skApplication = "ssh:"

// newSKSigner returns an emulated security key whose key is derived from
// seed, so its signatures are the same on every run.
func newSKSigner(seed string) *skSigner {
	s := sha256.Sum256([]byte(seed))
	return &skSigner{priv: ed25519.NewKeyFromSeed(s[:]), flags: skUserPresent, counter: 7}
}

func (k *skSigner) PublicKey() ssh.PublicKey {
	pub, err := ssh.ParsePublicKey(ssh.Marshal(struct {
		Name, Key, Application string
	}{ssh.KeyAlgoSKED25519, string(k.priv.Public().(ed25519.PublicKey)), skApplication}))
	if err != nil {
		panic(err)
	}
	return pub
}

func (k *skSigner) Sign(_ io.Reader, data []byte) (*ssh.Signature, error) {
	app, msg := sha256.Sum256([]byte(skApplication)), sha256.Sum256(data)
	var tail [5]byte
	tail[0] = k.flags
	binary.BigEndian.PutUint32(tail[1:], k.counter)
	signed := slicesConcat(app[:], tail[:], msg[:])
	return &ssh.Signature{Format: ssh.KeyAlgoSKED25519, Blob: ed25519.Sign(k.priv, signed), Rest: tail[:]}, nil
}

func slicesConcat(s ...[]byte) []byte { return bytes.Join(s, nil) }

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testdataKey(t *testing.T, name string) ssh.PublicKey {
	t.Helper()
	pub, err := ParsePublicKey(string(readTestdata(t, name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return pub
}

// TestVectors checks the signatures in testdata: ed25519.sig and
// ed25519-sha256.sig were written by 'ssh-keygen -Y sign' (OpenSSH 9.2)
// with ed25519.key; sk.sig by the emulated security key of newSKSigner,
// and 'ssh-keygen -Y verify' accepts it (TestSecurityKeySSHKeygen). All
// the keys are public test keys.
func TestVectors(t *testing.T) {
	msg := readTestdata(t, "message.txt")
	ed, sk := testdataKey(t, "ed25519.pub"), testdataKey(t, "sk.pub")
	for _, c := range []struct {
		sig        string
		pub, other ssh.PublicKey
	}{{"ed25519.sig", ed, sk}, {"ed25519-sha256.sig", ed, sk}, {"sk.sig", sk, ed}} {
		sig := readTestdata(t, c.sig)
		if err := Verify(c.pub, DepositNamespace, msg, sig); err != nil {
			t.Errorf("%s: %v", c.sig, err)
		}
		if err := Verify(c.pub, "file", msg, sig); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s in namespace file: %v", c.sig, err)
		}
		if err := Verify(c.other, DepositNamespace, msg, sig); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s with another key: %v", c.sig, err)
		}
	}

	// Ed25519 is deterministic: Sign writes what ssh-keygen wrote.
	signer, err := ParseSigningKey(readTestdata(t, "ed25519.key"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Sign(signer, DepositNamespace, msg)
	if err != nil {
		t.Fatal(err)
	}
	if want := readTestdata(t, "ed25519.sig"); !bytes.Equal(got, want) {
		t.Errorf("Sign wrote\n%s\nssh-keygen wrote\n%s", got, want)
	}
	if got, err := Sign(newSKSigner("sshsig test vector"), DepositNamespace, msg); err != nil || !bytes.Equal(got, readTestdata(t, "sk.sig")) {
		t.Errorf("the emulated security key signed\n%s (%v), not sk.sig", got, err)
	}
	if AuthorizedKey(newSKSigner("sshsig test vector").PublicKey()) != AuthorizedKey(sk) {
		t.Error("sk.pub is not the emulated security key's")
	}
	// sk.key is the security key's file, with a made-up key handle:
	// OpenSSH reads its public key (TestSecurityKeySSHKeygen), Amana
	// sends it to ssh-keygen.
	skFile := readTestdata(t, "sk.key")
	if !bytes.Equal(skFile, skKeyFile(t, sk)) {
		t.Error("sk.key is not the file skKeyFile writes")
	}
	_, err = ParseSigningKey(skFile)
	var hk *HardwareKeyError
	if !errors.As(err, &hk) || AuthorizedKey(hk.PublicKey) != AuthorizedKey(sk) {
		t.Errorf("sk.key: %v", err)
	}
}

func TestSignVerify(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	signer, _ := ssh.NewSignerFromKey(priv)
	pub := signer.PublicKey()
	msg := []byte("manifest")
	sig, err := Sign(signer, DepositNamespace, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(pub, DepositNamespace, msg, sig); err != nil {
		t.Fatal(err)
	}
	// CRLF line ends and surrounding white space, as a mail client or an
	// editor may leave them.
	crlf := "\n  " + strings.ReplaceAll(string(sig), "\n", "\r\n") + "\r\n\n"
	if err := Verify(pub, DepositNamespace, msg, []byte(crlf)); err != nil {
		t.Errorf("CRLF armor: %v", err)
	}
	for _, m := range [][]byte{[]byte("Manifest"), []byte("manifest\n"), nil} {
		if err := Verify(pub, DepositNamespace, m, sig); !errors.Is(err, ErrInvalid) {
			t.Errorf("message %q: %v", m, err)
		}
	}
	if _, err := Sign(signer, "", msg); err == nil {
		t.Error("empty namespace accepted")
	}
	// An ECDSA key is not a signing key.
	if err := Verify(ecdsaKey(t), DepositNamespace, msg, sig); !errors.Is(err, ErrMalformed) {
		t.Errorf("ECDSA key: %v", err)
	}
	if err := Verify(nil, DepositNamespace, msg, sig); err == nil {
		t.Error("nil key accepted")
	}
}

func TestSecurityKey(t *testing.T) {
	k := newSKSigner(t.Name())
	msg := []byte("manifest")
	sig, err := Sign(k, DepositNamespace, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(k.PublicKey(), DepositNamespace, msg, sig); err != nil {
		t.Fatal(err)
	}
	if err := Verify(k.PublicKey(), DepositNamespace, []byte("Manifest"), sig); !errors.Is(err, ErrInvalid) {
		t.Errorf("changed message: %v", err)
	}
	// Without a touch the token's signature is refused, and Sign says so.
	k.flags = 0
	if _, err := Sign(k, DepositNamespace, msg); !errors.Is(err, ErrInvalid) {
		t.Errorf("Sign without user presence: %v", err)
	}
	if err := Verify(k.PublicKey(), DepositNamespace, msg, noTouch(t, k, msg)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "presence") {
		t.Errorf("no user presence: %v", err)
	}
}

// noTouch returns k's signature over msg with the flags k has, armored
// without the checks of Sign.
func noTouch(t *testing.T, k *skSigner, msg []byte) []byte {
	t.Helper()
	data, err := signedData(DepositNamespace, "sha512", msg)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := k.Sign(nil, data)
	return armor(append([]byte(magic), ssh.Marshal(blob{
		Version: version, PublicKey: k.PublicKey().Marshal(), Namespace: DepositNamespace,
		HashAlg: "sha512", Signature: ssh.Marshal(sig),
	})...))
}

// TestVerifyRejects: damaged signatures give errors, never a panic and
// never success.
func TestVerifyRejects(t *testing.T) {
	msg := readTestdata(t, "message.txt")
	pub := testdataKey(t, "ed25519.pub")
	good := readTestdata(t, "ed25519.sig")
	raw, err := dearmor(good)
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseBlob(raw)
	if err != nil {
		t.Fatal(err)
	}
	rearm := func(f func(b *blob)) []byte {
		c := *b
		f(&c)
		return armor(append([]byte(magic), ssh.Marshal(c)...))
	}
	var sig ssh.Signature
	if err := ssh.Unmarshal(b.Signature, &sig); err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(sig.Blob)
	flipped[0] ^= 1
	cases := []struct {
		name string
		sig  []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"no armor", raw, ErrMalformed},
		{"age armor", []byte("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n"), ErrMalformed},
		{"no end line", good[:len(good)-len(armorEnd)-1], ErrMalformed},
		{"bad base64", bytes.Replace(good, []byte("U1NI"), []byte("U1N!"), 1), ErrMalformed},
		{"too large", append(bytes.Repeat([]byte(" "), MaxSize), good...), ErrMalformed},
		{"truncated blob", armor(raw[:len(raw)-10]), ErrMalformed},
		{"only the preamble", armor([]byte(magic)), ErrMalformed},
		{"trailing bytes", armor(append(bytes.Clone(raw), 0)), ErrMalformed},
		{"other preamble", armor(append([]byte("SSHSIH"), raw[len(magic):]...)), ErrMalformed},
		{"version 2", rearm(func(b *blob) { b.Version = 2 }), ErrMalformed},
		{"hash md5", rearm(func(b *blob) { b.HashAlg = "md5" }), ErrMalformed},
		{"hash sha256 for a sha512 signature", rearm(func(b *blob) { b.HashAlg = "sha256" }), ErrInvalid},
		{"reserved field (ignored, as PROTOCOL.sshsig asks)", rearm(func(b *blob) { b.Reserved = []byte("future") }), nil},
		{"other namespace", rearm(func(b *blob) { b.Namespace = "git" }), ErrInvalid},
		{"garbage public key", rearm(func(b *blob) { b.PublicKey = []byte("junk") }), ErrMalformed},
		{"other public key", rearm(func(b *blob) { b.PublicKey = newSKSigner("x").PublicKey().Marshal() }), ErrInvalid},
		{"garbage signature", rearm(func(b *blob) { b.Signature = []byte{0, 0, 0, 9} }), ErrMalformed},
		{"signature type rsa-sha2-512", rearm(func(b *blob) {
			s := sig
			s.Format = "rsa-sha2-512"
			b.Signature = ssh.Marshal(s)
		}), ErrInvalid},
		{"signature with a tail", rearm(func(b *blob) {
			s := sig
			s.Rest = []byte{1, 0, 0, 0, 1}
			b.Signature = ssh.Marshal(s)
		}), ErrMalformed},
		{"one bit of the signature", rearm(func(b *blob) {
			s := sig
			s.Blob = flipped
			b.Signature = ssh.Marshal(s)
		}), ErrInvalid},
		{"short signature", rearm(func(b *blob) {
			s := sig
			s.Blob = sig.Blob[:63]
			b.Signature = ssh.Marshal(s)
		}), ErrInvalid},
	}
	for _, c := range cases {
		err := Verify(pub, DepositNamespace, msg, c.sig)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// A security key's signature without flags and counter.
	k := newSKSigner("x")
	s := noTouch(t, k, msg)
	raw, _ = dearmor(s)
	sb, _ := parseBlob(raw)
	var ss ssh.Signature
	ssh.Unmarshal(sb.Signature, &ss)
	ss.Rest = ss.Rest[:4]
	sb.Signature = ssh.Marshal(ss)
	if err := Verify(k.PublicKey(), DepositNamespace, msg, armor(append([]byte(magic), ssh.Marshal(sb)...))); !errors.Is(err, ErrMalformed) {
		t.Errorf("security key signature without its counter: %v", err)
	}
}

func TestParseSigningKey(t *testing.T) {
	pemBytes, authorized, err := GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ParseSigningKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if AuthorizedKey(signer.PublicKey()) != authorized || !strings.HasPrefix(authorized, "ssh-ed25519 AAAA") {
		t.Errorf("public key %q, GenerateSigningKey said %q", AuthorizedKey(signer.PublicKey()), authorized)
	}

	// A security key's file: its public part, and ssh-keygen to sign.
	sk := newSKSigner("file")
	_, err = ParseSigningKey(skKeyFile(t, sk.PublicKey()))
	var hk *HardwareKeyError
	if !errors.As(err, &hk) || AuthorizedKey(hk.PublicKey) != AuthorizedKey(sk.PublicKey()) {
		t.Errorf("security key file: %v", err)
	}

	_, priv, _ := ed25519.GenerateKey(nil)
	enc, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseSigningKey(pem.EncodeToMemory(enc))
	var pm *ssh.PassphraseMissingError
	if !errors.As(err, &pm) || !strings.Contains(err.Error(), "passphrase") {
		t.Errorf("passphrase-protected key: %v", err)
	}

	for name, in := range map[string][]byte{
		"empty":        nil,
		"public key":   []byte(authorized),
		"age identity": []byte("AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n"),
		"PKCS#8":       []byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n"),
		"truncated":    pemBytes[:len(pemBytes)/2],
		"damaged":      bytes.Replace(pemBytes, []byte("AAAA"), []byte("AAAB"), 1),
		"too large":    append(bytes.Repeat([]byte("\n"), MaxKeySize), pemBytes...),
	} {
		if s, err := ParseSigningKey(in); err == nil || s != nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "MC4CAQAw") {
			t.Errorf("%s: the error quotes the key: %v", name, err)
		}
	}
}

// skKeyFile returns an OpenSSH private key file for a security key with
// public key pub and a made-up key handle (PROTOCOL.key, PROTOCOL.u2f), as
// 'ssh-keygen -t ed25519-sk' writes it.
func skKeyFile(t *testing.T, pub ssh.PublicKey) []byte {
	t.Helper()
	ed := pub.(ssh.CryptoPublicKey).CryptoPublicKey().(ed25519.PublicKey)
	priv := ssh.Marshal(struct {
		Check1, Check2   uint32
		Type             string
		Key              []byte
		Application      string
		Flags            byte
		Handle, Reserved []byte
		Comment          string
	}{42, 42, ssh.KeyAlgoSKED25519, ed, skApplication, skUserPresent, []byte("key handle"), nil, ""})
	for i := byte(1); len(priv)%8 != 0; i++ {
		priv = append(priv, i)
	}
	der := append([]byte("openssh-key-v1\x00"), ssh.Marshal(struct {
		CipherName, KdfName, KdfOpts string
		NumKeys                      uint32
		PubKey, PrivKeyBlock         []byte
	}{"none", "none", "", 1, pub.Marshal(), priv})...)
	return pem.EncodeToMemory(&pem.Block{Type: openSSHPrivateKey, Bytes: der})
}

func TestParsePublicKey(t *testing.T) {
	ed := strings.TrimSpace(string(readTestdata(t, "ed25519.pub")))
	sk := strings.TrimSpace(string(readTestdata(t, "sk.pub")))
	edNoComment := strings.Join(strings.Fields(ed)[:2], " ")
	for _, in := range []string{ed, edNoComment, "  " + edNoComment + "\n", sk} {
		pub, err := ParsePublicKey(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := AuthorizedKey(pub); got != strings.Join(strings.Fields(in)[:2], " ") {
			t.Errorf("%q: AuthorizedKey %q", in, got)
		}
	}
	b64 := strings.Fields(ed)[1]
	for name, in := range map[string]string{
		"empty":            "",
		"type only":        "ssh-ed25519",
		"ecdsa":            AuthorizedKey(ecdsaKey(t)),
		"wrong label":      "ssh-rsa " + b64,
		"options":          `namespaces="amana-deposit" ` + edNoComment,
		"two lines":        edNoComment + "\n" + edNoComment,
		"bad base64":       "ssh-ed25519 " + b64[:len(b64)-2] + "!!",
		"truncated":        "ssh-ed25519 " + b64[:40],
		"age recipient":    "age1ef8uv7czqgl3tzgps363d3dml5wh2zhsdeceyh4rwxzkkkvleazqywzlk8",
		"private key":      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----",
		"age secret":       "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
		"certificate type": "ssh-ed25519-cert-v01@openssh.com " + b64,
		"too long":         edNoComment + " " + strings.Repeat("x", MaxKeySize),
	} {
		if _, err := ParsePublicKey(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		} else if strings.Contains(err.Error(), "QQQQ") || strings.Contains(err.Error(), "b3Blbn") {
			t.Errorf("%s: the error quotes a private key: %v", name, err)
		}
	}
}

func TestAllowedSigners(t *testing.T) {
	pub := testdataKey(t, "ed25519.pub")
	key := strings.Join(strings.Fields(string(readTestdata(t, "ed25519.pub")))[:2], " ")
	for principal, want := range map[string]string{
		"r.hassan":          "r.hassan",
		"*":                 "_",
		"a,b":               "a_b",
		`x" cert-authority`: "x__cert-authority",
		"!r.hassan":         "_r.hassan",
		"":                  "_",
	} {
		got := string(AllowedSigners(principal, pub))
		if w := want + ` namespaces="amana-deposit" ` + key + "\n"; got != w {
			t.Errorf("AllowedSigners(%q) = %q, want %q", principal, got, w)
		}
	}
	if Fingerprint(pub) != ssh.FingerprintSHA256(pub) || !strings.HasPrefix(Fingerprint(pub), "SHA256:") {
		t.Errorf("fingerprint %s", Fingerprint(pub))
	}
}

// ecdsaPrivate returns a new ECDSA P-256 key, which is not a signing key.
func ecdsaPrivate(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecdsaKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, err := ssh.NewPublicKey(&ecdsaPrivate(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
