package vault

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/vault/audit"
)

// MaxAuditPage bounds one page of audit events.
const MaxAuditPage = 1000

// AuditEvents returns the leaf data of up to limit events from seq after
// on (auditors and admins). The read is itself audited, after the page
// it returns.
func (v *Vault) AuditEvents(c Caller, after int64, limit int) ([][]byte, error) {
	if after < 0 {
		return nil, invalid("after", "must not be negative")
	}
	if limit <= 0 || limit > MaxAuditPage {
		limit = MaxAuditPage
	}
	var out [][]byte
	err := v.update(c, "audit.read", func(tx *bbolt.Tx, ev *audit.Event) error {
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		var err error
		out, err = audit.Events(tx, after, limit)
		ev.Detail = map[string]string{"after": fmt.Sprint(after), "count": fmt.Sprint(len(out))}
		return err
	})
	return out, err
}

// AuditCheckpoint signs a checkpoint covering the log so far and returns
// it (auditors and admins).
func (v *Vault) AuditCheckpoint(c Caller) ([]byte, error) {
	var out []byte
	err := v.update(c, "audit.checkpoint", func(tx *bbolt.Tx, ev *audit.Event) error {
		return v.may(tx, c, ev.Action)
	})
	if err != nil {
		return nil, err
	}
	// Sign after the read event, so the checkpoint covers it.
	err = v.db.Update(func(tx *bbolt.Tx) error {
		if err := v.log.Sign(tx); err != nil {
			return err
		}
		var err error
		out, err = audit.LatestCheckpoint(tx)
		return err
	})
	v.signed()
	return out, err
}

// AuditInclusionProof proves that event seq is in the tree of the given
// size.
func (v *Vault) AuditInclusionProof(c Caller, seq, size int64) (tlog.RecordProof, error) {
	var out tlog.RecordProof
	err := v.update(c, "audit.proof", func(tx *bbolt.Tx, ev *audit.Event) error {
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		ev.Detail = map[string]string{"kind": "inclusion", "seq": fmt.Sprint(seq), "size": fmt.Sprint(size)}
		p, err := audit.InclusionProof(tx, seq, size)
		if err != nil {
			return &InvalidError{Field: "seq", Reason: err.Error()}
		}
		out = p
		return nil
	})
	return out, err
}

// AuditConsistencyProof proves that the tree of size oldSize is a prefix of
// the tree of size newSize.
func (v *Vault) AuditConsistencyProof(c Caller, oldSize, newSize int64) (tlog.TreeProof, error) {
	var out tlog.TreeProof
	err := v.update(c, "audit.proof", func(tx *bbolt.Tx, ev *audit.Event) error {
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		ev.Detail = map[string]string{"kind": "consistency", "old": fmt.Sprint(oldSize), "new": fmt.Sprint(newSize)}
		p, err := audit.ConsistencyProof(tx, oldSize, newSize)
		if err != nil {
			return &InvalidError{Field: "size", Reason: err.Error()}
		}
		out = p
		return nil
	})
	return out, err
}

// AuditTile returns tile t of the log in the C2SP tlog-tiles layout (a
// tile of hashes, or for t.L == -1 an entry bundle), for auditors and
// admins; ErrNotFound when the log does not hold all of it yet. The read
// is audited, with the tile's path.
func (v *Vault) AuditTile(c Caller, t tlog.Tile) ([]byte, error) {
	var out []byte
	err := v.update(c, "audit.read", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Detail = map[string]string{"tile": auditlog.TilePath(t)}
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		var err error
		out, err = audit.Tile(tx, t)
		if errors.Is(err, audit.ErrNoTile) {
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return err
	})
	return out, err
}

// The audit log as the server's witness client sees it: the server's own
// machinery, not a user's request, so these are not audited (a
// cosignature adds no event either: it changes no data, only vouches for
// a checkpoint).

// LatestCheckpoint returns the newest checkpoint the vault signed, without
// cosignatures, and its size.
func (v *Vault) LatestCheckpoint() ([]byte, int64, error) {
	var out []byte
	var size int64
	err := v.db.View(func(tx *bbolt.Tx) error {
		var err error
		if out, err = audit.LatestCheckpoint(tx); err != nil || out == nil {
			return err
		}
		cp, err := auditlog.OpenCheckpoint(out, v.log.VerifierKey())
		size = cp.Size
		return err
	})
	return out, size, err
}

