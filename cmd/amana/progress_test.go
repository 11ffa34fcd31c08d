//go:build unix

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestProgressOnlyOnATerminal deposits and gets a 6 MiB file twice: with
// stderr a pipe (scripts, logs) no progress bar may appear; under a
// pseudo-terminal (util-linux script) one must.
func TestProgressOnlyOnATerminal(t *testing.T) {
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Skip("util-linux script is not installed: no pseudo-terminal to test with")
	}
	e := newEnv(t)
	e.createCollection()
	e.login("r.hassan")
	big := make([]byte, 6<<20)
	rand.Read(big)

	// Not a terminal: clean output, JSON on stdout.
	dep := e.deposit("r.hassan", big)
	var id string
	json.Unmarshal(dep["id"], &id)
	out := filepath.Join(t.TempDir(), "copy.bin")
	r := e.ok("r.hassan", "get", id, "-o", out)
	for _, s := range []string{r.stderr, r.stdout} {
		if strings.Contains(s, "%") || strings.Contains(s, "MB/s") || strings.Contains(s, "\r") {
			t.Fatalf("progress output without a terminal: %q", s)
		}
	}
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, big) {
		t.Fatal("get returned different bytes")
	}

	// Under a pseudo-terminal: a progress bar on the transfer.
	out2 := filepath.Join(t.TempDir(), "copy2.bin")
	cmd := exec.Command(scriptBin, "-qec", amanaBin+" get "+id+" -o "+out2, "/dev/null")
	cmd.Env = append(os.Environ(), "AMANA_CONFIG_DIR="+e.configDir("r.hassan"))
	tty, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("get under a terminal: %v\n%s", err, tty)
	}
	if !strings.Contains(string(tty), "%") {
		t.Fatalf("no progress bar on a terminal: %q", tty)
	}
	if got, _ := os.ReadFile(out2); !bytes.Equal(got, big) {
		t.Fatal("get under a terminal returned different bytes")
	}
}
