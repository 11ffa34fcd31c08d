package vault

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/vault/audit"
)

// Users' keys are bound in the audit log (auditlog.BindingOf): the event
// that creates a user and every event that changes its keys record them,
// and clients check that binding, with an inclusion proof in a signed
// checkpoint, before they encrypt to a user or trust its signature
// (UserKeyProof). The server can still hand out another key, but not
// without a binding event that every auditor sees, nor to a client that
// pinned the key before without that client noticing.

// bucketKeyBindings indexes the events that bind users' keys:
// user id "/" audit seq -> nil. It is written in the transaction of each
// binding event (appendEvent).
var bucketKeyBindings = []byte("keybindings")

// Key proof purposes, recorded in the audit event of the request.
const (
	KeyPurposeVerify = "verify" // a client checks keys before it uses them
	KeyPurposeTrust  = "trust"  // a user accepts a change of keys
)

// bindKeys records in ev, the event that creates u or changes its keys, the
// keys u has from now on; old is u before the change, nil at its creation.
func bindKeys(ev *audit.Event, u, old *User) {
	if ev.Detail == nil {
		ev.Detail = map[string]string{}
	}
	for _, k := range []string{auditlog.DetailRecipient, auditlog.DetailSigningKey, auditlog.DetailOldRecipient, auditlog.DetailOldSigningKey} {
		delete(ev.Detail, k)
	}
	ev.Detail[auditlog.DetailRecipient] = u.Recipient
	if u.SigningKey != "" {
		ev.Detail[auditlog.DetailSigningKey] = u.SigningKey
	}
	if old == nil {
		return
	}
	if old.Recipient != u.Recipient {
		ev.Detail[auditlog.DetailOldRecipient] = old.Recipient
	}
	if old.SigningKey != u.SigningKey && old.SigningKey != "" {
		ev.Detail[auditlog.DetailOldSigningKey] = old.SigningKey
	}
}

func bindingKey(user string, seq int64) []byte {
	return append([]byte(user+"/"), be64(uint64(seq))...)
}

// chainBinding names, in ev, about to be appended, the previous event that
// bound the same user's keys, if ev binds keys: every binding event names
// its predecessor (auditlog.DetailPreviousBinding), so that the next
// binding after one proves that none lies between them.
func chainBinding(tx *bbolt.Tx, ev *audit.Event) {
	if ev.Detail != nil {
		delete(ev.Detail, auditlog.DetailPreviousBinding)
	}
	b, ok := auditlog.BindingOf(ev)
	if !ok {
		return
	}
	prev := auditlog.NoPreviousBinding
	if seq, ok := latestBinding(tx, b.User); ok {
		prev = fmt.Sprint(seq)
	}
	ev.Detail[auditlog.DetailPreviousBinding] = prev
}

// indexBinding adds ev, just appended, to the index of key bindings if it
// binds a user's keys.
func indexBinding(tx *bbolt.Tx, ev *audit.Event) error {
	b, ok := auditlog.BindingOf(ev)
	if !ok {
		return nil
	}
	bk, err := tx.CreateBucketIfNotExists(bucketKeyBindings)
	if err != nil {
		return err
	}
	return bk.Put(bindingKey(b.User, ev.Seq), nil)
}

// latestBinding returns the sequence number of the latest event that
// binds user's keys.
func latestBinding(tx *bbolt.Tx, user string) (int64, bool) {
	return bindingBefore(tx, user, math.MaxInt64)
}

// bindingBefore returns the sequence number of the latest event before
// event at that binds user's keys.
func bindingBefore(tx *bbolt.Tx, user string, at int64) (int64, bool) {
	bk := tx.Bucket(bucketKeyBindings)
	if bk == nil {
		return 0, false
	}
	prefix := []byte(user + "/")
	c := bk.Cursor()
	// The first key at or after at, then one back.
	k, _ := c.Seek(bindingKey(user, at))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	return bindingSeq(k, prefix)
}

// bindingAfter returns the sequence number of the first event after event
// seq that binds user's keys.
func bindingAfter(tx *bbolt.Tx, user string, seq int64) (int64, bool) {
	bk := tx.Bucket(bucketKeyBindings)
	if bk == nil || seq == math.MaxInt64 {
		return 0, false
	}
	k, _ := bk.Cursor().Seek(bindingKey(user, seq+1))
	return bindingSeq(k, []byte(user+"/"))
}

// bindingSeq decodes k, a key of the bindings index, if it is one of the
// user whose keys begin with prefix.
func bindingSeq(k, prefix []byte) (int64, bool) {
	if !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(k[len(prefix):])), true
}

// bindUnbound binds the keys of the users of a vault written before the
// log recorded keys, once: one event by the vault itself (no actor) for
// each user, in one transaction, after which the index exists.
func (v *Vault) bindUnbound() error {
	var exists bool
	if err := v.db.View(func(tx *bbolt.Tx) error {
		exists = tx.Bucket(bucketKeyBindings) != nil
		return nil
	}); err != nil || exists {
		return err
	}
	return v.commit.do(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketKeyBindings); err != nil {
			return err
		}
		return tx.Bucket(bucketUsers).ForEach(func(k, data []byte) error {
			if _, ok := latestBinding(tx, string(k)); ok {
				return nil
			}
			var u User
			if err := json.Unmarshal(data, &u); err != nil {
				return err
			}
			ev := v.event(Caller{}, "user.bind")
			ev.Target = u.ID
			ev.Outcome = outcomeOK
			bindKeys(ev, &u, nil)
			return v.appendEvent(tx, ev)
		})
	})
}

