package main

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/internal/demodata"
	"github.com/amana-vault/amana/internal/weedtest"
	"github.com/amana-vault/amana/vault"
)

// startDemo runs 'amana demo' and returns the server URL and the guide it
// printed, once it is ready.
func startDemo(t *testing.T, data string, extra ...string) (*exec.Cmd, string, string, *syncWriter) {
	t.Helper()
	cmd := exec.Command(amanaBin, append([]string{"demo", "--data", data, "--listen", "127.0.0.1:0", "--keys", "../../keys-example"}, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncWriter{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var guide strings.Builder
	deadline := time.After(3 * time.Minute)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("demo exited early:\n%s\n%s", guide.String(), stderr.String())
			}
			guide.WriteString(line + "\n")
			if strings.HasPrefix(line, "Press Ctrl-C") {
				go func() {
					for range lines {
					}
				}()
				m := regexp.MustCompile(`serving (http://[0-9.:]+)`).FindStringSubmatch(guide.String())
				if m == nil {
					t.Fatalf("no URL in the guide:\n%s", guide.String())
				}
				return cmd, m[1], guide.String(), stderr
			}
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("demo not ready after 3 minutes:\n%s", guide.String())
		}
	}
}

// syncWriter lets the test read stderr while the process writes it.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func stopDemo(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo did not stop cleanly on SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("demo did not stop within 30 s of SIGTERM")
	}
}

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo deposits 240 documents")
	}
	demoTest(t, "")
}

// TestDemoS3: the demo with its blob store in SeaweedFS.
func TestDemoS3(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo deposits 240 documents")
	}
	w := weedtest.Start(t)
	demoTest(t, w.URL("amana-demo"))
}

func demoTest(t *testing.T, blobStore string) {
	data := filepath.Join(t.TempDir(), "demo")
	var extra []string
	if blobStore != "" {
		extra = []string{"--blob-store", blobStore}
	}
	cmd, url, guide, stderr := startDemo(t, data, extra...)
	if !strings.Contains(guide, "Deposited 240 documents") {
		t.Fatalf("no deposit summary in:\n%s", guide)
	}
	for _, role := range []string{"(researcher)", "(lawyer)", "(auditor)", "(admin)"} {
		if !strings.Contains(guide, role) {
			t.Errorf("the guide has no instructions for %s", role)
		}
	}

	// Log in as the guide says, with a code from now.
	cfg := t.TempDir()
	secret := "IMZA4YIKRB7DXISO35YKRWO4QCTNURZ5" // r.hassan in keys-example/users.json
	if !strings.Contains(guide, secret) {
		t.Fatal("the guide does not show r.hassan's TOTP secret")
	}
	code := amanatest.TOTP(t, secret, time.Now())
	if r := run(t, cfg, "login", "--server", url, "--user", "r.hassan", "--identity", "../../keys-example/r.hassan.key", "--totp", code); r.code != 0 {
		t.Fatalf("login as the guide says: %s", r.stderr)
	}
	r := run(t, cfg, "search", "checkpoint", "--json")
	var res struct{ Total int }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || res.Total == 0 {
		t.Fatalf("search: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// No planted name reaches the index.
	checked := 0
	for _, d := range demodata.Generate(240, 1) {
		for _, p := range d.Planted {
			if p.Kind != "person" || strings.ContainsAny(p.Value, "()\"") || checked >= 15 {
				continue
			}
			checked++
			r := run(t, cfg, "search", `"`+p.Value+`"`, "--json")
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil {
				t.Fatalf("search %q: %s", p.Value, r.stderr)
			}
			if res.Total != 0 {
				t.Errorf("planted name %q is searchable: %d hits", p.Value, res.Total)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no planted names to check")
	}
	stopDemo(t, cmd)
	if !strings.Contains(stderr.String(), "stopped cleanly") {
		t.Errorf("no clean stop in the log:\n%s", stderr.String())
	}

	// A second run reuses the vault: no new deposits.
	cmd, _, guide, _ = startDemo(t, data)
	if strings.Contains(guide, "Loading") {
		t.Error("the second run loaded the data again")
	}
	stopDemo(t, cmd)

	// The ciphertext is in the blob store the vault recorded, one blob a
	// document, none missing, none extra.
	_, pass, err := loadDemoKeys("../../keys-example")
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(data, pass, vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	want := blobStore
	if want == "" {
		want = "file://" + filepath.Join(data, "blobs")
	}
	if got := v.BlobStoreURL(); !strings.HasPrefix(got, want[:strings.IndexAny(want+"?", "?")]) {
		t.Errorf("blob store %s, want %s", got, want)
	}
	if err := v.Check(); err != nil {
		t.Fatal(err)
	}
	n := 0
	v.EachActive(func(*vault.Document) error { n++; return nil })
	if n != 240 {
		t.Errorf("%d active documents, want 240", n)
	}
}
