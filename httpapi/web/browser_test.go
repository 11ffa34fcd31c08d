package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// artifacts is where screenshots go: $AMANA_ARTIFACTS, or artifacts/ at
// the top of the repository (which git ignores).
func artifacts(t *testing.T) string {
	dir := os.Getenv("AMANA_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser starts a headless Debian chromium with a fresh profile and
// returns a tab's context, which ends after 90 seconds.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserFor(t, 90*time.Second)
}

// browserFor is browser with a tab that lives at most d.
func browserFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test skipped: %s not found (install Debian's chromium and chromium-driver, as .ci/web.sh does)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	tctx, cancelT := context.WithTimeout(ctx, d)
	t.Cleanup(cancelT)
	return tctx
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		if page, err2 := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.getElementById('main').innerText + ' | ' + document.getElementById('status').innerText`)); err2 == nil {
			t.Logf("page: %.600s", page)
		}
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(sel)))
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return out
}

func setLang(t *testing.T, ctx context.Context, lang string) {
	t.Helper()
	eval[bool](t, ctx, fmt.Sprintf(`(()=>{const s=document.getElementById('lang'); s.value=%q; s.dispatchEvent(new Event('change')); return true})()`, lang))
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	run(t, ctx, chromedp.Sleep(150*time.Millisecond))
	// The viewport, not FullScreenshot: a full-page capture clips right-to-left
	// pages from the wrong edge.
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifacts(t), name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// browserLogin logs user in through the page: user id, identity file,
// signing key file, TOTP code.
func (e *env) browserLogin(t *testing.T, ctx context.Context, user string) {
	t.Helper()
	e.browserLoginWith(t, ctx, user, e.users[user].SigningKeyFile)
}

// browserLoginWith logs user in with signingKeyFile, or without a signing
// key if it is "".
func (e *env) browserLoginWith(t *testing.T, ctx context.Context, user, signingKeyFile string) {
	t.Helper()
	actions := []chromedp.Action[chromedp.Void]{
		// A new query string makes this a full page load, not a fragment change.
		chromedp.Navigate(fmt.Sprintf("%s/?login=%d#/login", e.url, time.Now().UnixNano())),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #login-form`)),
		chromedp.SendKeys(chromedp.CSS(`#login-user`), user),
		chromedp.SetUploadFiles(chromedp.CSS(`#login-identity`), []string{e.users[user].IdentityFile}),
	}
	if signingKeyFile != "" {
		actions = append(actions, chromedp.SetUploadFiles(chromedp.CSS(`#login-signing-key`), []string{signingKeyFile}))
	}
	run(t, ctx, append(actions,
		chromedp.SendKeys(chromedp.CSS(`#login-totp`), e.code(user)),
		chromedp.Click(chromedp.CSS(`#login-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#logout`)),
	)...)
}

func TestBrowserLoginEachRole(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	home := map[string]string{"admin": "search", "researcher": "search", "lawyer": "search", "auditor": "audit"}
	for _, id := range []string{"l.custodian", "r.ahmed", "r.hassan", "a.karim", "a.salih", "auditor"} {
		e.browserLogin(t, ctx, id)
		want := home[e.users[id].Role]
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`main[data-view=%q]`, want))))
		if who := text(t, ctx, "#who"); !strings.Contains(who, id) {
			t.Errorf("%s: header says %q", id, who)
		}
		// Nothing but the language, the audit witness and pinned public keys is stored.
		keys := eval[[]string](t, ctx, `Object.keys(localStorage).filter(k => k !== 'amana.lang' && k !== 'amana.keys' && !k.startsWith('amana.witness.'))`)
		if n := eval[int](t, ctx, `sessionStorage.length`); len(keys) > 0 || n > 0 {
			t.Errorf("%s: storage holds %v, session storage %d items", id, keys, n)
		}
		run(t, ctx, chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`#login-form`)))
		// Logout cleared the identity and the signing key from WebAssembly memory.
		if msg := eval[string](t, ctx, `amanaWasm.answerChallenge('x').error`); !strings.Contains(msg, "no identity") {
			t.Errorf("%s: after logout the module still holds an identity: %q", id, msg)
		}
		if code := eval[string](t, ctx, sealProbe); code != "no_signing_key" {
			t.Errorf("%s: after logout the module still holds a signing key: %q", id, code)
		}
	}
	// A wrong code is refused with a message, and nothing is kept.
	run(t, ctx,
		chromedp.Evaluate[chromedp.Void](`location.hash='#/login'`),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #login-form`)),
		chromedp.SendKeys(chromedp.CSS(`#login-user`), "a.karim"),
		chromedp.SetUploadFiles(chromedp.CSS(`#login-identity`), []string{e.users["a.karim"].IdentityFile}),
		chromedp.SetUploadFiles(chromedp.CSS(`#login-signing-key`), []string{e.users["a.karim"].SigningKeyFile}),
		chromedp.SendKeys(chromedp.CSS(`#login-totp`), "000000"),
		chromedp.Click(chromedp.CSS(`#login-submit`)))
	run(t, ctx, chromedp.Poll[chromedp.Void](`document.getElementById('login-error').textContent.length > 0`))
	if msg := eval[string](t, ctx, `amanaWasm.answerChallenge('x').error`); !strings.Contains(msg, "no identity") {
		t.Errorf("after a refused login the module still holds an identity: %q", msg)
	}
	if code := eval[string](t, ctx, sealProbe); code != "no_signing_key" {
		t.Errorf("after a refused login the module still holds a signing key: %q", code)
	}
}

