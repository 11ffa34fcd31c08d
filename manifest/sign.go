package manifest

import (
	"errors"
	"fmt"
	"slices"

	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/sshsig"
)

// ErrSignature means a manifest's signature does not verify with the
// depositor's signing key.
var ErrSignature = errors.New("manifest: bad signature")

// Sign signs the manifest's bytes with the depositor's signing key: an
// armored SSH signature in namespace Namespace, which
// ssh-keygen -Y verify -n amana-deposit checks.
func Sign(m *Manifest, signer ssh.Signer) ([]byte, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	return sshsig.Sign(signer, Namespace, m.Bytes())
}

// Verify parses a manifest and checks its signature with signingKey (the
// depositor's public signing key, authorized_keys format). It does not say
// whether signingKey is the depositor's: the caller must know that.
func Verify(b, sig []byte, signingKey string) (*Manifest, error) {
	m, err := Parse(b)
	if err != nil {
		return nil, err
	}
	if signingKey == "" {
		return nil, fmt.Errorf("%w: %s has no signing key", ErrSignature, m.Depositor)
	}
	pub, err := sshsig.ParsePublicKey(signingKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %s's signing key: %w", ErrSignature, m.Depositor, err)
	}
	if err := sshsig.Verify(pub, Namespace, b, sig); err != nil {
		return nil, fmt.Errorf("%w: not signed by %s's key %s: %w", ErrSignature, m.Depositor, sshsig.Fingerprint(pub), err)
	}
	return m, nil
}

// Record is what a reader knows of a document from the server's record of
// it: the fields the manifest must agree with, and the manifest, its
// signature and the public metadata exactly as the depositor sent them.
type Record struct {
	ID, Collection, Kind, Depositor string
	ConsentScopes                   []string
	Manifest, ManifestSig           []byte
	PublicSigned                    []byte
}

// VerifyRecord is what every reader does before trusting a document: the
// manifest must be signed by signingKey (the depositor's, as the reader
// knows it) and agree with the record. The plaintext is then checked
// against the returned manifest's commitment.
func VerifyRecord(r Record, signingKey string) (*Manifest, error) {
	if len(r.Manifest) == 0 {
		return nil, fmt.Errorf("%w: document %s has no signed manifest", ErrMismatch, r.ID)
	}
	m, err := Verify(r.Manifest, r.ManifestSig, signingKey)
	if err != nil {
		return nil, err
	}
	scopes := slices.Compact(slices.Sorted(slices.Values(r.ConsentScopes)))
	if err := m.Match(Expect{ID: r.ID, Collection: r.Collection, Kind: r.Kind, Depositor: r.Depositor,
		PublicSHA256: PublicSHA256(r.PublicSigned), ConsentScopes: scopes}); err != nil {
		return nil, err
	}
	return m, nil
}
