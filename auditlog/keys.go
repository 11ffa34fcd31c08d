package auditlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/sshsig"
)

// Key bindings. Every user's keys (the age recipient documents are
// encrypted to, and the SSH signing key its deposits are signed with) are
// bound in the log: the event that creates the user, and every event that
// changes its keys, records them in Detail (they are public keys). A client
// that checks a binding event's inclusion in a signed checkpoint knows that
// the server cannot give it keys that the log does not show to everyone
// who reads it.
//
// A binding event is a successful event of one of [BindingActions] whose
// Target is the user and whose Detail holds [DetailRecipient]. It binds the
// user to exactly that recipient and to exactly the signing key
// [DetailSigningKey] ("TYPE BASE64", without a comment), or to none when
// that member is absent, from its sequence number on, until the next
// binding event of the same user.
//
// Each binding event also names the user's previous binding event
// ([DetailPreviousBinding]: its sequence number, or [NoPreviousBinding]
// for the user's first), so that the bindings of a user form a chain in
// the log: the next binding after one proves that none lies between them
// (VerifyUserKeysAt). Binding events written before the log chained them
// name none.
const (
	DetailRecipient       = "recipient"        // the age recipient
	DetailSigningKey      = "signing_key"      // the signing key, authorized_keys format
	DetailOldRecipient    = "old_recipient"    // a change: the recipient it replaces
	DetailOldSigningKey   = "old_signing_key"  // a change: the signing key it replaces
	DetailPreviousBinding = "previous_binding" // the seq of the user's previous binding event
)

// NoPreviousBinding is the [DetailPreviousBinding] of a user's first
// binding event.
const NoPreviousBinding = "none"

// BindingActions are the actions whose events may bind a user's keys: the
// vault's creation (its first admin), a user's creation, a change of a
// user's keys, and the binding of the keys of users created before the log
// recorded keys (once, by the vault itself, when it is first opened by a
// version that binds keys).
var BindingActions = []string{"vault.init", "user.create", "user.update", "user.bind"}

// ErrNoBinding is returned (wrapped) for an event that binds no keys.
var ErrNoBinding = errors.New("audit: not a key binding event")

// A KeyBinding is what a binding event records about one user's keys.
type KeyBinding struct {
	Seq       int64
	User      string
	Recipient string
	// SigningKey is "" when the user has none.
	SigningKey string
	// OldRecipient and OldSigningKey are the keys a change replaced; ""
	// when that key did not change, or at creation.
	OldRecipient, OldSigningKey string
	// Chained says whether the event names the user's previous binding
	// event (DetailPreviousBinding); Previous is its seq, -1 for none (the
	// user's first binding) or when the event does not say.
	Chained  bool
	Previous int64
}

// SigningKeyFingerprint returns a signing key's SHA-256 fingerprint,
// "SHA256:…", as ssh-keygen -l shows it.
func SigningKeyFingerprint(key string) (string, error) {
	pub, err := sshsig.ParsePublicKey(key)
	if err != nil {
		return "", err
	}
	return sshsig.Fingerprint(pub), nil
}

// BindingOf returns what e binds, if it is a binding event.
func BindingOf(e *Event) (KeyBinding, bool) {
	if e.Outcome != OutcomeOK || e.Target == "" || !slices.Contains(BindingActions, e.Action) {
		return KeyBinding{}, false
	}
	r, ok := e.Detail[DetailRecipient]
	if !ok || r == "" {
		return KeyBinding{}, false
	}
	b := KeyBinding{
		Seq: e.Seq, User: e.Target, Recipient: r, SigningKey: e.Detail[DetailSigningKey],
		OldRecipient: e.Detail[DetailOldRecipient], OldSigningKey: e.Detail[DetailOldSigningKey],
		Previous: -1,
	}
	if p, ok := e.Detail[DetailPreviousBinding]; ok {
		b.Chained = true
		if p != NoPreviousBinding {
			// A canonical decimal below the event's own seq; anything
			// else names no event, and the event binds nothing.
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil || n < 0 || n >= e.Seq || strconv.FormatInt(n, 10) != p {
				return KeyBinding{}, false
			}
			b.Previous = n
		}
	}
	return b, true
}

