package audit

import (
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/auditlog"
)

// Export writes an independent copy of the log in tx to dir (created if
// needed), in the layout auditlog.VerifyExport checks: every event as one
// line of events.jsonl, the newest signed checkpoint and the verifier key.
// Any RFC 6962 implementation recomputes the checkpoint's root hash from
// the lines of events.jsonl without their newlines.
func Export(tx *bbolt.Tx, dir string) error {
	s, err := open(tx)
	if err != nil {
		return err
	}
	vkey, err := s.verifierKey()
	if err != nil {
		return err
	}
	latest, _, err := s.latest()
	if err != nil {
		return err
	}
	if latest == nil {
		return fmt.Errorf("audit: export: the log has no signed checkpoint")
	}
	x, err := auditlog.CreateExport(dir)
	if err != nil {
		return err
	}
	defer x.Abort()
	if err := s.events.ForEach(func(_, leaf []byte) error { return x.WriteLeaf(leaf) }); err != nil {
		return err
	}
	_, err = x.Commit(latest, vkey)
	return err
}