// sealProbe asks the module to sign a deposit: its error code, or "" if it
// signed.
const sealProbe = `(amanaWasm.sealStart(JSON.stringify({recipients: {}, private: {}, collection: 'c', kind: 'testimony', depositor: 'x', consent_scopes: ['research'], public: {title: 't'}}), 1).code || '')`

func TestBrowserSearchArabicRTL(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	e.browserLogin(t, ctx, "a.karim")
	run(t, ctx,
		chromedp.WaitVisible(chromedp.CSS(`#search-form`)),
		chromedp.SendKeys(chromedp.CSS(`#q`), "الاحتجاز"),
		chromedp.Click(chromedp.CSS(`#search-form button`)),
		chromedp.Poll[chromedp.Void](`!!document.getElementById('results').dataset.q`),
		chromedp.WaitVisible(chromedp.CSS(`.hit[data-id]`)))
	hit := eval[map[string]any](t, ctx, `(()=>{const h=document.querySelector('.hit'); return {dir:h.dir, lang:h.lang, id:h.dataset.id, marks:h.querySelectorAll('mark').length, cs:getComputedStyle(h).direction}})()`)
	if hit["dir"] != "rtl" || hit["lang"] != "ar" || hit["cs"] != "rtl" || hit["id"] != e.docs["granted"].ID {
		t.Errorf("Arabic hit rendered as %v", hit)
	}
	// Facets filter: the Kirkuk governorate facet narrows to Kirkuk documents.
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`input[data-facet=language][value=ar]`)))
	for _, lang := range []string{"ar", "ckb", "en"} {
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`.hit`)))
		if d := eval[string](t, ctx, `document.documentElement.dir`); (lang == "en") != (d == "ltr") {
			t.Errorf("%s: page dir %s", lang, d)
		}
		screenshot(t, ctx, "search-"+lang)
	}
}

func TestBrowserOpenGrantedAndRefused(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	e.browserLogin(t, ctx, "a.karim")
	run(t, ctx, chromedp.Evaluate[chromedp.Void]("location.hash='#/doc/"+e.docs["granted"].ID+"'"), chromedp.WaitVisible(chromedp.CSS(`#open`)), chromedp.Click(chromedp.CSS(`#open`)),
		chromedp.WaitVisible(chromedp.CSS(`#verified`)))
	// The CSP (connect-src 'self') keeps even the page from fetching its own
	// blob: URL, so the bytes are read back from the preview: the content is
	// valid UTF-8, so its text is the same bytes.
	if b := []byte(eval[string](t, ctx, `document.getElementById('plaintext').textContent`)); !bytes.Equal(b, grantedContent) {
		t.Errorf("decrypted bytes differ from the original:\n%q\n%q", b, grantedContent)
	}
	if s := text(t, ctx, "#private"); !strings.Contains(s, "NOTES-CANARY") {
		t.Errorf("private metadata not shown: %q", s)
	}
	for _, lang := range []string{"en", "ar", "ckb"} {
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#custody table`)))
		screenshot(t, ctx, "document-"+lang)
	}
	// Same collection, no key slot: the page says so and the server refuses.
	run(t, ctx, chromedp.Evaluate[chromedp.Void]("location.hash='#/doc/"+e.docs["ungranted"].ID+"'"), chromedp.WaitVisible(chromedp.CSS(`#no-slot`)),
		chromedp.Click(chromedp.CSS(`#open`)), chromedp.WaitVisible(chromedp.CSS(`#open-error`)))
	if s := text(t, ctx, "#opened"); strings.Contains(s, "CANARY") {
		t.Error("ungranted content shown")
	}
	// Another collection: not even the metadata.
	run(t, ctx, chromedp.Evaluate[chromedp.Void]("location.hash='#/doc/"+e.docs["sorani"].ID+"'"), chromedp.WaitVisible(chromedp.CSS(`#doc-refused`)))
}

