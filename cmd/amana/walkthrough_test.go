//go:build unix

package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/internal/weedtest"
)

// The README walkthrough, run as a new user would run it: the real binary
// against 'amana demo', real oathtool for every TOTP code, the stock age
// tool for the "no lock-in" step. Run with -v to see the commands.

// walkthroughAgeVersion is the stock age release used to decrypt without
// Amana (the same as envelope's stock-age tests).
const walkthroughAgeVersion = "v1.3.2"

// Fictional planted personal data: it must never reach the index.
const (
	wtPhone  = "+964 770 000 1234"
	wtPerson = "Nishtiman Qaradaghi"
	wtWord   = "Hawarbeg" // a distinctive word of the title
)

// walkthrough runs the CLI as several users, one config directory each,
// and hands out TOTP codes from oathtool, never one twice per user and
// time step.
type walkthrough struct {
	t     *testing.T
	url   string
	keys  string // absolute path of keys-example
	users map[string]demoUser
	cfg   map[string]string
	last  map[string]int64 // last TOTP step used per user
	slept time.Duration
}

// wtUnzip extracts a zip file into dir.
func wtUnzip(t *testing.T, name, dir string) {
	t.Helper()
	zr, err := zip.OpenReader(name)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Fatalf("zip entry %q escapes", f.Name)
		}
		os.MkdirAll(filepath.Dir(p), 0o700)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || os.WriteFile(p, b, 0o600) != nil {
			t.Fatalf("extracting %s: %v", f.Name, err)
		}
	}
}

// wtShellQuote quotes an argument for the logged command line.
func wtShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func wtCmdline(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = wtShellQuote(a)
	}
	return "amana " + strings.Join(q, " ")
}

// run runs amana in configDir and logs the command as a user would type it.
func (w *walkthrough) run(configDir string, extra []string, args ...string) result {
	w.t.Helper()
	w.t.Logf("$ AMANA_CONFIG_DIR=%s %s", configDir, wtCmdline(args))
	return runEnv(w.t, configDir, extra, args...)
}

// ok runs a command that must exit 0.
func (w *walkthrough) ok(configDir string, args ...string) result {
	w.t.Helper()
	r := w.run(configDir, nil, args...)
	if r.code != 0 {
		w.t.Fatalf("%s: exit %d\nstderr: %s\nstdout: %s", wtCmdline(args), r.code, r.stderr, r.stdout)
	}
	wtLogOutput(w.t, r)
	return r
}

// wtLogOutput shows what a user would see: stderr, and the start of stdout.
func wtLogOutput(t *testing.T, r result) {
	t.Helper()
	out := strings.TrimRight(r.stdout, "\n")
	if lines := strings.Split(out, "\n"); len(lines) > 6 {
		out = strings.Join(lines[:6], "\n") + fmt.Sprintf("\n… (%d more lines)", len(lines)-6)
	}
	if s := strings.TrimRight(r.stderr, "\n"); s != "" {
		t.Logf("  stderr: %s", strings.ReplaceAll(s, "\n", "\n          "))
	}
	if out != "" {
		t.Logf("  %s", strings.ReplaceAll(out, "\n", "\n  "))
	}
}

// code returns a TOTP code for user from oathtool, at a time step later
// than any used before for that user: if the current step was used, it
// waits for the next one.
func (w *walkthrough) code(user string) string {
	w.t.Helper()
	now := time.Now()
	if step := now.Unix() / 30; step <= w.last[user] {
		next := time.Unix((w.last[user]+1)*30, 0).Add(100 * time.Millisecond)
		d := time.Until(next)
		w.t.Logf("waiting %v for %s's next TOTP step", d.Round(time.Millisecond), user)
		time.Sleep(d)
		w.slept += d
		now = time.Now()
	}
	w.last[user] = now.Unix() / 30
	u := w.users[user]
	// --now pins oathtool to the step recorded above.
	out, err := exec.Command("oathtool", "--totp", "-b", u.TOTPSecret, "--now", now.UTC().Format("2006-01-02 15:04:05 UTC")).Output()
	if err != nil {
		w.t.Fatalf("oathtool --totp -b %s: %v", u.TOTPSecret, err)
	}
	return strings.TrimSpace(string(out))
}

