package inbrowser

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/amana-vault/amana/auditlog"
)

// Authentic keys in the browser (docs/document-protocol.md, "Authentic
// keys"): the page uses a user's recipient or signing key only once the
// audit log proves that it binds them to the user, and pins them in its
// storage beside its audit witness, as the command line pins them in
// known_keys. CheckKeys is client.CheckKeys, the command line's check,
// without package client, which would bring net/http into the module.

// ErrKeyChanged is the cause of a KeyError for keys that differ from the
// pinned ones.
var ErrKeyChanged = errors.New("key changed")

// KeyError stops an operation that needed a user's keys: they came without
// a valid proof that the audit log binds them to the user, or they differ
// from the keys pinned for the user.
type KeyError struct {
	User string
	// Changed: the keys were proven, but differ from the pinned ones.
	Changed bool
	Err     error
}

func (e *KeyError) Error() string {
	if e.Changed {
		return fmt.Sprintf("the keys of %s differ from the keys this browser pinned for %s: %s", e.User, e.User, e.Err)
	}
	return fmt.Sprintf("the keys of %s are not proven by the audit log: %s", e.User, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// PinnedKeys are the keys pinned for one user, as client.PinnedKeys.
type PinnedKeys struct {
	Recipient  string `json:"recipient"`
	SigningKey string `json:"signing_key,omitempty"`
	// Seq is the binding event they were proven by.
	Seq int64 `json:"seq"`
}

// CheckKeys checks answer, the server's answer to GET /v1/users/{user}/keys
// (its exact JSON text: the binding event is hashed as sent), with the
// vault's verifier key and last, the newest checkpoint the page verified
// before (nil for none), and compares the keys with pinned (nil for none).
// It returns the keys to pin and the checkpoint to keep, as
// client.CheckKeys does; a *KeyError says why the keys cannot be used.
// accept takes keys that differ from the pinned ones, once the user has
// confirmed the change out of band (as KeyPins.Trust); an older binding
// than the pinned one is refused even then.
func CheckKeys(user string, answer []byte, verifierKey string, last []byte, pinned *PinnedKeys, accept bool) (pin *PinnedKeys, keep []byte, err error) {
	var k auditlog.UserKeys
	if err := json.Unmarshal(answer, &k); err != nil {
		return nil, nil, &KeyError{User: user, Err: fmt.Errorf("the server's answer: %w", err)}
	}
	b, cp, err := auditlog.VerifyUserKeys(&k, user, verifierKey, last)
	if err != nil {
		return nil, nil, &KeyError{User: user, Err: err}
	}
	got := &PinnedKeys{Recipient: k.Recipient, SigningKey: k.SigningKey, Seq: b.Seq}
	if pinned != nil {
		// An older binding is never accepted, not even as a change: it may
		// hold keys the user has since replaced.
		if b.Seq < pinned.Seq {
			return nil, nil, &KeyError{User: user, Err: fmt.Errorf("the audit log gave event %d, older than event %d the keys were pinned from", b.Seq, pinned.Seq)}
		}
		var diffs []string
		if got.Recipient != pinned.Recipient {
			diffs = append(diffs, "recipient")
		}
		if got.SigningKey != pinned.SigningKey {
			diffs = append(diffs, "signing key")
		}
		if diffs != nil && !accept {
			return nil, nil, &KeyError{User: user, Changed: true, Err: fmt.Errorf("%w (%s, bound by audit event %d): confirm the change with %s out of band before accepting it", ErrKeyChanged, strings.Join(diffs, ", "), got.Seq, user)}
		}
	}
	keep = last
	if last == nil {
		keep = []byte(k.Checkpoint)
	} else if old, err := auditlog.OpenCheckpoint(last, verifierKey); err != nil || old.Size < cp.Size {
		keep = []byte(k.Checkpoint)
	}
	return got, keep, nil
}