// TestBrowserDepositAndOpenLeakNothing deposits a file through the page,
// opens it again, and checks every request the browser made, as the
// browser sent it (network events) and as the server received it.
func TestBrowserDepositAndOpenLeakNothing(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	type sent struct{ url, body string }
	var fromBrowser []sent
	var pending []network.RequestID
	var mu sync.Mutex
	listen := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		if r, ok := ev.(*network.EventRequestWillBeSent); ok {
			body := ""
			for _, en := range r.Request.PostDataEntries {
				body += string(en.Bytes)
			}
			fromBrowser = append(fromBrowser, sent{r.Request.URL + " " + fmt.Sprint(r.Request.Headers), body})
			if r.Request.HasPostData {
				pending = append(pending, r.RequestID)
			}
		}
	}
	run(t, ctx)
	if err := chromedp.Listen(ctx, listen); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	before := len(e.requests())

	const (
		plain  = "PLAINTEXT-CANARY-deposit: full testimony text, not for the server"
		phone  = "+964 770 123 4567"
		person = "Layla Hassan"
		notes  = "NOTES-CANARY-deposit: private address of the family"
	)
	file := filepath.Join(t.TempDir(), "testimony.txt")
	os.WriteFile(file, []byte(plain), 0o600)
	e.browserLogin(t, ctx, "r.ahmed")
	run(t, ctx,
		chromedp.Evaluate[chromedp.Void](`location.hash='#/deposit'`),
		chromedp.WaitVisible(chromedp.CSS(`#deposit-form`)),
		chromedp.WaitReady(chromedp.CSS(`#collection option[value="anbar-2018"]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{file}),
		chromedp.SendKeys(chromedp.CSS(`#title`), "Testimony, call "+phone),
	)
	// No collection is chosen for the depositor: the form asks for one.
	if v := eval[string](t, ctx, `document.getElementById('collection').value`); v != "" {
		t.Errorf("the collection defaults to %q", v)
	}
	if eval[bool](t, ctx, `document.getElementById('deposit-form').checkValidity()`) {
		t.Error("the form is valid without a collection")
	}
	run(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#collection`), "anbar-2018"),
		chromedp.SendKeys(chromedp.CSS(`#summary`), person+" describes the checkpoint; Dr Karim Salih and Bushra were present"),
		chromedp.SendKeys(chromedp.CSS(`#transcript`), "Q: Who was there? A: "+person+", reachable on "+phone),
		chromedp.SendKeys(chromedp.CSS(`#persons`), person),
		chromedp.SendKeys(chromedp.CSS(`#notes`), notes),
		chromedp.SendKeys(chromedp.CSS(`#tags`), "checkpoint"),
		chromedp.WaitVisible(chromedp.CSS(`#preview-transcript`)),
	)
	run(t, ctx, chromedp.Poll[chromedp.Void](`document.getElementById('preview-transcript').textContent.includes('[PERSON-1]')`))
	preview := text(t, ctx, "#redaction-preview")
	if strings.Contains(preview, "770") || strings.Contains(preview, "Layla") || !strings.Contains(text(t, ctx, "#removed"), "×") {
		t.Errorf("redaction preview kept personal data: %q", preview)
	}
	if !strings.Contains(text(t, ctx, "#preview-title"), "Testimony") {
		t.Error("preview lost the title")
	}
	// Names nobody listed are replaced, listed with their reason, and one
	// can be kept: the preview then publishes it.
	if strings.Contains(preview, "Bushra") || strings.Contains(preview, "Karim") {
		t.Errorf("preview kept a name nobody listed: %q", preview)
	}
	if f := text(t, ctx, "#findings-list"); !strings.Contains(f, "Karim Salih") || !strings.Contains(f, "after a title or kinship word") || !strings.Contains(f, "common given name") {
		t.Errorf("findings %q", f)
	}
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#findings-list li')].find(li => li.textContent.includes('Karim Salih')).querySelector('input.keep').click()`),
		chromedp.Poll[chromedp.Void](`document.getElementById('preview-summary').textContent.includes('Dr Karim Salih')`))
	if s := text(t, ctx, "#preview-summary"); strings.Contains(s, "Bushra") || !strings.Contains(s, "[NAME-") {
		t.Errorf("summary after keeping one name: %q", s)
	}
	screenshot(t, ctx, "deposit-preview-en")
	run(t, ctx, chromedp.Click(chromedp.CSS(`#deposit-submit`)), chromedp.WaitVisible(chromedp.CSS(`#deposited-link`)))
	if v := eval[float64](t, ctx, `document.getElementById('progress').value`); v != 100 {
		t.Errorf("progress at %v", v)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`#deposited-link`)), chromedp.WaitVisible(chromedp.CSS(`#open`)),
		chromedp.Click(chromedp.CSS(`#open`)), chromedp.WaitVisible(chromedp.CSS(`#verified`)))
	if s := text(t, ctx, "#plaintext"); s != plain {
		t.Errorf("opened %q", s)
	}
	if s := text(t, ctx, "#doc-title"); strings.Contains(s, "770") {
		t.Errorf("stored title %q", s)
	}
	mu.Lock()
	ids := append([]network.RequestID(nil), pending...)
	mu.Unlock()
	for _, id := range ids {
		if r, err := chromedp.Call(ctx, network.GetRequestPostData, network.GetRequestPostDataParams{RequestID: id}); err == nil {
			b := r.PostData
			if r.Base64encoded {
				b, _ = base64.StdEncoding.DecodeString(string(b))
			}
			mu.Lock()
			fromBrowser = append(fromBrowser, sent{"post data", string(b)})
			mu.Unlock()
		}
	}
	mu.Lock()
	defer mu.Unlock()

	secretKeys := []string{"AGE-SECRET-KEY-"}
	if k, err := os.ReadFile(e.users["r.ahmed"].IdentityFile); err == nil {
		for _, line := range strings.Split(string(k), "\n") {
			if strings.HasPrefix(line, "AGE-SECRET-KEY") {
				secretKeys = append(secretKeys, line, strings.ToLower(line))
			}
		}
	}
	// Nor the signing key: the lines of its private key file.
	if k, err := os.ReadFile(e.users["r.ahmed"].SigningKeyFile); err == nil {
		for _, line := range strings.Split(string(k), "\n") {
			if len(line) > 20 && !strings.HasPrefix(line, "-----") {
				secretKeys = append(secretKeys, line)
			}
		}
	} else {
		t.Fatal(err)
	}
	needles := append([]string{"PLAINTEXT-CANARY", "NOTES-CANARY", "Layla", "770 123", "7701234567", "770%20123", "notes", "persons", "Bushra", "redaction_kept"}, secretKeys...)
	check := func(where, s string) {
		for _, n := range needles {
			if strings.Contains(s, n) {
				t.Errorf("%s carries %q", where, n)
			}
		}
	}
	server := e.requests()[before:]
	if len(server) < 10 || len(fromBrowser) < 10 {
		t.Fatalf("recorded only %d (server) and %d (browser) requests", len(server), len(fromBrowser))
	}
	sawDeposit, sawContent := false, false
	for _, r := range server {
		check(r.Method+" "+r.URL, r.URL+fmt.Sprint(r.Header)+string(r.Body))
		if r.Method == "PATCH" && strings.HasPrefix(r.URL, "/v1/uploads/") && bytes.HasPrefix(r.Body, []byte("age-encryption.org/v1\n")) {
			sawContent = true
		}
		if r.Method == "POST" && r.URL == "/v1/documents" {
			sawDeposit = true
			if !bytes.Contains(r.Body, []byte(`"upload":"`)) || bytes.Contains(r.Body, []byte(`name="content"`)) {
				t.Error("the deposit does not name its upload, or carries content")
			}
			if !bytes.Contains(r.Body, []byte(`"manifest_sig":"-----BEGIN SSH SIGNATURE-----`)) || !bytes.Contains(r.Body, []byte(`{\"format\":\"amana-deposit/1\"`)) {
				t.Error("the deposit carries no signed manifest")
			}
		}
	}
	for _, r := range fromBrowser {
		check("browser "+r.url, r.url+r.body)
	}
	if !sawDeposit || !sawContent {
		t.Errorf("no deposit (%v) or no upload of an age file (%v) recorded", sawDeposit, sawContent)
	}
	t.Logf("checked %d requests as the server received them and %d as the browser sent them", len(server), len(fromBrowser))
}

