package sshsig

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// MaxKeySize is the largest public key line or private key file accepted,
// in bytes.
const MaxKeySize = 8 << 10

const openSSHPrivateKey = "OPENSSH PRIVATE KEY"

// HardwareKeyError is returned by [ParseSigningKey] for the key file of a
// FIDO security key (sk-ssh-ed25519@openssh.com): the file holds only a
// handle, the private key never leaves the token, and only OpenSSH can
// sign with it ([SignWithSSHKeygen]).
type HardwareKeyError struct {
	// PublicKey is the key's public part, from the file.
	PublicKey ssh.PublicKey
}

func (e *HardwareKeyError) Error() string {
	return "sshsig: a security key (" + ssh.KeyAlgoSKED25519 + "): only ssh-keygen can sign with it"
}

// checkKeyType accepts the key types Amana signs with.
func checkKeyType(pub ssh.PublicKey) error {
	switch t := pub.Type(); t {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoSKED25519:
		return nil
	default:
		return fmt.Errorf("%w: a key of type %.40q: signing keys are %s or %s (ssh-keygen -t ed25519 or -t ed25519-sk)",
			ErrMalformed, t, ssh.KeyAlgoED25519, ssh.KeyAlgoSKED25519)
	}
}

// ParseSigningKey returns a signer for an OpenSSH private key file holding
// an Ed25519 key without a passphrase. A security key's file gives a
// *[HardwareKeyError]; a passphrase-protected file an error that wraps
// *ssh.PassphraseMissingError. Errors never quote the file.
func ParseSigningKey(pemBytes []byte) (ssh.Signer, error) {
	der, err := pemBlock(pemBytes)
	if err != nil {
		return nil, err
	}
	key, err := ssh.ParseRawPrivateKey(pemBytes)
	if pm := (*ssh.PassphraseMissingError)(nil); errors.As(err, &pm) {
		return nil, fmt.Errorf("sshsig: the signing key file is protected by a passphrase, which Amana does not ask for: %w", err)
	}
	if err != nil {
		if pub, perr := filePublicKey(der); perr == nil {
			if pub.Type() == ssh.KeyAlgoSKED25519 {
				return nil, &HardwareKeyError{PublicKey: pub}
			}
			if err := checkKeyType(pub); err != nil {
				return nil, err
			}
		}
		return nil, fmt.Errorf("%w: private key file: %v", ErrMalformed, err)
	}
	if priv, ok := key.(*ed25519.PrivateKey); ok {
		key = *priv
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, fmt.Errorf("%w: private key of type %T", ErrMalformed, key)
	}
	if err := checkKeyType(signer.PublicKey()); err != nil {
		return nil, err
	}
	return signer, nil
}

// pemBlock returns the contents of an OpenSSH private key file.
func pemBlock(pemBytes []byte) ([]byte, error) {
	if len(pemBytes) > MaxKeySize {
		return nil, fmt.Errorf("%w: key file larger than %d bytes", ErrMalformed, MaxKeySize)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != openSSHPrivateKey {
		return nil, fmt.Errorf("%w: not an OpenSSH private key file (-----BEGIN %s-----)", ErrMalformed, openSSHPrivateKey)
	}
	return block.Bytes, nil
}

// filePublicKey reads the public key that an OpenSSH private key file
// keeps in the clear before its (possibly encrypted) private part
// (PROTOCOL.key).
func filePublicKey(der []byte) (ssh.PublicKey, error) {
	const authMagic = "openssh-key-v1\x00"
	rest, ok := strings.CutPrefix(string(der), authMagic)
	if !ok {
		return nil, fmt.Errorf("%w: not an openssh-key-v1 file", ErrMalformed)
	}
	var w struct {
		CipherName, KdfName, KdfOpts string
		NumKeys                      uint32
		PubKey                       []byte
		Rest                         []byte `ssh:"rest"`
	}
	if err := ssh.Unmarshal([]byte(rest), &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if w.NumKeys != 1 {
		return nil, fmt.Errorf("%w: %d keys in one file", ErrMalformed, w.NumKeys)
	}
	return ssh.ParsePublicKey(w.PubKey)
}

// GenerateSigningKey makes a new Ed25519 signing key and returns its
// private key file, in OpenSSH's format without a passphrase (ssh-keygen
// and ssh-add read it), and its public key in authorized_keys format.
func GenerateSigningKey() (privatePEM []byte, authorizedKey string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, "", err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, "", err
	}
	return pem.EncodeToMemory(block), AuthorizedKey(sshPub), nil
}

// ParsePublicKey parses a signing public key in authorized_keys format,
// "TYPE BASE64 [COMMENT]" as in a .pub file, of type ssh-ed25519 or
// sk-ssh-ed25519@openssh.com. Options before the type are refused. What
// should be stored is AuthorizedKey of the result, without the comment,
// which often holds an e-mail address or a host name.
func ParsePublicKey(authorized string) (ssh.PublicKey, error) {
	if len(authorized) > MaxKeySize {
		return nil, fmt.Errorf("%w: public key longer than %d bytes", ErrMalformed, MaxKeySize)
	}
	s := strings.TrimSpace(authorized)
	if strings.Contains(s, "PRIVATE KEY") || strings.Contains(strings.ToUpper(s), "SECRET-KEY") {
		return nil, fmt.Errorf("%w: this looks like a private key: give the public key (the .pub file, or what amana keygen printed)", ErrMalformed)
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("%w: more than one line", ErrMalformed)
	}
	f := strings.Fields(s)
	if len(f) < 2 {
		return nil, fmt.Errorf("%w: not an SSH public key (want \"ssh-ed25519 AAAA…\")", ErrMalformed)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(f[1])
	if err != nil {
		return nil, fmt.Errorf("%w: not an SSH public key (want \"ssh-ed25519 AAAA…\")", ErrMalformed)
	}
	pub, err := ssh.ParsePublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: SSH public key: %v", ErrMalformed, err)
	}
	if pub.Type() != f[0] {
		return nil, fmt.Errorf("%w: the key is of type %s but is labelled %.40q", ErrMalformed, pub.Type(), f[0])
	}
	if err := checkKeyType(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// AuthorizedKey returns pub in authorized_keys format, "TYPE BASE64",
// without a comment or a newline.
func AuthorizedKey(pub ssh.PublicKey) string {
	return strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pub)), "\n")
}

// Fingerprint returns pub's SHA-256 fingerprint as OpenSSH shows it,
// "SHA256:…" (ssh-keygen -l).
func Fingerprint(pub ssh.PublicKey) string {
	return ssh.FingerprintSHA256(pub)
}

// AllowedSigners returns one line of an OpenSSH allowed_signers file (see
// ssh-keygen(1)) that lets principal sign with pub in [DepositNamespace]
// only. principal is an Amana user id; any character that allowed_signers
// would read as syntax (white space, quotes, commas, the wildcards * and ?,
// the negation !) is replaced by '_', so the line never admits more
// principals than the one it names.
func AllowedSigners(principal string, pub ssh.PublicKey) []byte {
	p := strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9',
			r == '.', r == '_', r == '-', r == '@', r == '+':
			return r
		}
		return '_'
	}, principal)
	if p == "" {
		p = "_"
	}
	return []byte(p + ` namespaces="` + DepositNamespace + `" ` + AuthorizedKey(pub) + "\n")
}
