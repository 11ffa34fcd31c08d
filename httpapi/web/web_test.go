package web

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
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

func TestServesAssetsUnderStrictCSP(t *testing.T) {
	h := Handler()
	for _, c := range []struct{ path, ctype string }{
		{"/", "text/html; charset=utf-8"},
		{"/ui/app.js", "text/javascript; charset=utf-8"},
		{"/ui/wasm_exec.js", "text/javascript; charset=utf-8"},
		{"/ui/style.css", "text/css; charset=utf-8"},
		{"/ui/messages.json", "application/json"},
		{"/ui/amana.wasm", "application/wasm"},
	} {
		resp := get(t, h, c.path, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s: %d %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("Content-Security-Policy") != CSP || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", c.path, resp.Header)
		}
	}
	for _, p := range []string{"/ui/", "/ui/../web.go", "/ui/nope.js", "/index.html", "/ui/index.html"} {
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
	js, _ := os.ReadFile("static/app.js")
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function", "sessionStorage", "indexedDB", "document.write"} {
		if strings.Contains(string(js), bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}

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
	js, _ := os.ReadFile("static/app.js")
	for _, m := range regexp.MustCompile(`\bt\('([a-z_.]+[a-z_])'`).FindAllStringSubmatch(string(js), -1) {
		keys[m[1]] = true
	}
	html, _ := os.ReadFile("static/index.html")
	for _, m := range regexp.MustCompile(`data-i18n="([^"]+)"`).FindAllStringSubmatch(string(html), -1) {
		keys[m[1]] = true
	}
	families := map[string][]string{
		"nav": {"search", "deposit", "audit", "stats"}, "role": {"admin", "researcher", "lawyer", "auditor"},
		"doclang": {"ar", "ckb", "kmr", "en"}, "kind": {"testimony", "interview", "case_study", "report", "media"},
		"scope": {"research", "advocacy", "legal_proceedings", "public_anonymised"}, "outcome": {"ok", "denied", "not_found", "invalid", "error"},
		"pii": {"email", "phone", "national_id", "gps", "person"}, "facet": {"collection", "kind", "language", "governorate", "tags", "year"},
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
		if len(cat[lang]) != len(cat["en"]) {
			t.Errorf("%s has %d messages, en %d", lang, len(cat[lang]), len(cat["en"]))
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