// CheckpointConsistency proves that the tree of oldSize events is a prefix
// of the tree of newSize events.
func (v *Vault) CheckpointConsistency(oldSize, newSize int64) (tlog.TreeProof, error) {
	var out tlog.TreeProof
	err := v.db.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = audit.ConsistencyProof(tx, oldSize, newSize)
		return err
	})
	return out, err
}

// AddCosignature stores a witness's cosignature line of the checkpoint of
// the given size, which the caller has checked.
func (v *Vault) AddCosignature(size int64, line []byte) error {
	return v.db.Update(func(tx *bbolt.Tx) error {
		return audit.AddCosignature(tx, size, line)
	})
}

// CosignedCheckpoint returns the newest of the last few cosigned
// checkpoints that accept takes (a quorum of witnesses), with its
// cosignatures, or nil if there is none.
func (v *Vault) CosignedCheckpoint(accept func(note []byte) bool) ([]byte, error) {
	var out []byte
	err := v.db.View(func(tx *bbolt.Tx) error {
		for _, size := range audit.CosignedSizes(tx, 64) {
			msg, err := audit.Cosigned(tx, size)
			if err != nil {
				return err
			}
			if msg != nil && accept(msg) {
				out = msg
				return nil
			}
		}
		return nil
	})
	return out, err
}

// AuditHMAC returns the keyed hash under which the log records value, so an
// admin can look up events about a known search text or address.
func (v *Vault) AuditHMAC(c Caller, value string) (string, error) {
	var out string
	err := v.update(c, "audit.hmac", func(tx *bbolt.Tx, ev *audit.Event) error {
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		out = v.log.HMAC(value)
		return nil
	})
	return out, err
}

// RecordSearch appends the audit event of a search: the query text is kept
// only as its keyed hash.
func (v *Vault) RecordSearch(c Caller, query string, total uint64) error {
	return v.update(c, "search", func(tx *bbolt.Tx, ev *audit.Event) error {
		if _, err := v.activeUser(tx, c.User); err != nil {
			return err
		}
		if ev.Hashed == nil {
			ev.Hashed = map[string]string{}
		}
		ev.Hashed["query"] = v.log.HMAC(query)
		ev.Detail = map[string]string{"total": fmt.Sprint(total)}
		return nil
	})
}

// Record appends an audit event for an action outside the vault's own
// operations (logout, a server fault), with its outcome.
func (v *Vault) Record(c Caller, action, outcome string, detail map[string]string) error {
	return v.update(c, action, func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Outcome = outcome
		ev.Detail = detail
		return nil
	})
}

// ViewFile opens the vault file in dir read-only, without the passphrase,
// and runs fn over it: for offline tools (audit verify and export), which
// need nothing secret. It fails if a server holds the vault.
func ViewFile(dir string, fn func(tx *bbolt.Tx) error) error {
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNoVault, dir)
		}
		return err
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return fmt.Errorf("vault: %s is in use by a running server; stop it, or use the online commands", dir)
		}
		return fmt.Errorf("vault: %w", err)
	}
	defer db.Close()
	return db.View(fn)
}

// SearchScope returns the collections whose public metadata the caller may
// search: all of them for admins, their own for researchers and lawyers.
// Auditors do not search. The search itself is audited by RecordSearch.
func (v *Vault) SearchScope(c Caller) ([]string, error) {
	var out []string
	err := v.db.View(func(tx *bbolt.Tx) error {
		u, err := v.activeUser(tx, c.User)
		if err != nil {
			return err
		}
		shows, err := listFilter(u, "search")
		if err != nil {
			return err
		}
		return v.eachCollection(tx, func(col *Collection) error {
			if shows(col) {
				out = append(out, col.ID)
			}
			return nil
		})
	})
	if err != nil {
		ev := v.event(c, "search")
		return nil, v.recordFailure(ev, err)
	}
	return out, nil
}