// login logs user in, in its own config directory, as the guide says.
func (w *walkthrough) login(user string) string {
	w.t.Helper()
	dir := filepath.Join(w.t.TempDir(), "amana-"+user)
	w.cfg[user] = dir
	u := w.users[user]
	w.ok(dir, "login", "--server", w.url, "--user", user, "--identity", filepath.Join(w.keys, u.IdentityFile), "--totp", w.code(user))
	return dir
}

// search runs 'amana search Q --json' and returns the total and ids.
func (w *walkthrough) search(dir, q string) (int, []string) {
	w.t.Helper()
	w.t.Logf("$ AMANA_CONFIG_DIR=%s %s", dir, wtCmdline([]string{"search", q, "--json"}))
	r := runEnv(w.t, dir, nil, "search", q, "--json")
	if r.code != 0 {
		w.t.Fatalf("search %q --json: exit %d\nstderr: %s", q, r.code, r.stderr)
	}
	var res struct {
		Total int `json:"total"`
		Hits  []struct {
			ID string `json:"id"`
		} `json:"hits"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		w.t.Fatalf("search %q --json: not JSON: %v\n%s", q, err, r.stdout)
	}
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	w.t.Logf("  %d hits %v", res.Total, ids)
	return res.Total, ids
}

// wtInstallStockAge installs the stock age command into dir with go install.
func wtInstallStockAge(dir string) (string, error) {
	cmd := exec.Command("go", "install", "filippo.io/age/cmd/age@"+walkthroughAgeVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install filippo.io/age/cmd/age@%s: %v\n%s", walkthroughAgeVersion, err, out)
	}
	return filepath.Join(dir, "age"), nil
}

func TestWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("the walkthrough starts the demo, which deposits 240 documents")
	}
	walkthroughTest(t, "")
}

// TestWalkthroughS3: the same with the demo's blob store in SeaweedFS.
func TestWalkthroughS3(t *testing.T) {
	if testing.Short() {
		t.Skip("the walkthrough starts the demo, which deposits 240 documents")
	}
	w := weedtest.Start(t)
	walkthroughTest(t, w.URL("amana-walkthrough"))
}

func walkthroughTest(t *testing.T, blobStore string) {
	if _, err := exec.LookPath("oathtool"); err != nil {
		t.Fatal("oathtool is needed for the walkthrough's TOTP codes (Debian: apt-get install oathtool)")
	}
	began := time.Now()
	tmp := t.TempDir()

	// The stock age tool installs while the demo loads.
	type installed struct {
		path string
		err  error
	}
	ageCh := make(chan installed, 1)
	go func() {
		p, err := wtInstallStockAge(filepath.Join(tmp, "bin"))
		ageCh <- installed{p, err}
	}()

	keys, err := filepath.Abs("../../keys-example")
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := loadDemoKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	w := &walkthrough{t: t, keys: keys, users: map[string]demoUser{}, cfg: map[string]string{}, last: map[string]int64{}}
	for _, u := range list {
		w.users[u.ID] = u
	}

	// A witness, run by someone else: litewitness on loopback.
	wit := amanatest.StartWitness(t, "witness.example.org/w1")

	// 1. amana demo --data DIR --listen 127.0.0.1:0 --witness VKEY=URL
	t.Log("step 1: start the demo, with a witness")
	extra := []string{"--witness", wit.Key + "=" + wit.URL}
	if blobStore != "" {
		extra = append(extra, "--blob-store", blobStore)
	}
	demo, url, guide, demoErr := startDemo(t, filepath.Join(tmp, "amana-demo"), extra...)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			demo.Process.Kill()
			demo.Wait()
		}
	})
	w.url = url
	if !strings.Contains(guide, "Deposited 240 documents") {
		t.Fatalf("the demo guide has no deposit summary:\n%s", guide)
	}
	// The demo logged its researchers in with the previous step's code
	// while it loaded: treat the step before now as used.
	for _, u := range demoUserByRole(list, "researcher") {
		w.last[u.ID] = time.Now().Unix()/30 - 1
	}
	t.Logf("demo ready at %s after %v", url, time.Since(began).Round(time.Millisecond))

	// 2. r.hassan deposits a fictional text with planted personal data.
	t.Log("step 2: r.hassan deposits a document")
	hassan := w.login("r.hassan")
	work := filepath.Join(tmp, "work")
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	// The README's example files, so the README and this test cannot drift.
	docFile := "../../docs/example/hawarbeg-testimony.txt"
	metaFile := "../../docs/example/hawarbeg-testimony.json"
	original, err := os.ReadFile(docFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, planted := range []string{wtWord, wtPerson, wtPhone} {
		if !bytes.Contains(original, []byte(planted)) {
			t.Fatalf("the example file no longer contains %q", planted)
		}
	}
	r := w.ok(hassan, "deposit", docFile, "--collection", "kirkuk-2018", "--kind", "testimony", "--meta", metaFile, "--json")
	var dep struct {
		ID         string      `json:"id"`
		Collection string      `json:"collection"`
		Size       int64       `json:"size"`
		Redactions []redaction `json:"redactions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &dep); err != nil {
		t.Fatalf("deposit --json: not JSON: %v\n%s", err, r.stdout)
	}
	if dep.ID == "" || dep.Collection != "kirkuk-2018" || dep.Size != int64(len(original)) {
		t.Fatalf("deposit --json: %s", r.stdout)
	}
	for _, want := range []redaction{{"summary", "phone"}, {"summary", "person"}} {
		found := false
		for _, got := range dep.Redactions {
			found = found || got == want
		}
		if !found {
			t.Errorf("deposit --json redactions %v lack %v", dep.Redactions, want)
		}
	}
	for _, secret := range []string{"Qaradaghi", "Nishtiman", "770 000"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("deposit printed a redacted value %q:\n%s%s", secret, r.stdout, r.stderr)
		}
	}
	doc := dep.ID
	t.Logf("deposited %s", doc)

	// 3. a.karim finds it by its title, not by the planted data, and
	// cannot get it yet.
	t.Log("step 3: a.karim searches, and is refused the content")
	karim := w.login("a.karim")
	if total, ids := w.search(karim, wtWord); total != 1 || len(ids) != 1 || ids[0] != doc {
		t.Errorf("search %s as a.karim: %d hits %v, want just %s", wtWord, total, ids, doc)
	}
	// The summary is indexed (so the planted data's absence below means
	// something): a phrase of it finds the document.
	if total, ids := w.search(karim, `"kiln worker recounts"`); total != 1 || len(ids) != 1 || ids[0] != doc {
		t.Errorf("search for a phrase of the summary as a.karim: %d hits %v, want just %s", total, ids, doc)
	}
	for _, q := range []string{`"` + wtPhone + `"`, `"770 000 1234"`, `"` + wtPerson + `"`, "Qaradaghi", "Nishtiman"} {
		if total, ids := w.search(karim, q); total != 0 {
			t.Errorf("search %s as a.karim: %d hits %v: planted personal data reached the index", q, total, ids)
		}
	}
	denied := filepath.Join(work, "denied.txt")
	r = w.run(karim, nil, "get", doc, "-o", denied)
	if r.code == 0 {
		t.Fatalf("get %s as a.karim before the grant succeeded", doc)
	}
	if lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); r.stderr == "" || len(lines) != 1 {
		t.Errorf("get without a grant: want one line on stderr, got %q", r.stderr)
	}
	t.Logf("refused as expected: exit %d: %s", r.code, strings.TrimSpace(r.stderr))
	noFile(t, denied, denied+".partial")

	// 4. a.karim asks for access; r.hassan sees the request and grants
	// a.karim a key slot (step-up: the login is recent).
	t.Log("step 4: a.karim asks; r.hassan grants a.karim; a.karim gets the document")
	w.ok(karim, "request", doc)
	if r = w.ok(hassan, "requests"); !strings.Contains(r.stdout, doc) || !strings.Contains(r.stdout, "a.karim") {
		t.Errorf("r.hassan's requests do not list a.karim's:\n%s", r.stdout)
	}
	r = w.ok(hassan, "grant", doc, "a.karim")
	if !strings.Contains(r.stdout, "Granted a.karim") {
		t.Errorf("grant output: %q", r.stdout)
	}
	got := filepath.Join(work, "a.karim-copy.txt")
	w.ok(karim, "get", doc, "-o", got)
	if b, err := os.ReadFile(got); err != nil || !bytes.Equal(b, original) {
		t.Fatalf("a.karim's copy differs from the deposited file (err %v)", err)
	}

	// 5. The auditor checkpoints, verifies, and reads the document's trail.
	// The witness's operator registers the log's verifier key first; the
	// server has been retrying it meanwhile, and writes never waited.
	t.Log("step 5: the auditor checkpoints, verifies with the witness and reads the trail")
	auditor := w.login("auditor")
	r = w.ok(auditor, "audit", "checkpoint", "--json")
	var cpInfo struct {
		VerifierKey string `json:"verifier_key"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &cpInfo); err != nil || cpInfo.VerifierKey == "" {
		t.Fatalf("audit checkpoint --json: %v\n%s", err, r.stdout)
	}
	t.Logf("$ witnessctl add-log -db witness.db -origin amana.local/vault && witnessctl add-key -db witness.db -origin amana.local/vault -key %s", cpInfo.VerifierKey)
	wit.AddLog("amana.local/vault", cpInfo.VerifierKey)
	cp := filepath.Join(work, "checkpoint-1.txt")
	w.ok(auditor, "audit", "checkpoint", "-o", cp)
	if b, err := os.ReadFile(cp); err != nil || len(b) == 0 {
		t.Fatalf("audit checkpoint -o %s wrote nothing (err %v)", cp, err)
	}
	r = w.ok(auditor, "audit", "verify", "--checkpoint", cp, "--witness", wit.Key)
	if !strings.HasPrefix(r.stdout, "OK:") || !strings.Contains(r.stdout, "consistent with your checkpoint") ||
		!strings.Contains(r.stdout, "cosigned by the witnesses witness.example.org/w1") {
		t.Errorf("audit verify --checkpoint --witness: %q", r.stdout)
	}
	wtLogOutput(t, r)
	r = w.ok(auditor, "audit", "log", "--doc", doc, "--json")
	var events []struct {
		Seq     int64  `json:"seq"`
		Actor   string `json:"actor"`
		Action  string `json:"action"`
		Outcome string `json:"outcome"`
		Doc     string `json:"doc"`
		Target  string `json:"target"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &events); err != nil {
		t.Fatalf("audit log --json: not JSON: %v\n%s", err, r.stdout)
	}
	var deposited, deniedGet, requested, granted bool
	var trail []string
	for _, ev := range events {
		trail = append(trail, fmt.Sprintf("%d %s %s %s", ev.Seq, ev.Actor, ev.Action, ev.Outcome))
		if ev.Doc != doc {
			t.Errorf("audit log --doc %s returned an event about %q", doc, ev.Doc)
		}
		switch {
		case ev.Action == "document.deposit" && ev.Actor == "r.hassan" && ev.Outcome == "ok":
			deposited = true
		case ev.Actor == "a.karim" && ev.Outcome == "denied" && strings.HasPrefix(ev.Action, "document."):
			deniedGet = true
		case ev.Action == "document.grant" && ev.Actor == "r.hassan" && ev.Outcome == "ok":
			granted = true
		case ev.Action == "document.request" && ev.Actor == "a.karim" && ev.Outcome == "ok":
			requested = true
		}
	}
	t.Logf("custody trail of %s:\n  %s", doc, strings.Join(trail, "\n  "))
	if !deposited || !deniedGet || !requested || !granted {
		t.Errorf("audit log --doc %s: deposit %v, a.karim's denied get %v, request %v, grant %v; events:\n%s", doc, deposited, deniedGet, requested, granted, r.stdout)
	}

	// 6. a.karim exports a court bundle; it verifies with no session.
	t.Log("step 6: a.karim exports a court bundle, verified offline")
	bundleFile := filepath.Join(work, "bundle.zip")
	w.ok(karim, "export", doc, "-o", bundleFile)
	offline := filepath.Join(tmp, "empty-config")
	r = w.run(offline, []string{"HTTP_PROXY=http://127.0.0.1:1", "HTTPS_PROXY=http://127.0.0.1:1", "NO_PROXY="}, "verify-bundle", bundleFile)
	if r.code != 0 {
		t.Fatalf("verify-bundle %s: exit %d\nstderr: %s\nstdout: %s", bundleFile, r.code, r.stderr, r.stdout)
	}
	wtLogOutput(t, r)
	if !strings.HasPrefix(r.stdout, "OK: "+doc) {
		t.Errorf("verify-bundle: %q", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(offline, sessionFile)); err == nil {
		t.Error("verify-bundle wrote a session")
	}
	// The bundle's checkpoint carries the witness's cosignature, and its
	// custody trail verifies with spicy, a tool that knows nothing of Amana.
	r = w.ok(offline, "verify-bundle", bundleFile, "--verifier", cpInfo.VerifierKey, "--witness", wit.Key)
	if !strings.Contains(r.stdout, "cosigned by the witnesses witness.example.org/w1") {
		t.Errorf("verify-bundle --witness: %q", r.stdout)
	}
	unzipped := filepath.Join(work, "bundle")
	t.Logf("$ unzip %s -d bundle && cd bundle", bundleFile)
	wtUnzip(t, bundleFile, unzipped)
	custody, _ := filepath.Glob(filepath.Join(unzipped, "custody", "*.json"))
	if len(custody) < 3 {
		t.Fatalf("the bundle has %d custody/*.json files", len(custody))
	}
	spicy := amanatest.Tool(t, "spicy")
	t.Logf("$ spicy -verify %s custody/*.json", cpInfo.VerifierKey)
	if out, err := exec.Command(spicy, append([]string{"-verify", cpInfo.VerifierKey}, custody...)...).CombinedOutput(); err != nil || !strings.Contains(string(out), "verified") {
		t.Fatalf("spicy -verify: %v\n%s", err, out)
	}

	// 7. No lock-in: the key slot and the ciphertext over plain HTTP, opened
	// with the stock age tool.
	t.Log("step 7: the stock age tool opens a.karim's key slot and the content")
	ai := <-ageCh
	if ai.err != nil {
		t.Fatal(ai.err)
	}
	var sess struct {
		Server string `json:"server"`
		Token  string `json:"token"`
	}
	if b, err := os.ReadFile(filepath.Join(karim, sessionFile)); err != nil || json.Unmarshal(b, &sess) != nil || sess.Token == "" {
		t.Fatalf("a.karim's session.json: %v", err)
	}
	fetch := func(path, file string) {
		t.Helper()
		t.Logf(`$ curl -fsS -H "Authorization: Bearer $TOKEN" %s%s -o %s`, sess.Server, path, file)
		req, _ := http.NewRequest(http.MethodGet, sess.Server+path, nil)
		req.Header.Set("Authorization", "Bearer "+sess.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %v\n%s", path, resp.Status, err, body)
		}
		if err := os.WriteFile(file, body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	slot, content, docKey := filepath.Join(work, "slot.age"), filepath.Join(work, "content.age"), filepath.Join(work, "doc.key")
	fetch("/v1/documents/"+doc+"/keyslot", slot)
	fetch("/v1/documents/"+doc+"/content", content)
	stockAge := func(args ...string) []byte {
		t.Helper()
		t.Logf("$ age %s", strings.Join(args, " "))
		var stdout, stderr bytes.Buffer
		c := exec.Command(ai.path, args...)
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Run(); err != nil {
			t.Fatalf("age %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.Bytes()
	}
	key := stockAge("-d", "-i", filepath.Join(keys, w.users["a.karim"].IdentityFile), slot)
	if !bytes.HasPrefix(key, []byte("AGE-SECRET-KEY-")) {
		t.Errorf("the key slot does not hold an age identity (%d bytes)", len(key))
	}
	if err := os.WriteFile(docKey, key, 0o600); err != nil {
		t.Fatal(err)
	}
	if plain := stockAge("-d", "-i", docKey, content); !bytes.Equal(plain, original) {
		t.Fatalf("age -d -i doc.key content.age: %d bytes that differ from the deposited file", len(plain))
	}

	// 8. Ctrl-C (SIGTERM): the demo stops cleanly, exit 0.
	t.Log("step 8: stop the demo")
	stopDemo(t, demo)
	stopped = true
	// The server's log is in the demo's folder (access.log), not on the terminal.
	if b, _ := os.ReadFile(filepath.Join(tmp, "amana-demo", "access.log")); !bytes.Contains(b, []byte("stopped cleanly")) {
		t.Errorf("no clean stop in the demo's log:\n%s", demoErr.String())
	}
	t.Logf("walkthrough took %v, of which %v waiting for TOTP steps", time.Since(began).Round(time.Millisecond), w.slept.Round(time.Millisecond))
}
