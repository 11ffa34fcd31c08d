//go:build unix

package main

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amana-vault/amana/internal/amanatest"
)

// TestDepositResumesAfterKill deposits 128 MiB through a proxy that cuts
// the connection every 20 MiB, and kills the command half-way, once its
// spool is sealed: run again, it continues the same upload from the
// server's offset, and in all the proxy carries less than 1.15 times the
// file. (A kill while sealing is TestResumableKilledWhileSealing in
// client.)
func TestDepositResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("128 MiB deposit")
	}
	const size = 128 << 20
	e := newEnv(t)
	e.createCollection()
	u, _ := url.Parse(e.url)
	p := amanatest.NewProxy(t, u.Host, 20<<20)
	user := "r.hassan"
	e.ok(user, "login", "--server", p.URL, "--user", user, "--identity", e.users[user].IdentityFile, "--totp", e.code(user))
	before := p.Sent()

	dir := t.TempDir()
	file := filepath.Join(dir, "interview-12.m4a")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, io.LimitReader(rand.NewChaCha8([32]byte{'s', 'i', 'n', 'j', 'a', 'r'}), size)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	meta, _ := json.Marshal(map[string]any{
		"title": "Interview on the road to Sinjar", "language": "kmr", "governorate": "Nineveh",
		"consent": map[string]any{"scopes": []string{"research"}, "recorded_at": "2019-03-02", "recorded_by": user},
	})
	metaFile := filepath.Join(dir, "meta.json")
	os.WriteFile(metaFile, meta, 0o600)
	args := []string{"deposit", file, "--collection", "kirkuk-2018", "--kind", "interview", "--meta", metaFile, "--json"}

	// The first run is killed once its spool is sealed and the proxy
	// carried half the file: the proxy holds there, so the kill lands
	// at that point whatever the machine's speed.
	held := p.HoldAt(before + size/2)
	cmd := exec.Command(amanaBin, args...)
	cmd.Env = append(os.Environ(), "AMANA_CONFIG_DIR="+e.configDir(user))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("the deposit ended before it could be killed: %v", err)
	case <-held:
	}
	uploads := filepath.Join(e.configDir(user), "uploads")
	for !spoolSealed(t, uploads) {
		select {
		case err := <-done:
			t.Fatalf("the deposit ended before it could be killed: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cmd.Process.Kill()
	<-done
	p.Release()
	if spools := spoolsIn(uploads); len(spools) != 1 {
		t.Fatalf("%d spools after the kill, want 1", len(spools))
	}

	r := e.ok(user, args...)
	var out struct {
		ID     string `json:"id"`
		Upload struct {
			Restarted   bool    `json:"restarted"`
			Resumptions int     `json:"resumptions"`
			Offsets     []int64 `json:"offsets"`
			Sent        int64   `json:"sent"`
			NewUploads  int     `json:"new_uploads"`
			Terminated  int     `json:"terminated"`
		} `json:"upload"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	sent := p.Sent() - before
	t.Logf("proxy carried %d bytes for a %d-byte file (%.3f×), %d cuts; second run: %+v", sent, size, float64(sent)/size, p.Cuts(), out.Upload)
	if !out.Upload.Restarted || out.Upload.Resumptions < 1 || out.Upload.NewUploads != 0 || out.Upload.Terminated != 0 || out.Upload.Offsets[0] < 40<<20 {
		t.Fatalf("the second run did not continue the first one's upload: %+v", out.Upload)
	}
	if got := float64(sent) / size; got >= 1.15 {
		t.Fatalf("the proxy carried %.3f× the file's bytes", got)
	}
	if ents, _ := os.ReadDir(uploads); len(ents) != 0 {
		t.Fatalf("%d spools or lock files left after the deposit", len(ents))
	}
	got := filepath.Join(dir, "copy.m4a")
	e.ok(user, "get", out.ID, "-o", got)
	a, _ := os.ReadFile(file)
	b, _ := os.ReadFile(got)
	if len(b) != size || string(a) != string(b) {
		t.Fatal("the document read back differs from the file")
	}
	if strings.Contains(r.stdout, "interview-12") {
		t.Error("the result names the file")
	}
}

// spoolSealed reports whether the one spool under dir is recorded as
// completely sealed.
func spoolSealed(t *testing.T, dir string) bool {
	spools := spoolsIn(dir)
	if len(spools) != 1 {
		return false
	}
	b, err := os.ReadFile(filepath.Join(dir, spools[0], "state.json"))
	if err != nil {
		return false
	}
	var st struct {
		Sealed bool `json:"sealed"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("state.json: %v", err)
	}
	return st.Sealed
}

// spoolsIn lists the spools in dir: directories, beside which a run keeps
// its lock file.
func spoolsIn(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}
