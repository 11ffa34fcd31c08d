package vault

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

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
	bk := tx.Bucket(bucketKeyBindings)
	if bk == nil {
		return 0, false
	}
	prefix := []byte(user + "/")
	c := bk.Cursor()
	// Past the user's largest possible key, then one back.
	k, _ := c.Seek(append(prefix, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
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
	err := v.update(c, "user.keys", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Target = id
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		if since < 0 {
			return invalid("since", "must not be negative")
		}
		switch purpose {
		case "", KeyPurposeVerify, KeyPurposeTrust:
		default:
			return invalid("purpose", "must be %s or %s", KeyPurposeVerify, KeyPurposeTrust)
		}
		if _, err := getUser(tx, id); err != nil {
			return err
		}
		seq, ok := latestBinding(tx, id)
		if !ok {
			return fmt.Errorf("%w: no audit event binds the keys of %s", ErrConflict, id)
		}
		ev.Detail = map[string]string{"since": fmt.Sprint(since), "binding": fmt.Sprint(seq)}
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
	out := &auditlog.UserKeys{User: id, Since: since, Proof: tlog.RecordProof{}, Consistency: tlog.TreeProof{}}
	err = v.db.View(func(tx *bbolt.Tx) error {
		u, err := getUser(tx, id)
		if err != nil {
			return err
		}
		out.Recipient, out.SigningKey = u.Recipient, u.SigningKey
		seq, ok := latestBinding(tx, id)
		if !ok {
			return fmt.Errorf("%w: no audit event binds the keys of %s", ErrConflict, id)
		}
		cp, err := audit.LatestCheckpoint(tx)
		if err != nil {
			return err
		}
		signed, err := auditlog.OpenCheckpoint(cp, v.log.VerifierKey())
		if err != nil {
			return err
		}
		leaves, err := audit.Events(tx, seq, 1)
		if err != nil {
			return err
		}
		if len(leaves) != 1 {
			return fmt.Errorf("vault: binding event %d of %s is missing", seq, id)
		}
		out.Seq, out.Event, out.Checkpoint = seq, leaves[0], string(cp)
		p, err := audit.InclusionProof(tx, seq, signed.Size)
		if err != nil {
			return err
		}
		out.Proof = append(out.Proof, p...)
		if 0 < since && since < signed.Size {
			// A since beyond the checkpoint gets no proof: the client
			// sees a log smaller than one it saw, and refuses it.
			p, err := audit.ConsistencyProof(tx, since, signed.Size)
			if err != nil {
				return err
			}
			out.Consistency = append(out.Consistency, p...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
