package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/vault"
)

// apiError is an error with its HTTP status and machine-readable code.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

var (
	errUnauthenticated = newError(http.StatusUnauthorized, "unauthenticated", "a valid session token is required")
	errStepUp          = newError(http.StatusUnauthorized, "step_up_required", "this action needs a fresh TOTP code in the X-Amana-TOTP header")
	errNotFound        = newError(http.StatusNotFound, "not_found", "not found")
	errStepUpFailed    = newError(http.StatusUnauthorized, "step_up_failed", "the TOTP code in X-Amana-TOTP was wrong or already used")
)

// classify maps an error to its status, code and the message the client
// may see. This is the only place that decides status codes.
func classify(err error) *apiError {
	var ae *apiError
	var inv *vault.InvalidError
	var red *vault.RedactionError
	var locked *vault.LockedError
	var consent *vault.ConsentError
	var declined *vault.DeclinedError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe), errors.Is(err, vault.ErrTooLarge):
		return newError(http.StatusRequestEntityTooLarge, "too_large", "request body too large")
	case errors.Is(err, vault.ErrNotFound):
		return errNotFound
	case errors.Is(err, vault.ErrForbidden):
		return newError(http.StatusForbidden, "forbidden", "not allowed")
	case errors.As(err, &declined):
		return newError(http.StatusConflict, "declined", "%s", declined.Error()[len("vault: "):])
	case errors.Is(err, vault.ErrExists):
		return newError(http.StatusConflict, "exists", "already exists")
	case errors.Is(err, vault.ErrConflict), errors.Is(err, vault.ErrChanged):
		return newError(http.StatusConflict, "conflict", "conflicts with the current state")
	case errors.Is(err, vault.ErrAuth):
		return newError(http.StatusUnauthorized, "unauthenticated", "authentication failed")
	case errors.As(err, &locked):
		return newError(http.StatusTooManyRequests, "locked", "too many failed attempts; retry after %s", locked.Until.UTC().Format(time.RFC3339))
	case errors.As(err, &red):
		return newError(http.StatusUnprocessableEntity, "personal_data", "%s", red.Error()[len("vault: "):])
	case errors.As(err, &consent):
		return newError(http.StatusUnprocessableEntity, "consent_not_covered", "%s", consent.Error()[len("vault: "):])
	case errors.As(err, &inv):
		return newError(http.StatusBadRequest, "invalid", "%s", inv.Error()[len("vault: "):])
	case errors.Is(err, vault.ErrHashMismatch):
		return newError(http.StatusBadRequest, "hash_mismatch", "the uploaded ciphertext does not match its declared SHA-256")
	case errors.Is(err, search.ErrBadQuery):
		return newError(http.StatusBadRequest, "bad_query", "%s", err.Error())
	case errors.Is(err, search.ErrBadRequest):
		return newError(http.StatusBadRequest, "invalid", "%s", err.Error())
	case bodyTimedOut(err):
		return errBodyTimeout
	}
	return newError(http.StatusInternalServerError, "internal", "internal error")
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers with the JSON error body. Internal errors are logged
// with the request id; their details never reach the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := classify(err)
	noteRefusal(r, ae)
	if ae.status >= 500 {
		s.log.Error("request failed", "request_id", requestID(r), "route", routeName(r), "err", err.Error())
	}
	var locked *vault.LockedError
	if errors.As(err, &locked) {
		secs := max(1, int(time.Until(locked.Until).Seconds()+1))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	var b errorBody
	b.Error.Code, b.Error.Message = ae.code, ae.message
	writeJSON(w, ae.status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Debug("writing response", "err", err)
	}
}