func TestBrowserAuditVerifies(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	e.browserLogin(t, ctx, "auditor")
	verify := func() (bool, string) {
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#verify-btn`)),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('verify').replaceChildren()`),
			chromedp.Click(chromedp.CSS(`#verify-btn`)), chromedp.WaitVisible(chromedp.CSS(`#verify-result`)))
		return eval[string](t, ctx, `document.getElementById('verify-result').dataset.ok`) == "true", text(t, ctx, "#verify-result")
	}
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#audit-chart`)))
	if ok, msg := verify(); !ok || !strings.Contains(msg, "first checkpoint") {
		t.Fatalf("first verification: %v %q", ok, msg)
	}
	e.login("a.karim").Logout(context.Background()) // the log grows
	if ok, msg := verify(); !ok || !strings.Contains(msg, "extends the log") {
		t.Fatalf("second verification: %v %q", ok, msg)
	}
	// Filters narrow the list.
	run(t, ctx, chromedp.SendKeys(chromedp.CSS(`#filter-actor`), "a.karim"))
	run(t, ctx, chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#events tbody tr td:nth-child(3)')].every(td => td.textContent === 'a.karim')`))
	for _, lang := range []string{"en", "ar", "ckb"} {
		setLang(t, ctx, lang)
		verify()
		screenshot(t, ctx, "audit-"+lang)
	}
	// A witness the log does not extend: the page says so plainly.
	eval[bool](t, ctx, `(()=>{const k=Object.keys(localStorage).find(k=>k.startsWith('amana.witness.')); const lines=localStorage.getItem(k).split('\n'); lines[1]=String(Number(lines[1])+1000); localStorage.setItem(k, lines.join('\n')); return true})()`)
	setLang(t, ctx, "en")
	if ok, msg := verify(); ok || !strings.Contains(msg, "DOES NOT VERIFY") {
		t.Errorf("tampered witness: %v %q", ok, msg)
	}
}

