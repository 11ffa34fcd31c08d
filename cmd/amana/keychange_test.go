package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/sshsig"
)

// TestSigningKeyChangeCLI: after an admin replaces a depositor's signing
// key, the command line still gets, shows and exports the depositor's
// earlier deposits, checked with the key bound when they were deposited,
// and the bundle verifies offline; the server refuses a deposit signed
// with the replaced key; and the depositor's later deposits, signed with
// the new key, read without anyone accepting the change first.
func TestSigningKeyChangeCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	vkey := e.srv.Vault.VerifierKey()
	e.createCollection()
	e.login("r.hassan")
	content := []byte("the interview as deposited with the first key\n")
	id := strings.Trim(string(e.deposit("r.hassan", content)["id"]), `"`)
	e.ok("r.hassan", "grant", id, "a.karim")
	e.login("a.karim")
	dir := t.TempDir()
	e.ok("a.karim", "get", id, "-o", filepath.Join(dir, "before.txt"))
	e.ok("a.karim", "keys", "verify", "r.hassan") // pins r.hassan's first keys
	oldKey := e.srv.Users["r.hassan"].SigningKey

	// The admin replaces r.hassan's signing key.
	pemBytes, newKey, err := sshsig.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	newFile := filepath.Join(dir, "r.hassan-new.sign")
	if err := os.WriteFile(newFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	e.stepUpDue()
	e.ok("l.custodian", "user", "set-signing-key", "r.hassan", newKey, "--totp", e.code("l.custodian"))

	// The earlier deposit: get, show and export, by the reader that
	// pinned the first keys and by one that never saw them.
	e.login("r.ahmed")
	e.ok("r.hassan", "grant", id, "r.ahmed", "--totp", e.code("r.hassan"))
	for _, reader := range []string{"a.karim", "r.ahmed"} {
		out := filepath.Join(dir, reader+".txt")
		e.ok(reader, "get", id, "-o", out)
		if got, _ := os.ReadFile(out); string(got) != string(content) {
			t.Errorf("%s got %q", reader, got)
		}
		shown := decode[map[string]any](t, e.ok(reader, "show", id, "--json").stdout)
		if shown["manifest_verified"] != true || shown["private"] == nil {
			t.Errorf("%s: show --json = %v", reader, shown)
		}
		bundle := filepath.Join(dir, reader+".zip")
		e.ok(reader, "export", id, "-o", bundle)
		r := e.ok(reader, "verify-bundle", bundle, "--verifier", vkey)
		if fp := client.Fingerprint(oldKey); !strings.Contains(r.stdout, fp) {
			t.Errorf("%s: verify-bundle does not name the first key %s:\n%s", reader, fp, r.stdout)
		}
	}

	// Encrypting to r.hassan still needs the change accepted; then the
	// server refuses a deposit signed with the replaced key (the session's
	// file), and takes one signed with the new key.
	statement := filepath.Join(dir, "statement.txt")
	os.WriteFile(statement, []byte("a statement signed with the second key\n"), 0o600)
	meta := filepath.Join(dir, "meta.json")
	os.WriteFile(meta, []byte(`{"title":"A statement","language":"en","consent":{"scopes":["research","legal_proceedings"],"recorded_at":"2018-03-02","recorded_by":"r.hassan"}}`), 0o600)
	args := []string{"deposit", statement, "--collection", "kirkuk-2018", "--kind", "testimony", "--meta", meta, "--json"}
	failing := func(want string, args ...string) {
		t.Helper()
		if r := e.run("r.hassan", args...); r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Fatalf("amana %s: exit %d, %s; want 1 and %q", strings.Join(args, " "), r.code, r.stderr, want)
		}
	}
	failing("amana keys trust r.hassan", args...)
	e.ok("r.hassan", "keys", "trust", "r.hassan", "--yes")
	failing("manifest_sig", args...)
	later := strings.Trim(string(decode[map[string]json.RawMessage](t, e.ok("r.hassan", append(args, "--signing-key", newFile)...).stdout)["id"]), `"`)
	e.ok("r.hassan", "grant", later, "a.karim", "--totp", e.code("r.hassan"))
	e.ok("a.karim", "get", later, "-o", filepath.Join(dir, "later.txt"))
	bundle := filepath.Join(dir, "later.zip")
	e.ok("a.karim", "export", later, "-o", bundle)
	if r := e.ok("a.karim", "verify-bundle", bundle, "--verifier", vkey); !strings.Contains(r.stdout, client.Fingerprint(newKey)) {
		t.Errorf("verify-bundle of the later deposit:\n%s", r.stdout)
	}
	// a.karim's pin of r.hassan's keys is still the first one: reads
	// neither need nor move it.
	e.fail("a.karim", "keys of r.hassan differ", "keys", "verify", "r.hassan")
}
