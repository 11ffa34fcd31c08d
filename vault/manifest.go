package vault

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/manifest"
	"github.com/amana-vault/amana/vault/audit"
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

// DepositProof returns the audit event that recorded document id's
// deposit (document.deposit, outcome ok; its detail holds the signed
// manifest and its signature), with its inclusion proof in the newest
// signed checkpoint and a consistency proof to that checkpoint from
// since, the size of the newest checkpoint the caller verified before (0
// for none). Whoever may read the document's record may have it; the
// request is audited as document.manifest. Readers check the answer with
// auditlog.VerifyEventProof, that the event records the manifest the
// record holds, and the manifest's signature with the signing key bound to
// the depositor when the event was appended (UserKeyProofAt at its seq):
// a key bound later cannot sign a deposit made before.
func (v *Vault) DepositProof(c Caller, id string, since int64) (*auditlog.EventProof, error) {
	var seq int64
	err := v.update(c, "document.manifest", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc = id
		a, err := v.access(tx, c, ev.Action, id, "")
		if err != nil {
			return err
		}
		ev.Collection = a.doc.Collection
		if since < 0 {
			return invalid("since", "must not be negative")
		}
		var ok bool
		if seq, ok = depositEvent(tx, id); !ok {
			return fmt.Errorf("%w: no audit event records the deposit of %s", ErrConflict, id)
		}
		ev.Detail = map[string]string{"since": fmt.Sprint(since), "deposit": fmt.Sprint(seq)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &auditlog.EventProof{Seq: seq, Since: since, Consistency: tlog.TreeProof{}}
	err = v.db.View(func(tx *bbolt.Tx) error {
		cp, err := audit.LatestCheckpoint(tx)
		if err != nil {
			return err
		}
		signed, err := auditlog.OpenCheckpoint(cp, v.log.VerifierKey())
		if err != nil {
			return err
		}
		if out.Event, out.Proof, err = provenEvent(tx, seq, signed.Size); err != nil {
			return err
		}
		out.Checkpoint = string(cp)
		out.Consistency, err = consistencySince(tx, since, signed.Size)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// depositEvent returns the sequence number of the event that recorded
// document id's deposit: the first of its custody trail that is a
// successful document.deposit of it (failed attempts with its id may
// come before).
func depositEvent(tx *bbolt.Tx, id string) (int64, bool) {
	prefix := []byte(id + "/")
	cur := tx.Bucket(bucketCustody).Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
		if len(k) != len(prefix)+8 {
			continue
		}
		seq := int64(binary.BigEndian.Uint64(k[len(prefix):]))
		leaves, err := audit.Events(tx, seq, 1)
		if err != nil || len(leaves) != 1 {
			return 0, false
		}
		if !bytes.Contains(leaves[0], []byte(`"action":"document.deposit"`)) {
			continue
		}
		e, err := auditlog.ParseEvent(leaves[0])
		if err != nil {
			return 0, false
		}
		if e.Seq == seq && e.Action == "document.deposit" && e.Doc == id && e.Outcome == outcomeOK {
			return seq, true
		}
	}
	return 0, false
}
