package vault

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/vault/audit"
)

// Custody is a document's trail in the audit log, provable by anyone who
// holds the log's verifier key: every event about the document, an
// inclusion proof of each in the tree of the signed checkpoint.
type Custody struct {
	Events     [][]byte           // leaf data, in order
	Seqs       []int64            // their sequence numbers
	Proofs     []tlog.RecordProof // inclusion of each event in Checkpoint's tree
	Checkpoint []byte             // signed note
	Verifier   string
}

// MaxCustodyEvents bounds one custody trail.
const MaxCustodyEvents = 100000

// CustodyTrail returns the custody trail of a document, for those who may
// read it (slot holders) and for auditors and admins. The request itself
// is the trail's last event.
func (v *Vault) CustodyTrail(c Caller, id string) (*Custody, error) {
	err := v.update(c, "document.custody", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc = id
		a, err := v.access(tx, c, ev.Action, id, "")
		if err != nil {
			return err
		}
		ev.Collection = a.doc.Collection
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &Custody{Verifier: v.log.VerifierKey()}
	err = v.db.View(func(tx *bbolt.Tx) error {
		cp, err := audit.LatestCheckpoint(tx)
		if err != nil {
			return err
		}
		signed, err := auditlog.OpenCheckpoint(cp, out.Verifier)
		if err != nil {
			return err
		}
		size := signed.Size
		out.Checkpoint = cp
		prefix := []byte(id + "/")
		cur := tx.Bucket(bucketCustody).Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out.Seqs) < MaxCustodyEvents; k, _ = cur.Next() {
			seq := int64(binary.BigEndian.Uint64(k[len(prefix):]))
			if seq >= size {
				break
			}
			leaves, err := audit.Events(tx, seq, 1)
			if err != nil || len(leaves) != 1 {
				return err
			}
			p, err := audit.InclusionProof(tx, seq, size)
			if err != nil {
				return err
			}
			out.Seqs = append(out.Seqs, seq)
			out.Events = append(out.Events, leaves[0])
			out.Proofs = append(out.Proofs, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ProveCustodyIn returns trail with its events proved in the tree of
// another signed checkpoint of the log, at least as large as the trail's
// own: a checkpoint that witnesses cosigned after the trail was read. It
// adds no event to the trail and reads nothing the trail did not hold, so
// it needs no caller: the request that read the trail was authorized and
// audited.
func (v *Vault) ProveCustodyIn(trail *Custody, checkpoint []byte) (*Custody, error) {
	cp, err := auditlog.OpenCheckpoint(checkpoint, v.log.VerifierKey())
	if err != nil {
		return nil, err
	}
	old, err := auditlog.OpenCheckpoint(trail.Checkpoint, v.log.VerifierKey())
	if err != nil {
		return nil, err
	}
	if cp.Size < old.Size {
		return nil, fmt.Errorf("vault: checkpoint of %d events is older than the trail's (%d)", cp.Size, old.Size)
	}
	out := &Custody{Events: trail.Events, Seqs: trail.Seqs, Checkpoint: checkpoint, Verifier: trail.Verifier}
	err = v.db.View(func(tx *bbolt.Tx) error {
		for _, seq := range trail.Seqs {
			p, err := audit.InclusionProof(tx, seq, cp.Size)
			if err != nil {
				return err
			}
			out.Proofs = append(out.Proofs, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
