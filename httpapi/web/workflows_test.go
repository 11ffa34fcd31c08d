package web_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/amana-vault/amana/client"
)

var langs = []string{"en", "ar", "ckb"}

// holders is the document's key holders, as the server says.
func (e *env) holders(t *testing.T, doc string) []string {
	t.Helper()
	c := e.login("r.ahmed")
	defer c.Logout(context.Background())
	d, err := c.Document(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	return d.SlotHolders
}

// TestBrowserGrantRevoke revokes and grants again from the document page in
// each language, as the depositor; a wrong code is refused beside the
// control; a grantee is offered only the revocation of its own slot.
func TestBrowserGrantRevoke(t *testing.T) {
	e := newEnv(t)
	ctx := browserFor(t, 3*time.Minute)
	doc := e.docs["granted"].ID
	e.browserLogin(t, ctx, "a.karim")
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`), chromedp.WaitVisible(chromedp.CSS(`#holders`)))
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-revoke]')].map(b => b.dataset.revoke)`); !slices.Equal(got, []string{"a.karim"}) {
		t.Errorf("a grantee is offered to revoke %v", got)
	}

	e.browserLogin(t, ctx, "r.ahmed")
	for _, lang := range langs {
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
			chromedp.WaitVisible(chromedp.CSS(`[data-revoke="a.karim"]`)),
			chromedp.SendKeys(chromedp.CSS(`#revoke-totp`), "000000"),
			chromedp.Click(chromedp.CSS(`[data-revoke="a.karim"]`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('revoke-error').textContent.length > 0`))
		if got, want := text(t, ctx, "#revoke-error"), catalogue(t, lang, "stepup.needed"); got != want {
			t.Errorf("%s: wrong code: %q, want %q", lang, got, want)
		}
		// The error is beside the button, not a screen away.
		if d := eval[float64](t, ctx, `Math.abs(document.getElementById('revoke-error').getBoundingClientRect().top - document.querySelector('[data-revoke="a.karim"]').getBoundingClientRect().bottom)`); d > 120 {
			t.Errorf("%s: the error is %.0f px from the button", lang, d)
		}
		if !slices.Contains(e.holders(t, doc), "a.karim") {
			t.Fatalf("%s: a wrong code revoked", lang)
		}
		run(t, ctx, chromedp.SetValue(chromedp.CSS(`#revoke-totp`), e.code("r.ahmed")),
			chromedp.Click(chromedp.CSS(`[data-revoke="a.karim"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#grant-form`)),
			chromedp.Poll[chromedp.Void](`!document.querySelector('[data-revoke="a.karim"]')`))
		if slices.Contains(e.holders(t, doc), "a.karim") {
			t.Fatalf("%s: still a holder after the revocation", lang)
		}
		run(t, ctx, chromedp.SendKeys(chromedp.CSS(`#grant-user`), "a.karim"),
			chromedp.SendKeys(chromedp.CSS(`#grant-totp`), e.code("r.ahmed")),
			chromedp.Click(chromedp.CSS(`#grant-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-revoke="a.karim"]`)))
		if !slices.Contains(e.holders(t, doc), "a.karim") {
			t.Fatalf("%s: not a holder after the grant", lang)
		}
		screenshot(t, ctx, "grant-revoke-"+lang)
	}
}

// TestBrowserLanguageWhileLoading switches the language while a document
// page loads: nothing throws, and the page ends up drawn in the last one.
func TestBrowserLanguageWhileLoading(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	e.browserLogin(t, ctx, "a.karim")
	eval[bool](t, ctx, `(() => { window.pageErrors = []; addEventListener('error', e => pageErrors.push(String(e.message))); addEventListener('unhandledrejection', e => pageErrors.push(String(e.reason))); return true })()`)
	for range 3 {
		eval[bool](t, ctx, `(() => { location.hash = '#/search'; return true })()`)
		eval[bool](t, ctx, fmt.Sprintf(`(() => { location.hash = '#/doc/%s'; const s = document.getElementById('lang'); for (const l of ['ar', 'ckb', 'en', 'ar']) { s.value = l; s.dispatchEvent(new Event('change')); } return true })()`, e.docs["granted"].ID))
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#custody table`)))
	}
	run(t, ctx, chromedp.Sleep(300*time.Millisecond))
	if errs := eval[[]string](t, ctx, `pageErrors`); len(errs) > 0 {
		t.Errorf("errors while switching languages: %v", errs)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#doc').length`); n != 1 {
		t.Errorf("%d document views on the page", n)
	}
	if d := eval[string](t, ctx, `document.documentElement.dir + ' ' + document.querySelector('#custody th').textContent`); d != "rtl "+catalogue(t, "ar", "audit.time") {
		t.Errorf("page drawn as %q", d)
	}
}

