package auditlog

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// CheckInclusion checks that leaf is event seq of the tree that checkpoint
// c signs, with an RFC 6962 inclusion proof (as the server's
// /v1/audit/proof/inclusion and a document's custody trail give it).
func CheckInclusion(c Checkpoint, seq int64, leaf []byte, proof tlog.RecordProof) error {
	if err := tlog.CheckRecord(proof, c.Size, c.Root, seq, tlog.RecordHash(leaf)); err != nil {
		return fmt.Errorf("event %d is not in the tree of %d events: %w", seq, c.Size, err)
	}
	return nil
}

// CheckConsistency checks that the log at checkpoint older is a prefix of
// the log at newer, with the consistency proof from older.Size to
// newer.Size (as the server's /v1/audit/proof/consistency gives it). A log
// that shrank, or changed at the same size, fails; from an empty log no
// proof is needed.
func CheckConsistency(older, newer Checkpoint, proof tlog.TreeProof) error {
	switch {
	case older.Origin != newer.Origin:
		return fmt.Errorf("checkpoints of different logs (%q, %q)", older.Origin, newer.Origin)
	case newer.Size < older.Size:
		return fmt.Errorf("the log shrank from %d to %d events", older.Size, newer.Size)
	case newer.Size == older.Size:
		if newer.Root != older.Root {
			return fmt.Errorf("the log of %d events changed since the earlier checkpoint", older.Size)
		}
		return nil
	case older.Size == 0:
		return nil
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fmt.Errorf("the log of %d events is not a prefix of the log of %d events: %w", older.Size, newer.Size, err)
	}
	return nil
}
