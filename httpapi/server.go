package httpapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"golang.org/x/time/rate"

	"github.com/amana-vault/amana/httpapi/web"
	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/search/indexer"
	"github.com/amana-vault/amana/vault"
	"github.com/amana-vault/amana/witness"
)

// Config configures a Server.
type Config struct {
	Vault   *vault.Vault
	Index   *search.Index
	Indexer *indexer.Indexer
	Logger  *slog.Logger
	Version string
	// Now returns the current time (tests set it).
	Now func() time.Time
	// AuthRate and AuthBurst limit login requests per client address.
	// The defaults let a small office behind one address log in together.
	AuthRate  rate.Limit
	AuthBurst int
	// Rate and Burst limit all other requests per client address.
	Rate  rate.Limit
	Burst int
	// MaxJSON bounds JSON request bodies (default 1 MiB); MaxDeposit bounds
	// a whole deposit request (default: the vault's content limit + 8 MiB).
	MaxJSON    int64
	MaxDeposit int64

	// BodyTimeout bounds how long a request's body may take to arrive, from
	// the start of the request (default DefaultBodyTimeout; negative:
	// unbounded). StallTimeout is how long an authenticated upload
	// (deposit, rekey) may go without sending a byte; it may take as long
	// as it keeps sending (default DefaultStallTimeout; negative: the
	// upload is bounded by BodyTimeout too). Both need a connection
	// that supports read deadlines (net/http's own).
	BodyTimeout  time.Duration
	StallTimeout time.Duration

	// RefusalWindow is how long refusals from one source are folded into
	// one audit event (default DefaultRefusalWindow).
	RefusalWindow time.Duration

	// HMACRate and HMACBurst limit POST /v1/audit/hmac per user (default
	// DefaultHMACRate, DefaultHMACBurst).
	HMACRate  rate.Limit
	HMACBurst int

	// Witnesses, if not nil, cosign the audit log's checkpoints: the
	// checkpoint is served with their cosignatures, waiting up to
	// WitnessWait for a quorum, and /v1/health reports on them.
	Witnesses   *witness.Cosigner
	WitnessWait time.Duration
}

// Defaults of Config.HMACRate and Config.HMACBurst: ten values a minute, in
// bursts of ten. Each answer is a test of a guess at an address or search
// text the log holds hashed.
const (
	DefaultHMACRate  = rate.Limit(10.0 / 60)
	DefaultHMACBurst = 10
)

// Server is the /v1 HTTP API. It is an http.Handler.
type Server struct {
	cfg        Config
	log        *slog.Logger
	router     *mux.Router
	handler    http.Handler
	sessions   *sessions
	challenges *challenges
	authLimit  *limiter
	limit      *limiter
	hmacLimit  *limiter
	askLimit   *limiter
	refusals   *refusals
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AuthRate == 0 {
		cfg.AuthRate, cfg.AuthBurst = 10, 60
	}
	if cfg.Rate == 0 {
		cfg.Rate, cfg.Burst = 500, 1000
	}
	if cfg.MaxJSON == 0 {
		cfg.MaxJSON = 1 << 20
	}
	if cfg.MaxDeposit == 0 {
		cfg.MaxDeposit = 8<<30 + 8<<20
	}
	if cfg.BodyTimeout == 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.StallTimeout == 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if cfg.RefusalWindow <= 0 {
		cfg.RefusalWindow = DefaultRefusalWindow
	}
	if cfg.HMACRate == 0 {
		cfg.HMACRate, cfg.HMACBurst = DefaultHMACRate, DefaultHMACBurst
	}
	s := &Server{
		cfg:        cfg,
		log:        cfg.Logger,
		sessions:   newSessions(cfg.Now),
		challenges: newChallenges(cfg.Now),
		authLimit:  newLimiter(cfg.AuthRate, cfg.AuthBurst),
		limit:      newLimiter(cfg.Rate, cfg.Burst),
		hmacLimit:  newLimiter(cfg.HMACRate, cfg.HMACBurst),
		askLimit:   newLimiter(requestRate, requestBurst),
		refusals:   newRefusals(cfg.RefusalWindow),
	}
	s.router = s.routes()
	var h http.Handler = s.router
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, newError(http.StatusForbidden, "cross_origin", "cross-origin request refused"))
	}))
	h = cop.Handler(h)
	h = withSecurityHeaders(h)
	h = withTusResumable(h)
	h = s.withRecover(h)
	h = s.withAccessLog(h)
	h = s.withBodyDeadline(h)
	h = s.withRefusals(h)
	h = withRequestID(h)
	s.handler = h
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) now() time.Time { return s.cfg.Now() }

