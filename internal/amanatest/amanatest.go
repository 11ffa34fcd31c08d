// Package amanatest starts the real Amana server for tests, as
// net/http/httptest does for handlers: a bbolt vault in a temporary
// directory, its Bleve index and the HTTP API on loopback, assembled by
// internal/server as 'amana serve' assembles them, with a fake clock shared
// by the vault and the API, users whose private identities the test holds,
// their TOTP codes at the clock's time, and logged-in clients.
//
//	s := amanatest.NewServer(t, amanatest.Options{})   // the keys-example users
//	c := s.Login("r.hassan")                           // a *client.Client
//	s.Clock.Add(16 * time.Minute)                      // the session is now idle too long
//
// The server closes when the test ends.
package amanatest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/internal/demokeys"
	"github.com/amana-vault/amana/internal/fakeclock"
	"github.com/amana-vault/amana/internal/server"
	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/vault"
	"github.com/amana-vault/amana/witness"
)

// Vault options of test vaults: a cheap scrypt, so that unsealing takes
// milliseconds, and small chunks, so that small documents have several.
const (
	ScryptWorkFactor = 10
	ChunkSize        = 64 << 10
)

// Options configures a test server. The zero value serves the
// keys-example users, no collections, from the current time.
type Options struct {
	// Users of the vault: the first admin creates it and the others.
	// Nil means DemoUsers. Users without a TOTP secret get the one the
	// vault generates.
	Users []*User
	// Collections to create, as the first admin.
	Collections []vault.Collection
	// Start is the clock's time at the start (default: now, truncated to
	// a 30 s TOTP step, so that a client's local view of session expiry
	// agrees with the server's).
	Start time.Time
	// Passphrase of the vault (default "amanatest passphrase").
	Passphrase string

	// Logger receives the server's log (default: discarded).
	Logger *slog.Logger
	// API adjusts the API's configuration, as server.Config.API.
	API func(*httpapi.Config)
	// Wrap wraps the server's handler, as server.Config.Wrap.
	Wrap func(http.Handler) http.Handler
	// MaxHeaderBytes, as server.Config.MaxHeaderBytes.
	MaxHeaderBytes int
	// Interval of the checkpoint and index ticker (default: none, so that
	// nothing happens behind the test's back).
	Interval time.Duration
	// HeaderTimeout, BodyTimeout, StallTimeout and IdleTimeout, as in
	// server.Config (default: the server's defaults).
	HeaderTimeout, BodyTimeout, StallTimeout, IdleTimeout time.Duration
	// Witnesses and WitnessQuorum, as in server.Config; failed witnesses
	// are retried after 20 ms at first.
	Witnesses     []witness.Witness
	WitnessQuorum int
}

// Server is a running Amana server. Its fields are for reading, except
// Users, to which a test may add users it created through the API so that
// Code and Login work for them.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port.
	URL string
	// Listener and Config are the server's listener and http.Server, as
	// in httptest.Server.
	Listener net.Listener
	Config   *http.Server
	// Dir is the vault's data directory; Passphrase unseals it.
	Dir, Passphrase string
	Vault           *vault.Vault
	Index           *search.Index
	// API is the HTTP API the server serves.
	API *httpapi.Server
	// Clock is the time of the vault and the API.
	Clock *fakeclock.Clock
	// Users by id.
	Users map[string]*User

	t         testing.TB
	srv       *server.Server
	witnesses []witness.Witness
}

// WitnessList returns the witnesses the server submits checkpoints to.
func (s *Server) WitnessList() []witness.Witness { return s.witnesses }

// NewServer creates a vault for opts in a temporary directory and serves it
// on loopback until the test ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	users := opts.Users
	if users == nil {
		users = DemoUsers(t)
	}
	start := opts.Start
	if start.IsZero() {
		start = time.Now().UTC().Truncate(30 * time.Second)
	}
	if opts.Passphrase == "" {
		opts.Passphrase = "amanatest passphrase"
	}
	interval := opts.Interval
	if interval == 0 {
		interval = -1
	}
	s := &Server{
		Dir:        filepath.Join(t.TempDir(), "vault"),
		Passphrase: opts.Passphrase,
		Clock:      fakeclock.New(start),
		Users:      map[string]*User{},
		t:          t,
		witnesses:  opts.Witnesses,
	}
	vopts := vault.Options{Now: s.Clock.Now, ScryptWorkFactor: ScryptWorkFactor, ChunkSize: ChunkSize}
	if err := CreateVault(s.Dir, s.Passphrase, users, opts.Collections, vopts); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		s.Users[u.ID] = u
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.srv, err = server.Start(server.Config{
		DataDir: s.Dir, Passphrase: s.Passphrase, Vault: vopts,
		Listener: ln, Logger: logger, Version: "test", Now: s.Clock.Now,
		API: opts.API, Wrap: opts.Wrap, MaxHeaderBytes: opts.MaxHeaderBytes, Interval: interval,
		HeaderTimeout: opts.HeaderTimeout, BodyTimeout: opts.BodyTimeout,
		StallTimeout: opts.StallTimeout, IdleTimeout: opts.IdleTimeout,
		Witnesses: opts.Witnesses, WitnessQuorum: opts.WitnessQuorum, WitnessBackoff: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.URL, s.Listener, s.Config = s.srv.URL(), ln, s.srv.HTTPServer()
	s.Vault, s.Index, s.API = s.srv.Vault(), s.srv.Index(), s.srv.API()
	t.Cleanup(s.Close)
	return s
}

// Close shuts the server down: requests in flight finish, then the index
// and the vault close. A failure fails the test. NewServer arranges for
// Close at the end of the test; calling it earlier is allowed.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The default transport's idle connections would otherwise hold the
	// shutdown until they time out, as httptest.Server.Close knows.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.t.Errorf("amanatest: closing the server: %v", err)
	}
}

// Step moves the clock one 30 s TOTP step on.
func (s *Server) Step() { s.Clock.Add(30 * time.Second) }

// Code returns user id's TOTP code at the clock's time. The server accepts
// a code once only: Step before asking for the next one, or use NextCode.
func (s *Server) Code(id string) string {
	s.t.Helper()
	return TOTP(s.t, s.user(id).TOTPSecret, s.Clock.Now())
}

// NextCode moves the clock one step on and returns user id's code then.
func (s *Server) NextCode(id string) string {
	s.t.Helper()
	s.Step()
	return s.Code(id)
}

// Login returns a client logged in as user id with NextCode, which also
// answers the client's step-up prompts.
func (s *Server) Login(id string) *client.Client {
	s.t.Helper()
	u := s.user(id)
	c := client.New(s.URL)
	if _, err := c.Login(context.Background(), id, u.Identities, s.NextCode(id)); err != nil {
		s.t.Fatalf("amanatest: login as %s: %v", id, err)
	}
	c.TOTP = func() (string, error) {
		s.Step()
		return demokeys.Code(u.TOTPSecret, s.Clock.Now())
	}
	c.Signer, c.Now = u.Signer, s.Clock.Now
	return c
}

func (s *Server) user(id string) *User {
	s.t.Helper()
	u := s.Users[id]
	if u == nil {
		s.t.Fatalf("amanatest: no user %q", id)
	}
	return u
}

// secretOf returns the secret of an otpauth:// URL.
func secretOf(otpauth string) (string, error) {
	u, err := url.Parse(otpauth)
	if err != nil {
		return "", err
	}
	return u.Query().Get("secret"), nil
}
