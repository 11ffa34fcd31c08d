package httpapi_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/internal/fakeclock"
	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/vault"
)

type tuser struct {
	id, role string
	identity age.Identity
	secret   string
	rcpt     string
	signer   ssh.Signer
}

// syncBuffer collects the server's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a real vault, a real index and a real HTTP server on loopback.
type env struct {
	t     testing.TB
	url   string
	v     *vault.Vault
	ix    *search.Index
	clock *fakeclock.Clock
	users map[string]*tuser
	logs  *syncBuffer
	srv   *amanatest.Server
}

const passphrase = "http test passphrase"

// newEnv serves a custodian, three researchers (one outside the shared
// case file), a lawyer and an auditor, with new keys, some post-quantum.
func newEnv(t testing.TB, cfg ...func(*httpapi.Config)) *env {
	t.Helper()
	users := []*amanatest.User{
		amanatest.NewUser(t, "l.custodian", vault.RoleAdmin, true),
		amanatest.NewUser(t, "r.hassan", vault.RoleResearcher, true),
		amanatest.NewUser(t, "r.ahmed", vault.RoleResearcher, false),
		amanatest.NewUser(t, "a.karim", vault.RoleLawyer, true),
		amanatest.NewUser(t, "r.outsider", vault.RoleResearcher, false),
		amanatest.NewUser(t, "auditor", vault.RoleAuditor, false),
	}
	logs := &syncBuffer{}
	srv := amanatest.NewServer(t, amanatest.Options{
		Users: users,
		Collections: []vault.Collection{
			{ID: "kirkuk-2018", Members: []string{"r.hassan", "r.ahmed", "a.karim"}},
			{ID: "sinjar-2017", Members: []string{"r.outsider"}},
		},
		Start:      time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC),
		Passphrase: passphrase,
		Logger:     slog.New(slog.NewJSONHandler(logs, nil)),
		API: func(c *httpapi.Config) {
			for _, f := range cfg {
				f(c)
			}
		},
		// Hostile tests send headers up to net/http's default limit.
		MaxHeaderBytes: http.DefaultMaxHeaderBytes,
	})
	e := &env{t: t, url: srv.URL, v: srv.Vault, ix: srv.Index, clock: srv.Clock,
		users: map[string]*tuser{}, logs: logs, srv: srv}
	for _, u := range users {
		e.users[u.ID] = &tuser{id: u.ID, role: u.Role, identity: u.Identities[0], secret: u.TOTPSecret, rcpt: u.Recipient, signer: u.Signer}
	}
	return e
}

// code returns the user's TOTP code at the clock's time.
func (e *env) code(u *tuser) string { return e.srv.Code(u.id) }

// step moves the clock to the next 30 s step, since a code is accepted
// once only.
func (e *env) step() { e.srv.Step() }

// login returns a client logged in as id, with step-up codes on demand.
func (e *env) login(id string) *client.Client {
	e.t.Helper()
	return e.srv.Login(id)
}
