package recipient_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/recipient"
)

type keys struct {
	x25519, pq, ed25519, rsa, rsaSmall, ecdsa, plugin string
	x25519Secret, pqSecret, pluginSecret, pemSecret   string
}

func newKeys(t testing.TB) keys {
	t.Helper()
	var k keys
	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	k.x25519, k.x25519Secret = x.Recipient().String(), x.String()
	pq, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	k.pq, k.pqSecret = pq.Recipient().String(), pq.String()

	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k.ed25519 = authorizedKey(t, edPub) + " alice@example.org"
	block, err := ssh.MarshalPrivateKey(edPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	k.pemSecret = string(pem.EncodeToMemory(block))

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k.rsa = authorizedKey(t, &rsaKey.PublicKey)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	k.rsaSmall = authorizedKey(t, &small.PublicKey)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k.ecdsa = authorizedKey(t, &ec.PublicKey)

	k.plugin = plugin.EncodeRecipient("yubikey", []byte("some opaque plugin data"))
	k.pluginSecret = plugin.EncodeIdentity("yubikey", []byte("secret plugin data"))
	return k
}

func authorizedKey(t testing.TB, pub any) string {
	t.Helper()
	pk, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
}

func TestParseValid(t *testing.T) {
	k := newKeys(t)
	// Plugin recipients must parse without the plugin binary: make sure no
	// age-plugin-* can be found.
	t.Setenv("PATH", t.TempDir())

	edBare := strings.TrimSuffix(k.ed25519, " alice@example.org")
	tests := []struct {
		name, in, kind, canonical string
		typ                       any
	}{
		{"x25519", k.x25519, "x25519", k.x25519, &age.X25519Recipient{}},
		{"x25519 padded", " \t" + k.x25519 + "\n", "x25519", k.x25519, &age.X25519Recipient{}},
		{"pq", k.pq, "pq", k.pq, &age.HybridRecipient{}},
		{"pq trailing CRLF", k.pq + "\r\n", "pq", k.pq, &age.HybridRecipient{}},
		{"ssh-ed25519 with comment", k.ed25519, "ssh-ed25519", edBare, &agessh.Ed25519Recipient{}},
		{"ssh-ed25519 bare", edBare, "ssh-ed25519", edBare, &agessh.Ed25519Recipient{}},
		{"ssh-rsa", k.rsa, "ssh-rsa", k.rsa, &agessh.RSARecipient{}},
		{"plugin", k.plugin, "plugin:yubikey", k.plugin, &plugin.Recipient{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := recipient.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got, want := typeName(r), typeName(tt.typ); got != want {
				t.Errorf("Parse returned %s, want %s", got, want)
			}
			kind, err := recipient.Kind(tt.in)
			if err != nil || kind != tt.kind {
				t.Errorf("Kind = %q, %v; want %q", kind, err, tt.kind)
			}
			norm, err := recipient.Normalize(tt.in)
			if err != nil || norm != tt.canonical {
				t.Errorf("Normalize = %q, %v; want %q", norm, err, tt.canonical)
			}
			if again, err := recipient.Normalize(norm); err != nil || again != norm {
				t.Errorf("Normalize is not idempotent: %q, %v", again, err)
			}
		})
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *age.X25519Recipient:
		return "X25519Recipient"
	case *age.HybridRecipient:
		return "HybridRecipient"
	case *agessh.Ed25519Recipient:
		return "Ed25519Recipient"
	case *agessh.RSARecipient:
		return "RSARecipient"
	case *plugin.Recipient:
		return "plugin.Recipient"
	}
	return "unknown"
}

func TestParseMalformed(t *testing.T) {
	k := newKeys(t)
	flip := func(s string) string { // change the last Bech32 character: bad checksum
		last := s[len(s)-1]
		c := byte('q')
		if last == 'q' {
			c = 'p'
		}
		return s[:len(s)-1] + string(c)
	}
	edFields := strings.Fields(k.ed25519)
	rsaFields := strings.Fields(k.rsa)

	tests := []struct {
		name, in string
		secret   bool // the error must not contain any of the input
	}{
		{"empty", "", false},
		{"blank", " \t\r\n ", false},
		{"oversize", strings.Repeat("a", recipient.MaxSize+1), false},
		{"valid key padded past the limit", k.x25519 + strings.Repeat(" ", recipient.MaxSize), false},
		{"two lines", k.x25519 + "\n" + k.pq, false},
		{"two lines CR", k.x25519 + "\r" + k.pq, false},
		{"two ssh keys", k.ed25519 + "\n" + k.rsa, false},
		{"x25519 bad checksum", flip(k.x25519), false},
		{"x25519 truncated", k.x25519[:20], false},
		{"x25519 upper case", strings.ToUpper(k.x25519), false},
		{"x25519 with trailing word", k.x25519 + " bob", false},
		{"pq bad checksum", flip(k.pq), false},
		{"pq truncated", k.pq[:len(k.pq)/2], false},
		{"bare prefix age1", "age1", false},
		{"bare prefix age1pq1", "age1pq1", false},
		{"tagged recipient", "age1tag1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", false},
		{"plugin bad checksum", flip(k.plugin), false},
		{"plugin bad name", "age1foo/bar1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", false},
		{"x25519 secret key", k.x25519Secret, true},
		{"pq secret key", k.pqSecret, true},
		{"plugin identity", k.pluginSecret, true},
		{"secret key lower case", strings.ToLower(k.x25519Secret), true},
		{"ssh private key", k.pemSecret, true},
		{"ssh type only", "ssh-ed25519", false},
		{"ssh type and space", "ssh-ed25519 ", false},
		{"ssh garbage base64", "ssh-ed25519 !!!notbase64!!!", false},
		{"ssh truncated blob", "ssh-ed25519 " + edFields[1][:30], false},
		{"ssh declared type mismatch", "ssh-ed25519 " + rsaFields[1], false},
		{"ssh-rsa too small", k.rsaSmall, false},
		{"ssh ecdsa", k.ecdsa, false},
		{"ssh dss", "ssh-dss AAAAB3NzaC1kc3MAAACBAP", false},
		{"ssh with options", `restrict ` + k.ed25519, false},
		{"NUL byte", k.x25519 + "\x00", false},
		{"control char inside", "age1\x07" + k.x25519[4:], false},
		{"invalid UTF-8", "age1\xff\xfe", false},
		{"github shortcut", "github:alice", false},
		{"words", "please encrypt to alice", false},
		{"private key pasted in prose", "my key is AGE-SECRET-KEY-1" + k.x25519Secret[16:], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, f := range map[string]func(string) error{
				"Parse":     func(s string) error { _, err := recipient.Parse(s); return err },
				"Kind":      func(s string) error { _, err := recipient.Kind(s); return err },
				"Normalize": func(s string) error { _, err := recipient.Normalize(s); return err },
			} {
				err := f(tt.in)
				if !errors.Is(err, recipient.ErrMalformed) {
					t.Fatalf("%s(%.40q) = %v, want ErrMalformed", name, tt.in, err)
				}
				checkNoEcho(t, err.Error(), tt.in, tt.secret)
			}
		})
	}
}

