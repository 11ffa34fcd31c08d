package layout

import (
	"fmt"

	"github.com/amana-vault/amana/auditlog"
)

// Custody is what CheckCustody read in a document's custody trail.
type Custody struct {
	Seqs []int64 // of the events, in order
	// CipherSHA256 is the ciphertext hash the last successful deposit or
	// rekey recorded, DepositManifest the signed manifest the successful
	// deposit recorded ("" when none did).
	CipherSHA256, DepositManifest string
}

// CheckCustody checks document doc's custody trail, events with their
// proofs, against the signed checkpoint cp, as a reader of a bundle must:
// each event is about doc, its proof is for its seq, and it is in cp's
// tree. each, if not nil, is called with every event that passed, for
// checks of the caller's own.
func CheckCustody(cp auditlog.Checkpoint, doc string, events [][]byte, proofs []Proof, each func(seq int64, raw []byte) error) (*Custody, error) {
	if len(events) == 0 || len(events) != len(proofs) {
		return nil, fmt.Errorf("%d custody events but %d proofs", len(events), len(proofs))
	}
	c := &Custody{}
	for i, raw := range events {
		ev, err := auditlog.ParseEvent(raw)
		if err != nil {
			return nil, fmt.Errorf("custody event %d: %w", i, err)
		}
		if ev.Doc != doc {
			return nil, fmt.Errorf("custody event seq %d is about %q, not this document", ev.Seq, ev.Doc)
		}
		if proofs[i].Seq != ev.Seq {
			return nil, fmt.Errorf("proof %d is for seq %d, event is seq %d", i, proofs[i].Seq, ev.Seq)
		}
		if err := auditlog.CheckInclusion(cp, ev.Seq, raw, proofs[i].Proof); err != nil {
			return nil, fmt.Errorf("custody event seq %d is not in the signed log: %w", ev.Seq, err)
		}
		if each != nil {
			if err := each(ev.Seq, raw); err != nil {
				return nil, err
			}
		}
		c.Seqs = append(c.Seqs, ev.Seq)
		if ev.Outcome != auditlog.OutcomeOK {
			continue
		}
		switch ev.Action {
		case "document.deposit":
			c.CipherSHA256, c.DepositManifest = ev.Detail["cipher_sha256"], ev.Detail["manifest"]
		case "document.rekey":
			c.CipherSHA256 = ev.Detail["cipher_sha256"]
		}
	}
	return c, nil
}
