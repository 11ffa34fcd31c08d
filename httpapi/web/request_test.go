package web_test

import (
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAccessRequest: in each language, a lawyer who cannot open a
// document asks for it from the document page; a member who is not a
// keeper sees no request; the depositor sees it on the document page and
// in #/requests, grants it there with one click, and the lawyer then opens
// the document in the browser.
func TestBrowserAccessRequest(t *testing.T) {
	e := newEnv(t)
	ctx := browserFor(t, 4*time.Minute)
	dep := e.login("r.ahmed")
	for _, lang := range langs {
		content := []byte("Fictional statement asked for in " + lang + " — REQUEST-CANARY")
		doc := depositStatement(t, dep, "testimony", "Statement for an access request", "statement.txt", "text/plain", content)

		// The lawyer asks.
		e.browserLogin(t, ctx, "a.karim")
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
			chromedp.WaitVisible(chromedp.CSS(`#request-access`)),
			chromedp.Click(chromedp.CSS(`#request-access`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('request-status').textContent.length > 0`))
		if got, want := text(t, ctx, "#request-status"), catalogue(t, lang, "doc.request.sent"); got != want {
			t.Fatalf("%s: after asking: %q, want %q", lang, got, want)
		}
		screenshot(t, ctx, "request-asked-"+lang)

		// A member who keeps nothing sees no request and is offered none
		// to grant; the lawyer sees none either.
		if n := eval[int](t, ctx, `document.querySelectorAll('#doc-requests li, [data-grant-request]').length`); n != 0 {
			t.Errorf("%s: the requester is shown %d requests", lang, n)
		}
		e.browserLogin(t, ctx, "r.hassan")
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/requests'`), chromedp.WaitVisible(chromedp.CSS(`#requests-none`)))

		// The depositor sees it on the document page and grants it from
		// its list, with one click (the login's code opened the step-up
		// window).
		e.browserLogin(t, ctx, "r.ahmed")
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
			chromedp.WaitVisible(chromedp.CSS(`#doc-requests [data-grant-request="a.karim"]`)))
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/requests'`),
			chromedp.WaitVisible(chromedp.CSS(`#requests-list [data-doc="`+doc+`"][data-grant-request="a.karim"]`)))
		if got, want := text(t, ctx, "#requests-h"), catalogue(t, lang, "requests.title"); got != want {
			t.Errorf("%s: heading %q, want %q", lang, got, want)
		}
		screenshot(t, ctx, "requests-"+lang)
		run(t, ctx, chromedp.Click(chromedp.CSS(`[data-doc="`+doc+`"][data-grant-request="a.karim"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#requests-none`)))
		if !slices.Contains(e.holders(t, doc), "a.karim") {
			t.Fatalf("%s: the lawyer holds no slot after the grant", lang)
		}

		// The lawyer opens the document.
		e.browserLogin(t, ctx, "a.karim")
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
			chromedp.WaitVisible(chromedp.CSS(`#open`)), chromedp.Click(chromedp.CSS(`#open`)),
			chromedp.WaitVisible(chromedp.CSS(`#plaintext`)))
		if got := text(t, ctx, "#plaintext"); got != string(content) {
			t.Errorf("%s: opened %q", lang, got)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('#request-access').length`); n != 0 {
			t.Errorf("%s: a holder is offered to ask", lang)
		}
	}
}
