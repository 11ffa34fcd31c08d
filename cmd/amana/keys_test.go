//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/amanatest"
)

// newKeysEnv is newEnv with the server at hand.
func newKeysEnv(t *testing.T) (*env, *amanatest.Server) {
	t.Helper()
	srv := amanatest.NewServer(t, amanatest.Options{Passphrase: "cli test passphrase"})
	e := &env{t: t, url: srv.URL, clock: srv.Clock, users: map[string]demoUser{}, cfg: map[string]string{}}
	for id, u := range srv.Users {
		e.users[id] = demoUser{ID: u.ID, Role: u.Role, Name: u.Name, IdentityFile: u.IdentityFile, Recipient: u.Recipient, TOTPSecret: u.TOTPSecret}
	}
	return e, srv
}

type keysListJSON struct {
	Server         string    `json:"server"`
	Verifier       string    `json:"verifier"`
	CheckpointSize int64     `json:"checkpoint_size"`
	Users          []keyJSON `json:"users"`
}

// TestKeys: the command line pins the keys it uses, shows them, refuses a
// changed key until 'amana keys trust' accepts it, and refuses keys a
// proxy swapped.
func TestKeys(t *testing.T) {
	t.Parallel()
	e, srv := newKeysEnv(t)
	vkey := srv.Vault.VerifierKey()
	e.createCollection()

	// Login with a wrong verifier key: refused, no session; with the right
	// one: pinned.
	hassan := e.users["r.hassan"]
	e.fail("r.hassan", "verifier key", "login", "--server", e.url, "--user", "r.hassan", "--identity", hassan.IdentityFile,
		"--totp", e.code("r.hassan"), "--verifier", "amana.local/vault+0cd67875+AYR5D0gUbT+G/+rl0JoPlAGDP5WPDBDyFus96eVHaZ3/")
	noFile(t, filepath.Join(e.configDir("r.hassan"), "session.json"))
	r := e.ok("r.hassan", "login", "--server", e.url, "--user", "r.hassan", "--identity", hassan.IdentityFile,
		"--totp", e.code("r.hassan"), "--verifier", vkey)
	if !strings.Contains(r.stderr, "Pinned the vault's audit verifier key "+vkey) {
		t.Errorf("login said %q", r.stderr)
	}
	if l := decode[keysListJSON](t, e.ok("r.hassan", "keys", "list", "--json", "--server", "http://127.0.0.1:1").stdout); l.Verifier != "" || len(l.Users) != 0 {
		t.Errorf("another server has pins: %+v", l) // pins are per server
	}
	r = e.ok("r.hassan", "keys", "list")
	if !strings.Contains(r.stdout, "No keys pinned yet") || !strings.Contains(r.stdout, vkey) {
		t.Errorf("keys list before any use:\n%s", r.stdout)
	}

	// A deposit and a grant pin the keys they use.
	doc := decode[string](t, string(e.deposit("r.hassan", []byte("a fictional testimony"))["id"]))
	e.ok("r.hassan", "grant", doc, "a.karim")
	pinFile := filepath.Join(e.configDir("r.hassan"), client.KeyPinsFile)
	if st, err := os.Stat(pinFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v", pinFile, st, err)
	}
	list := decode[keysListJSON](t, e.ok("r.hassan", "keys", "list", "--json").stdout)
	if list.Server != e.url || list.Verifier != vkey || list.CheckpointSize == 0 || len(list.Users) != 3 {
		t.Fatalf("keys list --json: %+v", list)
	}
	for _, k := range list.Users {
		u := srv.Users[k.User]
		if k.Recipient != u.Recipient || k.RecipientFingerprint != client.Fingerprint(u.Recipient) || k.SigningKey != u.SigningKey ||
			!strings.HasPrefix(k.SigningKeyFingerprint, "SHA256:") || k.Seq == 0 && k.User != "l.custodian" {
			t.Errorf("pinned %+v", k)
		}
	}
	r = e.ok("r.hassan", "keys", "list")
	for _, want := range []string{"a.karim", "l.custodian", "r.hassan", client.Fingerprint(srv.Users["a.karim"].Recipient)} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("keys list lacks %q:\n%s", want, r.stdout)
		}
	}
	r = e.ok("r.hassan", "keys", "verify", "a.karim")
	if !strings.Contains(r.stdout, "They are the keys pinned here") {
		t.Errorf("keys verify: %s", r.stdout)
	}

	// An admin replaces a.karim's recipient (PATCH, step-up).
	next, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	rcpt := next.Recipient().String()
	e.stepUpDue()
	e.fail("l.custodian", "a TOTP code is needed", "user", "set-recipient", "a.karim", rcpt)
	r = e.ok("l.custodian", "user", "set-recipient", "a.karim", rcpt, "--totp", e.code("l.custodian"))
	if !strings.Contains(r.stdout, client.Fingerprint(rcpt)) {
		t.Errorf("user set-recipient: %s", r.stdout)
	}
	e.ok("r.hassan", "revoke", doc, "a.karim", "--totp", e.code("r.hassan"))
	r = e.fail("r.hassan", "amana keys trust a.karim", "grant", doc, "a.karim", "--totp", e.code("r.hassan"))
	if !strings.Contains(r.stderr, "keys of a.karim") || !strings.Contains(r.stderr, client.Fingerprint(rcpt)) {
		t.Errorf("grant after the change: %s", r.stderr)
	}
	e.fail("r.hassan", "keys of a.karim differ", "keys", "verify", "a.karim")
	// Without --yes and without a terminal: a usage error, nothing pinned.
	r = e.run("r.hassan", "keys", "trust", "a.karim")
	if r.code != 2 || !strings.Contains(r.stderr, "--yes") || !strings.Contains(r.stdout, client.Fingerprint(rcpt)) ||
		!strings.Contains(r.stdout, client.Fingerprint(srv.Users["a.karim"].Recipient)) {
		t.Fatalf("keys trust without --yes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	e.fail("r.hassan", "keys of a.karim differ", "grant", doc, "a.karim", "--totp", e.code("r.hassan"))
	r = e.ok("r.hassan", "keys", "trust", "a.karim", "--yes")
	if !strings.Contains(r.stdout, "Pinned the new keys of a.karim") {
		t.Errorf("keys trust: %s", r.stdout)
	}
	e.ok("r.hassan", "grant", doc, "a.karim", "--totp", e.code("r.hassan"))
	r = e.ok("r.hassan", "keys", "verify", "a.karim", "--json")
	if v := decode[struct {
		Keys keyJSON `json:"keys"`
	}](t, r.stdout); v.Keys.Recipient != rcpt {
		t.Errorf("keys verify --json: %s", r.stdout)
	}
	r = e.ok("r.hassan", "keys", "trust", "a.karim", "--yes")
	if !strings.Contains(r.stdout, "unchanged") {
		t.Errorf("keys trust again: %s", r.stdout)
	}

	// A proxy that swaps the custodian's recipient for its own: the
	// deposit stops, and names the custodian.
	attacker, _ := age.GenerateX25519Identity()
	custodian := []byte(srv.Users["l.custodian"].Recipient)
	proxy := tamperProxy(t, e.url, func(r *http.Request, body []byte) []byte {
		return bytes.ReplaceAll(body, custodian, []byte(attacker.Recipient().String()))
	})
	dir := t.TempDir()
	file := filepath.Join(dir, "statement.txt")
	os.WriteFile(file, []byte("another fictional statement"), 0o600)
	meta := filepath.Join(dir, "meta.json")
	mb, _ := json.Marshal(map[string]any{"title": "A statement", "language": "en",
		"consent": map[string]any{"scopes": []string{"research"}, "recorded_at": "2018-03-02", "recorded_by": "r.hassan"}})
	os.WriteFile(meta, mb, 0o600)
	r = e.run("r.hassan", "deposit", file, "--collection", "kirkuk-2018", "--kind", "testimony", "--meta", meta, "--server", proxy)
	if r.code != 1 || !strings.Contains(r.stderr, "deposit failed: the keys of l.custodian are not proven by the audit log") {
		t.Fatalf("deposit through the proxy: exit %d, %s", r.code, r.stderr)
	}
	e.ok("r.hassan", "deposit", file, "--collection", "kirkuk-2018", "--kind", "testimony", "--meta", meta)
}
