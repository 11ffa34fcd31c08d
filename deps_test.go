package amana_test

// The import rules of the tree, checked like the standard library's
// go/build/deps_test.go: code that runs on a user's machine or in the
// browser and code that runs on the server stay apart, so that the server
// can never touch a private key and the client-side packages keep building
// for the browser.

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/amana-vault/amana"

var (
	// clientSide packages run on the user's machine or in the browser.
	// They build for js/wasm.
	clientSide = []string{"envelope", "recipient", "sshsig", "redact", "auditlog", "manifest", "bundle", "bundle/layout", "client", "cmd/amana-wasm", "cmd/amana-wasm/inbrowser"}
	// pure packages are client-side packages without network code: formats,
	// crypto and checks that any implementation, the server's included,
	// may reuse.
	pure = []string{"envelope", "recipient", "sshsig", "redact", "auditlog", "manifest", "bundle", "bundle/layout"}
	// serverSide packages run only on the server.
	serverSide = []string{"vault", "vault/audit", "blobstore", "search", "search/indexer", "httpapi", "httpapi/web", "internal/server", "witness"}
	// keyHolders hold or use users' private keys; the server never imports them.
	keyHolders = []string{"envelope", "client", "bundle", "bundle/layout", "cmd/amana-wasm/inbrowser"}
	// storage is what only the server may link: the vault's database, its
	// blob store, the index, the HTTP router.
	storage = []string{"go.etcd.io/bbolt", "github.com/blevesearch/", "github.com/gorilla/mux",
		module + "/vault", module + "/blobstore", module + "/search", module + "/httpapi"}
	// strangers are other projects' implementations of the formats Amana
	// serves (tlog-tiles, tlog-witness, tlog-proof): tests check Amana
	// against them, so no package of the module may link them, or the
	// check would no longer be independent.
	strangers = []string{"filippo.io/torchwood"}
)

type pkgDeps struct {
	imports []string // direct imports
	deps    []string // transitive imports
}

// deps lists each package of the module with its direct and transitive
// imports (non-test code), for GOOS/GOARCH from env.
func deps(t *testing.T, env ...string) map[string]pkgDeps {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", "./...")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string]pkgDeps{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			t.Fatalf("go list printed %q", line)
		}
		m[strings.TrimPrefix(f[0], module+"/")] = pkgDeps{strings.Fields(f[1]), strings.Fields(f[2])}
	}
	return m
}

func hasPrefix(dep string, prefixes []string) bool {
	for _, p := range prefixes {
		if dep == p || strings.HasPrefix(dep, p) && (strings.HasSuffix(p, "/") || strings.HasPrefix(dep[len(p):], "/")) {
			return true
		}
	}
	return false
}

func TestDependencies(t *testing.T) {
	all, wasm := deps(t), deps(t, "GOOS=js", "GOARCH=wasm")
	for _, p := range slices.Concat(clientSide, serverSide) {
		_, native := all[p]
		if _, browser := wasm[p]; !native && !browser {
			t.Errorf("package %s is listed in the rules but does not exist: update deps_test.go", p)
		}
	}
	var keyHolderPaths []string
	for _, p := range keyHolders {
		keyHolderPaths = append(keyHolderPaths, module+"/"+p)
	}
	for pkg, pd := range all {
		for _, d := range pd.deps {
			// The server never imports client-side code that touches keys.
			if hasPrefix(pkg, serverSide) && hasPrefix(d, keyHolderPaths) {
				t.Errorf("server package %s imports %s, which holds users' keys", pkg, d)
			}
			if hasPrefix(d, strangers) {
				t.Errorf("package %s imports %s, which only tests may use", pkg, d)
			}
			// Client-side code never links the server's storage.
			if slices.Contains(clientSide, pkg) && hasPrefix(d, storage) {
				t.Errorf("client-side package %s imports %s, which belongs to the server", pkg, d)
			}
		}
		for _, d := range pd.imports {
			// Pure packages speak no HTTP.
			if slices.Contains(pure, pkg) && d == "net/http" {
				t.Errorf("pure package %s imports net/http", pkg)
			}
			// The vault and the index never speak HTTP (httpapi does).
			if hasPrefix(pkg, []string{"vault", "search"}) && d == "net/http" {
				t.Errorf("storage package %s imports net/http", pkg)
			}
		}
	}
	// Every package of the module is placed by the rules, so a new one
	// must be classified.
	for pkg := range all {
		switch {
		case slices.Contains(clientSide, pkg), slices.Contains(serverSide, pkg),
			strings.HasPrefix(pkg, "cmd/"), strings.HasPrefix(pkg, "internal/"), pkg == module:
		default:
			t.Errorf("package %s is neither client- nor server-side in deps_test.go", pkg)
		}
	}
}

// TestClientSideBuildsForWasm: the browser runs the same code as the command
// line, so every client-side package must build for js/wasm.
func TestClientSideBuildsForWasm(t *testing.T) {
	var pkgs []string
	for _, p := range clientSide {
		pkgs = append(pkgs, "./"+p)
	}
	cmd := exec.Command("go", append([]string{"build", "-o", os.DevNull}, pkgs...)...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("client-side packages do not build for js/wasm: %v\n%s", err, out)
	}
	// And they link nothing of the server under js/wasm either.
	for pkg, pd := range deps(t, "GOOS=js", "GOARCH=wasm") {
		if !slices.Contains(clientSide, pkg) {
			continue
		}
		for _, d := range pd.deps {
			if hasPrefix(d, storage) {
				t.Errorf("js/wasm: %s imports %s", pkg, d)
			}
		}
	}
}

// TestVectorsUnderWasm runs the document protocol's vectors (and every
// other test that builds for js/wasm in the pure packages) compiled to
// WebAssembly, under Node.js, as the browser would run them.
func TestVectorsUnderWasm(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the pure packages' tests to WebAssembly")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("Node.js is needed to run the vectors under js/wasm (Debian: apt-get install nodejs)")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	execWasm := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "go_js_wasm_exec")
	cmd := exec.Command("go", "test", "-count=1", "-exec", execWasm, "-run", "Vectors", "./envelope/")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vectors under js/wasm: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "ok") {
		t.Fatalf("vectors under js/wasm printed no result:\n%s", out)
	}
	t.Logf("%s", out)
}