// ParseBinding decodes the leaf data of a binding event.
func ParseBinding(leaf []byte) (KeyBinding, error) {
	seq, err := leafSeq(leaf)
	if err != nil {
		return KeyBinding{}, fmt.Errorf("%w: %w", ErrNoBinding, err)
	}
	e, err := ParseEvent(leaf)
	if err != nil {
		return KeyBinding{}, fmt.Errorf("%w: %w", ErrNoBinding, err)
	}
	if e.Seq != seq {
		return KeyBinding{}, fmt.Errorf("%w: event %d records seq %d", ErrNoBinding, seq, e.Seq)
	}
	b, ok := BindingOf(e)
	if !ok {
		return KeyBinding{}, fmt.Errorf("%w: event %d (%s, %s)", ErrNoBinding, e.Seq, e.Action, e.Outcome)
	}
	return b, nil
}

// UserKeys is a user's keys with the proof that the log binds them to the
// user: the answer to GET /v1/users/{id}/keys. The proof leads to a signed
// checkpoint and, from the size of the newest checkpoint the client saw
// before (Since), shows the log only grew.
type UserKeys struct {
	User       string `json:"user"`
	Recipient  string `json:"recipient"`
	SigningKey string `json:"signing_key"` // "" when the user has none
	// Seq and Event are the latest event that binds these keys: its
	// sequence number and its leaf data, exactly.
	Seq   int64           `json:"seq"`
	Event json.RawMessage `json:"event"`
	// Proof is the inclusion proof of Event in Checkpoint's tree.
	Proof      tlog.RecordProof `json:"proof"`
	Checkpoint string           `json:"checkpoint"` // signed note
	// Consistency proves that the tree of Since events is a prefix of
	// Checkpoint's tree (empty when Since is 0 or the checkpoint's size).
	Since       int64          `json:"since"`
	Consistency tlog.TreeProof `json:"consistency"`

	// At is set in an answer about the keys that were in effect when
	// event At was appended (GET /v1/users/{id}/keys?at=): Seq and Event
	// are then the user's latest binding event before At, and Next the
	// user's next binding event after it, if there is one, which shows
	// that no binding lies between Seq and At (VerifyUserKeysAt).
	At   int64         `json:"at,omitempty"`
	Next *BindingProof `json:"next,omitempty"`
}

// A BindingProof is a binding event (its leaf data, exactly) with its
// inclusion proof in the tree of the answer's checkpoint.
type BindingProof struct {
	Seq   int64            `json:"seq"`
	Event json.RawMessage  `json:"event"`
	Proof tlog.RecordProof `json:"proof"`
}

// VerifyUserKeys checks k, the keys a server gave for user, with the log's
// verifier key and last, the newest checkpoint (a signed note) the caller
// has verified before, or nil for none:
//
//   - k's checkpoint is signed with verifierKey;
//   - with last: last verifies too, k's consistency proof starts at last's
//     size, and the log at last is a prefix of the log at k's checkpoint
//     (a smaller checkpoint, or another at the same size, is a rollback or
//     a fork and is refused);
//   - k's event is included in the checkpoint's tree at k.Seq;
//   - the event binds exactly user to exactly k.Recipient and
//     k.SigningKey (none if it is "").
//
// It returns the binding and k's checkpoint, opened; the caller keeps
// k.Checkpoint as its newest if it is larger than last. It proves that the
// log holds this binding, for every auditor to see; not that no later
// binding exists (a client that pinned a later one refuses an earlier one
// by its Seq). An answer about the keys at an earlier event (k.At) is
// refused: VerifyUserKeysAt checks those.
func VerifyUserKeys(k *UserKeys, user, verifierKey string, last []byte) (KeyBinding, Checkpoint, error) {
	if k.At != 0 || k.Next != nil {
		return KeyBinding{}, Checkpoint{}, fmt.Errorf("the answer gives the keys in effect at event %d, not the latest", k.At)
	}
	return verifyUserKeys(k, user, verifierKey, last)
}

