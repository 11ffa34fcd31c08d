package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/amana-vault/amana/httpapi/web"
)

// The document protocol's vectors (envelope/testdata/vectors, described in
// docs/document-protocol.md), opened in the browser by the WebAssembly
// module the page uses: the same results as the native and js/wasm runs.
func TestVectorsInBrowser(t *testing.T) {
	files, err := filepath.Glob("../../envelope/testdata/vectors/*.json")
	if err != nil || len(files) < 10 {
		t.Fatalf("vectors: %d files, %v", len(files), err)
	}
	type vector struct {
		Identity     string         `json:"identity"`
		Slot         []byte         `json:"slot"`
		Private      []byte         `json:"private"`
		Content      []byte         `json:"content"`
		CipherSHA256 string         `json:"cipher_sha256"`
		Expect       string         `json:"expect"`
		Plaintext    []byte         `json:"plaintext"`
		PrivateMeta  map[string]any `json:"private_meta"`
	}
	vectors := map[string]vector{}
	raw := map[string]json.RawMessage{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v vector
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		vectors[name], raw[name] = v, b
	}
	all, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	ctx := browser(t)
	run(t, ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)))

	// In the page: start the module if the page has not yet, then open each
	// vector as the document page does (loadIdentity, then open).
	js := `(async (vectors) => {
  if (!globalThis.amanaWasm) {
    const go = new Go();
    const r = await WebAssembly.instantiateStreaming(fetch('/ui/amana.wasm'), go.importObject);
    go.run(r.instance);
    for (let i = 0; i < 100 && !globalThis.amanaWasm; i++) await new Promise(res => setTimeout(res, 20));
  }
  const w = globalThis.amanaWasm;
  const bytes = (b64) => b64 ? Uint8Array.from(atob(b64), c => c.charCodeAt(0)) : null;
  const out = {};
  for (const [name, v] of Object.entries(vectors)) {
    const id = w.loadIdentity(new TextEncoder().encode(v.identity));
    if (id.error) { out[name] = {code: 'identity: ' + id.error}; continue; }
    const r = w.open(bytes(v.slot), bytes(v.private), bytes(v.content), v.cipher_sha256, v.manifest);
    if (r.error) { out[name] = {code: r.code, error: r.error}; continue; }
    let s = '';
    for (const c of r.plain) s += String.fromCharCode(c);
    out[name] = {code: 'ok', plaintext: btoa(s), private: r.private};
  }
  w.forget();
  return JSON.stringify(out);
})(` + string(all) + `)`
	got := map[string]struct {
		Code      string `json:"code"`
		Error     string `json:"error"`
		Plaintext string `json:"plaintext"`
		Private   string `json:"private"`
	}{}
	if err := json.Unmarshal([]byte(eval[string](t, ctx, js)), &got); err != nil {
		t.Fatal(err)
	}
	for name, v := range vectors {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: no result from the page", name)
			continue
		}
		if g.Code != v.Expect {
			t.Errorf("%s: browser gave %q (%s), want %q", name, g.Code, g.Error, v.Expect)
			continue
		}
		if v.Expect != "ok" {
			continue
		}
		plain, err := base64.StdEncoding.DecodeString(g.Plaintext)
		if err != nil || !bytes.Equal(plain, v.Plaintext) {
			t.Errorf("%s: browser plaintext differs (%v)", name, err)
		}
		var priv map[string]any
		if err := json.Unmarshal([]byte(g.Private), &priv); err != nil || !reflect.DeepEqual(normaliseJSON(t, priv), normaliseJSON(t, v.PrivateMeta)) {
			t.Errorf("%s: browser private metadata %s, want %v (%v)", name, g.Private, v.PrivateMeta, err)
		}
	}
	t.Logf("%d vectors opened in chromium", len(got))
}

func normaliseJSON(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(out)
}
