package witness_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
	"github.com/amana-vault/amana/witness"
)

const pass = "witness test passphrase"

var opts = vault.Options{ScryptWorkFactor: amanatest.ScryptWorkFactor}

func newVault(t *testing.T) (*vault.Vault, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vault")
	id, _ := age.GenerateX25519Identity()
	v, _, err := vault.Create(dir, pass, vault.NewUser{ID: "admin", Recipient: id.Recipient().String()}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v, dir
}

func record(t *testing.T, v *vault.Vault, n int) {
	t.Helper()
	for i := range n {
		if err := v.Record(vault.Caller{User: "admin"}, "test.event", "ok", map[string]string{"i": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func start(t *testing.T, v *vault.Vault, quorum int, ws ...witness.Witness) *witness.Cosigner {
	t.Helper()
	c, err := witness.Start(witness.Config{Log: v, Witnesses: ws, Quorum: quorum, MinBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	v.OnCheckpoint(c.Notify)
	t.Cleanup(func() { v.OnCheckpoint(nil); c.Close() })
	return c
}

// cosignedFor waits until the witnesses cosigned the vault's newest
// checkpoint and returns it with the cosignatures.
func cosignedFor(t *testing.T, v *vault.Vault, c *witness.Cosigner) (auditlog.Checkpoint, []string) {
	t.Helper()
	_, size, err := v.LatestCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c.Wait(ctx, size)
	msg, err := v.CosignedCheckpoint(func(m []byte) bool { return c.Accept(m, v.VerifierKey()) })
	if err != nil || msg == nil {
		t.Fatalf("no cosigned checkpoint of %d events (%v); status %+v", size, err, c.Status())
	}
	cp, names, err := auditlog.OpenCosigned(msg, v.VerifierKey(), c.Keys(), c.Quorum())
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size < size {
		t.Fatalf("cosigned checkpoint of %d events, want at least %d", cp.Size, size)
	}
	return cp, names
}

func TestCosignWithLitewitness(t *testing.T) {
	v, _ := newVault(t)
	defer v.Close()
	w1 := amanatest.StartWitness(t, "example.org/w1")
	w2 := amanatest.StartWitness(t, "example.org/w2")
	for _, w := range []*amanatest.Witness{w1, w2} {
		w.AddLog("amana.local/vault", v.VerifierKey())
	}
	c := start(t, v, 0, witness.Witness{Key: w1.Key, URL: w1.URL}, witness.Witness{Key: w2.Key, URL: w2.URL})
	record(t, v, 3)
	first, names := cosignedFor(t, v, c)
	if len(names) != 2 {
		t.Fatalf("cosigned by %v", names)
	}
	// The log grows: the witnesses check a consistency proof from the
	// size they saw.
	record(t, v, 40)
	second, _ := cosignedFor(t, v, c)
	if second.Size <= first.Size {
		t.Fatalf("second cosigned checkpoint %d after %d", second.Size, first.Size)
	}
	for _, s := range c.Status() {
		if !s.OK || s.Size < second.Size || s.Error != "" {
			t.Errorf("status %+v", s)
		}
	}
}

// TestWitnessRefusesRollback: a vault restored from an old copy cannot
// get its new history cosigned by a witness that saw the later one.
func TestWitnessRefusesRollback(t *testing.T) {
	v, dir := newVault(t)
	record(t, v, 3)
	v.Close()
	snapshot := filepath.Join(t.TempDir(), "vault")
	copyDir(t, dir, snapshot)

	w := amanatest.StartWitness(t, "example.org/w1")
	v, err := vault.Open(dir, pass, opts)
	if err != nil {
		t.Fatal(err)
	}
	w.AddLog("amana.local/vault", v.VerifierKey())
	c := start(t, v, 0, witness.Witness{Key: w.Key, URL: w.URL})
	record(t, v, 20)
	seen, _ := cosignedFor(t, v, c)
	c.Close()
	v.OnCheckpoint(nil)
	v.Close()

	// The operator restores the old copy: same key, shorter log.
	old, err := vault.Open(snapshot, pass, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	c = start(t, old, 0, witness.Witness{Key: w.Key, URL: w.URL})
	record(t, old, 2) // writes go on
	waitStatus(t, c, "rolled back")
	// It grows past the witness's size, with another history: the
	// witness checks the consistency proof and refuses.
	record(t, old, int(seen.Size))
	waitStatus(t, c, "422")
	if msg, _ := old.CosignedCheckpoint(func(m []byte) bool { return c.Accept(m, old.VerifierKey()) }); msg != nil {
		t.Fatalf("the rolled-back log got a cosigned checkpoint:\n%s", msg)
	}
}

// TestWitnessDownOrRefusing: writes never wait for a witness; one that is
// down, or does not know the log yet, is reported and retried, and cosigns
// once it can.
func TestWitnessDownOrRefusing(t *testing.T) {
	v, _ := newVault(t)
	defer v.Close()
	w := amanatest.StartWitness(t, "example.org/w1")
	down := witness.Witness{Key: w.Key, URL: "http://" + closedAddr(t)}
	c := start(t, v, 1, witness.Witness{Key: w.Key, URL: w.URL})
	record(t, v, 5)
	waitStatus(t, c, "403") // litewitness does not know the log yet
	st := c.Status()[0]
	if st.OK || st.Since == nil {
		t.Fatalf("status of a refusing witness: %+v", st)
	}
	w.AddLog("amana.local/vault", v.VerifierKey())
	record(t, v, 1)
	cosignedFor(t, v, c)
	if st := c.Status()[0]; !st.OK || st.Error != "" || st.Since != nil {
		t.Fatalf("status after recovery: %+v", st)
	}

	v2, _ := newVault(t)
	defer v2.Close()
	c2 := start(t, v2, 0, down)
	record(t, v2, 5)
	waitStatus(t, c2, "unreachable")
	if strings.Contains(c2.Status()[0].Error, "127.0.0.1") {
		t.Errorf("the status shows the witness's address: %q", c2.Status()[0].Error)
	}
}

func TestParseFlag(t *testing.T) {
	const k = "example.org/w1+1fd6e0a8+BO8cY5eWZ7xQ6QgWyJtk3MhfA5JgqL+4c3rPO9xYxJUF"
	for _, bad := range []string{"", "=", k, k + "=", "=http://x", k + "=ftp://x",
		"amana.local/vault+0cd67875+AYR5D0gUbT+G/+rl0JoPlAGDP5WPDBDyFus96eVHaZ3/=http://x"} {
		if _, err := witness.ParseFlag(bad); err == nil {
			t.Errorf("ParseFlag(%q) succeeded", bad)
		}
	}
}

func waitStatus(t *testing.T, c *witness.Cosigner, want string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if s := c.Status()[0]; !s.OK && strings.Contains(s.Error, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the witness's status never said %q: %+v", want, c.Status())
		}
	}
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHostileWitness: a witness's answers are checked, never trusted: a
// cosignature by another key, of another checkpoint, a malformed 409 or an
// endless answer store nothing and are reported.
func TestHostileWitness(t *testing.T) {
	real := newSigner(t, "example.org/w1")
	impostor := newSigner(t, "example.org/w1")
	tests := []struct {
		name   string
		answer func(body []byte) (int, []byte)
		want   string
	}{
		{"another key", func(body []byte) (int, []byte) { return 200, cosignLine(t, impostor, body) }, "no valid cosignature"},
		{"another checkpoint", func(body []byte) (int, []byte) {
			return 200, cosignLine(t, real, bytes.Replace(body, []byte("amana.local/vault\n"), []byte("amana.local/other\n"), 1))
		}, "no valid cosignature"},
		{"garbage", func([]byte) (int, []byte) { return 200, []byte("— example.org/w1 AAAA\n") }, "no valid cosignature"},
		{"bad 409", func([]byte) (int, []byte) { return 409, []byte("many\n") }, "409 without a tree size"},
		{"huge", func([]byte) (int, []byte) { return 200, bytes.Repeat([]byte("a"), 1<<20) }, "too large"},
		{"500", func([]byte) (int, []byte) { return 500, []byte("oops\n") }, "refused: 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				_, note, _ := bytes.Cut(body, []byte("\n\n"))
				code, answer := tt.answer(note)
				w.WriteHeader(code)
				w.Write(answer)
			}))
			defer srv.Close()
			v, _ := newVault(t)
			defer v.Close()
			c := start(t, v, 0, witness.Witness{Key: real.Verifier().String(), URL: srv.URL})
			waitStatus(t, c, tt.want)
			if msg, _ := v.CosignedCheckpoint(func([]byte) bool { return true }); msg != nil {
				t.Fatalf("stored a cosignature:\n%s", msg)
			}
		})
	}
}

func newSigner(t *testing.T, name string) *torchwood.CosignatureSigner {
	t.Helper()
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	s, err := torchwood.NewCosignatureSigner(name, k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// cosignLine returns s's signature line of the note text of msg.
func cosignLine(t *testing.T, s *torchwood.CosignatureSigner, msg []byte) []byte {
	text, _, _ := bytes.Cut(msg, []byte("\n\n"))
	signed, err := note.Sign(&note.Note{Text: string(text) + "\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	_, line, _ := bytes.Cut(signed, []byte("\n\n"))
	return line
}
