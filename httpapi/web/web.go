package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// CSP is the Content-Security-Policy of every response of the interface.
// 'wasm-unsafe-eval' lets the page compile its own WebAssembly module; it
// does not allow eval of JavaScript.
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src blob:; connect-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

//go:embed static
var static embed.FS

type asset struct {
	body, gz []byte
	ctype    string
	etag     string
}

type handler struct{}

// contentTypes lists the kinds of file served, by extension; other files
// under static/ are not served.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8", // classic scripts and ES modules alike
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".wasm": "application/wasm",
}

// The embedded assets, by URL path, loaded (and compressed) once per
// process, at the first request.
var (
	loadOnce sync.Once
	assets   map[string]*asset
)

// Handler serves the interface: the page at / and assets under /ui/ (the
// ES modules of the page under /ui/ and /ui/views/).
func Handler() http.Handler { return handler{} }

func load() {
	assets = map[string]*asset{}
	sub, _ := fs.Sub(static, "static")
	fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ctype, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil // amana-wasm.d.ts and the like: for the type check, not the browser
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a := &asset{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: ctype}
		if len(b) > 1024 {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
			zw.Write(b)
			zw.Close()
			a.gz = buf.Bytes()
		}
		url := "/ui/" + p
		if p == "index.html" {
			url = "/"
		}
		assets[url] = a
		return nil
	})
}

func (handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	loadOnce.Do(load)
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a := assets[r.URL.Path]
	if a == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	// Revalidate every time (the page and module change with the binary),
	// but let the browser keep a copy: the module is large.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", a.etag)
	hd.Set("Content-Type", a.ctype)
	hd.Add("Vary", "Accept-Encoding")
	body := a.body
	if a.gz != nil && acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, q, _ := strings.Cut(strings.ReplaceAll(part, " ", ""), ";")
		if coding == "gzip" && q != "q=0" && q != "q=0.0" && q != "q=0.000" {
			return true
		}
	}
	return false
}
