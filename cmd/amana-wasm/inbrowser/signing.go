package inbrowser

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/manifest"
	"github.com/amana-vault/amana/sshsig"
)

// Errors about signing keys and users' keys that the page tells apart
// (ErrorCode).
var (
	// ErrSecurityKey: the file is a FIDO security key's handle
	// (sk-ssh-ed25519@openssh.com), whose private key never leaves the
	// token; only OpenSSH can sign with it, so a page cannot.
	ErrSecurityKey = errors.New("a security key (" + ssh.KeyAlgoSKED25519 + ") cannot sign in a browser: only OpenSSH can use it; deposit with the amana command line, or load an Ed25519 signing key file (NAME.sign)")
	// ErrPassphrase: the signing key file is encrypted with a passphrase,
	// which the page does not ask for.
	ErrPassphrase = errors.New("the signing key file is protected by a passphrase, which this page cannot ask for")
	// ErrNoSigningKey: no signing key was loaded at login.
	ErrNoSigningKey = errors.New("no signing key loaded: log in again with your signing key file (NAME.sign) to deposit")
)

// ErrorCode is envelope.ErrorCode with the page's own cases:
// "security_key", "passphrase" and "no_signing_key" for signing keys,
// "key_changed" and "key_unproven" for a user's keys (CheckKeys).
func ErrorCode(err error) string {
	var ke *KeyError
	switch {
	case errors.Is(err, ErrSecurityKey):
		return "security_key"
	case errors.Is(err, ErrPassphrase):
		return "passphrase"
	case errors.Is(err, ErrNoSigningKey):
		return "no_signing_key"
	case errors.Is(err, ErrKeyChanged):
		return "key_changed"
	case errors.As(err, &ke):
		return "key_unproven"
	}
	return envelope.ErrorCode(err)
}

// A SigningKey is the user's deposit signing key (an OpenSSH Ed25519
// private key), held in memory for one session.
type SigningKey struct {
	priv ed25519.PrivateKey
	pub  ssh.PublicKey
}

// ParseSigningKey parses a signing key file as 'amana keygen' writes it
// (NAME.sign) or ssh-keygen -t ed25519 without a passphrase, and accepts
// exactly what sshsig.ParseSigningKey accepts for the command line. A
// security key's file gives ErrSecurityKey, an encrypted one ErrPassphrase.
func ParseSigningKey(file []byte) (*SigningKey, error) {
	if len(file) > sshsig.MaxKeySize {
		return nil, fmt.Errorf("not a signing key file: larger than %d bytes", sshsig.MaxKeySize)
	}
	block, _ := pem.Decode(file)
	if block == nil || block.Type != "OPENSSH PRIVATE KEY" {
		return nil, errors.New("not a signing key file: not an OpenSSH private key file (-----BEGIN OPENSSH PRIVATE KEY-----)")
	}
	key, err := ssh.ParseRawPrivateKey(file)
	var pm *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &pm):
		return nil, ErrPassphrase
	case err != nil && bytes.Contains(block.Bytes, []byte(ssh.KeyAlgoSKED25519)):
		return nil, ErrSecurityKey
	case err != nil:
		return nil, fmt.Errorf("not a signing key file: %v", err)
	}
	var priv ed25519.PrivateKey
	switch k := key.(type) {
	case ed25519.PrivateKey:
		priv = k
	case *ed25519.PrivateKey:
		priv = *k
	default:
		return nil, fmt.Errorf("not a signing key file: a key of type %T: signing keys are %s (ssh-keygen -t ed25519)", key, ssh.KeyAlgoED25519)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		return nil, fmt.Errorf("not a signing key file: %v", err)
	}
	return &SigningKey{priv: priv, pub: pub}, nil
}

// PublicKey returns the key's public part in authorized_keys format, as
// the vault registers it.
func (k *SigningKey) PublicKey() string { return sshsig.AuthorizedKey(k.pub) }

// Fingerprint returns the key's SHA-256 fingerprint, as ssh-keygen -l
// shows it.
func (k *SigningKey) Fingerprint() string { return sshsig.Fingerprint(k.pub) }

// Forget overwrites and drops the key; it signs nothing afterwards.
func (k *SigningKey) Forget() {
	if k != nil {
		clear(k.priv)
		k.priv, k.pub = nil, nil
	}
}

// SignManifest is manifest.Sign with this key: the manifest's bytes signed
// in an SSH signature (PROTOCOL.sshsig, namespace manifest.Namespace, hash
// sha512, armored), byte for byte what sshsig.Sign and ssh-keygen -Y sign
// write, since Ed25519 signatures are deterministic. It is written out here
// because sshsig.Sign signs through the ssh.Signer interface, which links
// RSA, DSA and ECDSA signing into the module; Ed25519 is all Amana signs
// with. Every signature is checked with manifest.Verify before it is used.
func (k *SigningKey) SignManifest(m *manifest.Manifest) ([]byte, error) {
	if k == nil || len(k.priv) != ed25519.PrivateKeySize {
		return nil, ErrNoSigningKey
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	msg := m.Bytes()
	sig := sshSignature(k.priv, k.pub, manifest.Namespace, msg)
	if _, err := manifest.Verify(msg, sig, k.PublicKey()); err != nil {
		return nil, fmt.Errorf("the signature made does not verify: %w", err)
	}
	return sig, nil
}

// sshSignature is an armored SSH signature (PROTOCOL.sshsig) by an
// Ed25519 key over message in namespace, hash sha512.
func sshSignature(priv ed25519.PrivateKey, pub ssh.PublicKey, namespace string, message []byte) []byte {
	const magic = "SSHSIG"
	h := sha512.Sum512(message)
	signed := append([]byte(magic), ssh.Marshal(struct {
		Namespace string
		Reserved  []byte
		HashAlg   string
		Hash      []byte
	}{namespace, nil, "sha512", h[:]})...)
	raw := append([]byte(magic), ssh.Marshal(struct {
		Version   uint32
		PublicKey []byte
		Namespace string
		Reserved  []byte
		HashAlg   string
		Signature []byte
	}{1, pub.Marshal(), namespace, nil, "sha512",
		ssh.Marshal(ssh.Signature{Format: ssh.KeyAlgoED25519, Blob: ed25519.Sign(priv, signed)})})...)
	enc := base64.StdEncoding.EncodeToString(raw)
	var b strings.Builder
	b.WriteString("-----BEGIN SSH SIGNATURE-----\n")
	for len(enc) > 70 {
		b.WriteString(enc[:70] + "\n")
		enc = enc[70:]
	}
	b.WriteString(enc + "\n-----END SSH SIGNATURE-----\n")
	return []byte(b.String())
}
