package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeScript is axe-core's browser build: $AMANA_AXE, or the one npm ci
// installs from package-lock.json.
func axeScript(t *testing.T) string {
	t.Helper()
	p := os.Getenv("AMANA_AXE")
	if p == "" {
		p = filepath.Join("node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("accessibility test skipped: no axe-core (%v); run npm ci in httpapi/web, as .ci/web.sh does", err)
	}
	return string(b)
}

// axeViolation is one rule axe-core found broken, with the first few
// elements that break it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeRun is the check run on each page: axe-core's serious and critical
// violations.
const axeRun = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))})))`

// sideways lists the elements wider than the window, when the page scrolls
// sideways.
const sideways = `(() => {
  const w = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= w) return [];
  return [...document.querySelectorAll('body *')].filter(el => { const r = el.getBoundingClientRect(); return r.right > w + 1 || r.left < -1; })
    .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''));
})()`

// audit checks the page as it is now with axe-core, and that it does not
// scroll sideways, and saves a screenshot.
func audit(t *testing.T, ctx context.Context, axe, name string) {
	t.Helper()
	if !eval[bool](t, ctx, `typeof axe === 'object'`) {
		run(t, ctx, chromedp.Evaluate[chromedp.Void](axe))
	}
	for _, v := range eval[[]axeViolation](t, ctx, axeRun) {
		t.Errorf("%s: %s (%s): %s\n\t%s", name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
	if wide := eval[[]string](t, ctx, sideways); len(wide) > 0 {
		t.Errorf("%s: the page scrolls sideways; wider than the window: %v", name, wide)
	}
	screenshot(t, ctx, name)
}

// TestBrowserAccessibility visits every page in English, Arabic and Sorani
// at 1280 and 390 pixels wide, and fails on any serious or critical
// violation axe-core finds and on any page that scrolls sideways.
// Screenshots of each are written to the artifacts folder.
func TestBrowserAccessibility(t *testing.T) {
	axe := axeScript(t)
	e := newEnv(t)
	ctx := browserFor(t, 4*time.Minute)
	langs := []string{"en", "ar", "ckb"}
	// click, if set, is clicked in each language before ready is awaited.
	type page struct{ user, hash, ready, click string }
	pages := []page{
		{"l.custodian", "#/search", ".hit", ""},
		{"l.custodian", "#/doc/" + e.docs["granted"].ID, "#custody table", ""},
		{"l.custodian", "#/doc/" + e.docs["granted"].ID, "#bundle-download", "#export-bundle"},
		{"l.custodian", "#/stats", "#stats-table", ""},
		{"l.custodian", "#/audit", "#audit-chart", ""},
		{"l.custodian", "#/users", "#users-table", ""},
		{"l.custodian", "#/collections", "#collections-table", ""},
		{"r.ahmed", "#/deposit", "#deposit-form", ""},
		{"a.karim", "#/doc/" + e.docs["granted"].ID, "#custody table", ""},
		{"auditor", "#/audit", "#audit-chart", ""},
		// The requester, its request pending; the keeper, with the count
		// in the navigation, on the document page and the requests page.
		{"r.hassan", "#/doc/" + e.docs["ungranted"].ID, "#request-status.ok", ""},
		{"r.ahmed", "#/doc/" + e.docs["ungranted"].ID, "body:has(#requests-badge) #doc-requests [data-decline-request]", ""},
		{"r.ahmed", "#/requests", "body:has(#requests-badge) #requests-list", ""},
	}
	// A pending request, for the depositor's list.
	if _, err := e.login("r.hassan").RequestAccess(context.Background(), e.docs["ungranted"].ID); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int64{1280, 390} {
		run(t, ctx, chromedp.EmulateViewport(width, 900))
		run(t, ctx, chromedp.Navigate(e.url+"/?a11y#/login"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #login-form`)))
		for _, lang := range langs {
			setLang(t, ctx, lang)
			audit(t, ctx, axe, fmt.Sprintf("a11y-login-%s-%d", lang, width))
		}
		if width == 1280 {
			// The check can fail: an image without a text alternative is
			// a critical violation.
			vs := eval[[]axeViolation](t, ctx, `(() => { const i = document.createElement('img'); i.src = 'data:,'; i.id = 'probe'; document.getElementById('main').append(i); return `+axeRun+`.finally(() => i.remove()); })()`)
			if len(vs) == 0 || vs[0].ID != "image-alt" {
				t.Errorf("axe-core did not report an image without alt: %v", vs)
			}
		}
		user := ""
		for _, p := range pages {
			if p.user != user {
				user = p.user
				e.browserLogin(t, ctx, user)
			}
			run(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash=%q`, p.hash)))
			if p.hash == "#/users" {
				run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#stepup-form`)),
					chromedp.SendKeys(chromedp.CSS(`#stepup-totp`), e.code(user)),
					chromedp.Click(chromedp.CSS(`#stepup-submit`)),
					chromedp.WaitVisible(chromedp.CSS(`#users-table`)))
			}
			name := strings.SplitN(strings.TrimPrefix(p.hash, "#/"), "/", 2)[0]
			if p.click != "" {
				name += "-" + strings.TrimPrefix(p.click, "#")
			}
			for _, lang := range langs {
				setLang(t, ctx, lang)
				if p.click != "" {
					run(t, ctx, chromedp.WaitVisible(chromedp.CSS(p.click)), chromedp.Click(chromedp.CSS(p.click)))
				}
				run(t, ctx, chromedp.WaitVisible(chromedp.CSS(p.ready)))
				audit(t, ctx, axe, fmt.Sprintf("a11y-%s-%s-%s-%d", user, name, lang, width))
			}
		}
	}
	t.Logf("screenshots in %s", artifacts(t))
}
