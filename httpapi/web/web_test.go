package web

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// jsFiles lists the page's scripts: wasm_exec.js and the ES modules, by
// path under static/.
func jsFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := fs.WalkDir(os.DirFS("static"), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") {
			out = append(out, p)
		}
		return err
	})
	if err != nil || len(out) < 10 {
		t.Fatalf("static: %d scripts, %v", len(out), err)
	}
	return out
}

func TestServesAssetsUnderStrictCSP(t *testing.T) {
	h := Handler()
	cases := []struct{ path, ctype string }{
		{"/", "text/html; charset=utf-8"},
		{"/ui/style.css", "text/css; charset=utf-8"},
		{"/ui/messages.json", "application/json"},
		{"/ui/amana.wasm", "application/wasm"},
	}
	// Every module, or the page breaks: browsers run a module only with a
	// JavaScript content type.
	for _, p := range jsFiles(t) {
		cases = append(cases, struct{ path, ctype string }{"/ui/" + p, "text/javascript; charset=utf-8"})
	}
	for _, c := range cases {
		resp := get(t, h, c.path, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s: %d %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("Content-Security-Policy") != CSP || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", c.path, resp.Header)
		}
	}
	for _, p := range []string{"/ui/", "/ui/../web.go", "/ui/nope.js", "/index.html", "/ui/index.html", "/ui/views/", "/ui/amana-wasm.d.ts"} {
		if resp := get(t, h, p, nil); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	for _, directive := range []string{"default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "frame-ancestors 'none'", "form-action 'none'"} {
		if !strings.Contains(CSP, directive) {
			t.Errorf("CSP lacks %q", directive)
		}
	}
	if strings.Contains(CSP, "unsafe-inline") || strings.Contains(CSP, "http") {
		t.Error("CSP allows inline code or another origin")
	}
}

func TestGzipAndRevalidation(t *testing.T) {
	h := Handler()
	resp := get(t, h, "/ui/amana.wasm", map[string]string{"Accept-Encoding": "gzip, br"})
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatal("wasm not compressed")
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	want, _ := os.ReadFile("static/amana.wasm")
	if string(b) != string(want) {
		t.Error("gzip body differs from the module")
	}
	if r := get(t, h, "/ui/amana.wasm", map[string]string{"Accept-Encoding": "gzip;q=0"}); r.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent though refused")
	}
	etag := resp.Header.Get("ETag")
	if r := get(t, h, "/ui/amana.wasm", map[string]string{"If-None-Match": etag}); r.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d", r.StatusCode)
	}
}

// The page has no inline script or style, which the CSP would block.
func TestNoInlineCode(t *testing.T) {
	b, _ := os.ReadFile("static/index.html")
	html := string(b)
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>`).MatchString(html) || strings.Contains(html, "<style") ||
		regexp.MustCompile(`\son\w+=`).MatchString(html) || strings.Contains(html, "style=") {
		t.Error("index.html has inline script, style or event handler")
	}
	for _, p := range jsFiles(t) {
		if p == "wasm_exec.js" {
			continue // Go's loader, as the toolchain ships it
		}
		js, err := os.ReadFile(filepath.Join("static", p))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function", "sessionStorage", "indexedDB", "document.write"} {
			if strings.Contains(string(js), bad) {
				t.Errorf("%s uses %s", p, bad)
			}
		}
	}
}

// importRE finds the static imports of a module: import … from '…'.
var importRE = regexp.MustCompile(`(?m)^import\s[^;]*?\sfrom\s'([^']+)';$`)

// The page's modules: each small, and every import names a module that is
// served, by a relative path (no bundler, no import map).
func TestModules(t *testing.T) {
	h := Handler()
	imported := map[string]bool{"app.js": true} // index.html loads the entry module
	for _, p := range jsFiles(t) {
		if p == "wasm_exec.js" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("static", p))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "\n"); n > 400 {
			t.Errorf("%s has %d lines: split it (400 at most)", p, n)
		}
		if !strings.Contains(string(b), "@type") && !strings.Contains(string(b), "@param") {
			t.Errorf("%s has no JSDoc types", p)
		}
		for _, m := range importRE.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasPrefix(m[1], "./") && !strings.HasPrefix(m[1], "../") {
				t.Errorf("%s imports %q: not a relative path", p, m[1])
				continue
			}
			target := path.Join(path.Dir(p), m[1])
			imported[target] = true
			resp := get(t, h, "/ui/"+target, nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
				t.Errorf("%s imports %s: %d %q", p, m[1], resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
	}
	for _, p := range jsFiles(t) {
		if p != "wasm_exec.js" && !imported[p] {
			t.Errorf("%s is imported by no module", p)
		}
	}
	html, _ := os.ReadFile("static/index.html")
	for _, want := range []string{`<script src="/ui/wasm_exec.js"></script>`, `<script type="module" src="/ui/app.js"></script>`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
}

// amana-wasm.d.ts types every function the module sets on
// globalThis.amanaWasm, and no other: the page's calls are checked against it.
func TestWasmAPITyped(t *testing.T) {
	files, err := filepath.Glob("../../cmd/amana-wasm/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("cmd/amana-wasm: %v", err)
	}
	var goSrc []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		goSrc = append(goSrc, b...)
	}
	dts, err := os.ReadFile("static/amana-wasm.d.ts")
	if err != nil {
		t.Fatal(err)
	}
	exposed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(?:"(\w+)":|api\["(\w+)"\]\s*=)\s*fn\(`).FindAllStringSubmatch(string(goSrc), -1) {
		exposed[m[1]+m[2]] = true
	}
	_, api, ok := strings.Cut(string(dts), "\ninterface AmanaWasm {\n")
	api, _, _ = strings.Cut(api, "\n}\n")
	typed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  (\w+)\(`).FindAllStringSubmatch(api, -1) {
		typed[m[1]] = true
	}
	if !ok || len(exposed) < 5 {
		t.Fatalf("found %d functions in main.go, interface AmanaWasm: %v", len(exposed), ok)
	}
	for f := range exposed {
		if !typed[f] {
			t.Errorf("cmd/amana-wasm exposes %s, which amana-wasm.d.ts does not type", f)
		}
	}
	for f := range typed {
		if !exposed[f] {
			t.Errorf("amana-wasm.d.ts types %s, which cmd/amana-wasm does not expose", f)
		}
	}
}

