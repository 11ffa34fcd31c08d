package audit

import (
	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/auditlog"
)

// Verify checks the audit log in tx with auditlog.Verify, without any
// secret: against the verifier key that Init stored, its newest signed
// checkpoint and, if old is not nil, an earlier checkpoint the auditor
// kept. It also compares every stored tree hash with the events (so that
// the proofs served from them are sound) and uses the history of signed
// checkpoints to name the first event that was changed. A failed check is
// an *auditlog.TamperError naming the first sequence number that cannot be
// trusted.
//
// Verify reads the log once, in order, and keeps O(log n) hashes in memory.
func Verify(tx *bbolt.Tx, old []byte) (*auditlog.Report, error) {
	s, err := open(tx)
	if err != nil {
		return nil, err
	}
	vkey, err := s.verifierKey()
	if err != nil {
		return nil, err
	}
	latest, _, err := s.latest()
	if err != nil {
		return nil, &auditlog.TamperError{Seq: 0, Reason: err.Error(), Err: err}
	}
	return auditlog.Verify(&auditlog.Source{
		VerifierKey: vkey,
		Checkpoint:  latest,
		Leaves:      &cursorLeaves{cursor{c: s.events.Cursor()}},
		Hashes:      s,
		Checkpoints: s,
	}, old)
}

// cursorLeaves reads the events bucket in key order.
type cursorLeaves struct{ cursor }

func (l *cursorLeaves) ReadLeaf() (int64, []byte, error) { return l.read() }
