package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/sshsig"
)

// signingKey is a user's signing key: an OpenSSH Ed25519 key file that
// Amana reads, or the file of a security key (sk-ssh-ed25519), with which
// only ssh-keygen can sign.
type signingKey struct {
	File      string
	PublicKey ssh.PublicKey
	// Signer signs here; nil for a security key.
	Signer ssh.Signer
}

// loadSigningKey reads the signing key in file.
func loadSigningKey(file string) (*signingKey, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, sshsig.MaxKeySize+1))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", file, err)
	}
	signer, err := sshsig.ParseSigningKey(b)
	var hw *sshsig.HardwareKeyError
	switch {
	case errors.As(err, &hw):
		return &signingKey{File: file, PublicKey: hw.PublicKey}, nil
	case err != nil:
		return nil, fmt.Errorf("signing key %s: %w", file, err)
	}
	return &signingKey{File: file, PublicKey: signer.PublicKey(), Signer: signer}, nil
}

// Sign signs message in namespace: here, or with ssh-keygen for a security
// key, which waits for a touch.
func (k *signingKey) Sign(namespace string, message []byte) ([]byte, error) {
	if k.Signer != nil {
		return sshsig.Sign(k.Signer, namespace, message)
	}
	fmt.Fprintf(os.Stderr, "Touch your security key to sign (%s %s)…\n", k.PublicKey.Type(), sshsig.Fingerprint(k.PublicKey))
	return sshsig.SignWithSSHKeygen(k.File, namespace, message)
}

// defaultSigningKeyFile is where a signing key is looked for when none is
// named: next to the identity file, with .key replaced by .sign, as
// 'amana keygen' writes them ("" when there is no such file).
func defaultSigningKeyFile(identity string) string {
	if !strings.HasSuffix(identity, ".key") {
		return ""
	}
	name := strings.TrimSuffix(identity, ".key") + ".sign"
	if st, err := os.Stat(name); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return ""
	}
	return abs
}