func verifyUserKeys(k *UserKeys, user, verifierKey string, last []byte) (KeyBinding, Checkpoint, error) {
	fail := func(format string, args ...any) (KeyBinding, Checkpoint, error) {
		return KeyBinding{}, Checkpoint{}, fmt.Errorf(format, args...)
	}
	if k.User != user {
		return fail("the answer is about %q, not %q", k.User, user)
	}
	cp, err := openAnswer(k.Checkpoint, k.Since, k.Consistency, verifierKey, last)
	if err != nil {
		return fail("%w", err)
	}
	b, err := ParseBinding(k.Event)
	if err != nil {
		return fail("%w", err)
	}
	if b.Seq != k.Seq {
		return fail("the answer names event %d, its event is %d", k.Seq, b.Seq)
	}
	if err := CheckInclusion(cp, b.Seq, k.Event, k.Proof); err != nil {
		return fail("%w", err)
	}
	switch {
	case b.User != user:
		return fail("event %d binds the keys of %q, not %q", b.Seq, b.User, user)
	case b.Recipient != k.Recipient:
		return fail("event %d binds another recipient than the one given", b.Seq)
	case b.SigningKey != k.SigningKey:
		return fail("event %d binds another signing key than the one given", b.Seq)
	}
	return b, cp, nil
}

// openAnswer opens the signed checkpoint of a server's answer and checks
// that the log it signs extends last, the newest checkpoint the caller
// verified before (nil for none), with the answer's consistency proof
// from since.
func openAnswer(checkpoint string, since int64, consistency tlog.TreeProof, verifierKey string, last []byte) (Checkpoint, error) {
	cp, err := OpenCheckpoint([]byte(checkpoint), verifierKey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("the answer's checkpoint: %w", err)
	}
	if last == nil {
		return cp, nil
	}
	old, err := OpenCheckpoint(last, verifierKey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("the checkpoint kept before: %w", err)
	}
	if cp.Size < old.Size {
		return Checkpoint{}, fmt.Errorf("the log was rolled back: a checkpoint of %d events, after one of %d", cp.Size, old.Size)
	}
	if since != old.Size {
		return Checkpoint{}, fmt.Errorf("the answer's consistency proof starts at %d events, not at the %d of the checkpoint kept before", since, old.Size)
	}
	if err := CheckConsistency(old, cp, consistency); err != nil {
		return Checkpoint{}, fmt.Errorf("the log is not consistent with the checkpoint kept before: %w", err)
	}
	return cp, nil
}

// A BindingAt is the binding of a user's keys in effect when an event was
// appended, as VerifyUserKeysAt proves it.
type BindingAt struct {
	// KeyBinding is the user's latest binding event before event At.
	KeyBinding
	At int64
	// Next is the user's next binding event, at or after At; nil when the
	// answer shows none (the server states that KeyBinding is still in
	// effect).
	Next *KeyBinding
	// Gapless says that Next names KeyBinding as the user's previous
	// binding, which proves that no binding of the user lies between
	// them. It is false without Next, and when both events were written
	// before the log chained bindings: the caller then relies on what it
	// knows of the user's bindings (a pinned binding between KeyBinding and
	// At, or after it when there is no Next, refutes the answer).
	Gapless bool
}

