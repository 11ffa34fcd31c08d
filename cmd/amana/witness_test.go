package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/internal/server"
	"github.com/amana-vault/amana/vault"
	"github.com/amana-vault/amana/witness"
)

// TestAuditVerifyWitness: audit verify --witness checks a real
// litewitness's cosignature, and the checkpoint kept in the config
// directory catches a server that rolls its log back or shows another
// history (a split view), which the witness refuses to cosign.
func TestAuditVerifyWitness(t *testing.T) {
	t.Parallel()
	w := amanatest.StartWitness(t, "example.org/w1")
	other := amanatest.StartWitness(t, "example.org/w2") // knows nothing of this log
	srv := amanatest.NewServer(t, amanatest.Options{Passphrase: "cli test passphrase",
		Witnesses: []witness.Witness{{Key: w.Key, URL: w.URL}}})
	w.AddLog("amana.local/vault", srv.Vault.VerifierKey())
	e := &env{t: t, srv: srv, url: srv.URL, clock: srv.Clock, users: map[string]demoUser{}, cfg: map[string]string{}}
	for id, u := range srv.Users {
		e.users[id] = demoUser{ID: u.ID, Role: u.Role, Name: u.Name, IdentityFile: u.IdentityFile, Recipient: u.Recipient, TOTPSecret: u.TOTPSecret}
	}
	e.login("auditor")

	res := decode[map[string]any](t, e.ok("auditor", "audit", "verify", "--witness", w.Key, "--json").stdout)
	if res["ok"] != true || fmt.Sprint(res["cosigned_by"]) != "[example.org/w1]" {
		t.Fatalf("audit verify --witness: %v", res)
	}
	e.fail("auditor", "not cosigned", "audit", "verify", "--witness", other.Key)
	e.fail("auditor", "not cosigned", "audit", "verify", "--witness", w.Key, "--witness", other.Key)
	e.ok("auditor", "audit", "verify", "--witness", w.Key, "--witness", other.Key, "--quorum", "1")
	e.fail("auditor", "--quorum", "audit", "verify", "--witness", w.Key, "--quorum", "2")
	e.fail("auditor", "--witness", "audit", "verify", "--witness", "not a key")
	// An export keeps the cosigned checkpoint: checked offline too.
	exp := filepath.Join(t.TempDir(), "export")
	e.ok("auditor", "audit", "export", "-o", exp)
	offline := t.TempDir()
	if r := run(t, offline, "audit", "verify", "--export", exp, "--witness", w.Key); r.code != 0 || !strings.Contains(r.stdout, "cosigned by the witnesses example.org/w1") {
		t.Fatalf("audit verify --export --witness: %d %s %s", r.code, r.stdout, r.stderr)
	}
	checkFailure(t, run(t, offline, "audit", "verify", "--export", exp, "--witness", other.Key), "not cosigned", nil)
	checkFailure(t, run(t, offline, "audit", "verify", "--data", exp, "--witness", other.Key), "--witness", nil)

	// A snapshot of the vault now, for the server that will fork.
	snap := filepath.Join(t.TempDir(), "vault")
	if err := os.MkdirAll(snap, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(snap, vault.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Vault.Backup(vault.Caller{User: "l.custodian"}, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	snap2 := filepath.Join(t.TempDir(), "vault")
	os.MkdirAll(snap2, 0o700)
	if b, err := os.ReadFile(filepath.Join(snap, vault.DBFile)); err != nil || os.WriteFile(filepath.Join(snap2, vault.DBFile), b, 0o600) != nil {
		t.Fatalf("copying the snapshot: %v", err)
	}

	// The log grows, and the auditor verifies it: that is the largest
	// checkpoint it has seen.
	for i := range 30 {
		srv.Vault.Record(vault.Caller{User: "l.custodian"}, "test.event", "ok", map[string]string{"i": fmt.Sprint(i)})
	}
	seen := decode[map[string]any](t, e.ok("auditor", "audit", "verify", "--witness", w.Key, "--json").stdout)
	seenSize := int64(seen["size"].(float64))

	// The operator brings up the snapshot instead: a rolled-back log,
	// signed by the same key (and without the witness, which would not
	// cosign its new history: witness's TestWitnessRefusesRollback).
	fork := startFrom(t, snap, srv, nil)
	e.ok("auditor", "login", "--server", fork.URL(), "--user", "auditor", "--identity", e.users["auditor"].IdentityFile, "--totp", e.code("auditor"))
	e.fail("auditor", "fewer than", "audit", "verify")
	// It writes more than the auditor saw: another history. The kept
	// checkpoint catches it, and the witness refuses to cosign it.
	for i := range int(seenSize) {
		fork.Vault().Record(vault.Caller{User: "l.custodian"}, "test.fork", "ok", map[string]string{"i": fmt.Sprint(i)})
	}
	e.fail("auditor", "does NOT verify: first bad event", "audit", "verify")
	e.fail("auditor", "not cosigned", "audit", "verify", "--witness", w.Key)
	// A new auditor, who kept nothing, is caught by the witness alone.
	newcomer := filepath.Join(t.TempDir(), "config")
	u := e.users["auditor"]
	if r := run(t, newcomer, "login", "--server", fork.URL(), "--user", "auditor", "--identity", u.IdentityFile, "--totp", e.code("auditor")); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	checkFailure(t, run(t, newcomer, "audit", "verify", "--witness", w.Key), "not cosigned", nil)

	// With the witness, the fork can only serve the newest checkpoint the
	// witness cosigned before the snapshot: a true but stale prefix, which
	// the auditor who saw more refuses.
	forkW := startFrom(t, snap2, srv, srv.WitnessList())
	e.ok("auditor", "login", "--server", forkW.URL(), "--user", "auditor", "--identity", u.IdentityFile, "--totp", e.code("auditor"))
	for i := range 3 {
		forkW.Vault().Record(vault.Caller{User: "l.custodian"}, "test.fork", "ok", map[string]string{"i": fmt.Sprint(i)})
	}
	e.fail("auditor", "fewer than", "audit", "verify", "--witness", w.Key)
}

// startFrom serves the vault in dir with like's passphrase and clock, and
// the witnesses ws, until the test ends.
func startFrom(t *testing.T, dir string, like *amanatest.Server, ws []witness.Witness) *server.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.Start(server.Config{DataDir: dir, Passphrase: like.Passphrase, Listener: ln, Now: like.Clock.Now,
		Vault:     vault.Options{ScryptWorkFactor: amanatest.ScryptWorkFactor, ChunkSize: amanatest.ChunkSize},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Interval:  -1,
		Witnesses: ws, WitnessBackoff: 20 * time.Millisecond, WitnessWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		s.Shutdown(ctx)
	})
	return s
}