// routes lists the API. The OpenAPI document (openapi.json) must list the
// same routes; a test checks both ways.
func (s *Server) routes() *mux.Router {
	notFound := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.writeError(w, req, errNotFound)
	})
	notAllowed := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.writeError(w, req, newError(http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed"))
	})
	// No path cleaning (a 301 to a cleaned path is not an answer to give a
	// hostile path), and variables as sent, so an encoded slash stays in
	// the id it was sent in, and that id is then unknown.
	r := mux.NewRouter().SkipClean(true).UseEncodedPath()
	r.NotFoundHandler, r.MethodNotAllowedHandler = notFound, notAllowed
	r.Use(recordRoute)
	// Full paths, not a subrouter: gorilla/mux answers 404 instead of 405
	// for a method mismatch inside a subrouter.
	lim := func(h http.HandlerFunc) http.Handler { return s.rateLimited(s.limit, h) }
	auth := func(h http.HandlerFunc) http.Handler { return s.rateLimited(s.authLimit, h) }

	r.Handle("/v1/health", lim(s.handleHealth)).Methods(http.MethodGet)
	r.Handle("/v1/openapi.json", lim(s.handleOpenAPI)).Methods(http.MethodGet)

	r.Handle("/v1/auth/challenge", auth(s.handleChallenge)).Methods(http.MethodPost)
	r.Handle("/v1/auth/login", auth(s.handleLogin)).Methods(http.MethodPost)
	r.Handle("/v1/auth/logout", lim(s.authenticated(s.handleLogout))).Methods(http.MethodPost)

	r.Handle("/v1/users", lim(s.stepUp(s.handleCreateUser))).Methods(http.MethodPost)
	r.Handle("/v1/users", lim(s.stepUp(s.handleListUsers))).Methods(http.MethodGet)
	r.Handle("/v1/users/{id}", lim(s.stepUp(s.handleUpdateUser))).Methods(http.MethodPatch)
	r.Handle("/v1/users/{id}/recipient", lim(s.authenticated(s.handleUserRecipient))).Methods(http.MethodGet)
	r.Handle("/v1/users/{id}/keys", lim(s.authenticated(s.handleUserKeys))).Methods(http.MethodGet)

	r.Handle("/v1/collections", lim(s.stepUp(s.handleCreateCollection))).Methods(http.MethodPost)
	r.Handle("/v1/collections", lim(s.authenticated(s.handleListCollections))).Methods(http.MethodGet)
	r.Handle("/v1/collections/{id}", lim(s.stepUp(s.handleUpdateCollection))).Methods(http.MethodPatch)
	r.Handle("/v1/collections/{id}/recipients", lim(s.authenticated(s.handleRecipients))).Methods(http.MethodGet)

	r.Handle("/v1/documents", lim(s.authenticated(s.streamed(s.handleDeposit)))).Methods(http.MethodPost)
	r.Handle("/v1/documents/{id}", lim(s.authenticated(s.handleGetDocument))).Methods(http.MethodGet)
	r.Handle("/v1/documents/{id}/keyslot", lim(s.authenticated(s.handleKeySlot))).Methods(http.MethodGet)
	r.Handle("/v1/documents/{id}/content", lim(s.authenticated(s.handleContent))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/v1/documents/{id}/content", lim(s.stepUp(s.streamed(s.handleRekey)))).Methods(http.MethodPut)
	r.Handle("/v1/documents/{id}/private", lim(s.authenticated(s.handlePrivate))).Methods(http.MethodGet)
	r.Handle("/v1/documents/{id}/grants", lim(s.stepUp(s.handleGrant))).Methods(http.MethodPost)
	r.Handle("/v1/documents/{id}/grants/{user}", lim(s.stepUp(s.handleRevoke))).Methods(http.MethodDelete)
	r.Handle("/v1/documents/{id}/requests", lim(s.authenticated(s.perUser(s.askLimit, s.handleRequest)))).Methods(http.MethodPost)
	r.Handle("/v1/documents/{id}/requests", lim(s.authenticated(s.handleDocumentRequests))).Methods(http.MethodGet)
	r.Handle("/v1/documents/{id}/requests/{user}", lim(s.authenticated(s.handlePendingRequest))).Methods(http.MethodGet)
	r.Handle("/v1/documents/{id}/requests/{user}", lim(s.authenticated(s.handleDecline))).Methods(http.MethodDelete)
	r.Handle("/v1/requests", lim(s.authenticated(s.handleAllRequests))).Methods(http.MethodGet)
	r.Handle("/v1/documents/{id}/shred", lim(s.stepUp(s.handleShred))).Methods(http.MethodPost)

	r.Handle("/v1/documents/{id}/custody", lim(s.authenticated(s.handleCustody))).Methods(http.MethodGet)
	r.Handle("/v1/documents/{id}/manifest", lim(s.authenticated(s.handleDepositProof))).Methods(http.MethodGet)

	r.Handle("/v1/uploads", lim(s.handleUploadOptions)).Methods(http.MethodOptions)
	r.Handle("/v1/uploads", lim(s.authenticated(tusResumable(s.streamed(s.handleUploadCreate))))).Methods(http.MethodPost)
	r.Handle("/v1/uploads", lim(s.authenticated(s.handleUploadList))).Methods(http.MethodGet)
	r.Handle("/v1/uploads/{id}", lim(s.handleUploadOptions)).Methods(http.MethodOptions)
	r.Handle("/v1/uploads/{id}", lim(s.authenticated(tusResumable(s.handleUploadHead)))).Methods(http.MethodHead)
	r.Handle("/v1/uploads/{id}", lim(s.authenticated(tusResumable(s.streamed(s.handleUploadPatch))))).Methods(http.MethodPatch)
	r.Handle("/v1/uploads/{id}", lim(s.authenticated(tusResumable(s.handleUploadDelete)))).Methods(http.MethodDelete)

	r.Handle("/v1/search", lim(s.authenticated(s.handleSearch))).Methods(http.MethodGet)
	r.Handle("/v1/stats", lim(s.authenticated(s.handleStats))).Methods(http.MethodGet)
	r.Handle("/v1/backup", lim(s.stepUp(s.handleBackup))).Methods(http.MethodGet)
	r.Handle("/v1/check", lim(s.stepUp(s.handleCheck))).Methods(http.MethodGet)

	r.Handle("/v1/audit/events", lim(s.authenticated(s.handleAuditEvents))).Methods(http.MethodGet)
	r.Handle("/v1/audit/checkpoint", lim(s.authenticated(s.handleCheckpoint))).Methods(http.MethodGet)
	r.Handle("/v1/audit/tile/{path:.+}", lim(s.authenticated(s.handleTile))).Methods(http.MethodGet)
	r.Handle("/v1/audit/verifier", lim(s.authenticated(s.handleVerifier))).Methods(http.MethodGet)
	r.Handle("/v1/audit/proof/inclusion", lim(s.authenticated(s.handleInclusion))).Methods(http.MethodGet)
	r.Handle("/v1/audit/proof/consistency", lim(s.authenticated(s.handleConsistency))).Methods(http.MethodGet)
	r.Handle("/v1/audit/hmac", lim(s.stepUp(s.perUser(s.hmacLimit, s.handleHMAC)))).Methods(http.MethodPost)

	// The web interface: its page and assets only, so that every other
	// path, /v1 included, still gets the API's JSON 404.
	ui := web.Handler()
	r.Handle("/", lim(ui.ServeHTTP)).Methods(http.MethodGet, http.MethodHead)
	r.PathPrefix("/ui/").Handler(lim(ui.ServeHTTP)).Methods(http.MethodGet, http.MethodHead)
	return r
}