// VerifyUserKeysAt checks k, a server's answer for the keys of user in
// effect when event at (at least 1) was appended, as VerifyUserKeys checks
// an answer for the latest keys (checkpoint, consistency with last,
// inclusion, the event binds exactly user to exactly k's keys), and also
// that:
//
//   - k answers for at, and its binding event comes before at;
//   - k.Next, when given, is included in the checkpoint's tree, binds
//     user, comes at or after at (else k's binding was not the one in
//     effect at at), and names k's binding as the user's previous binding
//     event; it may name none only when k's binding names none either
//     (both written before the log chained bindings).
//
// Those prove, for every auditor to see, that k's keys were bound to the
// user at at: a binding between k's and at would be named by the next
// one instead, so the server cannot hide a change of keys made before at.
// Without k.Next the server states that no binding follows k's; only the
// caller's knowledge of a later binding (a pin) can refute that.
func VerifyUserKeysAt(k *UserKeys, user string, at int64, verifierKey string, last []byte) (BindingAt, Checkpoint, error) {
	fail := func(format string, args ...any) (BindingAt, Checkpoint, error) {
		return BindingAt{}, Checkpoint{}, fmt.Errorf(format, args...)
	}
	if at < 1 {
		return fail("no keys are in effect before event %d", at)
	}
	if k.At != at {
		return fail("the answer gives the keys in effect at event %d, not at event %d", k.At, at)
	}
	b, cp, err := verifyUserKeys(k, user, verifierKey, last)
	if err != nil {
		return fail("%w", err)
	}
	if b.Seq >= at {
		return fail("event %d binds keys of %q after event %d", b.Seq, user, at)
	}
	out := BindingAt{KeyBinding: b, At: at}
	if k.Next == nil {
		return out, cp, nil
	}
	n, err := ParseBinding(k.Next.Event)
	if err != nil {
		return fail("the next binding: %w", err)
	}
	if n.Seq != k.Next.Seq {
		return fail("the answer names event %d as the next binding, its event is %d", k.Next.Seq, n.Seq)
	}
	if err := CheckInclusion(cp, n.Seq, k.Next.Event, k.Next.Proof); err != nil {
		return fail("the next binding: %w", err)
	}
	switch {
	case n.User != user:
		return fail("event %d binds the keys of %q, not %q", n.Seq, n.User, user)
	case n.Seq < at:
		return fail("event %d bound other keys of %q before event %d: event %d was no longer in effect", n.Seq, user, at, b.Seq)
	case n.Chained && n.Previous != b.Seq:
		return fail("event %d names event %d as the binding of %q before it, not event %d: another binding lies between", n.Seq, n.Previous, user, b.Seq)
	case !n.Chained && b.Chained:
		return fail("event %d does not name the binding of %q before it, though event %d does", n.Seq, user, b.Seq)
	}
	out.Next, out.Gapless = &n, n.Chained
	return out, cp, nil
}

// An EventProof is one event of the log with the proof that the log holds
// it: its inclusion in the tree of a signed checkpoint, and the
// consistency of that checkpoint with the newest one the client verified
// before (of Since events).
type EventProof struct {
	Seq         int64            `json:"seq"`
	Event       json.RawMessage  `json:"event"` // its leaf data, exactly
	Proof       tlog.RecordProof `json:"proof"`
	Checkpoint  string           `json:"checkpoint"` // signed note
	Since       int64            `json:"since"`
	Consistency tlog.TreeProof   `json:"consistency"`
}

// VerifyEventProof checks p with the log's verifier key and last, the
// newest checkpoint the caller verified before (nil for none), as
// VerifyUserKeys checks an answer (checkpoint, consistency, inclusion),
// and returns the event, decoded, and p's checkpoint, opened.
func VerifyEventProof(p *EventProof, verifierKey string, last []byte) (*Event, Checkpoint, error) {
	cp, err := openAnswer(p.Checkpoint, p.Since, p.Consistency, verifierKey, last)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	seq, err := leafSeq(p.Event)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	e, err := ParseEvent(p.Event)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	if seq != p.Seq || e.Seq != seq {
		return nil, Checkpoint{}, fmt.Errorf("the answer names event %d, its event is %d", p.Seq, seq)
	}
	if err := CheckInclusion(cp, seq, p.Event, p.Proof); err != nil {
		return nil, Checkpoint{}, err
	}
	return e, cp, nil
}
