//go:build !js

package envelope_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/recipient"
)

// A user as Amana sees them: a registered recipient string on the server,
// and an identity file on their own machine.
type user struct {
	kind      string
	recipient string         // as registered
	r         age.Recipient  // recipient.Parse(recipient)
	keyFile   []byte         // the identity file the user keeps
	ids       []age.Identity // envelope.ParseIdentities(keyFile)
}

var userKinds = []string{"x25519", "pq", "ssh-ed25519", "ssh-rsa", "plugin:" + pluginName}

func newUser(t testing.TB, kind string) *user {
	t.Helper()
	var u user
	u.kind = kind
	switch kind {
	case "x25519":
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		u.recipient, u.keyFile = id.Recipient().String(), []byte(id.String()+"\n")
	case "pq":
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		u.recipient, u.keyFile = id.Recipient().String(), []byte(id.String()+"\n")
	case "ssh-ed25519":
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		u.recipient, u.keyFile = sshKeyPair(t, pub, priv)
	case "ssh-rsa":
		u.recipient, u.keyFile = rsaKeyPair(t)
	case "plugin:" + pluginName:
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		u.recipient = plugin.EncodeRecipient(pluginName, []byte(id.Recipient().String()))
		u.keyFile = []byte("# fake plugin identity\n" + plugin.EncodeIdentity(pluginName, []byte(id.String())) + "\n")
	default:
		t.Fatalf("unknown user kind %q", kind)
	}
	if k, err := recipient.Kind(u.recipient); err != nil || k != kind {
		t.Fatalf("recipient.Kind = %q, %v; want %q", k, err, kind)
	}
	var err error
	if u.r, err = recipient.Parse(u.recipient); err != nil {
		t.Fatal(err)
	}
	if u.ids, err = envelope.ParseIdentities(bytes.NewReader(u.keyFile), nil); err != nil {
		t.Fatal(err)
	}
	return &u
}

func sshKeyPair(t testing.TB, pub, priv any) (authorizedKey string, pemFile []byte) {
	t.Helper()
	pk, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))) + " user@example.org", pem.EncodeToMemory(block)
}

func rsaKeyPair(t testing.TB) (string, []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return sshKeyPair(t, &k.PublicKey, k)
}
