//go:build unix

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/internal/fakeclock"
)

// amanaBin is the binary under test, built once by TestMain.
var amanaBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "amana-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	amanaBin = filepath.Join(dir, "amana")
	if out, err := exec.Command("go", "build", "-o", amanaBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building amana: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is a real vault and server on loopback, with the keys-example users,
// and one config directory per user for the CLI. The clock starts at the
// real time so that the CLI's local view of session expiry agrees with the
// server's.
type env struct {
	t     *testing.T
	srv   *amanatest.Server
	url   string
	clock *fakeclock.Clock
	users map[string]demoUser
	cfg   map[string]string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := amanatest.NewServer(t, amanatest.Options{Passphrase: "cli test passphrase"})
	e := &env{t: t, srv: srv, url: srv.URL, clock: srv.Clock, users: map[string]demoUser{}, cfg: map[string]string{}}
	for id, u := range srv.Users {
		e.users[id] = demoUser{ID: u.ID, Role: u.Role, Name: u.Name, IdentityFile: u.IdentityFile, Recipient: u.Recipient, TOTPSecret: u.TOTPSecret}
	}
	return e
}

// code returns a fresh TOTP code for user: the clock moves on one 30 s
// step first, since a code is accepted once only.
func (e *env) code(user string) string {
	e.t.Helper()
	e.clock.Add(30 * time.Second)
	now := e.clock.Now().UTC().Format("2006-01-02 15:04:05 UTC")
	out, err := exec.Command("oathtool", "--totp", "-b", e.users[user].TOTPSecret, "--now", now).Output()
	if err != nil {
		e.t.Fatalf("oathtool: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// configDir is the AMANA_CONFIG_DIR of one user.
func (e *env) configDir(user string) string {
	if d, ok := e.cfg[user]; ok {
		return d
	}
	d := filepath.Join(e.t.TempDir(), "config")
	e.cfg[user] = d
	return d
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs the binary as user (its own config directory), without a
// controlling terminal so that nothing can wait on a prompt.
func run(t *testing.T, configDir string, args ...string) result {
	t.Helper()
	return runEnv(t, configDir, nil, args...)
}

// runEnv is run with extra environment variables.
func runEnv(t *testing.T, configDir string, extra []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(amanaBin, args...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AMANA_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(append(env, "AMANA_CONFIG_DIR="+configDir), extra...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running amana %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func (e *env) run(user string, args ...string) result {
	e.t.Helper()
	return run(e.t, e.configDir(user), args...)
}

// ok runs a command that must succeed.
func (e *env) ok(user string, args ...string) result {
	e.t.Helper()
	r := e.run(user, args...)
	if r.code != 0 {
		e.t.Fatalf("amana %s (as %s): exit %d\nstderr: %s\nstdout: %s", strings.Join(args, " "), user, r.code, r.stderr, r.stdout)
	}
	return r
}

// fail runs a command that must fail with exactly one line on stderr
// containing want.
func (e *env) fail(user, want string, args ...string) result {
	e.t.Helper()
	r := e.run(user, args...)
	checkFailure(e.t, r, want, args)
	return r
}

func checkFailure(t *testing.T, r result, want string, args []string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("amana %s succeeded, want failure\nstdout: %s", strings.Join(args, " "), r.stdout)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if r.stderr == "" || len(lines) != 1 {
		t.Fatalf("amana %s: want exactly one line on stderr, got %q", strings.Join(args, " "), r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		t.Fatalf("amana %s: stderr %q does not contain %q", strings.Join(args, " "), r.stderr, want)
	}
}

func (e *env) login(user string) {
	e.t.Helper()
	u := e.users[user]
	e.ok(user, "login", "--server", e.url, "--user", user, "--identity", u.IdentityFile, "--totp", e.code(user))
}

// stepUpDue moves the clock past the five-minute window in which a login
// or an earlier step-up counts, so the next sensitive action needs a code.
func (e *env) stepUpDue() { e.clock.Add(5*time.Minute + 30*time.Second) }

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not the expected JSON: %v\n%s", err, s)
	}
	return v
}

func keysOf(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func noFile(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := os.Lstat(n); !os.IsNotExist(err) {
			t.Errorf("%s exists (err %v), want no file", n, err)
		}
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.users["l.custodian"]

	e.login("l.custodian")
	dir := e.configDir("l.custodian")
	st, err := os.Stat(filepath.Join(dir, "session.json"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("session.json mode %v, want 0600", st.Mode().Perm())
	}
	if dst, _ := os.Stat(dir); dst.Mode().Perm() != 0o700 {
		t.Errorf("config dir mode %v, want 0700", dst.Mode().Perm())
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "session.json"))
	if bytes.Contains(raw, []byte("AGE-SECRET-KEY")) {
		t.Fatal("session.json holds the identity")
	}
	sess := decode[map[string]any](t, string(raw))
	for _, k := range []string{"server", "user", "role", "token", "expires_at", "identity_file"} {
		if sess[k] == nil || sess[k] == "" {
			t.Errorf("session.json lacks %q: %s", k, raw)
		}
	}
	if sess["user"] != "l.custodian" || sess["role"] != "admin" || sess["identity_file"] != admin.IdentityFile || sess["server"] != e.url {
		t.Errorf("session.json = %s", raw)
	}
	e.ok("l.custodian", "collection", "list")

	// Wrong TOTP code, wrong identity file: refused, no session.
	hassan := e.users["r.hassan"]
	e.fail("r.hassan", "login refused", "login", "--server", e.url, "--user", "r.hassan", "--identity", hassan.IdentityFile, "--totp", "000000")
	e.fail("r.hassan", "the challenge does not open with", "login", "--server", e.url, "--user", "r.hassan", "--identity", e.users["r.ahmed"].IdentityFile, "--totp", e.code("r.hassan"))
	e.fail("r.hassan", "a TOTP code is needed", "login", "--server", e.url, "--user", "r.hassan", "--identity", hassan.IdentityFile)
	noFile(t, filepath.Join(e.configDir("r.hassan"), "session.json"))
	e.fail("r.hassan", "not logged in", "search", "anything")
	// The code from AMANA_TOTP, for scripts.
	if r := runEnv(t, e.configDir("r.hassan"), []string{"AMANA_TOTP=" + e.code("r.hassan")},
		"login", "--server", e.url, "--user", "r.hassan", "--identity", hassan.IdentityFile); r.code != 0 {
		t.Fatalf("login with AMANA_TOTP: %s", r.stderr)
	}
	e.ok("r.hassan", "search", "anything")

	// Logout revokes the token on the server, not only here.
	e.ok("l.custodian", "logout")
	noFile(t, filepath.Join(dir, "session.json"))
	if err := os.WriteFile(filepath.Join(dir, "session.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	e.fail("l.custodian", "session expired or revoked", "collection", "list")

	// Idle for longer than the server allows: expired there.
	e.login("r.ahmed")
	e.clock.Add(16 * time.Minute)
	e.fail("r.ahmed", "session expired or revoked", "search", "x")
	// Expired by the local record: no round trip needed.
	ahmed := filepath.Join(e.configDir("r.ahmed"), "session.json")
	raw, _ = os.ReadFile(ahmed)
	sess = decode[map[string]any](t, string(raw))
	sess["expires_at"] = time.Now().Add(-time.Minute).Format(time.RFC3339)
	raw, _ = json.Marshal(sess)
	os.WriteFile(ahmed, raw, 0o600)
	e.fail("r.ahmed", "session expired at", "search", "x")
}

// TestNotLoggedIn: every command that needs the server says so, in one line.
func TestNotLoggedIn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"search", "x"},
		{"show", "doc"},
		{"get", "doc", "-o", filepath.Join(dir, "out")},
		{"grant", "doc", "a.karim"},
		{"request", "doc"},
		{"requests"},
		{"decline", "doc", "a.karim"},
		{"revoke", "doc", "a.karim"},
		{"shred", "doc", "--yes"},
		{"user", "list"},
		{"collection", "list"},
		{"audit", "log"},
		{"audit", "checkpoint"},
		{"audit", "verify"},
		{"audit", "export", "-o", filepath.Join(dir, "export")},
	} {
		r := run(t, dir, args...)
		checkFailure(t, r, "not logged in: run amana login", args)
	}
	noFile(t, filepath.Join(dir, "out"), filepath.Join(dir, "out.partial"))
}

// planted personal data in a deposit's META.json.
const (
	plantedName  = "Layla Haddad"
	keptName     = "Karim Salih" // a name nobody listed, kept with --keep in TestDocumentLifecycle
	plantedEmail = "layla.haddad@example.org"
	plantedPhone = "+964 770 123 4567"
)

// deposit writes a document and its META.json and deposits it as user.
func (e *env) deposit(user string, content []byte, extra ...string) map[string]json.RawMessage {
	e.t.Helper()
	dir := e.t.TempDir()
	file := filepath.Join(dir, "interview-07.txt")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		e.t.Fatal(err)
	}
	meta := map[string]any{
		"title":         "Testimony of " + plantedName + " on checkpoint detentions",
		"summary":       "Contact " + plantedEmail + " or " + plantedPhone + " before any follow-up. Reviewed by Dr " + keptName + ".",
		"language":      "en",
		"governorate":   "Kirkuk",
		"incident_date": "2017-06",
		"tags":          []string{"detention", "checkpoint"},
		"consent":       map[string]any{"scopes": []string{"research", "legal_proceedings"}, "recorded_at": "2018-03-02", "recorded_by": user},
		"persons":       []string{plantedName},
		"private":       map[string]any{"location_detail": "the blue house by the market", "notes": "fictional"},
	}
	mb, _ := json.Marshal(meta)
	metaFile := filepath.Join(dir, "meta.json")
	transcript := filepath.Join(dir, "transcript.txt")
	os.WriteFile(metaFile, mb, 0o600)
	os.WriteFile(transcript, []byte("Interviewer: Did "+plantedName+" see the checkpoint?\nWitness: Yes, at dawn.\n"), 0o600)
	args := append([]string{"deposit", file, "--collection", "kirkuk-2018", "--kind", "interview",
		"--meta", metaFile, "--transcript", transcript, "--json"}, extra...)
	r := e.ok(user, args...)
	for _, secret := range []string{"Haddad", plantedEmail, "770 123"} {
		if strings.Contains(r.stderr+r.stdout, secret) {
			e.t.Errorf("deposit printed a redacted value (%q): %s%s", secret, r.stderr, r.stdout)
		}
	}
	return decode[map[string]json.RawMessage](e.t, r.stdout)
}

// createCollection makes kirkuk-2018 as the admin.
func (e *env) createCollection() {
	e.t.Helper()
	e.login("l.custodian")
	r := e.ok("l.custodian", "collection", "create", "kirkuk-2018", "--name", "Kirkuk 2018",
		"--member", "r.hassan", "--member", "r.ahmed", "--member", "a.karim", "--json")
	col := decode[map[string]any](e.t, r.stdout)
	if fmt.Sprint(col["custodians"]) != "[l.custodian]" {
		e.t.Fatalf("custodians %v, want the admin by default", col["custodians"])
	}
}

// tamperProxy forwards to the server and lets f rewrite answers.
func tamperProxy(t *testing.T, target string, f func(r *http.Request, body []byte) []byte) string {
	u, _ := url.Parse(target)
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		body = f(resp.Request, body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
		return nil
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDocumentLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createCollection()
	e.login("r.hassan")

	// Large enough for several 64 KiB age chunks, so a failure comes after
	// some plaintext was already written.
	content := bytes.Repeat([]byte("fictional interview audio stand-in 0123456789\n"), 8000)
	dep := e.deposit("r.hassan", content, "--keep", keptName)
	if got, want := keysOf(dep), []string{"cipher_sha256", "cipher_size", "collection", "id", "kind", "plain_sha256", "redactions", "size", "upload"}; !slices.Equal(got, want) {
		t.Fatalf("deposit --json keys %v, want %v", got, want)
	}
	var id, plain string
	var size int64
	json.Unmarshal(dep["id"], &id)
	json.Unmarshal(dep["plain_sha256"], &plain)
	json.Unmarshal(dep["size"], &size)
	if sum := sha256.Sum256(content); plain != hex.EncodeToString(sum[:]) || size != int64(len(content)) {
		t.Errorf("deposit reports plain_sha256 %s size %d; file has %x, %d", plain, size, sum, len(content))
	}
	var reds []redaction
	json.Unmarshal(dep["redactions"], &reds)
	for _, want := range []redaction{{"title", "person"}, {"summary", "email"}, {"summary", "phone"}, {"transcript", "person"}} {
		if !slices.Contains(reds, want) {
			t.Errorf("redactions %v lack %v", reds, want)
		}
	}

	// The server's index never saw the name; the redacted text is found.
	type searchOut struct {
		Total  int                          `json:"total"`
		Hits   []map[string]json.RawMessage `json:"hits"`
		Facets map[string]json.RawMessage   `json:"facets"`
	}
	for _, q := range []string{"Haddad", "Layla", "layla.haddad"} {
		if s := decode[searchOut](t, e.ok("r.hassan", "search", q, "--json").stdout); s.Total != 0 {
			t.Errorf("search %q found %d documents: the planted name reached the index", q, s.Total)
		}
	}
	r := e.ok("r.hassan", "search", "checkpoint", "--facet", "language", "--facet", "governorate", "--json")
	raw := decode[map[string]json.RawMessage](t, r.stdout)
	for _, k := range []string{"total", "hits", "facets"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("search --json lacks %q: %s", k, r.stdout)
		}
	}
	s := decode[searchOut](t, r.stdout)
	if s.Total != 1 || len(s.Hits) != 1 || string(s.Hits[0]["id"]) != `"`+id+`"` {
		t.Fatalf("search checkpoint: %s", r.stdout)
	}
	if !strings.Contains(string(s.Hits[0]["title"]), "[PERSON-1]") || s.Facets["language"] == nil {
		t.Errorf("search hit title %s, facets %v", s.Hits[0]["title"], s.Facets)
	}
	if table := e.ok("r.hassan", "search", "checkpoint").stdout; !strings.Contains(table, id) || !strings.Contains(table, "1 results") {
		t.Errorf("search table:\n%s", table)
	}

	// Filters fold case and diacritics; unknown fields and values are
	// refused by name, the field by the command, the value by the server.
	if s := decode[searchOut](t, e.ok("r.hassan", "search", "checkpoint", "--filter", "governorate=KIRKUK", "--json").stdout); s.Total != 1 {
		t.Errorf("--filter governorate=KIRKUK: %d hits", s.Total)
	}
	e.fail("r.hassan", `unknown field "lang"`, "search", "checkpoint", "--filter", "lang=xx")
	e.fail("r.hassan", `unknown value "Kirkukk"`, "search", "checkpoint", "--filter", "governorate=Kirkukk")
	e.fail("r.hassan", `unknown value "xx"`, "search", "checkpoint", "--filter", "language=xx")
	// Facet labels in the language asked for, in the table and in --json.
	if table := e.ok("r.hassan", "search", "checkpoint", "--facet", "governorate", "--labels", "ar").stdout; !strings.Contains(table, "كركوك [Kirkuk] (1)") {
		t.Errorf("search --labels ar table:\n%s", table)
	}
	if out := e.ok("r.hassan", "search", "checkpoint", "--facet", "governorate", "--labels", "ckb", "--json").stdout; !strings.Contains(out, `"label": "کەرکووک"`) {
		t.Errorf("search --labels ckb --json: %s", out)
	}

	// show: the depositor holds a slot and sees the private metadata.
	shown := decode[map[string]any](t, e.ok("r.hassan", "show", id, "--json").stdout)
	priv, _ := shown["private"].(map[string]any)
	if priv == nil || fmt.Sprint(priv["persons"]) != "["+plantedName+"]" || priv["file_name"] != "interview-07.txt" ||
		!strings.HasPrefix(fmt.Sprint(priv["media_type"]), "text/plain") || priv["plain_sha256"] != plain {
		t.Errorf("show --json private = %v", shown["private"])
	}
	if pub := fmt.Sprint(shown["public"]); strings.Contains(pub, "Haddad") || !strings.Contains(pub, "[PERSON-1]") || !strings.Contains(pub, "Dr "+keptName) {
		t.Errorf("public metadata %s", pub)
	}
	// The decision to keep a name is in the sealed private metadata only.
	if fmt.Sprint(priv["redaction_kept"]) != "["+keptName+"]" {
		t.Errorf("show --json private lacks the kept name: %v", priv)
	}

	// get: byte-identical; no overwrite without --force.
	dir := t.TempDir()
	out := filepath.Join(dir, "out.bin")
	e.ok("r.hassan", "get", id, "-o", out)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, content) {
		t.Fatal("get: output differs from the deposited file")
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("output mode %v, want 0600", st.Mode().Perm())
	}
	noFile(t, out+".partial")
	os.WriteFile(out, []byte("keep me"), 0o600)
	e.fail("r.hassan", "exists", "get", id, "-o", out)
	if got, _ := os.ReadFile(out); string(got) != "keep me" {
		t.Fatal("get overwrote an existing file without --force")
	}
	e.ok("r.hassan", "get", id, "-o", out, "--force")
	if got, _ := os.ReadFile(out); !bytes.Equal(got, content) {
		t.Fatal("get --force: output differs")
	}

	// A flipped ciphertext byte, a wrong key, no key slot: no output at all.
	proxy := tamperProxy(t, e.url, func(r *http.Request, body []byte) []byte {
		if strings.HasSuffix(r.URL.Path, "/content") && len(body) > 200000 {
			body[200000] ^= 1
		}
		return body
	})
	bad := filepath.Join(dir, "bad.bin")
	e.fail("r.hassan", "amana: ", "get", id, "-o", bad, "--server", proxy)
	noFile(t, bad, bad+".partial")
	e.fail("r.hassan", "amana: ", "get", id, "-o", bad, "--identity", e.users["r.ahmed"].IdentityFile)
	noFile(t, bad, bad+".partial")
	e.login("r.ahmed")
	e.fail("r.ahmed", "amana: ", "get", id, "-o", bad)
	noFile(t, bad, bad+".partial")
	if sh := decode[map[string]any](t, e.ok("r.ahmed", "show", id, "--json").stdout); sh["private"] != nil {
		t.Errorf("show as a member without a slot revealed private metadata: %v", sh["private"])
	}

	// grant needs a step-up once the login is five minutes old.
	e.stepUpDue()
	e.fail("r.hassan", "TOTP", "grant", id, "a.karim")
	e.fail("r.hassan", "TOTP code was not accepted", "grant", id, "a.karim", "--totp", "000000")
	e.ok("r.hassan", "grant", id, "a.karim", "--totp", e.code("r.hassan"))
	e.login("a.karim")
	lawyerOut := filepath.Join(dir, "lawyer.bin")
	e.ok("a.karim", "get", id, "-o", lawyerOut)
	if got, _ := os.ReadFile(lawyerOut); !bytes.Equal(got, content) {
		t.Fatal("grantee's get differs")
	}

	// revoke --rekey: the lawyer is out, the content is under a new key.
	before := decode[map[string]any](t, e.ok("r.hassan", "show", id, "--json").stdout)
	e.stepUpDue()
	e.ok("r.hassan", "revoke", id, "a.karim", "--rekey", "--totp", e.code("r.hassan"))
	after := decode[map[string]any](t, e.ok("r.hassan", "show", id, "--json").stdout)
	if after["generation"].(float64) <= before["generation"].(float64) || slices.Contains(after["slot_holders"].([]any), any("a.karim")) {
		t.Errorf("after revoke --rekey: generation %v→%v, slot holders %v", before["generation"], after["generation"], after["slot_holders"])
	}
	os.Remove(lawyerOut)
	e.fail("a.karim", "amana: ", "get", id, "-o", lawyerOut)
	noFile(t, lawyerOut, lawyerOut+".partial")
	e.ok("r.hassan", "get", id, "-o", out, "--force")
	if got, _ := os.ReadFile(out); !bytes.Equal(got, content) {
		t.Fatal("get after rekey differs")
	}

	// shred: confirmation, step-up, then gone.
	e.login("l.custodian")
	e.stepUpDue()
	e.fail("l.custodian", "--yes", "shred", id)
	e.fail("l.custodian", "TOTP", "shred", id, "--yes")
	e.ok("l.custodian", "shred", id, "--yes", "--totp", e.code("l.custodian"))
	gone := filepath.Join(dir, "gone.bin")
	e.fail("r.hassan", "amana: ", "get", id, "-o", gone)
	noFile(t, gone, gone+".partial")
}

func TestUserAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.login("l.custodian")
	salih := e.users["a.salih"]
	e.stepUpDue()
	e.fail("l.custodian", "TOTP", "user", "add", "x.lawyer", "--role", "lawyer", "--recipient", salih.Recipient)
	r := e.ok("l.custodian", "user", "add", "x.lawyer", "--role", "lawyer", "--recipient", salih.Recipient, "--name", "X", "--totp", e.code("l.custodian"))
	if !strings.Contains(r.stdout, "otpauth://totp/") || !strings.Contains(r.stdout, "█") {
		t.Errorf("user add prints no otpauth URL or QR code:\n%s", r.stdout)
	}
	// Still inside the step-up window: no code needed.
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	r = e.ok("l.custodian", "user", "add", "y.lawyer", "--role", "lawyer", "--recipient", salih.Recipient, "--totp-secret", secret, "--json")
	added := decode[map[string]json.RawMessage](t, r.stdout)
	if got := keysOf(added); !slices.Equal(got, []string{"id", "totp_url"}) || !strings.Contains(string(added["totp_url"]), secret) {
		t.Errorf("user add --json = %s", r.stdout)
	}
	e.fail("l.custodian", "unknown role", "user", "add", "z", "--role", "boss", "--recipient", salih.Recipient)

	users := decode[[]map[string]any](t, e.ok("l.custodian", "user", "list", "--json").stdout)
	var ids []string
	for _, u := range users {
		ids = append(ids, fmt.Sprint(u["id"]))
	}
	if !slices.Contains(ids, "x.lawyer") || !slices.Contains(ids, "y.lawyer") || !slices.Contains(ids, "auditor") {
		t.Errorf("user list: %v", ids)
	}
	if u := decode[map[string]any](t, e.ok("l.custodian", "user", "disable", "y.lawyer", "--json").stdout); u["state"] != "disabled" {
		t.Errorf("disable: %v", u)
	}
	// A disabled user cannot log in, even with a good code.
	e.users["y.lawyer"] = demoUser{ID: "y.lawyer", IdentityFile: salih.IdentityFile, TOTPSecret: secret}
	e.fail("y.lawyer", "not active", "login", "--server", e.url, "--user", "y.lawyer", "--identity", salih.IdentityFile, "--totp", e.code("y.lawyer"))
	// Enabled again, it can.
	if u := decode[map[string]any](t, e.ok("l.custodian", "user", "enable", "y.lawyer", "--json").stdout); u["state"] != "active" {
		t.Errorf("enable: %v", u)
	}
	e.login("y.lawyer")

	// Not an admin: refused by the server, in one line.
	e.login("r.ahmed")
	e.fail("r.ahmed", "amana: ", "user", "list")
}

func TestRedactJSON(t *testing.T) {
	t.Parallel()
	input := "قالت الشاهدة: Call " + plantedPhone + " or write to " + plantedEmail + ". " + plantedName + " agreed.\n"
	file := filepath.Join(t.TempDir(), "text.txt")
	os.WriteFile(file, []byte(input), 0o600)
	r := run(t, t.TempDir(), "redact", file, "--person", plantedName, "--json")
	if r.code != 0 {
		t.Fatalf("redact: %s", r.stderr)
	}
	raw := decode[map[string]json.RawMessage](t, r.stdout)
	if got := keysOf(raw); !slices.Equal(got, []string{"findings", "text"}) {
		t.Fatalf("redact --json keys %v", got)
	}
	var out struct {
		Text     string                       `json:"text"`
		Findings []map[string]json.RawMessage `json:"findings"`
	}
	json.Unmarshal([]byte(r.stdout), &out)
	found := map[string]string{}
	for _, f := range out.Findings {
		if got := keysOf(f); !slices.Equal(got, []string{"end", "kind", "start"}) && !slices.Equal(got, []string{"end", "kind", "reason", "start"}) {
			t.Fatalf("finding keys %v", got)
		}
		var kind string
		var start, end int
		json.Unmarshal(f["kind"], &kind)
		json.Unmarshal(f["start"], &start)
		json.Unmarshal(f["end"], &end)
		if start < 0 || end > len(input) || start >= end {
			t.Fatalf("finding %s [%d,%d) out of range", kind, start, end)
		}
		found[kind] = input[start:end] // byte offsets into the input
	}
	want := map[string]string{"phone": plantedPhone, "email": plantedEmail, "person": plantedName}
	for k, v := range want {
		if found[k] != v {
			t.Errorf("finding %s covers %q, want %q (all: %q)", k, found[k], v, found)
		}
		if strings.Contains(out.Text, v) || strings.Contains(r.stdout, v) {
			t.Errorf("redact --json output contains %q", v)
		}
	}
	if !strings.Contains(out.Text, "[PERSON-1]") || !strings.HasPrefix(out.Text, "قالت الشاهدة") {
		t.Errorf("redacted text %q", out.Text)
	}
	// A name nobody listed: found with its reason, and kept on request.
	named := filepath.Join(t.TempDir(), "named.txt")
	os.WriteFile(named, []byte("Judge Karim Salih heard Bushra."), 0o600)
	r = run(t, t.TempDir(), "redact", named, "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"reason": "given_name"`) || strings.Contains(r.stdout, "Bushra") || strings.Contains(r.stdout, "Karim") {
		t.Errorf("redact names: %s %s", r.stdout, r.stderr)
	}
	r = run(t, t.TempDir(), "redact", named, "--keep", "karim salih")
	if r.code != 0 || !strings.Contains(r.stdout, "Judge Karim Salih heard [NAME-1].") || !strings.Contains(r.stderr, "a common given name") {
		t.Errorf("redact --keep: %s %s", r.stdout, r.stderr)
	}
	// A --keep that keeps nothing is a mistake, not a silent decision.
	for _, bad := range []string{"Nobody", "Judge", "Bushra Karim"} {
		if r = run(t, t.TempDir(), "redact", named, "--keep", bad); r.code != 2 || !strings.Contains(r.stderr, "--keep") {
			t.Errorf("redact --keep %q: code %d, %s", bad, r.code, r.stderr)
		}
	}
	// Text mode: the redacted text on stdout, findings on stderr.
	r = run(t, t.TempDir(), "redact", file, "--person", plantedName)
	if r.code != 0 || !strings.Contains(r.stdout, "[EMAIL-1]") || strings.Contains(r.stdout+r.stderr, plantedEmail) || !strings.Contains(r.stderr, "email") {
		t.Errorf("redact: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestAuditOnline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createCollection()
	e.login("r.hassan")
	dep := e.deposit("r.hassan", []byte("a short fictional case study\n"))
	var id string
	json.Unmarshal(dep["id"], &id)

	e.login("auditor")
	dir := t.TempDir()
	cp1 := filepath.Join(dir, "cp1")
	e.ok("auditor", "audit", "checkpoint", "-o", cp1)
	e.ok("r.hassan", "search", "testimony")
	e.ok("r.hassan", "show", id)

	// audit log --json: events with the documented fields, filters applied.
	events := decode[[]map[string]json.RawMessage](t, e.ok("auditor", "audit", "log", "--json").stdout)
	if len(events) < 5 {
		t.Fatalf("audit log: %d events", len(events))
	}
	for i, ev := range events {
		for _, k := range []string{"seq", "time", "actor", "action", "outcome"} {
			if _, ok := ev[k]; !ok {
				t.Fatalf("event %d lacks %q: %v", i, k, ev)
			}
		}
		if string(ev["seq"]) != fmt.Sprint(i) {
			t.Fatalf("event %d has seq %s", i, ev["seq"])
		}
	}
	docEvents := decode[[]map[string]any](t, e.ok("auditor", "audit", "log", "--doc", id, "--json").stdout)
	if len(docEvents) < 2 {
		t.Errorf("audit log --doc: %d events", len(docEvents))
	}
	for _, ev := range docEvents {
		if ev["doc"] != id {
			t.Errorf("audit log --doc returned %v", ev)
		}
	}
	byHassan := decode[[]map[string]any](t, e.ok("auditor", "audit", "log", "--actor", "r.hassan", "--since", "2000-01-01", "--json").stdout)
	actions := map[string]bool{}
	for _, ev := range byHassan {
		if ev["actor"] != "r.hassan" {
			t.Errorf("audit log --actor returned %v", ev)
		}
		actions[fmt.Sprint(ev["action"])] = true
	}
	if !actions["search"] || len(actions) < 3 {
		t.Errorf("r.hassan's actions: %v", actions)
	}

	// Online verify, alone and against the earlier checkpoint.
	res := decode[map[string]any](t, e.ok("auditor", "audit", "verify", "--checkpoint", cp1, "--json").stdout)
	cpText, _ := os.ReadFile(cp1)
	oldSize := strings.Split(string(cpText), "\n")[1]
	if res["ok"] != true || fmt.Sprint(res["old_checkpoint_size"]) != oldSize || res["size"].(float64) <= res["old_checkpoint_size"].(float64) {
		t.Errorf("audit verify --checkpoint: %v", res)
	}
	e.ok("auditor", "audit", "verify")
	e.fail("auditor", "not by the key you were given", "audit", "verify", "--verifier", "other.example/log+01234567+AQ")

	// Events changed in transit: verify names the first bad one.
	const victim = 4
	proxy := tamperProxy(t, e.url, func(r *http.Request, body []byte) []byte {
		if r.URL.Path != "/v1/audit/events" {
			return body
		}
		i := bytes.Index(body, []byte(fmt.Sprintf(`{"seq":%d,`, victim)))
		if i < 0 {
			return body
		}
		j := bytes.Index(body[i:], []byte(`"outcome":"`))
		body[i+j+len(`"outcome":"`)] ^= 0x20 // "ok" → "Ok"
		return body
	})
	r := e.fail("auditor", fmt.Sprintf("first bad event %d", victim), "audit", "verify", "--server", proxy)
	_ = r
	e.fail("auditor", "not exported", "audit", "export", "-o", filepath.Join(dir, "bad-export"), "--server", proxy)

	// Export, then verify the copy offline.
	exp := filepath.Join(dir, "export")
	e.ok("auditor", "audit", "export", "-o", exp)
	res = decode[map[string]any](t, run(t, t.TempDir(), "audit", "verify", "--export", exp, "--json").stdout)
	if res["ok"] != true {
		t.Fatalf("audit verify --export: %v", res)
	}
	lines, _ := os.ReadFile(filepath.Join(exp, "events.jsonl"))
	if n := bytes.Count(lines, []byte("\n")); fmt.Sprint(n) != fmt.Sprint(res["size"]) {
		t.Errorf("events.jsonl has %d lines, checkpoint covers %v", n, res["size"])
	}
	v := run(t, t.TempDir(), "audit", "verify", "--export", exp, "--checkpoint", cp1)
	if v.code != 0 {
		t.Errorf("verify --export --checkpoint: %s", v.stderr)
	}

	// Researchers do not read the audit log.
	e.fail("r.hassan", "amana: ", "audit", "log")
}

// TestHelp: every command documents itself with an example.
func TestHelp(t *testing.T) {
	t.Parallel()
	var walk func(c *cobra.Command)
	var paths [][]string
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Name() == "help" {
				continue
			}
			paths = append(paths, strings.Fields(sub.CommandPath())[1:])
			walk(sub)
		}
	}
	walk(newRootCmd())
	dir := t.TempDir()
	for _, p := range paths {
		r := run(t, dir, append(p, "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Example") {
			t.Errorf("amana %s --help has no example:\n%s", strings.Join(p, " "), r.stdout)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if r := run(t, dir, "completion", shell); r.code != 0 || !strings.Contains(r.stdout, "amana") {
			t.Errorf("completion %s: %s", shell, r.stderr)
		}
	}
	if r := run(t, dir, "--help"); !strings.Contains(r.stdout, "completion") {
		t.Error("amana --help does not list completion")
	}
}

// TestQR: the drawing is the code's module matrix, light modules drawn.
func TestQR(t *testing.T) {
	var b bytes.Buffer
	if err := writeQR(&b, "otpauth://totp/amana:x?secret=JBSWY3DPEHPK3PXP&issuer=amana"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	width := len([]rune(lines[0]))
	if (width-2*qrQuietZone)%4 != 1 || width < 21+2*qrQuietZone {
		t.Fatalf("QR width %d is not 4v+17 modules plus the quiet zone", width)
	}
	if len(lines) != (width+1)/2 {
		t.Errorf("%d lines for %d module rows", len(lines), width)
	}
	// The finder pattern's corner: a dark module inside a light border.
	row := []rune(lines[qrQuietZone/2])
	if row[qrQuietZone-1] != '█' && row[qrQuietZone-1] != '▀' || row[qrQuietZone] == '█' {
		t.Errorf("no finder pattern at the corner: %q", string(row))
	}
}
