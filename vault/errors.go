package vault

import (
	"errors"
	"fmt"
)

// Errors returned at the package boundary. Callers (the HTTP layer) map them
// to status codes in one place; they never need to inspect messages.
var (
	// ErrNotFound is returned for anything the caller may not know exists:
	// a document id it has no access to is indistinguishable from one that
	// was never issued.
	ErrNotFound = errors.New("vault: not found")
	// ErrForbidden is returned when the caller may know the object exists
	// but may not perform the action.
	ErrForbidden = errors.New("vault: forbidden")
	// ErrExists is returned when creating something whose id is taken, or
	// granting a slot that is already held.
	ErrExists = errors.New("vault: already exists")
	// ErrConflict is returned when the action contradicts the current
	// state (revoking the last key slot, depositing into a shredded id).
	ErrConflict = errors.New("vault: conflict")
	// ErrTooLarge is returned when an input exceeds its limit.
	ErrTooLarge = errors.New("vault: too large")
	// ErrWrongPassphrase is returned by Open when the passphrase does not
	// unseal the server key.
	ErrWrongPassphrase = errors.New("vault: wrong passphrase")
	// ErrNoVault is returned by Open when the directory holds no vault.
	ErrNoVault = errors.New("vault: no vault in this directory")
	// ErrHashMismatch is returned when uploaded ciphertext does not match
	// the hash its depositor declared.
	ErrHashMismatch = errors.New("vault: ciphertext hash mismatch")
)

// InvalidError reports malformed input: which field, and why. It never
// carries the offending value, which may be personal data.
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return "vault: invalid input: " + e.Reason
	}
	return fmt.Sprintf("vault: invalid %s: %s", e.Field, e.Reason)
}

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// RedactionError reports public metadata in which the redaction guard still
// finds personal data. It names the field and the kind, never the value.
type RedactionError struct {
	Field string
	Kind  string
}

func (e *RedactionError) Error() string {
	return fmt.Sprintf("vault: personal data (%s) in public field %s", e.Kind, e.Field)
}

// ConsentError reports a key slot for a user whose role the document's
// consent does not cover (a lawyer without legal_proceedings, a researcher
// without research, any auditor). It names the user and the role, never
// the slot. It is also an *InvalidError, for callers that only tell input
// errors apart.
type ConsentError struct {
	Field string
	User  string
	Role  string
}

func (e *ConsentError) Error() string {
	return "vault: invalid " + e.Field + ": " + e.reason()
}

func (e *ConsentError) reason() string {
	need := "this role never holds key slots"
	if scope, ok := slotScopes[e.Role]; ok {
		need = "needs " + scope
	}
	return fmt.Sprintf("the document's consent does not cover %s, a %s (%s)", e.User, e.Role, need)
}

// Unwrap makes a ConsentError an *InvalidError too.
func (e *ConsentError) Unwrap() error {
	return &InvalidError{Field: e.Field, Reason: e.reason()}
}
