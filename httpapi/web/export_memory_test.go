package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/amana-vault/amana/bundle"
)

// TestBrowserExportBundleMemory exports a document of 24 MiB that does not
// compress, checks the saved bundle with bundle.Verify, and bounds what
// the export adds to the renderer's peak resident memory. The bundle is
// made in memory: the ciphertext and plaintext in the module, the page's
// ciphertext (also the zip's content.age part), its copy of the plaintext
// and the Blob of the zip. That measured 7.4 to 7.6 times the document;
// one copy of it more fails.
func TestBrowserExportBundleMemory(t *testing.T) {
	const size = 24 << 20
	e := newEnv(t)
	ctx := browserFor(t, 4*time.Minute)
	dep := e.login("r.ahmed")
	verifier, err := dep.Verifier(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	content := make([]byte, size)
	for i := range content {
		content[i] = byte(i*7919>>3) ^ byte(i>>13) // fixed, and compresses poorly
	}
	h := sha256.New()
	h.Write(content)
	sum := hex.EncodeToString(h.Sum(nil))
	doc := depositStatement(t, dep, "media", "A long recording", "recording.bin", "application/octet-stream", content)
	saved := downloads(t, ctx)

	e.browserLogin(t, ctx, "r.ahmed")
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
		chromedp.WaitVisible(chromedp.CSS(`#export-bundle`)))
	// The module loaded and the page drawn, before the export.
	eval[bool](t, ctx, `import('/ui/wasm.js').then(m => m.loadWasm()).then(() => true)`)
	before := rendererPeak(t, ctx)
	run(t, ctx, chromedp.Click(chromedp.CSS(`#export-bundle`)), chromedp.WaitVisible(chromedp.CSS(`#bundle-download`)))
	after := rendererPeak(t, ctx)
	run(t, ctx, chromedp.Click(chromedp.CSS(`#bundle-download`)))
	name := saved("bundle-" + doc + ".zip")
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	rep, err := bundle.Verify(f, st.Size(), verifier)
	if err != nil {
		t.Fatalf("the page's bundle does not verify: %v", err)
	}
	if rep.Manifest.PlainSHA256 != sum || rep.Manifest.PlainSize != size {
		t.Errorf("manifest %+v", rep.Manifest)
	}
	added := after - before
	t.Logf("a %d MiB document: bundle %d MiB; renderer peak %d MiB before the export, %d MiB after (+%d MiB, %.1f× the document)",
		size>>20, st.Size()>>20, before>>20, after>>20, added>>20, float64(added)/size)
	if added > 17*size/2 {
		t.Errorf("the export added %d MiB to the renderer's peak, more than 8.5 times the document", added>>20)
	}
}
