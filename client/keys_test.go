package client_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/internal/server"
	"github.com/amana-vault/amana/sshsig"
	"github.com/amana-vault/amana/vault"
)

var ctx = context.Background()

// swapper is a man in the middle inside the server's handler: while on, it
// replaces every occurrence of some strings (a user's recipient or signing
// key) in the answers about users' keys, the binding event inside a key
// proof included.
type swapper struct {
	mu    sync.Mutex
	swaps map[string]string
}

func (s *swapper) set(from, to string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.swaps == nil {
		s.swaps = map[string]string{}
	}
	s.swaps[from] = to
}

func (s *swapper) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.swaps = nil
}

func (s *swapper) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		swaps := s.swaps
		s.mu.Unlock()
		p := r.URL.Path
		if len(swaps) == 0 || !(strings.HasPrefix(p, "/v1/users/") || strings.HasSuffix(p, "/recipients")) {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for from, to := range swaps {
			body = bytes.ReplaceAll(body, []byte(from), []byte(to))
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

type keysEnv struct {
	s    *amanatest.Server
	swap *swapper
}

func newKeysEnv(t *testing.T) *keysEnv {
	e := &keysEnv{swap: &swapper{}}
	e.s = amanatest.NewServer(t, amanatest.Options{
		Collections: []vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan", "r.ahmed", "a.karim"}, Custodians: []string{"l.custodian"}}},
		Wrap:        e.swap.wrap,
	})
	return e
}

// login returns a client of user id that checks keys with pins kept in
// dir (a fresh one if "").
func (e *keysEnv) login(t *testing.T, id, dir string) (*client.Client, *client.KeyPins) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	c := e.s.Login(id)
	pins := &client.KeyPins{File: filepath.Join(dir, client.KeyPinsFile), Server: e.s.URL}
	c.Keys = pins
	return c, pins
}

func (e *keysEnv) deposit(c *client.Client, by string) (*client.Deposited, error) {
	return c.Deposit(ctx, client.DepositRequest{
		Collection: "kirkuk-2018", Kind: "testimony",
		Public:    client.PublicMeta{Title: "A testimony on the kilns", Language: "en"},
		Consent:   client.Consent{Scopes: []string{"research", "legal_proceedings"}, RecordedAt: "2018-05-02", RecordedBy: by},
		Content:   strings.NewReader("a fictional testimony for the key tests"),
		Depositor: by, Signer: e.s.Users[by].Signer,
	})
}

func (e *keysEnv) ids(id string) []age.Identity { return e.s.Users[id].Identities }

// wantKeyError checks that err is a key error about user.
func wantKeyError(t *testing.T, what string, err error, user string) {
	t.Helper()
	var ke *client.KeyError
	if err == nil || !errors.As(err, &ke) || ke.User != user || !strings.Contains(err.Error(), user) || !strings.Contains(err.Error(), "key") {
		t.Fatalf("%s: %v, want a key error naming %s", what, err, user)
	}
}

func newAgeRecipient(t *testing.T) string {
	t.Helper()
	k, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return k.Recipient().String()
}

func newSigningKey(t *testing.T) string {
	t.Helper()
	_, pub, err := sshsig.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// TestKeysSwappedByServer: a server (or anyone between client and server)
// that hands out another recipient or signing key than the one the audit
// log binds stops deposits, grants, rekeys and reads, for a client that pinned the
// keys before and for a fresh one, with an error that names the user.
func TestKeysSwappedByServer(t *testing.T) {
	e := newKeysEnv(t)
	pinnedDir := t.TempDir()
	hassan, pins := e.login(t, "r.hassan", pinnedDir)

	// Honest server: the deposit and the grant pin the keys they use.
	d, err := e.deposit(hassan, "r.hassan")
	if err != nil {
		t.Fatal(err)
	}
	if err := hassan.Grant(ctx, d.Document.ID, "a.karim", e.ids("r.hassan")); err != nil {
		t.Fatal(err)
	}
	got, err := pins.Pins()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"r.hassan", "l.custodian", "a.karim"} {
		if p := got.Users[id]; p == nil || p.Recipient != e.s.Users[id].Recipient || p.SigningKey != e.s.Users[id].SigningKey {
			t.Errorf("pinned for %s: %+v", id, p)
		}
	}
	if got.Verifier != e.s.Vault.VerifierKey() || got.Checkpoint == "" {
		t.Errorf("pinned verifier %q, checkpoint %q", got.Verifier, got.Checkpoint)
	}
	if fi, err := os.Stat(pins.File); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v %v", pins.File, fi.Mode(), err)
	}
	karim, _ := e.login(t, "a.karim", "")
	if _, err := karim.Get(ctx, d.Document.ID, e.ids("a.karim"), io.Discard); err != nil {
		t.Fatalf("read before any swap: %v", err)
	}

	// The custodian's recipient, the grantee's recipient and the
	// depositor's signing key swapped for the attacker's.
	attacker := newAgeRecipient(t)
	for _, c := range []struct {
		name, victim, from, to string
		op                     func(c *client.Client) error
		as                     string
	}{
		{"deposit", "l.custodian", e.s.Users["l.custodian"].Recipient, attacker, func(c *client.Client) error {
			_, err := e.deposit(c, "r.hassan")
			return err
		}, "r.hassan"},
		{"grant", "a.karim", e.s.Users["a.karim"].Recipient, attacker, func(c *client.Client) error {
			return c.Grant(ctx, d.Document.ID, "a.karim", e.ids("r.hassan"))
		}, "r.hassan"},
		{"deposit to", "a.karim", e.s.Users["a.karim"].Recipient, attacker, func(c *client.Client) error {
			_, err := c.Deposit(ctx, client.DepositRequest{Collection: "kirkuk-2018", Kind: "testimony",
				Public:  client.PublicMeta{Title: "Another testimony", Language: "en"},
				Consent: client.Consent{Scopes: []string{"research", "legal_proceedings"}, RecordedAt: "2018-05-02", RecordedBy: "r.hassan"},
				Content: strings.NewReader("x"), To: []string{"a.karim"}, Depositor: "r.hassan", Signer: e.s.Users["r.hassan"].Signer})
			return err
		}, "r.hassan"},
		{"rekey", "a.karim", e.s.Users["a.karim"].Recipient, attacker, func(c *client.Client) error {
			_, err := c.Rekey(ctx, d.Document.ID, e.ids("r.hassan"))
			return err
		}, "r.hassan"},
		{"read", "r.hassan", e.s.Users["r.hassan"].SigningKey, newSigningKey(t), func(c *client.Client) error {
			_, err := c.Get(ctx, d.Document.ID, e.ids("a.karim"), io.Discard)
			return err
		}, "a.karim"},
	} {
		for _, fresh := range []bool{false, true} {
			name := c.name + "/pinned"
			if fresh {
				name = c.name + "/fresh"
			}
			t.Run(name, func(t *testing.T) {
				var cl *client.Client
				switch {
				case fresh:
					cl, _ = e.login(t, c.as, "")
				case c.as == "r.hassan":
					cl = hassan
				default:
					cl = karim
				}
				e.swap.set(c.from, c.to)
				defer e.swap.clear()
				wantKeyError(t, c.name, c.op(cl), c.victim)
			})
		}
	}
	// The pins are as they were, and the honest server works again.
	after, err := pins.Pins()
	if err != nil {
		t.Fatal(err)
	}
	for id, p := range got.Users {
		if a := after.Users[id]; a.Recipient != p.Recipient || a.SigningKey != p.SigningKey {
			t.Errorf("%s's pin changed: %+v", id, a)
		}
	}
	if err := hassan.Grant(ctx, d.Document.ID, "r.ahmed", e.ids("r.hassan")); err != nil {
		t.Fatalf("grant after the swaps: %v", err)
	}

	// Keys without a proof are not used either.
	proxy := reverseProxy(t, e.s.URL, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/keys") })
	noProof, _ := e.login(t, "r.hassan", "")
	noProof.BaseURL = proxy
	wantKeyError(t, "deposit without proofs", func() error { _, err := e.deposit(noProof, "r.hassan"); return err }(), "l.custodian")
	wantKeyError(t, "grant without proofs", noProof.Grant(ctx, d.Document.ID, "r.ahmed", e.ids("r.hassan")), "r.ahmed")
}

// reverseProxy serves target on loopback, answering 404 to the requests
// block matches.
func reverseProxy(t *testing.T, target string, block func(*http.Request) bool) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if block(r) {
			http.Error(w, `{"error":{"code":"not_found","message":"not found"}}`, http.StatusNotFound)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestKeysChangedByAdmin: an admin changes a user's keys (PATCH
// /v1/users/{id}, with a step-up); a client that pinned the old keys stops
// until its user accepts the change, after which it uses the new keys.
func TestKeysChangedByAdmin(t *testing.T) {
	e := newKeysEnv(t)
	hassan, pins := e.login(t, "r.hassan", "")
	d, err := e.deposit(hassan, "r.hassan")
	if err != nil {
		t.Fatal(err)
	}
	if err := hassan.Grant(ctx, d.Document.ID, "a.karim", e.ids("r.hassan")); err != nil {
		t.Fatal(err)
	}
	old, err := pins.Verify(ctx, hassan, "a.karim")
	if err != nil {
		t.Fatal(err)
	}

	next, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	admin := e.s.Login("l.custodian")
	rcpt := next.Recipient().String()
	if _, err := admin.UpdateUser(ctx, "a.karim", nil, nil, &rcpt); err != nil {
		t.Fatal(err)
	}

	// The grant stops, names a.karim, and says what changed.
	err = hassan.Grant(ctx, d.Document.ID, "a.karim", e.ids("r.hassan"))
	wantKeyError(t, "grant after the change", err, "a.karim")
	if !errors.Is(err, client.ErrKeyChanged) || !strings.Contains(err.Error(), client.Fingerprint(rcpt)) || !strings.Contains(err.Error(), client.Fingerprint(old.Recipient)) {
		t.Fatalf("the error does not show both fingerprints: %v", err)
	}

	// Refusing the change keeps the old pin.
	refused := errors.New("not confirmed")
	if _, _, err := pins.Trust(ctx, hassan, "a.karim", func(o, n *client.PinnedKeys) error { return refused }); !errors.Is(err, refused) {
		t.Fatalf("trust refused: %v", err)
	}
	if p, _ := pins.Pins(); p.Users["a.karim"].Recipient != old.Recipient {
		t.Fatal("a refused change replaced the pin")
	}
	// Accepting it pins the new keys; the grant then seals to them.
	var shown [2]*client.PinnedKeys
	before, now, err := pins.Trust(ctx, hassan, "a.karim", func(o, n *client.PinnedKeys) error {
		shown = [2]*client.PinnedKeys{o, n}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if before.Recipient != old.Recipient || now.Recipient != rcpt || shown[0].Recipient != old.Recipient || shown[1].Recipient != rcpt || now.Seq <= old.Seq {
		t.Fatalf("trust: before %+v, now %+v, shown %+v %+v", before, now, shown[0], shown[1])
	}
	if err := hassan.Revoke(ctx, d.Document.ID, "a.karim"); err != nil {
		t.Fatal(err)
	}
	if err := hassan.Grant(ctx, d.Document.ID, "a.karim", e.ids("r.hassan")); err != nil {
		t.Fatalf("grant after trust: %v", err)
	}
	e.s.Users["a.karim"].Identities = []age.Identity{next}
	karim := e.s.Login("a.karim")
	slot, err := karim.KeySlot(ctx, d.Document.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := age.Decrypt(bytes.NewReader(slot), next); err != nil {
		t.Fatalf("the new slot does not open with the new identity: %v", err)
	}

	// The trust is in the audit log, as a read.
	evs, _, err := admin.AuditEvents(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		if bytes.Contains(ev, []byte(`"action":"user.keys"`)) && bytes.Contains(ev, []byte(`"purpose":"trust"`)) && bytes.Contains(ev, []byte(`"actor":"r.hassan"`)) {
			found = true
		}
	}
	if !found {
		t.Error("no user.keys event with purpose trust")
	}
}

// TestKeysOldBindingReplayed: a server that answers with an earlier
// binding of a user, after the client pinned a later one, is refused, even
// when the user tries to trust it.
func TestKeysOldBindingReplayed(t *testing.T) {
	e := newKeysEnv(t)
	var mu sync.Mutex
	replay := map[string][]byte{} // path -> answer to serve instead
	recorded := map[string][]byte{}
	u, _ := url.Parse(e.s.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		body, ok := replay[r.URL.Path]
		mu.Unlock()
		if ok {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
			return
		}
		if !strings.HasSuffix(r.URL.Path, "/keys") {
			rp.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		mu.Lock()
		if _, seen := recorded[r.URL.Path]; !seen {
			recorded[r.URL.Path] = rec.Body.Bytes()
		}
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(proxy.Close)

	hassan, pins := e.login(t, "r.hassan", "")
	hassan.BaseURL = proxy.URL
	first, err := pins.Verify(ctx, hassan, "a.karim") // recorded
	if err != nil {
		t.Fatal(err)
	}
	admin := e.s.Login("l.custodian")
	rcpt := newAgeRecipient(t)
	if _, err := admin.UpdateUser(ctx, "a.karim", nil, nil, &rcpt); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pins.Trust(ctx, hassan, "a.karim", func(o, n *client.PinnedKeys) error { return nil }); err != nil {
		t.Fatal(err)
	}

	// The first answer again: its checkpoint is older than the one kept.
	mu.Lock()
	replay["/v1/users/a.karim/keys"] = recorded["/v1/users/a.karim/keys"]
	mu.Unlock()
	_, err = pins.Verify(ctx, hassan, "a.karim")
	wantKeyError(t, "replayed answer", err, "a.karim")
	if !strings.Contains(err.Error(), "rolled back") {
		t.Errorf("replayed answer: %v, want a rollback", err)
	}
	_, _, err = pins.Trust(ctx, hassan, "a.karim", func(o, n *client.PinnedKeys) error {
		t.Error("asked to trust a replayed answer")
		return nil
	})
	wantKeyError(t, "trusting a replayed answer", err, "a.karim")
	if p, _ := pins.Pins(); p.Users["a.karim"].Recipient != rcpt || p.Users["a.karim"].Seq <= first.Seq {
		t.Errorf("pin after the replay: %+v", p.Users["a.karim"])
	}
}

// TestKeysForkedLog: a server that shows this client a log that does not
// extend the one it saw before (another history, signed with the same
// key) is refused.
func TestKeysForkedLog(t *testing.T) {
	e := newKeysEnv(t)
	hassan, pins := e.login(t, "r.hassan", "")
	if _, err := pins.Verify(ctx, hassan, "a.karim"); err != nil {
		t.Fatal(err)
	}

	// A copy of the vault as it is now, to grow into another history.
	admin := e.s.Login("l.custodian")
	backup, err := admin.Backup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	forkDir := t.TempDir()
	f, err := os.Create(filepath.Join(forkDir, vault.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, backup); err != nil {
		t.Fatal(err)
	}
	backup.Close()
	f.Close()

	// The real log moves on, and the client sees it.
	if _, err := e.deposit(hassan, "r.hassan"); err != nil {
		t.Fatal(err)
	}
	kept, err := pins.Pins()
	if err != nil {
		t.Fatal(err)
	}

	// The fork moves on further, differently, under the same key.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fork, err := server.Start(server.Config{DataDir: forkDir, Passphrase: e.s.Passphrase, Listener: ln, Version: "test",
		Vault: vault.Options{ScryptWorkFactor: amanatest.ScryptWorkFactor, ChunkSize: amanatest.ChunkSize}, Now: e.s.Clock.Now, Interval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		fork.Shutdown(c)
	})
	forked := client.New(fork.URL())
	u := e.s.Users["r.hassan"]
	if _, err := forked.Login(ctx, "r.hassan", u.Identities, e.s.NextCode("r.hassan")); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := forked.Collections(ctx); err != nil {
			t.Fatal(err)
		}
	}
	forked.Keys = pins // the same pins, the same server name: a split view

	_, err = pins.Verify(ctx, forked, "a.karim")
	wantKeyError(t, "forked log", err, "a.karim")
	if !strings.Contains(err.Error(), "not consistent") {
		t.Errorf("forked log: %v", err)
	}
	if _, err := forked.UserRecipient(ctx, "l.custodian"); err == nil {
		t.Error("a recipient from the forked log was used")
	}
	if after, _ := pins.Pins(); after.Checkpoint != kept.Checkpoint {
		t.Error("the forked log's checkpoint was kept")
	}
}

// TestPinVerifier: the verifier key is pinned on first use or given; a
// server stating another is refused, and a given key replaces the pins of
// the log it replaces.
func TestPinVerifier(t *testing.T) {
	e := newKeysEnv(t)
	hassan, pins := e.login(t, "r.hassan", "")
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := auditlog.NewSigner("amana.local/vault", key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pins.PinVerifier(ctx, hassan, other); !errors.Is(err, client.ErrVerifierChanged) {
		t.Fatalf("another given key: %v", err)
	}
	if _, err := pins.PinVerifier(ctx, hassan, "not a key"); err == nil {
		t.Fatal("a malformed key was pinned")
	}
	if _, err := pins.Verify(ctx, hassan, "a.karim"); err != nil {
		t.Fatal(err)
	}
	// The pin file now names another key for this server, as if the
	// server had replaced its log: every check is refused.
	data, err := os.ReadFile(pins.File)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pins.File, bytes.ReplaceAll(data, []byte(e.s.Vault.VerifierKey()), []byte(other)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := pins.Verify(ctx, hassan, "a.karim"); err == nil {
		t.Fatal("keys verified under another verifier key")
	}
	if _, err := pins.PinVerifier(ctx, hassan, ""); !errors.Is(err, client.ErrVerifierChanged) {
		t.Fatalf("a server stating another key than the pinned one: %v", err)
	}
	// Given the right key, out of band: the old pins are dropped.
	if got, err := pins.PinVerifier(ctx, hassan, e.s.Vault.VerifierKey()); err != nil || got != e.s.Vault.VerifierKey() {
		t.Fatalf("PinVerifier: %q %v", got, err)
	}
	if p, _ := pins.Pins(); len(p.Users) != 0 || p.Checkpoint != "" {
		t.Errorf("pins of the replaced log kept: %+v", p)
	}
	if _, err := pins.Verify(ctx, hassan, "a.karim"); err != nil {
		t.Fatal(err)
	}
}
