package vault

import (
	"bytes"
	"encoding/binary"

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
