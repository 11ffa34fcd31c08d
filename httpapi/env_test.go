package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/search/indexer"
	"github.com/amana-vault/amana/vault"
)

// clock is a settable time shared by the vault and the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type tuser struct {
	id, role string
	identity age.Identity
	secret   string
	rcpt     string
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
	clock *clock
	users map[string]*tuser
	logs  *syncBuffer
	srv   *httptest.Server
}

const passphrase = "http test passphrase"

func newEnv(t testing.TB, cfg ...func(*httpapi.Config)) *env {
	t.Helper()
	dir := t.TempDir()
	clk := &clock{t: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}
	e := &env{t: t, clock: clk, users: map[string]*tuser{}, logs: &syncBuffer{}}
	mk := func(id, role string, pq bool) *tuser {
		var ident age.Identity
		var rcpt string
		if pq {
			k, _ := age.GenerateHybridIdentity()
			ident, rcpt = k, k.Recipient().String()
		} else {
			k, _ := age.GenerateX25519Identity()
			ident, rcpt = k, k.Recipient().String()
		}
		u := &tuser{id: id, role: role, identity: ident}
		u.rcpt = rcpt
		e.users[id] = u
		return u
	}
	admin := mk("l.custodian", vault.RoleAdmin, true)
	opts := vault.Options{Now: clk.Now, ScryptWorkFactor: 10, ChunkSize: 64 << 10}
	v, created, err := vault.Create(dir, passphrase, vault.NewUser{ID: admin.id, Recipient: admin.rcpt}, opts)
	if err != nil {
		t.Fatal(err)
	}
	admin.secret = secretOf(t, created.TOTPURL)
	ac := vault.Caller{User: admin.id}
	for _, spec := range []struct {
		id, role string
		pq       bool
	}{
		{"r.hassan", vault.RoleResearcher, true},
		{"r.ahmed", vault.RoleResearcher, false},
		{"a.karim", vault.RoleLawyer, true},
		{"r.outsider", vault.RoleResearcher, false},
		{"auditor", vault.RoleAuditor, false},
	} {
		u := mk(spec.id, spec.role, spec.pq)
		_, url, err := v.AddUser(ac, vault.NewUser{ID: u.id, Role: u.role, Recipient: u.rcpt})
		if err != nil {
			t.Fatal(err)
		}
		u.secret = secretOf(t, url)
	}
	if _, err := v.CreateCollection(ac, vault.Collection{ID: "kirkuk-2018", Members: []string{"r.hassan", "r.ahmed", "a.karim"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.CreateCollection(ac, vault.Collection{ID: "sinjar-2017", Members: []string{"r.outsider"}}); err != nil {
		t.Fatal(err)
	}
	ix, err := search.Open(filepath.Join(dir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	c := httpapi.Config{
		Vault: v, Index: ix, Indexer: indexer.New(v, ix), Now: clk.Now,
		Logger: slog.New(slog.NewJSONHandler(e.logs, nil)),
	}
	for _, f := range cfg {
		f(&c)
	}
	e.srv = httptest.NewServer(httpapi.New(c))
	e.url, e.v, e.ix = e.srv.URL, v, ix
	t.Cleanup(func() {
		e.srv.Close()
		ix.Close()
		v.Close()
	})
	return e
}

func secretOf(t testing.TB, u string) string {
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get("secret")
}

// code returns the user's TOTP code now; the clock then moves to the next
// 30 s step, since a code is accepted once only.
func (e *env) code(u *tuser) string {
	c, err := totp.GenerateCodeCustom(u.secret, e.clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) step() { e.clock.Add(30 * time.Second) }

// login returns a client logged in as id, with step-up codes on demand.
func (e *env) login(id string) *client.Client {
	e.t.Helper()
	u := e.users[id]
	c := client.New(e.url)
	e.step()
	if _, err := c.Login(context.Background(), id, []age.Identity{u.identity}, e.code(u)); err != nil {
		e.t.Fatalf("login %s: %v", id, err)
	}
	c.TOTP = func() (string, error) { e.step(); return e.code(u), nil }
	return c
}
