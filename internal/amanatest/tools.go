package amanatest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TorchwoodVersion is the version of filippo.io/torchwood whose tools
// (litewitness, witnessctl, spicy) the tests run against Amana: other
// people's implementations of tlog-witness and tlog-proof.
const TorchwoodVersion = "v0.6.1"

var toolMu sync.Mutex

// Tool returns the path of one of torchwood's commands ("litewitness",
// "witnessctl", "spicy"): the one named by $AMANA_TEST_LITEWITNESS,
// $AMANA_TEST_WITNESSCTL or $AMANA_TEST_SPICY (CI sets them), else one
// built with 'go install filippo.io/torchwood/cmd/NAME@TorchwoodVersion'
// into the user's cache directory (which needs the module proxy once). If
// neither works the test is skipped, saying why.
func Tool(t testing.TB, name string) string {
	t.Helper()
	env := "AMANA_TEST_" + strings.ToUpper(name)
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("$%s: %v", env, err)
		}
		return p
	}
	toolMu.Lock()
	defer toolMu.Unlock()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("%s: $%s is not set and there is no cache directory to build it in: %v", name, env, err)
	}
	dir := filepath.Join(cache, "amana-test", "torchwood-"+TorchwoodVersion)
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	cmd := exec.Command("go", "install", "filippo.io/torchwood/cmd/"+name+"@"+TorchwoodVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
	cmd.Dir = os.TempDir() // outside this module: install the tool's own go.mod
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("%s: $%s is not set and building it failed (set it to a %s binary of filippo.io/torchwood %s): %v\n%s",
			name, env, name, TorchwoodVersion, err, out)
	}
	return path
}
