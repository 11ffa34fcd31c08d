package envelope

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"filippo.io/age"
	"filippo.io/age/agessh"
)

var (
	// ErrWrongIdentity means none of the given identities can open the file.
	//
	// age cannot tell a foreign recipient stanza from a damaged one, so a key
	// slot whose stanza was modified also gives ErrWrongIdentity.
	ErrWrongIdentity = errors.New("envelope: no identity matches")

	// ErrMalformed means the input is not a complete, authentic age file (or
	// identity): garbage, truncated, extended or modified.
	ErrMalformed = errors.New("envelope: malformed or modified")
)

// decryptError classifies an error from age.Decrypt, or from reading the
// stream it returned. src records errors of the underlying reader, which are
// I/O failures to report as they are, not evidence of tampering.
func decryptError(what string, err error, src *errReader) error {
	if src != nil && src.err != nil {
		return fmt.Errorf("envelope: reading %s: %w", what, src.err)
	}
	if errors.As(err, new(*age.NoIdentityMatchError)) {
		return fmt.Errorf("%w: %s: %w", ErrWrongIdentity, what, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
}

// errReader records the first error, other than io.EOF, of the reader it wraps.
type errReader struct {
	r   io.Reader
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// errWriter records the first error of the writer it wraps.
type errWriter struct {
	w   io.Writer
	err error
}

func (w *errWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// watchedIdentity records errors an identity returns other than "not mine".
// For a plugin or a passphrase-protected key such an error is a failure of the
// plugin, token or prompt and is reported as it is; for a plain key it means
// the stanza addressed to it is malformed.
type watchedIdentity struct {
	age.Identity
	err error
}

func (w *watchedIdentity) Unwrap(s []*age.Stanza) ([]byte, error) {
	k, err := w.Identity.Unwrap(s)
	if err != nil && !errors.Is(err, age.ErrIncorrectIdentity) && w.err == nil {
		w.err = err
	}
	return k, err
}

func isPlainKey(id age.Identity) bool {
	switch id.(type) {
	case *age.X25519Identity, *age.HybridIdentity, *agessh.Ed25519Identity, *agessh.RSAIdentity:
		return true
	}
	return false
}

// watch wraps ids for openWatched, keeping age's order: plain keys are tried
// before plugins, which may ask for a touch or a PIN.
func watch(ids []age.Identity) []*watchedIdentity {
	ids = slices.Clone(ids)
	slices.SortStableFunc(ids, func(a, b age.Identity) int {
		switch pa, pb := isPlainKey(a), isPlainKey(b); {
		case pa && !pb:
			return -1
		case !pa && pb:
			return 1
		}
		return 0
	})
	w := make([]*watchedIdentity, len(ids))
	for i, id := range ids {
		w[i] = &watchedIdentity{Identity: id}
	}
	return w
}

// watchedError classifies an age.Decrypt error with identities from watch.
func watchedError(what string, err error, ids []*watchedIdentity) error {
	for _, w := range ids {
		if w.err != nil && !isPlainKey(w.Identity) {
			return fmt.Errorf("envelope: %s: %w", what, err)
		}
	}
	return decryptError(what, err, nil)
}
