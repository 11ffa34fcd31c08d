package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/amana-vault/amana/client"
)

// TestBrowserUnfinishedUploads: four uploads made elsewhere fill a
// researcher's quota. The deposit page lists them; a deposit is refused
// with a pointer to the list; one click cancels an upload on the server,
// and the deposit then goes through. The list passes axe-core in Arabic at
// both widths.
func TestBrowserUnfinishedUploads(t *testing.T) {
	e := newEnv(t)
	ctx := browserFor(t, 3*time.Minute)
	axe := axeScript(t)
	c := e.login("r.ahmed")
	ids := e.srv.AbandonUploads("r.ahmed", 4, 4096)

	e.browserLogin(t, ctx, "r.ahmed")
	setLang(t, ctx, "en")
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/deposit'`),
		chromedp.WaitVisible(chromedp.CSS(`#uploads-pending [data-cancel-upload="`+ids[3]+`"]`)))
	if n := eval[int](t, ctx, `document.querySelectorAll('#uploads-list li').length`); n != 4 {
		t.Fatalf("%d uploads listed, want 4", n)
	}
	if got := text(t, ctx, "#upload-"+ids[0]); !strings.HasPrefix(got, "0 of 4,096 bytes received") {
		t.Errorf("an upload is described as %q", got)
	}

	// In Arabic, right to left, at both widths.
	setLang(t, ctx, "ar")
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#uploads-pending [data-cancel-upload]`)))
	for _, width := range []int64{1280, 390} {
		run(t, ctx, chromedp.EmulateViewport(width, 900))
		audit(t, ctx, axe, fmt.Sprintf("audit-uploads-ar-%d", width))
	}
	run(t, ctx, chromedp.EmulateViewport(1280, 900))
	// The language re-renders the page: the form is filled after it.
	setLang(t, ctx, "en")
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#uploads-pending [data-cancel-upload]`)))

	// The deposit is refused: the quota is full.
	file := filepath.Join(t.TempDir(), "statement.txt")
	os.WriteFile(file, []byte("A fictional statement.\n"), 0o600)
	run(t, ctx,
		chromedp.WaitReady(chromedp.CSS(`#collection option[value="anbar-2018"]`)),
		chromedp.SetValue(chromedp.CSS(`#collection`), "anbar-2018"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{file}),
		chromedp.SendKeys(chromedp.CSS(`#title`), "Statement deposited after a cancel"),
		chromedp.WaitVisible(chromedp.CSS(`#preview-title`)),
		chromedp.Click(chromedp.CSS(`#deposit-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#deposit-quota`)))
	if got, want := text(t, ctx, "#deposit-quota"), catalogue(t, "en", "uploads.full"); got != want {
		t.Errorf("quota note %q, want %q", got, want)
	}
	screenshot(t, ctx, "uploads-full-en")

	// One click cancels an upload.
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-cancel-upload="`+ids[0]+`"]`)),
		chromedp.Click(chromedp.CSS(`[data-cancel-upload="`+ids[0]+`"]`)))
	run(t, ctx, chromedp.Poll[chromedp.Void](`document.querySelectorAll('#uploads-list li').length === 3`))
	if got, want := text(t, ctx, "#status"), catalogue(t, "en", "uploads.cancelled"); got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	ups, err := c.Uploads(context.Background())
	if err != nil || len(ups) != 3 || slices.ContainsFunc(ups, func(u client.Upload) bool { return u.ID == ids[0] }) {
		t.Fatalf("the server's uploads after the cancel: %+v, %v", ups, err)
	}

	// The deposit goes through now, and uses up its own upload.
	run(t, ctx, chromedp.Click(chromedp.CSS(`#deposit-submit`)), chromedp.WaitVisible(chromedp.CSS(`#deposited-link`)))
	if ups, err := c.Uploads(context.Background()); err != nil || len(ups) != 3 {
		t.Errorf("after the deposit: %d uploads, %v", len(ups), err)
	}
}
