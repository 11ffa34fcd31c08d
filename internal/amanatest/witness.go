package amanatest

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A Witness is a real litewitness (filippo.io/torchwood's tlog-witness) on
// loopback, signing through its own ssh-agent, as its operators run it.
type Witness struct {
	// URL is the base of its tlog-witness endpoint; Key its verifier key.
	URL, Key string
	// DB is its SQLite database, which witnessctl edits.
	DB string

	t     testing.TB
	agent *exec.Cmd
	lw    *exec.Cmd
	ctl   string
}

var vkeyLine = regexp.MustCompile(`vkey=(\S+)`)

// StartWitness starts ssh-agent with a fresh Ed25519 key and litewitness
// named name (example.org/w1…) on a free loopback port, and stops both
// when the test ends. It skips the test if ssh-agent or the tools cannot
// be found.
func StartWitness(t testing.TB, name string) *Witness {
	t.Helper()
	lwPath := Tool(t, "litewitness")
	ctl := Tool(t, "witnessctl")
	for _, tool := range []string{"ssh-agent", "ssh-add", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is needed to run litewitness (Debian: apt-get install openssh-client)", tool)
		}
	}
	dir := t.TempDir()
	// A Unix socket path must be short: not under the test's long TempDir.
	sockDir, err := os.MkdirTemp("", "aw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	key, sock := filepath.Join(dir, "witness-key"), filepath.Join(sockDir, "agent.sock")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	fp, err := exec.Command("ssh-keygen", "-l", "-E", "sha256", "-f", key+".pub").Output()
	if err != nil {
		t.Fatalf("ssh-keygen -l: %v", err)
	}
	fields := strings.Fields(string(fp))
	if len(fields) < 2 || !strings.HasPrefix(fields[1], "SHA256:") {
		t.Fatalf("ssh-keygen -l printed %q", fp)
	}
	w := &Witness{t: t, DB: filepath.Join(dir, "witness.db"), ctl: ctl}
	w.agent = exec.Command("ssh-agent", "-D", "-a", sock)
	if err := w.agent.Start(); err != nil {
		t.Fatalf("ssh-agent: %v", err)
	}
	t.Cleanup(func() {
		w.agent.Process.Signal(syscall.SIGTERM)
		w.agent.Wait()
	})
	waitFor(t, "ssh-agent's socket", func() bool { _, err := os.Stat(sock); return err == nil })
	add := exec.Command("ssh-add", key)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}

	addr := freeAddr(t)
	w.URL = "http://" + addr
	w.lw = exec.Command(lwPath, "-db", w.DB, "-name", name, "-key", fields[1], "-ssh-agent", sock, "-listen", addr)
	stderr, err := w.lw.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.lw.Start(); err != nil {
		t.Fatalf("litewitness: %v", err)
	}
	t.Cleanup(w.Stop)
	keyc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := vkeyLine.FindStringSubmatch(sc.Text()); m != nil && !sent {
				keyc <- m[1]
				sent = true
			}
		}
		if !sent {
			close(keyc)
		}
	}()
	k, ok := <-keyc
	if !ok {
		t.Fatal("litewitness exited without logging its verifier key")
	}
	w.Key = k
	waitFor(t, "litewitness to listen", func() bool {
		resp, err := http.Get(w.URL + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return w
}

// AddLog registers a log with the witness, as its operator does with
// witnessctl: its origin and its verifier key.
func (w *Witness) AddLog(origin, vkey string) {
	w.t.Helper()
	for _, args := range [][]string{
		{"add-log", "-db", w.DB, "-origin", origin},
		{"add-key", "-db", w.DB, "-origin", origin, "-key", vkey},
	} {
		if out, err := exec.Command(w.ctl, args...).CombinedOutput(); err != nil {
			w.t.Fatalf("witnessctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// Stop stops litewitness (it stops gracefully on SIGINT only).
func (w *Witness) Stop() {
	if w.lw.ProcessState != nil {
		return
	}
	w.lw.Process.Signal(os.Interrupt)
	w.lw.Wait()
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitFor polls ready until it is true, for up to a minute: for a process
// to come up, not a timed assertion.
func waitFor(t testing.TB, what string, ready func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !ready(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}