// TestBrowserScreenshots renders every page in every language, as a
// custodian (search, document, statistics, audit) and a researcher
// (deposit), for a person to look at.
func TestBrowserScreenshots(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	run(t, ctx, chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #login-form`)))
	for _, lang := range []string{"en", "ar", "ckb"} {
		setLang(t, ctx, lang)
		screenshot(t, ctx, "login-"+lang)
	}
	e.browserLogin(t, ctx, "l.custodian")
	pages := []struct{ hash, ready string }{
		{"#/search", ".hit"}, {"#/doc/" + e.docs["granted"].ID, "#custody table"}, {"#/stats", "#stats-table"}, {"#/audit", "#audit-chart"},
	}
	for _, p := range pages {
		run(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash=%q`, p.hash)))
		for _, lang := range []string{"en", "ar", "ckb"} {
			setLang(t, ctx, lang)
			run(t, ctx, chromedp.WaitVisible(chromedp.CSS(p.ready)))
			name := strings.SplitN(strings.TrimPrefix(p.hash, "#/"), "/", 2)[0]
			screenshot(t, ctx, "custodian-"+name+"-"+lang)
		}
	}
	// Statistics: a suppressed cell is shown in the page's language.
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/stats'`), chromedp.WaitVisible(chromedp.CSS(`#stats-table`)))
	for _, c := range []struct{ lang, word string }{{"ar", "محجوب"}, {"ckb", "شاراوە"}, {"en", "suppressed"}} {
		lang, word := c.lang, c.word
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#stats-table`)))
		if s := text(t, ctx, "#stats-table"); !strings.Contains(s, word) {
			t.Errorf("%s: stats table without a suppressed cell shown as %q: %q", lang, word, s)
		}
	}
	e.browserLogin(t, ctx, "r.ahmed")
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/deposit'`))
	for _, lang := range []string{"en", "ar", "ckb"} {
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#deposit-form`)))
		screenshot(t, ctx, "deposit-"+lang)
	}
	t.Logf("screenshots in %s", artifacts(t))
}