// The WebAssembly module stays within its budget: the page downloads it
// before anyone can log in.
//
// It was 8,000,000 bytes until the court bundle's export (cmd/amana-wasm
// export.go, package bundle/layout and a stored-zip writer) added about
// 89 KB: 7,994,734 bytes before it, 8,084,090 after. Linking package bundle
// itself would have added 282 KB, most of it archive/zip's Deflate
// compressor and decompressor, which its init registers. The largest
// parts left are x/crypto/ssh's RSA, ECDSA and P-384/P-521 code and
// regexp's Unicode tables, which signing keys and redaction need. The
// audit page's check of witnesses' cosignatures (auditlog.OpenCosigned)
// added 17 KB more: 8,101,379 bytes.
func TestWasmSize(t *testing.T) {
	const budget = 8_150_000
	fi, err := os.Stat("static/amana.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > budget {
		t.Errorf("static/amana.wasm is %d bytes, over the budget of %d: see what grew with go tool nm or a name section", fi.Size(), budget)
	}
}

// pluralForm matches the keys of a counted message's forms.
var pluralForm = regexp.MustCompile(`\.(zero|one|two|few|many|other)$`)

// Every message the page uses exists in English, Arabic and Sorani.
func TestMessageCatalogueComplete(t *testing.T) {
	var cat map[string]map[string]string
	b, err := os.ReadFile("static/messages.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cat); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, p := range jsFiles(t) {
		js, _ := os.ReadFile(filepath.Join("static", p))
		for _, m := range regexp.MustCompile(`\bt\('([a-z_.]+[a-z_])'`).FindAllStringSubmatch(string(js), -1) {
			keys[m[1]] = true
		}
	}
	// Counted messages (tn) have a form per plural category of each
	// language; every language has at least "other".
	for _, p := range jsFiles(t) {
		js, _ := os.ReadFile(filepath.Join("static", p))
		for _, m := range regexp.MustCompile(`\btn\('([a-z_.]+[a-z_])'`).FindAllStringSubmatch(string(js), -1) {
			keys[m[1]+".other"] = true
		}
	}
	if len(keys) < 100 {
		t.Fatalf("only %d message keys found in the modules", len(keys))
	}
	html, _ := os.ReadFile("static/index.html")
	for _, m := range regexp.MustCompile(`data-i18n="([^"]+)"`).FindAllStringSubmatch(string(html), -1) {
		keys[m[1]] = true
	}
	families := map[string][]string{
		"nav": {"search", "deposit", "audit", "stats"}, "role": {"admin", "researcher", "lawyer", "auditor"},
		"doclang": {"ar", "ckb", "kmr", "en"}, "kind": {"testimony", "interview", "case_study", "report", "media"},
		"scope": {"research", "advocacy", "legal_proceedings", "public_anonymised"}, "outcome": {"ok", "denied", "not_found", "invalid", "error"},
		"pii": {"email", "phone", "national_id", "gps", "person", "name"}, "pii.reason": {"listed", "given_name", "title"}, "facet": {"collection", "kind", "language", "governorate", "tags", "year"},
		"gov": {"Anbar", "Babil", "Baghdad", "Basra", "Dhi Qar", "Diyala", "Duhok", "Erbil", "Halabja", "Karbala", "Kirkuk", "Maysan",
			"Muthanna", "Najaf", "Nineveh", "Qadisiyyah", "Salah al-Din", "Sulaymaniyah", "Wasit"},
		"state":  {"active", "disabled", "locked", "shredded"},
		"action": {"auth.login", "auth.logout", "document.read", "document.deposit", "document.grant", "document.revoke", "document.shred", "user.create", "vault.backup"},
		"month":  {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"},
	}
	for f, vs := range families {
		for _, v := range vs {
			keys[f+"."+v] = true
		}
	}
	for _, lang := range []string{"en", "ar", "ckb"} {
		for k := range keys {
			if cat[lang][k] == "" {
				t.Errorf("%s: no message %q", lang, k)
			}
		}
		// The same messages in every language, but for the plural forms
		// English has no use for.
		for k := range cat["en"] {
			if cat[lang][k] == "" {
				t.Errorf("%s: no message %q (English has one)", lang, k)
			}
		}
		for k := range cat[lang] {
			if cat["en"][k] == "" && !pluralForm.MatchString(k) {
				t.Errorf("%s: message %q that English does not have", lang, k)
			}
		}
	}
	// Translations are translations: Arabic and Sorani messages use their script.
	arabic := regexp.MustCompile(`\p{Arabic}`)
	for k, v := range cat["ar"] {
		if !arabic.MatchString(v) && !strings.Contains(v, "{") && k != "who" {
			t.Errorf("ar %q not translated: %q", k, v)
		}
	}
}
