package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/amana-vault/amana/bundle"
)

// TestBrowserExportBundle: in each language, the depositor makes the court
// bundle on the document page and saves it; the saved file passes
// bundle.Verify (what 'amana verify-bundle --verifier KEY' runs) with the
// vault's verifier key and holds the exact content, and the same file with
// one byte of its content changed fails. No request carries the
// plaintext. A member without a slot is offered no export, and a
// document over the page's limit is sent to the command line.
func TestBrowserExportBundle(t *testing.T) {
	e := newEnv(t)
	ctx := browserFor(t, 4*time.Minute)
	dep := e.login("r.ahmed")
	verifier, err := dep.Verifier(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	saved := downloads(t, ctx)
	for _, lang := range langs {
		content := []byte("Fictional statement for a court bundle, " + lang + " — BUNDLE-CANARY-" + lang + "\n")
		doc := depositStatement(t, dep, "testimony", "Statement for the court", "شهادة "+lang+".txt", "text/plain", content)

		// A member without a slot is offered no export.
		e.browserLogin(t, ctx, "a.karim")
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
			chromedp.WaitVisible(chromedp.CSS(`#no-slot`)))
		if n := eval[int](t, ctx, `document.querySelectorAll('#export, #export-bundle').length`); n != 0 {
			t.Errorf("%s: a member without a slot is offered the export", lang)
		}

		e.browserLogin(t, ctx, "r.ahmed")
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
			chromedp.WaitVisible(chromedp.CSS(`#export-bundle`)))
		if got, want := text(t, ctx, "#export-h"), catalogue(t, lang, "doc.export"); got != want {
			t.Errorf("%s: heading %q, want %q", lang, got, want)
		}
		run(t, ctx, chromedp.Click(chromedp.CSS(`#export-bundle`)), chromedp.WaitVisible(chromedp.CSS(`#bundle-download`)))
		if got := text(t, ctx, "#bundle-verify"); !strings.Contains(got, `--verifier "`+verifier+`"`) {
			t.Errorf("%s: the page says to check it with %q", lang, got)
		}
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('export').scrollIntoView()`))
		screenshot(t, ctx, "export-"+lang)
		run(t, ctx, chromedp.Click(chromedp.CSS(`#bundle-download`)))
		name := saved("bundle-" + doc + ".zip")
		zb, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}

		rep, err := bundle.Verify(bytes.NewReader(zb), int64(len(zb)), verifier)
		if err != nil {
			t.Fatalf("%s: the page's bundle does not verify: %v", lang, err)
		}
		sum := sha256.Sum256(content)
		m := rep.Manifest
		if m.Document != doc || m.PlainSHA256 != hex.EncodeToString(sum[:]) || m.ExportedBy != "r.ahmed" || m.Depositor != "r.ahmed" || m.FileName != "شهادة "+lang+".txt" || rep.Events == 0 || rep.VerifierFromZip {
			t.Errorf("%s: report %+v", lang, rep)
		}
		if got := zipFile(t, zb, "content/شهادة "+lang+".txt"); !bytes.Equal(got, content) {
			t.Errorf("%s: the bundle holds %q", lang, got)
		}

		// The same bundle with one byte of the content changed fails.
		bad := bytes.Clone(zb)
		i := bytes.Index(bad, []byte("BUNDLE-CANARY"))
		if i < 0 {
			t.Fatal("no content in the stored zip")
		}
		bad[i] ^= 0x20
		if _, err := bundle.Verify(bytes.NewReader(bad), int64(len(bad)), verifier); err == nil {
			t.Errorf("%s: a tampered bundle verifies", lang)
		}
		// And so does the right bundle with another vault's key.
		if _, err := bundle.Verify(bytes.NewReader(zb), int64(len(zb)), "other.example/vault+00000000+AQ"); err == nil {
			t.Errorf("%s: the bundle verifies with another key", lang)
		}

		// A document over 64 MiB (the record's size, changed on its way
		// to the page) is not bundled here: the page says so and names
		// the command.
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
			const f = window.fetch;
			window.fetch = async (u, o) => {
				const r = await f(u, o);
				if (!String(u).endsWith('/v1/documents/`+doc+`')) return r;
				const j = await r.clone().json();
				j.size = 64 * 1024 * 1024 + 1;
				return new Response(JSON.stringify(j), { status: r.status, headers: r.headers });
			};
			location.hash = '#/search';
		})()`), chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
			chromedp.WaitVisible(chromedp.CSS(`#export-too-large`)))
		sixtyFour := map[string]string{"en": "64", "ar": "٦٤", "ckb": "٦٤"}[lang]
		if got, want := text(t, ctx, "#export-too-large"), strings.ReplaceAll(catalogue(t, lang, "doc.export.toolarge"), "{size}", sixtyFour); got != want {
			t.Errorf("%s: over the limit the page says %q, want %q", lang, got, want)
		}
		if got := text(t, ctx, "#export code"); got != "amana export "+doc+" -o bundle-"+doc+".zip" {
			t.Errorf("%s: over the limit the page names %q", lang, got)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('#export-bundle').length`); n != 0 {
			t.Errorf("%s: a document over the limit is offered the export", lang)
		}
	}
	for _, r := range e.requests() {
		if bytes.Contains(r.Body, []byte("BUNDLE-CANARY")) || strings.Contains(r.URL, "BUNDLE-CANARY") {
			t.Errorf("the plaintext was sent to the server: %s %s", r.Method, r.URL)
		}
	}
}

// zipFile is the named file of a zip.
func zipFile(t *testing.T, zb []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// downloads lets the browser of ctx save downloads into a new directory
// and returns a function that waits until a file of that name has been
// saved there (as the tab's session or the browser's reports it) and
// returns its path.
func downloads(t *testing.T, ctx context.Context) func(name string) string {
	t.Helper()
	dir := t.TempDir()
	yes := true
	if _, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, EventsEnabled: &yes}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 16)
	saved := func(ev any) {
		if p, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && p.State == cdpbrowser.DownloadProgressStateCompleted {
			select {
			case done <- struct{}{}:
			default:
			}
		}
	}
	chromedp.Listen(ctx, saved)
	chromedp.ListenBrowser(ctx, saved)
	return func(name string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		for {
			if _, err := os.Stat(path); err == nil {
				return path
			}
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatalf("%s was not saved", name)
			}
		}
	}
}
