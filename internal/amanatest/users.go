package amanatest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/internal/demokeys"
	"github.com/amana-vault/amana/sshsig"
	"github.com/amana-vault/amana/vault"
)

// User is a user of a test vault, with what in real use never leaves the
// user's machine: its identities and its TOTP secret.
type User struct {
	ID, Role, Name string
	Recipient      string
	// Identities open what is sealed to Recipient; IdentityFile (an
	// absolute path) holds them, for the command line and the browser.
	Identities   []age.Identity
	IdentityFile string
	// SigningKey is the user's signing public key as the vault registers
	// it ("ssh-ed25519 …"); Signer signs with it, and SigningKeyFile (an
	// absolute path, next to IdentityFile) holds it in OpenSSH's format.
	// Empty SigningKey: the user has none.
	SigningKey     string
	Signer         ssh.Signer
	SigningKeyFile string
	// TOTPSecret is the base32 secret of the user's authenticator.
	TOTPSecret string
}

var keysDir = sync.OnceValues(func() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "keys-example"), nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("amanatest: no go.mod above the working directory")
		}
		dir = up
	}
})

// KeysDir returns the absolute path of the repository's keys-example
// directory, found from the working directory (a package's directory in
// 'go test').
func KeysDir(t testing.TB) string {
	t.Helper()
	dir, err := keysDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// DemoUsers returns the users of keys-example/users.json, in its order
// (the admin first), with their identities and signing keys read.
func DemoUsers(t testing.TB) []*User {
	t.Helper()
	dir := KeysDir(t)
	list, _, err := demokeys.Load(dir)
	if err != nil {
		t.Fatalf("amanatest: %s: %v", dir, err)
	}
	var users []*User
	for _, d := range list {
		ids, err := d.Identities(dir)
		if err != nil {
			t.Fatalf("amanatest: %v", err)
		}
		signer, err := d.Signer(dir)
		if err != nil {
			t.Fatalf("amanatest: %v", err)
		}
		users = append(users, &User{
			ID: d.ID, Role: d.Role, Name: d.Name, Recipient: d.Recipient,
			Identities: ids, IdentityFile: filepath.Join(dir, d.IdentityFile), TOTPSecret: d.TOTPSecret,
			SigningKey: sshsig.AuthorizedKey(signer.PublicKey()), Signer: signer,
			SigningKeyFile: filepath.Join(dir, d.SigningKeyFile),
		})
	}
	return users
}

// NewUser returns a user with a new identity: X25519, or the post-quantum
// hybrid if pq, and a new Ed25519 signing key. Its identity and signing
// key files are in a temporary directory; its TOTP secret is left for the
// vault to generate.
func NewUser(t testing.TB, id, role string, pq bool) *User {
	t.Helper()
	var ident interface {
		age.Identity
		String() string
	}
	var rcpt string
	if pq {
		k, err := age.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		ident, rcpt = k, k.Recipient().String()
	} else {
		k, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		ident, rcpt = k, k.Recipient().String()
	}
	dir := t.TempDir()
	file := filepath.Join(dir, id+".key")
	if err := os.WriteFile(file, []byte(ident.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pemBytes, signingKey, err := sshsig.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sshsig.ParseSigningKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	signFile := filepath.Join(dir, id+".sign")
	if err := os.WriteFile(signFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return &User{ID: id, Role: role, Recipient: rcpt, Identities: []age.Identity{ident}, IdentityFile: file,
		SigningKey: signingKey, Signer: signer, SigningKeyFile: signFile}
}

// CreateVault creates a vault in dir sealed with passphrase: the first
// admin of users creates it, then the other users and the collections, and
// the vault is closed. Users without a TOTP secret get the one the vault
// generated.
func CreateVault(dir, passphrase string, users []*User, collections []vault.Collection, opts vault.Options) error {
	var admin *User
	for _, u := range users {
		if u.Role == vault.RoleAdmin {
			admin = u
			break
		}
	}
	if admin == nil {
		return errors.New("amanatest: no admin among the users")
	}
	v, created, err := vault.Create(dir, passphrase, vault.NewUser{
		ID: admin.ID, Name: admin.Name, Recipient: admin.Recipient, SigningKey: admin.SigningKey, TOTPSecret: admin.TOTPSecret,
	}, opts)
	if err != nil {
		return err
	}
	if admin.TOTPSecret == "" {
		if admin.TOTPSecret, err = secretOf(created.TOTPURL); err != nil {
			v.Close()
			return err
		}
	}
	ac := vault.Caller{User: admin.ID}
	for _, u := range users {
		if u == admin {
			continue
		}
		_, otpauth, err := v.AddUser(ac, vault.NewUser{
			ID: u.ID, Name: u.Name, Role: u.Role, Recipient: u.Recipient, SigningKey: u.SigningKey, TOTPSecret: u.TOTPSecret,
		})
		if err == nil && u.TOTPSecret == "" {
			u.TOTPSecret, err = secretOf(otpauth)
		}
		if err != nil {
			v.Close()
			return fmt.Errorf("amanatest: user %s: %w", u.ID, err)
		}
	}
	for _, c := range collections {
		if _, err := v.CreateCollection(ac, c); err != nil {
			v.Close()
			return fmt.Errorf("amanatest: collection %s: %w", c.ID, err)
		}
	}
	return v.Close()
}

// TOTP returns the TOTP code for secret at time at, as an authenticator
// app would show it then.
func TOTP(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := demokeys.Code(secret, at)
	if err != nil {
		t.Fatalf("amanatest: TOTP: %v", err)
	}
	return c
}