// decodeJSON reads one JSON object from a size-limited body, refusing
// unknown fields and trailing data.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return newError(http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxJSON))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if bodyTimedOut(err) {
			return errBodyTimeout
		}
		return newError(http.StatusBadRequest, "bad_json", "reading the body failed")
	}
	return strictJSON(body, v)
}

// strictJSON decodes exactly one JSON value from b into v: valid UTF-8
// (encoding/json would silently replace bad bytes), no unknown fields, no
// trailing data.
func strictJSON(b []byte, v any) error {
	if !utf8.Valid(b) {
		return newError(http.StatusBadRequest, "bad_json", "malformed JSON: not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return newError(http.StatusBadRequest, "bad_json", "malformed JSON: %s", jsonReason(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return newError(http.StatusBadRequest, "bad_json", "malformed JSON: trailing data after the object")
	}
	return nil
}

// jsonReason describes a decoding error without echoing input.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error"
	case errors.As(err, &te):
		return "wrong type for field " + te.Field
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "empty or truncated body"
	}
	msg := err.Error()
	if len(msg) > 100 {
		msg = msg[:100]
	}
	return msg
}

type healthResponse struct {
	Status   string `json:"status"`
	Version  string `json:"version"`
	Unsealed bool   `json:"unsealed"`
	// Witnesses says whether each witness cosigns the audit log's
	// checkpoints. A witness that does not never stops the server or its
	// writes; auditors who require its cosignature see older
	// checkpoints, or none.
	Witnesses []witness.Status `json:"witnesses,omitempty"`
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	h := healthResponse{Status: "ok", Version: s.cfg.Version, Unsealed: s.cfg.Vault != nil}
	if s.cfg.Witnesses != nil {
		h.Witnesses = s.cfg.Witnesses.Status()
	}
	writeJSON(w, http.StatusOK, h)
}

//go:embed openapi.json
var openAPI []byte

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}
