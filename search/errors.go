package search

import (
	"errors"
	"fmt"
)

// Errors returned at the package boundary. Test them with errors.Is; the
// returned errors wrap them with details fit to show the user.
var (
	// ErrBadRequest reports a request the caller must fix: bad paging,
	// filters, dates or facet names. ErrBadQuery wraps it, so an HTTP layer
	// can map errors.Is(err, ErrBadRequest) to 400 for both.
	ErrBadRequest = errors.New("search: bad request")
	// ErrBadQuery reports a query string that cannot be run: syntax errors,
	// unknown fields, regular expressions, leading wildcards, too many terms
	// or too broad an expansion.
	ErrBadQuery = fmt.Errorf("%w: bad query", ErrBadRequest)
	// ErrInvalidDoc reports a Doc that Put refuses (missing ID or collection,
	// unknown language, malformed incident date).
	ErrInvalidDoc = errors.New("search: invalid document")
	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("search: index closed")
	// ErrIncompatible is returned by Open for an index built with another
	// mapping version; run Rebuild (amana reindex).
	ErrIncompatible = errors.New("search: index built by another version, rebuild it")
	// ErrLocked is returned by Open and Rebuild when another process holds
	// the index open.
	ErrLocked = errors.New("search: index in use by another process")
)

func badQuery(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadQuery, fmt.Sprintf(format, args...))
}

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}
