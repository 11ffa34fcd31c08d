package auditlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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
const (
	DetailRecipient     = "recipient"       // the age recipient
	DetailSigningKey    = "signing_key"     // the signing key, authorized_keys format
	DetailOldRecipient  = "old_recipient"   // a change: the recipient it replaces
	DetailOldSigningKey = "old_signing_key" // a change: the signing key it replaces
)

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
	return KeyBinding{
		Seq: e.Seq, User: e.Target, Recipient: r, SigningKey: e.Detail[DetailSigningKey],
		OldRecipient: e.Detail[DetailOldRecipient], OldSigningKey: e.Detail[DetailOldSigningKey],
	}, true
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
// by its Seq).
func VerifyUserKeys(k *UserKeys, user, verifierKey string, last []byte) (KeyBinding, Checkpoint, error) {
	fail := func(format string, args ...any) (KeyBinding, Checkpoint, error) {
		return KeyBinding{}, Checkpoint{}, fmt.Errorf(format, args...)
	}
	if k.User != user {
		return fail("the answer is about %q, not %q", k.User, user)
	}
	cp, err := OpenCheckpoint([]byte(k.Checkpoint), verifierKey)
	if err != nil {
		return fail("the answer's checkpoint: %w", err)
	}
	if last != nil {
		old, err := OpenCheckpoint(last, verifierKey)
		if err != nil {
			return fail("the checkpoint kept before: %w", err)
		}
		if cp.Size < old.Size {
			return fail("the log was rolled back: a checkpoint of %d events, after one of %d", cp.Size, old.Size)
		}
		if k.Since != old.Size {
			return fail("the answer's consistency proof starts at %d events, not at the %d of the checkpoint kept before", k.Since, old.Size)
		}
		if err := CheckConsistency(old, cp, k.Consistency); err != nil {
			return fail("the log is not consistent with the checkpoint kept before: %w", err)
		}
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