// TestBrowserIdleLogout lets fifteen minutes pass without a key or a click
// (the page's clock moved on): the session ends, the identity is dropped
// from the module, and the page says why in its language.
func TestBrowserIdleLogout(t *testing.T) {
	e := newEnv(t)
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browser(t)
			e.browserLogin(t, ctx, "a.karim")
			setLang(t, ctx, lang)
			run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`main[data-view="search"]`)))
			eval[bool](t, ctx, `(() => { const now = Date.now; Date.now = () => now() + 16 * 60 * 1000; return true })()`)
			run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#login-form`)))
			if got, want := text(t, ctx, "#status"), catalogue(t, lang, "session.idle"); got != want {
				t.Errorf("status %q, want %q", got, want)
			}
			if msg := eval[string](t, ctx, `amanaWasm.answerChallenge('x').error`); !strings.Contains(msg, "no identity") {
				t.Errorf("after the idle logout the module still holds an identity: %q", msg)
			}
		})
	}
}

// TestBrowserStatsRTL checks the statistics chart laid out right to left:
// every label whole and inside the chart, counts beside the bars (never
// over them), suppressed counts as words, "<" never mirrored.
func TestBrowserStatsRTL(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	e.browserLogin(t, ctx, "l.custodian")
	for _, lang := range langs {
		setLang(t, ctx, lang)
		for _, by := range []string{"governorate", "kind", "year"} {
			run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/stats'`), chromedp.WaitVisible(chromedp.CSS(`#by-`+by)),
				chromedp.Click(chromedp.CSS(`#by-`+by)),
				chromedp.WaitVisible(chromedp.CSS(`#stats-chart text`)))
			problems := eval[[]string](t, ctx, `(() => {
  const svg = document.getElementById('stats-chart').getBoundingClientRect();
  const rtl = document.documentElement.dir === 'rtl';
  const out = [];
  const texts = [...document.querySelectorAll('#stats-chart text')];
  const rects = [...document.querySelectorAll('#stats-chart rect')];
  texts.forEach((t, i) => {
    const r = t.getBoundingClientRect();
    if (r.left < svg.left - 1 || r.right > svg.right + 1) out.push('outside the chart: ' + t.textContent);
    if (i % 2 === 0 && r.width < 20) out.push('clipped: ' + t.textContent);
    if (t.textContent.includes('5>')) out.push('mirrored: ' + t.textContent);
  });
  rects.forEach((b, i) => {
    const bar = b.getBoundingClientRect(), label = texts[2 * i].getBoundingClientRect(), count = texts[2 * i + 1].getBoundingClientRect();
    if (rtl ? !(count.right <= bar.left + 1 && bar.right <= label.left + 1) : !(label.right <= bar.left + 1 && bar.right <= count.left + 1)) out.push('overlap in row ' + i);
  });
  return out;
})()`)
			if len(problems) > 0 {
				t.Errorf("%s by %s: %v", lang, by, problems)
			}
		}
		screenshot(t, ctx, "stats-chart-"+lang)
	}
}

