package vault

import (
	"encoding/hex"
	"slices"
	"time"

	"github.com/amana-vault/amana/manifest"
)

// manifestSkew is how far a manifest's time may be from the vault's clock:
// wide enough for a field laptop's drifting clock, narrow enough that a
// manifest cannot claim another day.
const manifestSkew = time.Hour

// maxManifestSig bounds an armored SSH signature.
const maxManifestSig = 4 << 10

// SetManifest gives a deposit its signed manifest (package manifest): the
// manifest's bytes and the depositor's armored SSH signature of them. Commit
// then checks it against the deposit and the depositor's signing key,
// records both in the deposit's audit event, and keeps them with the
// document through every rekey. Call it before Commit.
func (u *Upload) SetManifest(m, sig []byte) {
	u.manifest, u.manifestSig = clone(m), clone(sig)
}

// checkManifest verifies a deposit's signed manifest inside the commit
// transaction: it must be signed by the depositor's registered signing key
// and describe exactly this deposit. The HTTP API refuses deposits without
// one; in-process callers (the benchmark's bulk loader, tests) may omit it,
// and readers refuse such documents.
func (u *Upload) checkManifest(user *User, req DepositRequest, sum [32]byte) (*manifest.Manifest, error) {
	if len(u.manifest) == 0 {
		return nil, nil
	}
	if len(u.manifestSig) > maxManifestSig {
		return nil, invalid("manifest_sig", "more than %d bytes", maxManifestSig)
	}
	if user.SigningKey == "" {
		return nil, invalid("manifest", "%s has no signing key registered: an admin must add one before %s can deposit", user.ID, user.ID)
	}
	m, err := manifest.Verify(u.manifest, u.manifestSig, user.SigningKey)
	if err != nil {
		return nil, invalid("manifest_sig", "%v", err)
	}
	scopes := slices.Compact(slices.Sorted(slices.Values(req.Consent.Scopes)))
	err = m.Match(manifest.Expect{
		ID: u.doc, Collection: req.Collection, Kind: req.Kind, Depositor: user.ID,
		CipherSHA256: hex.EncodeToString(sum[:]), PublicSHA256: manifest.PublicSHA256(req.PublicSigned),
		ConsentScopes: scopes,
	})
	if err != nil {
		return nil, invalid("manifest", "%v", err)
	}
	if d := m.Time().Sub(u.v.opts.Now()); d > manifestSkew || d < -manifestSkew {
		return nil, invalid("manifest", "deposited_at %s is more than %s from the server's clock", m.DepositedAt, manifestSkew)
	}
	return m, nil
}
