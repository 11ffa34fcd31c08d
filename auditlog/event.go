package auditlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErrInvalidEvent is returned (wrapped) for an event that must not be
// recorded as given.
var ErrInvalidEvent = errors.New("audit: invalid event")

// Outcomes of an audited action.
const (
	OutcomeOK       = "ok"
	OutcomeDenied   = "denied"
	OutcomeNotFound = "not_found"
	OutcomeInvalid  = "invalid"
	OutcomeConflict = "conflict"
	OutcomeError    = "error"
)

// An Event is one audit record. Its leaf data in the Merkle tree is its
// compact JSON encoding ([Event.Leaf]), with the members in the order of
// the struct fields, "seq" first, exactly as stored, served and exported.
//
// Values that could identify a person (search text, client addresses) go in
// Hashed, as computed by [HMAC], never in clear.
type Event struct {
	Seq        int64             `json:"seq"`  // 0-based index in the log
	Time       time.Time         `json:"time"` // UTC
	Actor      string            `json:"actor"`
	Action     string            `json:"action"` // e.g. "document.deposit", "auth.login"
	Doc        string            `json:"doc,omitempty"`
	Collection string            `json:"collection,omitempty"`
	Target     string            `json:"target,omitempty"`
	Outcome    string            `json:"outcome"` // see the Outcome constants
	RequestID  string            `json:"request_id,omitempty"`
	Hashed     map[string]string `json:"hashed,omitempty"` // name -> "hmac-sha256:<hex>"
	Detail     map[string]string `json:"detail,omitempty"` // non-sensitive extras
}

// ParseEvent decodes the leaf data of one event.
func ParseEvent(leaf []byte) (*Event, error) {
	var e Event
	if err := json.Unmarshal(leaf, &e); err != nil {
		return nil, fmt.Errorf("audit: malformed event: %w", err)
	}
	return &e, nil
}

// Validate checks what a log requires of an event before it records it:
// an action, an outcome, and only HMAC values in Hashed, so that a
// caller's mistake cannot put a person's data in the log in clear.
func (e *Event) Validate() error {
	if e.Action == "" {
		return fmt.Errorf("%w: no action", ErrInvalidEvent)
	}
	if e.Outcome == "" {
		return fmt.Errorf("%w: no outcome", ErrInvalidEvent)
	}
	for name, v := range e.Hashed {
		if !IsHMAC(v) {
			return fmt.Errorf("%w: hashed field %q is not an %s value", ErrInvalidEvent, name, HMACPrefix)
		}
	}
	return nil
}

// Leaf returns the event's leaf data: its compact JSON encoding, one line,
// beginning with its "seq" member.
func (e *Event) Leaf() ([]byte, error) {
	leaf, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return leaf, nil
}

// leafSeq returns the sequence number recorded in leaf, which must be a
// JSON object beginning with the "seq" member, as [Event.Leaf] writes it.
// Reading the number from the prefix and checking the rest with json.Valid
// is several times faster than decoding, and Verify does it a million
// times.
func leafSeq(leaf []byte) (int64, error) {
	rest, ok := bytes.CutPrefix(leaf, []byte(`{"seq":`))
	if !ok {
		return 0, errors.New(`event does not begin with its "seq" member`)
	}
	i := 0
	for i < len(rest) && '0' <= rest[i] && rest[i] <= '9' {
		i++
	}
	if i == 0 || i > 18 || rest[0] == '0' && i > 1 || i == len(rest) || rest[i] != ',' && rest[i] != '}' {
		return 0, errors.New("event has a malformed seq")
	}
	if !json.Valid(leaf) {
		return 0, errors.New("event is not valid JSON")
	}
	seq, err := strconv.ParseInt(string(rest[:i]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("event has a malformed seq: %w", err)
	}
	return seq, nil
}