// UserKeyProof returns user id's keys (age recipient and signing key) with
// the proof that the audit log binds them to it, for any active user: the
// latest event that binds them, its inclusion proof in the newest signed
// checkpoint, and a consistency proof to that checkpoint from since, the
// size of the newest checkpoint the caller verified before (0 for none).
// The request is audited (user.keys), with its purpose (KeyPurposeVerify
// or KeyPurposeTrust; "" for none). Clients check the answer with
// auditlog.VerifyUserKeys.
func (v *Vault) UserKeyProof(c Caller, id string, since int64, purpose string) (*auditlog.UserKeys, error) {
	return v.userKeyProof(c, id, false, 0, since, purpose)
}

// UserKeyProofAt is UserKeyProof for the keys that were in effect when
// event at (at least 1) was appended, such as the signing key a deposit's
// manifest was checked with: the latest event before at that binds user
// id's keys, and the user's next binding event after it, if there is one,
// each with its inclusion proof. The next binding names the one before it
// (auditlog.DetailPreviousBinding), which proves that no other lies
// between. Clients check the answer with auditlog.VerifyUserKeysAt.
func (v *Vault) UserKeyProofAt(c Caller, id string, at, since int64, purpose string) (*auditlog.UserKeys, error) {
	return v.userKeyProof(c, id, true, at, since, purpose)
}

// userKeyProof answers UserKeyProof and, withAt, UserKeyProofAt.
func (v *Vault) userKeyProof(c Caller, id string, withAt bool, at, since int64, purpose string) (*auditlog.UserKeys, error) {
	if !withAt {
		at = 0
	}
	find := func(tx *bbolt.Tx) (int64, error) {
		seq, ok := latestBinding(tx, id)
		if at > 0 {
			seq, ok = bindingBefore(tx, id, at)
		}
		if !ok && at > 0 {
			return 0, fmt.Errorf("%w: no audit event before event %d binds the keys of %s", ErrConflict, at, id)
		}
		if !ok {
			return 0, fmt.Errorf("%w: no audit event binds the keys of %s", ErrConflict, id)
		}
		return seq, nil
	}
	err := v.update(c, "user.keys", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Target = id
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		if since < 0 {
			return invalid("since", "must not be negative")
		}
		if withAt && at < 1 {
			return invalid("at", "must be at least 1")
		}
		switch purpose {
		case "", KeyPurposeVerify, KeyPurposeTrust:
		default:
			return invalid("purpose", "must be %s or %s", KeyPurposeVerify, KeyPurposeTrust)
		}
		if _, err := getUser(tx, id); err != nil {
			return err
		}
		seq, err := find(tx)
		if err != nil {
			return err
		}
		ev.Detail = map[string]string{"since": fmt.Sprint(since), "binding": fmt.Sprint(seq)}
		if at > 0 {
			ev.Detail["at"] = fmt.Sprint(at)
		}
		if purpose != "" {
			ev.Detail["purpose"] = purpose
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Read after the request's transaction committed: its checkpoint
	// covers every binding event committed before.
	out := &auditlog.UserKeys{User: id, Since: since, At: at, Proof: tlog.RecordProof{}, Consistency: tlog.TreeProof{}}
	err = v.db.View(func(tx *bbolt.Tx) error {
		if _, err := getUser(tx, id); err != nil {
			return err
		}
		seq, err := find(tx)
		if err != nil {
			return err
		}
		cp, err := audit.LatestCheckpoint(tx)
		if err != nil {
			return err
		}
		signed, err := auditlog.OpenCheckpoint(cp, v.log.VerifierKey())
		if err != nil {
			return err
		}
		leaf, proof, err := provenEvent(tx, seq, signed.Size)
		if err != nil {
			return err
		}
		b, err := auditlog.ParseBinding(leaf)
		if err != nil {
			return fmt.Errorf("vault: binding event %d of %s: %w", seq, id, err)
		}
		out.Recipient, out.SigningKey = b.Recipient, b.SigningKey
		out.Seq, out.Event, out.Checkpoint, out.Proof = seq, leaf, string(cp), proof
		if next, ok := bindingAfter(tx, id, seq); ok && at > 0 && next < signed.Size {
			leaf, proof, err := provenEvent(tx, next, signed.Size)
			if err != nil {
				return err
			}
			out.Next = &auditlog.BindingProof{Seq: next, Event: leaf, Proof: proof}
		}
		out.Consistency, err = consistencySince(tx, since, signed.Size)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// provenEvent returns event seq's leaf data and its inclusion proof in the
// tree of size events.
func provenEvent(tx *bbolt.Tx, seq, size int64) ([]byte, tlog.RecordProof, error) {
	leaves, err := audit.Events(tx, seq, 1)
	if err != nil {
		return nil, nil, err
	}
	if len(leaves) != 1 {
		return nil, nil, fmt.Errorf("vault: audit event %d is missing", seq)
	}
	p, err := audit.InclusionProof(tx, seq, size)
	if err != nil {
		return nil, nil, err
	}
	return leaves[0], append(tlog.RecordProof{}, p...), nil
}

// consistencySince proves the log of size size consistent with the one of
// size since that a client last saw. A since of 0 or at size needs no proof;
// one beyond it gets none: the client sees a log smaller than one it saw,
// and refuses it.
func consistencySince(tx *bbolt.Tx, since, size int64) (tlog.TreeProof, error) {
	if since <= 0 || since >= size {
		return nil, nil
	}
	p, err := audit.ConsistencyProof(tx, since, size)
	return p, err
}
