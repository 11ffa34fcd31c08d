//go:build !js

package envelope_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

// pluginName is the fake age plugin this test binary also implements: run as
// age-plugin-amanatest (a symlink on PATH), it speaks the plugin protocol,
// as upstream age's plugin/client_test.go does.
const pluginName = "amanatest"

// testDir holds the plugin symlink (on PATH) and the stock age tools.
var testDir string

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "age-plugin-"+pluginName {
		os.Exit(runPlugin())
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "envelope-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	testDir = dir
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pluginDir := filepath.Join(dir, "plugins")
	if err := os.Mkdir(pluginDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := os.Symlink(exe, filepath.Join(pluginDir, "age-plugin-"+pluginName)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Inherited by the stock age CLI too, so it finds the plugin the same way.
	os.Setenv("PATH", pluginDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return m.Run()
}

// runPlugin implements age-plugin-amanatest. Its recipients and identities
// carry an X25519 key string as data, and its stanzas are X25519 stanzas
// renamed "amanatest", so only this plugin (with the right key) opens them.
func runPlugin() int {
	p, err := plugin.New(pluginName)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p.HandleRecipient(func(data []byte) (age.Recipient, error) {
		r, err := age.ParseX25519Recipient(string(data))
		if err != nil {
			return nil, err
		}
		return fakeRecipient{r}, nil
	})
	p.HandleIdentity(func(data []byte) (age.Identity, error) {
		id, err := age.ParseX25519Identity(string(data))
		if err != nil {
			return nil, err
		}
		return fakeIdentity{id}, nil
	})
	return p.Main()
}

type fakeRecipient struct{ r *age.X25519Recipient }

func (f fakeRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	ss, err := f.r.Wrap(fileKey)
	for _, s := range ss {
		s.Type = pluginName
	}
	return ss, err
}

type fakeIdentity struct{ id *age.X25519Identity }

func (f fakeIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	var mine []*age.Stanza
	for _, s := range stanzas {
		if s.Type == pluginName {
			c := *s
			c.Type = "X25519"
			mine = append(mine, &c)
		}
	}
	if len(mine) == 0 {
		return nil, age.ErrIncorrectIdentity
	}
	return f.id.Unwrap(mine)
}

// The stock age and age-keygen commands, built once per test binary.
var stock struct {
	once              sync.Once
	age, keygen, skip string
	err               error
}

const stockVersion = "v1.3.2"

// stockAge returns the paths of the stock age and age-keygen commands at
// stockVersion, installed with go install. Without a go command it falls back
// to age on PATH, and skips only if there is none.
func stockAge(t *testing.T) (ageCmd, keygenCmd string) {
	t.Helper()
	stock.once.Do(func() {
		goCmd, err := exec.LookPath("go")
		if err != nil {
			stock.age, err = exec.LookPath("age")
			if err == nil {
				stock.keygen, err = exec.LookPath("age-keygen")
			}
			if err != nil {
				stock.skip = "neither the go command nor the stock age tools are available"
			}
			return
		}
		bin := filepath.Join(testDir, "bin")
		cmd := exec.Command(goCmd, "install",
			"filippo.io/age/cmd/age@"+stockVersion, "filippo.io/age/cmd/age-keygen@"+stockVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+bin)
		if out, err := cmd.CombinedOutput(); err != nil {
			stock.err = fmt.Errorf("go install age@%s: %v\n%s", stockVersion, err, out)
			return
		}
		stock.age, stock.keygen = filepath.Join(bin, "age"), filepath.Join(bin, "age-keygen")
	})
	if stock.skip != "" {
		t.Skip(stock.skip)
	}
	if stock.err != nil {
		t.Fatal(stock.err)
	}
	return stock.age, stock.keygen
}
