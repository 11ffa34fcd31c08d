//go:build !js

package envelope_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/recipient"
)

func TestParseIdentities(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	pq, _ := age.GenerateHybridIdentity()
	pluginID := plugin.EncodeIdentity(pluginName, []byte(x.String()))
	_, edPEM := sshKeyPair(t, ed25519.NewKeyFromSeed(make([]byte, 32)).Public(), ed25519.NewKeyFromSeed(make([]byte, 32)))

	valid := []struct {
		name  string
		file  string
		types []string
	}{
		{"age-keygen format", "# created: 2024-01-01T00:00:00Z\n# public key: " + x.Recipient().String() + "\n" + x.String() + "\n", []string{"x25519"}},
		{"no trailing newline", x.String(), []string{"x25519"}},
		{"CRLF and blank lines", "\r\n# k\r\n" + pq.String() + "\r\n\r\n" + x.String() + "\r\n", []string{"pq", "x25519"}},
		{"surrounding spaces", "  " + pq.String() + "  \n", []string{"pq"}},
		{"plugin", pluginID + "\n", []string{"plugin"}},
		{"ssh ed25519", string(edPEM), []string{"ssh"}},
		{"ssh with leading blank line", "\n" + string(edPEM), []string{"ssh"}},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			ids, err := envelope.ParseIdentities(strings.NewReader(tt.file), nil)
			if err != nil {
				t.Fatalf("ParseIdentities: %v", err)
			}
			if len(ids) != len(tt.types) {
				t.Fatalf("%d identities, want %d", len(ids), len(tt.types))
			}
			for i, id := range ids {
				var got string
				switch id.(type) {
				case *age.X25519Identity:
					got = "x25519"
				case *age.HybridIdentity:
					got = "pq"
				case *plugin.Identity:
					got = "plugin"
				case *agessh.Ed25519Identity:
					got = "ssh"
				}
				if got != tt.types[i] {
					t.Errorf("identity %d is %T, want %s", i, id, tt.types[i])
				}
			}
		})
	}

	secret := x.String()
	bad := []struct{ name, file string }{
		{"empty", ""},
		{"blank", " \n\n\t\n"},
		{"comments only", "# nothing here\n"},
		{"recipient instead", x.Recipient().String() + "\n"},
		{"ssh public key instead", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ user@host\n"},
		{"bad checksum", badChecksum(secret) + "\n"},
		{"key then garbage", secret + "\nhello " + secret[20:] + "\n"},
		{"truncated key", secret[:40] + "\n"},
		{"lower case key", strings.ToLower(secret) + "\n"},
		{"invalid UTF-8", "\xff\xfe\n"},
		{"oversize", strings.Repeat("# padding\n", 120_000) + secret},
		{"age-encrypted identity file", "age-encryption.org/v1\n-> scrypt abc 18\nxyz\n--- abc\n"},
		{"armored identity file", "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n"},
		{"garbage PEM", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"},
		{"oversize PEM", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + strings.Repeat("QUFB", 5000) + "\n-----END OPENSSH PRIVATE KEY-----\n"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := envelope.ParseIdentities(strings.NewReader(tt.file), nil)
			if !errors.Is(err, envelope.ErrMalformed) {
				t.Fatalf("ParseIdentities: %v, want ErrMalformed", err)
			}
			if strings.Contains(err.Error(), secret[16:32]) {
				t.Fatalf("error quotes key material: %v", err)
			}
		})
	}
}

// An encrypted SSH key works when the UI can ask for its passphrase.
func TestParseIdentitiesEncryptedSSH(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := pem.EncodeToMemory(block)
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	r, err := recipient.Parse(string(ssh.MarshalAuthorizedKey(sshPub)))
	if err != nil {
		t.Fatal(err)
	}
	k, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	slot, err := envelope.Wrap(k, r)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := envelope.ParseIdentities(bytes.NewReader(keyFile), nil); err == nil {
		t.Error("encrypted SSH key parsed with no way to ask for its passphrase")
	}
	for _, tt := range []struct {
		pass string
		ok   bool
	}{{"correct horse", true}, {"wrong", false}} {
		ui := &plugin.ClientUI{RequestValue: func(name, prompt string, secret bool) (string, error) {
			return tt.pass, nil
		}}
		ids, err := envelope.ParseIdentities(bytes.NewReader(keyFile), ui)
		if err != nil {
			t.Fatal(err)
		}
		got, err := envelope.OpenSlot(slot, ids...)
		if tt.ok && (err != nil || got.String() != k.String()) {
			t.Errorf("OpenSlot with the right passphrase: %v", err)
		}
		if !tt.ok && (err == nil || isDetected(err)) {
			t.Errorf("OpenSlot with a wrong passphrase: %v, want the passphrase error, not a slot error", err)
		}
	}
}

// A plugin that is not installed is reported as such, not as a bad slot or a
// wrong identity: the user needs to install it, not to look for another key.
func TestPluginNotInstalled(t *testing.T) {
	u := newUser(t, "x25519")
	slot := seal(t, nil, map[string]*user{"u": u}).Slots["u"]
	missing, err := plugin.NewIdentity(plugin.EncodeIdentity("amanamissing", nil), &plugin.ClientUI{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = envelope.OpenSlot(slot, missing)
	var nf *plugin.NotFoundError
	if !errors.As(err, &nf) || isDetected(err) {
		t.Fatalf("OpenSlot with a missing plugin: %v, want plugin.NotFoundError", err)
	}
	// A plain key that matches is tried first, so the missing plugin is
	// never run.
	if _, err := envelope.OpenSlot(slot, append([]age.Identity{missing}, u.ids...)...); err != nil {
		t.Fatalf("OpenSlot with a missing plugin and the right key: %v", err)
	}
	r, err := recipient.Parse(plugin.EncodeRecipient("amanamissing", nil))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := envelope.NewDocKey()
	if _, err := envelope.Wrap(k, r); !errors.As(err, &nf) {
		t.Fatalf("Wrap to a missing plugin: %v", err)
	}
}

func TestGenerateIdentity(t *testing.T) {
	for _, pq := range []bool{false, true} {
		file, rcpt, err := envelope.GenerateIdentity(pq)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(file, "\n"), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "# created: ") || lines[1] != "# public key: "+rcpt {
			t.Fatalf("identity file not in age-keygen format:\n%s", file)
		}
		wantKind, wantPrefix := "x25519", "AGE-SECRET-KEY-1"
		if pq {
			wantKind, wantPrefix = "pq", "AGE-SECRET-KEY-PQ-1"
		}
		if !strings.HasPrefix(lines[2], wantPrefix) {
			t.Fatalf("secret key line has the wrong type for pq=%v", pq)
		}
		if kind, err := recipient.Kind(rcpt); err != nil || kind != wantKind {
			t.Fatalf("recipient kind %q, %v; want %q", kind, err, wantKind)
		}
		ids, err := envelope.ParseIdentities(strings.NewReader(file), nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := recipient.Parse(rcpt)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := envelope.NewDocKey()
		slot, err := envelope.Wrap(k, r)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := envelope.OpenSlot(slot, ids...); err != nil || got.String() != k.String() {
			t.Fatalf("generated identity does not open a slot for its recipient: %v", err)
		}
	}
}