// TestBrowserMediaPreviews opens an image and a recording in the page: both
// are decrypted here and shown.
func TestBrowserMediaPreviews(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	c := e.login("r.ahmed")
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{11, 93, 85, 255})
	}
	var pngBytes bytes.Buffer
	png.Encode(&pngBytes, img)
	ids := map[string]string{}
	for name, f := range map[string]struct {
		content   []byte
		mediaType string
	}{"photo.png": {pngBytes.Bytes(), "image/png"}, "voice.wav": {wav(), "audio/wav"}} {
		res, err := c.Deposit(context.Background(), client.DepositRequest{
			Collection: "kirkuk-2018", Kind: "media", Public: client.PublicMeta{Title: name, Language: "en"},
			Consent: client.Consent{Scopes: []string{"legal_proceedings"}, RecordedAt: "2024-03-02", RecordedBy: "r.ahmed"},
			Private: map[string]any{"file_name": name, "media_type": f.mediaType},
			To:      []string{"a.karim"}, Content: bytes.NewReader(f.content),
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = res.Document.ID
	}
	e.browserLogin(t, ctx, "a.karim")
	for _, lang := range langs {
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+ids["photo.png"]+`'`), chromedp.WaitVisible(chromedp.CSS(`#open`)),
			chromedp.Click(chromedp.CSS(`#open`)), chromedp.WaitVisible(chromedp.CSS(`img.preview`)),
			chromedp.Poll[chromedp.Void](`document.querySelector('img.preview').complete`))
		if w := eval[int](t, ctx, `document.querySelector('img.preview').naturalWidth`); w != 40 {
			t.Errorf("%s: image preview %d px wide", lang, w)
		}
		screenshot(t, ctx, "media-image-"+lang)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+ids["voice.wav"]+`'`), chromedp.WaitVisible(chromedp.CSS(`#open`)),
			chromedp.Click(chromedp.CSS(`#open`)), chromedp.WaitReady(chromedp.CSS(`#opened audio`)),
			chromedp.Poll[chromedp.Void](`document.querySelector('#opened audio').readyState >= 1`))
		if d := eval[float64](t, ctx, `document.querySelector('#opened audio').duration`); d < 0.4 || d > 0.6 {
			t.Errorf("%s: recording of %.2f s", lang, d)
		}
	}
}

// wav is half a second of a quiet tone, 8 kHz mono 16-bit PCM.
func wav() []byte {
	const rate, n = 8000, 4000
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		binary.Write(&b, le, v)
	}
	b.WriteString("data")
	binary.Write(&b, le, uint32(2*n))
	for i := range n {
		binary.Write(&b, le, int16(1000*((i/10)%2*2-1)))
	}
	return b.Bytes()
}

// TestBrowserCanOpen: the hits a lawyer can open say so, in each language,
// and the filter keeps only those.
func TestBrowserCanOpen(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	e.browserLogin(t, ctx, "a.karim")
	granted, ungranted := e.docs["granted"].ID, e.docs["ungranted"].ID
	for _, lang := range langs {
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`.hit[data-id="`+ungranted+`"]`)))
		marked := eval[[]string](t, ctx, `[...document.querySelectorAll('.hit')].filter(h => h.querySelector('.can-open')).map(h => h.dataset.id)`)
		if !slices.Equal(marked, []string{granted}) {
			t.Errorf("%s: marked %v, want only %s", lang, marked, granted)
		}
		if got, want := text(t, ctx, `.hit[data-id="`+granted+`"] .can-open`), catalogue(t, lang, "search.canopen"); got != want {
			t.Errorf("%s: marker %q, want %q", lang, got, want)
		}
		run(t, ctx, chromedp.Click(chromedp.CSS(`#openable`)),
			chromedp.Poll[chromedp.Void](`!document.querySelector('.hit[data-id="`+ungranted+`"]') && !!document.querySelector('.hit[data-id="`+granted+`"]')`))
		if n := eval[int](t, ctx, `document.querySelectorAll('.hit').length`); n != 1 {
			t.Errorf("%s: %d hits with the filter", lang, n)
		}
		run(t, ctx, chromedp.Click(chromedp.CSS(`#openable`)), chromedp.WaitVisible(chromedp.CSS(`.hit[data-id="`+ungranted+`"]`)))
	}
}
