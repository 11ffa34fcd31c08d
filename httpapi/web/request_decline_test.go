package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserRequestPendingAndDecline: in each language, a lawyer's request
// still shows as pending on the document page after a new page load; the
// depositor sees the count in the navigation, in digits and in words for
// screen readers, and declines the request with one click; the server
// then has no pending request and has recorded document.decline. The
// lawyer's page then shows the request declined, with the date from which
// it may ask again, and a forced click is refused by the server.
func TestBrowserRequestPendingAndDecline(t *testing.T) {
	e := newEnv(t)
	ctx := browserFor(t, 4*time.Minute)
	dep := e.login("r.ahmed")
	digit := map[string]string{"en": "1", "ar": "١", "ckb": "١"}
	for _, lang := range langs {
		doc := depositStatement(t, dep, "testimony", "Statement asked for, then declined", "statement.txt", "text/plain", []byte("Fictional statement, "+lang))
		pending := strings.SplitN(catalogue(t, lang, "doc.request.pending"), "{date}", 2)

		// The lawyer asks, then comes back in a new page load.
		e.browserLogin(t, ctx, "a.karim")
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
			chromedp.WaitVisible(chromedp.CSS(`#request-access`)), chromedp.Click(chromedp.CSS(`#request-access`)),
			chromedp.WaitVisible(chromedp.CSS(`#request-status.ok`)))
		e.browserLogin(t, ctx, "a.karim")
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
			chromedp.WaitVisible(chromedp.CSS(`#request-status.ok`)))
		if got := text(t, ctx, "#request-status"); !strings.HasPrefix(got, pending[0]) || !strings.HasSuffix(got, pending[1]) {
			t.Errorf("%s: after a new page load the status is %q, want %q", lang, got, pending)
		}
		if !eval[bool](t, ctx, `document.getElementById('request-access').disabled`) {
			t.Errorf("%s: asking again is offered while the request is pending", lang)
		}
		screenshot(t, ctx, "request-pending-"+lang)

		// The depositor: the count in the navigation, then the decline.
		e.browserLogin(t, ctx, "r.ahmed")
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#nav-requests #requests-badge`)))
		if got := text(t, ctx, "#requests-badge"); got != digit[lang] {
			t.Errorf("%s: badge %q, want %q", lang, got, digit[lang])
		}
		words := ", " + strings.ReplaceAll(catalogue(t, lang, "nav.requests.pending.one"), "{n}", digit[lang])
		if got := eval[string](t, ctx, `document.querySelector('#nav-requests .sr').textContent`); got != words {
			t.Errorf("%s: the link says %q to screen readers, want %q", lang, got, words)
		}
		if h := eval[string](t, ctx, `document.getElementById('requests-badge').getAttribute('aria-hidden')`); h != "true" {
			t.Errorf("%s: the badge's digits are read as well as its words", lang)
		}
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/requests'`),
			chromedp.WaitVisible(chromedp.CSS(`[data-doc="`+doc+`"][data-decline-request="a.karim"]`)))
		if got, want := text(t, ctx, `[data-doc="`+doc+`"][data-decline-request="a.karim"]`), catalogue(t, lang, "requests.decline"); got != want {
			t.Errorf("%s: decline button %q, want %q", lang, got, want)
		}
		screenshot(t, ctx, "requests-decline-"+lang)
		run(t, ctx, chromedp.Click(chromedp.CSS(`[data-doc="`+doc+`"][data-decline-request="a.karim"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#requests-none`)))
		if got, want := text(t, ctx, "#status"), strings.ReplaceAll(catalogue(t, lang, "requests.declined"), "{user}", "a.karim"); got != want {
			t.Errorf("%s: status %q, want %q", lang, got, want)
		}
		if reqs, err := dep.DocumentRequests(context.Background(), doc); err != nil || len(reqs) != 0 {
			t.Errorf("%s: after the decline the server lists %+v, %v", lang, reqs, err)
		}
		// The count in the navigation is not the one from before the
		// decline (it is kept a minute otherwise).
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/search'`), chromedp.WaitVisible(chromedp.CSS(`#nav-search[aria-current="page"]`)))
		if n := eval[int](t, ctx, `document.querySelectorAll('#requests-badge').length`); n != 0 {
			t.Errorf("%s: the navigation still counts the declined request", lang)
		}

		// The lawyer, in a new page load, sees the decline.
		declined := catalogue(t, lang, "doc.request.declined")
		head := declined[:strings.Index(declined, "{date}")]
		e.browserLogin(t, ctx, "a.karim")
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
			chromedp.WaitVisible(chromedp.CSS(`#request-status.declined`)))
		first := text(t, ctx, "#request-status")
		if !strings.HasPrefix(first, head) || strings.Contains(first, "{again}") {
			t.Errorf("%s: after the decline the status is %q, want %q", lang, first, declined)
		}
		if !eval[bool](t, ctx, `document.getElementById('request-access').disabled`) {
			t.Errorf("%s: asking again is offered while the decline stands", lang)
		}
		screenshot(t, ctx, "request-declined-"+lang)
		// A click forced past the disabled button: the server refuses, and
		// the page shows the decline again rather than an error.
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`(()=>{const s=document.getElementById('request-status'); s.className=''; s.textContent=''; const b=document.getElementById('request-access'); b.disabled=false; b.click()})()`),
			chromedp.WaitVisible(chromedp.CSS(`#request-status.declined`)))
		if got := text(t, ctx, "#request-status"); got != first {
			t.Errorf("%s: after a forced request the status is %q, want %q", lang, got, first)
		}
		if reqs, err := dep.DocumentRequests(context.Background(), doc); err != nil || len(reqs) != 0 {
			t.Errorf("%s: the forced request is pending: %+v, %v", lang, reqs, err)
		}
	}

	// Each decline is in the audit log, by the depositor, about the lawyer.
	events, _, err := e.login("auditor").AuditEvents(context.Background(), 0, 5000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, raw := range events {
		var ev struct{ Action, Actor, Target, Outcome string }
		json.Unmarshal(raw, &ev)
		if ev.Action == "document.decline" && ev.Actor == "r.ahmed" && ev.Target == "a.karim" && ev.Outcome == "ok" {
			n++
		}
	}
	if n != len(langs) {
		t.Errorf("%d document.decline events, want %d", n, len(langs))
	}
}
