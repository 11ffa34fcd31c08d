package vault

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"sync/atomic"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/vault/audit"
)

// Audit outcomes.
const (
	outcomeOK       = "ok"
	outcomeDenied   = "denied"
	outcomeInvalid  = "invalid"
	outcomeConflict = "conflict"
	outcomeError    = "error"
)

// event starts an audit event for an action by c.
func (v *Vault) event(c Caller, action string) *audit.Event {
	e := &audit.Event{
		Time:      v.opts.Now().UTC(),
		Actor:     c.User,
		Action:    action,
		RequestID: c.RequestID,
	}
	if c.Addr != "" {
		e.Hashed = map[string]string{"addr": v.log.HMAC(c.Addr)}
	}
	return e
}

// outcome classifies an error for the audit log.
func outcome(err error) (outcome, reason string) {
	var inv *InvalidError
	var red *RedactionError
	var ce *ConsentError
	var de *DeclinedError
	switch {
	case err == nil:
		return outcomeOK, ""
	case errors.Is(err, ErrNotFound):
		return outcomeDenied, "not_found"
	case errors.Is(err, ErrForbidden):
		return outcomeDenied, "forbidden"
	case errors.Is(err, ErrAuth):
		return outcomeDenied, "auth"
	case errors.As(err, &ce):
		return outcomeInvalid, "consent"
	case errors.As(err, &inv), errors.Is(err, ErrTooLarge), errors.Is(err, ErrHashMismatch):
		return outcomeInvalid, ""
	case errors.As(err, &red):
		return outcomeInvalid, "personal_data"
	case errors.As(err, &de):
		return outcomeConflict, "declined"
	case errors.Is(err, ErrExists), errors.Is(err, ErrConflict):
		return outcomeConflict, ""
	}
	return outcomeError, ""
}

// update runs fn and appends its audit event in one write transaction,
// group-committed with concurrent requests. fn fills in the event's targets.
// The action and its event commit together or not at all: if the event
// cannot be written, the action fails.
//
// When fn fails, its writes are rolled back and the failure (a denied
// probe, an invalid request) is recorded in a transaction of its own.
// fn may run more than once and must not keep state between runs. fn may
// set a failed outcome itself and return nil when the failure has effects
// that must commit (a failed login counts towards the lockout).
func (v *Vault) update(c Caller, action string, fn func(tx *bbolt.Tx, ev *audit.Event) error) error {
	var ev *audit.Event
	err := v.commit.do(func(tx *bbolt.Tx) error {
		ev = v.event(c, action)
		if err := fn(tx, ev); err != nil {
			return err
		}
		if ev.Outcome == "" {
			ev.Outcome = outcomeOK
		}
		return v.appendEvent(tx, ev)
	})
	if err == nil {
		return nil
	}
	if ev == nil {
		ev = v.event(c, action)
	}
	return v.recordFailure(ev, err)
}

// appendEvent appends ev to the audit log and, for an event about a
// document, indexes it in the document's custody trail.
func (v *Vault) appendEvent(tx *bbolt.Tx, ev *audit.Event) error {
	sanitize(ev)
	chainBinding(tx, ev)
	if err := v.log.Append(tx, ev); err != nil {
		return err
	}
	if ev.Outcome != outcomeOK && ev.RequestID != "" {
		if f, ok := v.watched.Load(ev.RequestID); ok {
			f.(*atomic.Bool).Store(true)
		}
	}
	if err := indexBinding(tx, ev); err != nil {
		return err
	}
	if ev.Doc == "" {
		return nil
	}
	key := append([]byte(ev.Doc+"/"), be64(uint64(ev.Seq))...)
	return tx.Bucket(bucketCustody).Put(key, nil)
}

// sanitize keeps ids that did not come from the vault out of the log as
// sent: a probe with a 40 KB or binary "document id" is recorded with a
// short hash of it instead, so it cannot bloat the log or break the
// custody index, and is still audited.
func sanitize(ev *audit.Event) {
	clean := func(name string, val *string, valid func(string) bool) {
		if *val == "" || valid(*val) {
			return
		}
		sum := sha256.Sum256([]byte(*val))
		if ev.Detail == nil {
			ev.Detail = map[string]string{}
		}
		ev.Detail["malformed_"+name] = "sha256:" + hex.EncodeToString(sum[:8])
		*val = ""
	}
	clean("doc", &ev.Doc, validDocID)
	clean("target", &ev.Target, ValidID)
	clean("collection", &ev.Collection, ValidID)
	clean("actor", &ev.Actor, ValidID)
}

// validDocID reports whether s looks like an id newID made.
func validDocID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// Outcomes of refused requests, for Refusal.Outcome.
const (
	OutcomeDenied   = outcomeDenied
	OutcomeInvalid  = outcomeInvalid
	OutcomeConflict = outcomeConflict
)

// ActionRefused is the action of the events of requests the server refused
// before they reached the vault (RecordRefusal).
const ActionRefused = "request.refused"

// Refusal is what the audit log keeps of requests the server refused before
// they reached the vault: no valid session, no fresh step-up, a malformed
// or oversize body, a rate limit. The caller is the refused one (its user
// when known).
type Refusal struct {
	// Doc, Collection and Target name what the requests were about, when
	// they named it; ids that are not well formed are kept only as a
	// short hash, as for any event.
	Doc, Collection, Target string
	// Outcome is OutcomeDenied, OutcomeInvalid or OutcomeConflict.
	Outcome string
	// Detail holds the route, the reason, the count and times.
	Detail map[string]string
}

// RecordRefusal appends the event of one or more refused requests
// ("request.refused").
func (v *Vault) RecordRefusal(c Caller, r Refusal) error {
	switch r.Outcome {
	case outcomeDenied, outcomeInvalid, outcomeConflict:
	default:
		return invalid("outcome", "a refusal is denied, invalid or conflict")
	}
	return v.update(c, ActionRefused, func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc, ev.Collection, ev.Target = r.Doc, r.Collection, r.Target
		ev.Outcome = r.Outcome
		ev.Detail = maps.Clone(r.Detail)
		return nil
	})
}

// WatchRefusals watches for the refusals the vault records for request id
// (a denied, invalid or failed action). The function it returns stops
// watching and reports whether there was one, so that the API audits
// itself only the refusals the vault did not.
func (v *Vault) WatchRefusals(requestID string) (stop func() (refused bool)) {
	f := new(atomic.Bool)
	v.watched.Store(requestID, f)
	return func() bool {
		v.watched.Delete(requestID)
		return f.Load()
	}
}
