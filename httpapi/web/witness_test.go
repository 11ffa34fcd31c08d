package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/witness"
)

// TestBrowserAuditWitness: an auditor names witnesses on the audit page and
// the page's verification then requires their cosignatures, checked in
// the browser: a real litewitness cosigns the vault's checkpoints, and one
// that never saw the log, or a key that is not one, makes it fail.
func TestBrowserAuditWitness(t *testing.T) {
	w := amanatest.StartWitness(t, "example.org/w1")
	other := amanatest.StartWitness(t, "example.org/w2") // knows nothing of this log
	e := newEnv(t, func(o *amanatest.Options) {
		o.Witnesses = []witness.Witness{{Key: w.Key, URL: w.URL}}
	})
	w.AddLog("amana.local/vault", e.srv.Vault.VerifierKey())
	ctx := browser(t)
	axe := axeScript(t)
	e.browserLogin(t, ctx, "auditor")
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#verify-btn`)))

	setWitnesses := func(quorum int, keys ...string) string {
		t.Helper()
		run(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(()=>{document.getElementById('witness-settings').open=true;
			document.getElementById('witness-keys').value=%q; document.getElementById('witness-quorum').value=%q;
			document.getElementById('witness-status').textContent=''})()`, strings.Join(keys, "\n"), fmt.Sprint(quorum))),
			chromedp.Click(chromedp.CSS(`#witness-save`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('witness-status').textContent !== ''`))
		return text(t, ctx, "#witness-status")
	}
	verify := func() (bool, string) {
		t.Helper()
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('verify').replaceChildren()`),
			chromedp.Click(chromedp.CSS(`#verify-btn`)), chromedp.WaitVisible(chromedp.CSS(`#verify-result`)))
		return eval[string](t, ctx, `document.getElementById('verify-result').dataset.ok`) == "true", text(t, ctx, "#verify-result")
	}

	// Without witnesses the page says nothing of cosignatures.
	if ok, msg := verify(); !ok || strings.Contains(msg, "Cosigned") {
		t.Fatalf("without witnesses: %v %q", ok, msg)
	}
	if msg := setWitnesses(1, w.Key); !strings.Contains(msg, "1 witness kept") {
		t.Errorf("saving one witness: %q", msg)
	}
	if ok, msg := verify(); !ok || !strings.Contains(msg, "Cosigned by example.org/w1") {
		t.Fatalf("with the witness: %v %q", ok, msg)
	}
	// Kept in the browser: after a reload and a new login they are there.
	run(t, ctx, chromedp.Reload())
	e.browserLogin(t, ctx, "auditor")
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#verify-btn`)))
	if got := eval[string](t, ctx, `document.getElementById('witness-keys').value`); got != w.Key {
		t.Errorf("after a reload the witness keys are %q", got)
	}
	// A witness that never saw this log: all must cosign (quorum 0), so
	// the log does not verify; one of two is enough with quorum 1.
	setWitnesses(0, w.Key, other.Key)
	if ok, msg := verify(); ok || !strings.Contains(msg, "not cosigned") {
		t.Errorf("with a witness that did not cosign: %v %q", ok, msg)
	}
	setWitnesses(1, w.Key, other.Key)
	if ok, msg := verify(); !ok || !strings.Contains(msg, "example.org/w1") || strings.Contains(msg, "example.org/w2") {
		t.Errorf("one of two witnesses: %v %q", ok, msg)
	}
	// Something that is not a witness key.
	setWitnesses(1, "not a key")
	if ok, msg := verify(); ok || !strings.Contains(msg, "DOES NOT VERIFY") {
		t.Errorf("a malformed witness key: %v %q", ok, msg)
	}
	setWitnesses(1, w.Key)
	// English last: the checks after the loop read English messages.
	for _, c := range []struct{ lang, word string }{{"ar", "وقّع عليه أيضاً"}, {"ckb", "هاوواژووکراو"}, {"en", "Cosigned by"}} {
		lang, word := c.lang, c.word
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#verify-btn`)))
		if ok, msg := verify(); !ok || !strings.Contains(msg, word) || !strings.Contains(msg, "example.org/w1") {
			t.Errorf("%s: %v %q", lang, ok, msg)
		}
		// The settings open, checked with axe-core at both widths.
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('witness-settings').open=true`))
		for _, width := range []int64{1280, 390} {
			run(t, ctx, chromedp.EmulateViewport(width, 900))
			audit(t, ctx, axe, fmt.Sprintf("audit-witness-%s-%d", lang, width))
		}
		run(t, ctx, chromedp.EmulateViewport(1280, 900))
	}
	// Forgetting the witnesses.
	if msg := setWitnesses(0); !strings.Contains(msg, "0 witnesses kept") {
		t.Errorf("forgetting the witnesses: %q", msg)
	}
	if eval[bool](t, ctx, `localStorage.getItem('amana.witnesses') !== null`) {
		t.Error("the witnesses are still kept")
	}
}
