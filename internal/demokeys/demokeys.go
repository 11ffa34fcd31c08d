// Package demokeys reads the demo users of keys-example/ and computes their
// TOTP codes as an authenticator app would. The keys are public: they serve
// 'amana demo', the tests and the benchmark, never real data.
//
// keys-example/users.json lists the users as
// [{"id","role","name","identity_file","signing_key_file","recipient","totp_secret"}],
// with the files relative to the directory; passphrase.txt holds the demo
// vault's passphrase.
package demokeys

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/sshsig"
)

// User is one entry of users.json.
type User struct {
	ID           string `json:"id"`
	Role         string `json:"role"`
	Name         string `json:"name"`
	IdentityFile string `json:"identity_file"`
	// SigningKeyFile is an OpenSSH Ed25519 private key file.
	SigningKeyFile string `json:"signing_key_file"`
	Recipient      string `json:"recipient"`
	TOTPSecret     string `json:"totp_secret"`
}

// Load reads users.json and passphrase.txt from dir.
func Load(dir string) ([]User, string, error) {
	b, err := readSmall(filepath.Join(dir, "users.json"), 1<<20)
	if err != nil {
		return nil, "", err
	}
	var users []User
	if err := json.Unmarshal(b, &users); err != nil {
		return nil, "", fmt.Errorf("users.json: %w", err)
	}
	p, err := readSmall(filepath.Join(dir, "passphrase.txt"), 4096)
	if err != nil {
		return nil, "", err
	}
	pass := strings.TrimRight(string(p), "\r\n")
	if len(users) == 0 || pass == "" {
		return nil, "", errors.New("no users or no passphrase")
	}
	return users, pass, nil
}

// ByRole returns the users of users with role, in their order.
func ByRole(users []User, role string) []User {
	var out []User
	for _, u := range users {
		if u.Role == role {
			out = append(out, u)
		}
	}
	return out
}

// Identities reads u's identity file, relative to dir unless absolute.
func (u User) Identities(dir string) ([]age.Identity, error) {
	name := u.IdentityFile
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids, err := envelope.ParseIdentities(f, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ids, nil
}

// Signer reads u's signing key file, relative to dir unless absolute.
func (u User) Signer(dir string) (ssh.Signer, error) {
	if u.SigningKeyFile == "" {
		return nil, fmt.Errorf("%s has no signing_key_file", u.ID)
	}
	name := u.SigningKeyFile
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	b, err := readSmall(name, sshsig.MaxKeySize)
	if err != nil {
		return nil, err
	}
	s, err := sshsig.ParseSigningKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// SigningKey returns u's signing public key in authorized_keys format, as
// the vault registers it.
func (u User) SigningKey(dir string) (string, error) {
	s, err := u.Signer(dir)
	if err != nil {
		return "", err
	}
	return sshsig.AuthorizedKey(s.PublicKey()), nil
}

// Code returns the TOTP code for secret (base32) at time at: six digits,
// 30 s steps, SHA-1, what authenticator apps and oathtool show.
func Code(secret string, at time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

func readSmall(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, max)
	}
	return b, nil
}