// checkNoEcho fails if msg quotes more than a short prefix of in (or, for
// secrets, any recognisable part of it).
func checkNoEcho(t *testing.T, msg, in string, secret bool) {
	t.Helper()
	n := 20
	if secret {
		n = 8
	}
	in = strings.TrimSpace(in)
	for i := 0; i+n <= len(in); i++ {
		sub := in[i : i+n]
		if secret && isPublicMarker(sub) {
			continue // "AGE-SECRET-KEY-" and the like are not secret
		}
		if strings.Contains(msg, sub) {
			t.Fatalf("error echoes input %q: %s", sub, msg)
		}
	}
}

func isPublicMarker(sub string) bool {
	for _, m := range []string{"AGE-SECRET-KEY-PQ-1", "AGE-PLUGIN-YUBIKEY-1",
		"-----BEGIN OPENSSH PRIVATE KEY-----", "-----END OPENSSH PRIVATE KEY-----"} {
		if strings.Contains(strings.ToUpper(m), strings.ToUpper(sub)) {
			return true
		}
	}
	return false
}

// otherLast changes the last character of a bech32 string to another one of
// the alphabet (a fixed "x" would leave one key in 32 unchanged).
func otherLast(s string) string {
	c := byte('x')
	if s[len(s)-1] == c {
		c = 'q'
	}
	return s[:len(s)-1] + string(c)
}

func TestErrorNamesProblem(t *testing.T) {
	k := newKeys(t)
	tests := []struct{ in, want string }{
		{"", "empty"},
		{k.x25519 + "\n" + k.x25519, "more than one line"},
		{strings.Repeat("a", recipient.MaxSize+1), "longer than"},
		{k.pqSecret, "private key"},
		{k.rsaSmall, "too small"},
		{k.ecdsa, "unsupported SSH key type"},
		{otherLast(k.x25519), "checksum"},
		{"hello", "unknown recipient type"},
	}
	for _, tt := range tests {
		_, err := recipient.Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%.20q) = %v, want an error mentioning %q", tt.in, err, tt.want)
		}
	}
}

// A plugin recipient parses without its binary; wrapping is what runs it, so
// the failure shows up then, as the plugin package's NotFoundError.
func TestPluginNeedsBinaryOnlyToWrap(t *testing.T) {
	k := newKeys(t)
	t.Setenv("PATH", t.TempDir())
	r, err := recipient.Parse(k.plugin)
	if err != nil {
		t.Fatal(err)
	}
	_, err = age.Encrypt(io.Discard, r)
	var nf *plugin.NotFoundError
	if !errors.As(err, &nf) || nf.Name != "yubikey" {
		t.Fatalf("Encrypt to a plugin without binary: %v, want plugin.NotFoundError for yubikey", err)
	}
}

func FuzzParse(f *testing.F) {
	k := newKeys(f)
	for _, s := range []string{k.x25519, k.pq, k.ed25519, k.rsa, k.plugin, "", "age1", "ssh-ed25519 AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := recipient.Parse(s)
		kind, kerr := recipient.Kind(s)
		norm, nerr := recipient.Normalize(s)
		if (err == nil) != (kerr == nil) || (err == nil) != (nerr == nil) {
			t.Fatalf("Parse, Kind and Normalize disagree: %v / %v / %v", err, kerr, nerr)
		}
		if err != nil {
			if !errors.Is(err, recipient.ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if r == nil || kind == "" {
			t.Fatal("nil recipient or empty kind without error")
		}
		if k2, err := recipient.Kind(norm); err != nil || k2 != kind {
			t.Fatalf("canonical form %q does not parse to the same kind: %q, %v", norm, k2, err)
		}
	})
}
