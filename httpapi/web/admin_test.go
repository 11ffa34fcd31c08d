package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
)

// TestBrowserAdminConsole drives the custodian's console in each language:
// a step-up, a user created with the TOTP enrolment shown once (and the
// secret shown is the one the server keeps: the new user logs in with it),
// a key change, a user disabled, a refusal shown as the command line shows
// it, a collection created and its custodians changed, a backup; and
// checks each change on the server.
func TestBrowserAdminConsole(t *testing.T) {
	e := newEnv(t)
	ctx := browserFor(t, 4*time.Minute)
	bg := context.Background()
	admin := e.login("l.custodian")
	e.browserLogin(t, ctx, "l.custodian")
	for _, lang := range []string{"en", "ar", "ckb"} {
		setLang(t, ctx, lang)
		id := "n." + lang
		nu := amanatest.NewUser(t, id, vault.RoleResearcher, false)
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/users'`),
			chromedp.WaitVisible(chromedp.CSS(`#stepup-form`)),
			chromedp.SendKeys(chromedp.CSS(`#stepup-totp`), e.code("l.custodian")),
			chromedp.Click(chromedp.CSS(`#stepup-submit`)),
			chromedp.WaitVisible(chromedp.CSS(`#users-table tr[data-user="r.ahmed"]`)))

		// Refused as the command line is refused: the server's reason, beside the form.
		_, cliErr := admin.AddUser(bg, client.NewUser{ID: id, Role: vault.RoleResearcher, Recipient: "age1notakey"})
		var ce *client.Error
		if !errors.As(cliErr, &ce) || ce.Message == "" {
			t.Fatalf("command line: %v", cliErr)
		}
		run(t, ctx, chromedp.SendKeys(chromedp.CSS(`#new-id`), id),
			chromedp.SetValue(chromedp.CSS(`#new-role`), vault.RoleResearcher),
			chromedp.SendKeys(chromedp.CSS(`#new-recipient`), "age1notakey"),
			chromedp.Click(chromedp.CSS(`#user-create-submit`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('user-create-error').textContent.length > 0`))
		if msg := text(t, ctx, "#user-create-error"); !strings.Contains(msg, ce.Message) {
			t.Errorf("%s: page says %q, the command line %q", lang, msg, ce.Message)
		}

		run(t, ctx, chromedp.SetValue(chromedp.CSS(`#new-recipient`), nu.Recipient),
			chromedp.SendKeys(chromedp.CSS(`#new-name`), "Nadia "+lang),
			chromedp.SetValue(chromedp.CSS(`#new-signing`), nu.SigningKey),
			chromedp.Click(chromedp.CSS(`#user-create-submit`)),
			chromedp.WaitVisible(chromedp.CSS(`#enrol-qr`)),
			chromedp.WaitVisible(chromedp.CSS(`#users-table tr[data-user="`+id+`"]`)))
		if src := eval[string](t, ctx, `document.getElementById('enrol-qr').src`); !strings.HasPrefix(src, "data:image/png;base64,iVBOR") {
			t.Errorf("%s: QR image %.40q", lang, src)
		}
		screenshot(t, ctx, "admin-users-enrol-"+lang)
		// The secret shown is the one the server checks: the user logs in with it.
		nu.TOTPSecret = text(t, ctx, "#enrol-secret")
		e.srv.Users[id] = nu
		e.login(id).Logout(bg)
		run(t, ctx, chromedp.Click(chromedp.CSS(`#enrol-done`)))
		if n := eval[int](t, ctx, `document.querySelectorAll('#enrol-qr, #enrol-secret').length`); n != 0 {
			t.Errorf("%s: enrolment still shown after Done", lang)
		}

		// A key change (within the step-up window: no new code).
		other := amanatest.NewUser(t, id, vault.RoleResearcher, false)
		eval[bool](t, ctx, `(document.getElementById('status').textContent = '') === ''`)
		run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-keys="`+id+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#rcpt-`+cssID(id))),
			chromedp.SetValue(chromedp.CSS(`#rcpt-`+cssID(id)), other.Recipient),
			chromedp.Click(chromedp.CSS(`#user-keys-`+cssID(id)+` button`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent.includes(`+jsString(id)+`)`))
		if rc, _, err := admin.UserKeys(bg, id); err != nil || rc != other.Recipient {
			t.Errorf("%s: recipient after the change %q, %v", lang, rc, err)
		}

		// Disabled, and shown so in the page's language.
		run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-toggle="`+id+`"]`)),
			chromedp.Poll[chromedp.Void](`document.querySelector('#users-table tr[data-user="`+id+`"] td:nth-child(4)').textContent === `+jsString(catalogue(t, lang, "state.disabled"))))
		if u := findUser(t, admin, id); u.State != vault.StateDisabled {
			t.Errorf("%s: state %q after Disable", lang, u.State)
		}

		// A collection, then a custodian added to it.
		col := "case-" + lang
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/collections'`),
			chromedp.WaitVisible(chromedp.CSS(`#collections-table`)),
			chromedp.SendKeys(chromedp.CSS(`#col-id`), col),
			chromedp.SendKeys(chromedp.CSS(`#col-members`), "r.hassan, a.karim"),
			chromedp.Click(chromedp.CSS(`#collection-create-submit`)),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-collection="`+col+`"]`)),
			chromedp.SendKeys(chromedp.CSS(`#col-user-`+col), "r.ahmed"),
			chromedp.SetValue(chromedp.CSS(`#col-op-`+col), "add_custodians"),
			chromedp.Click(chromedp.CSS(`form[data-collection="`+col+`"] button`)),
			chromedp.Poll[chromedp.Void](`(document.querySelector('tr[data-collection="`+col+`"] td.custodians') || {textContent: ''}).textContent.includes('r.ahmed')`))
		screenshot(t, ctx, "admin-collections-"+lang)
		cols, err := admin.Collections(bg)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(cols, func(c client.Collection) bool { return c.ID == col })
		if i < 0 || !slices.Contains(cols[i].Members, "a.karim") || !slices.Contains(cols[i].Custodians, "r.ahmed") {
			t.Errorf("%s: collection on the server: %+v", lang, cols)
		}
	}

	// The backup: a download of the vault file.
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/users'`),
		chromedp.WaitVisible(chromedp.CSS(`#backup`)), chromedp.Click(chromedp.CSS(`#backup`)),
		chromedp.WaitVisible(chromedp.CSS(`#backup-link`)))
	if href := eval[string](t, ctx, `document.getElementById('backup-link').href`); !strings.HasPrefix(href, "blob:") {
		t.Errorf("backup link %q", href)
	}

	// Others have no console: no link, and the route falls back to search.
	e.browserLogin(t, ctx, "r.hassan")
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/users'`), chromedp.WaitVisible(chromedp.CSS(`main[data-view="search"]`)))
	if n := eval[int](t, ctx, `document.querySelectorAll('#nav-users, #nav-collections, #stepup-form').length`); n != 0 {
		t.Errorf("a researcher sees %d parts of the console", n)
	}
}

// TestBrowserShredTyped shreds a document from its page: a mistyped id
// changes nothing, the id typed again and a fresh code shred it.
func TestBrowserShredTyped(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	doc := e.docs["adva"].ID
	e.browserLogin(t, ctx, "l.custodian")
	setLang(t, ctx, "ar")
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+doc+`'`),
		chromedp.WaitVisible(chromedp.CSS(`#shred-form`)),
		chromedp.SendKeys(chromedp.CSS(`#shred-confirm`), doc[:len(doc)-1]),
		chromedp.SendKeys(chromedp.CSS(`#shred-totp`), e.code("l.custodian")),
		chromedp.Click(chromedp.CSS(`#shred-submit`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('shred-error').textContent.length > 0`))
	if got := text(t, ctx, "#shred-error"); got != catalogue(t, "ar", "doc.shred.mismatch") {
		t.Errorf("mistyped id: %q", got)
	}
	admin := e.login("l.custodian")
	if d, err := admin.Document(context.Background(), doc); err != nil || d.State != vault.DocActive {
		t.Fatalf("after a mistyped id: %+v, %v", d, err)
	}
	run(t, ctx, chromedp.SetValue(chromedp.CSS(`#shred-confirm`), doc),
		chromedp.SetValue(chromedp.CSS(`#shred-totp`), e.code("l.custodian")),
		chromedp.Click(chromedp.CSS(`#shred-submit`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('status').className === 'ok'`))
	if d, err := admin.Document(context.Background(), doc); err == nil && d.State != vault.DocShredded {
		t.Errorf("after the shred: %+v", d)
	}
	// A researcher is not offered it.
	e.browserLogin(t, ctx, "r.ahmed")
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/doc/`+e.docs["adva"].ID+`'`), chromedp.WaitVisible(chromedp.CSS(`#doc h2, #doc-refused`)))
	if n := eval[int](t, ctx, `document.querySelectorAll('#shred-form').length`); n != 0 {
		t.Error("a researcher is offered the shred")
	}
}

func findUser(t *testing.T, c *client.Client, id string) client.User {
	t.Helper()
	us, err := c.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.ID == id {
			return u
		}
	}
	t.Fatalf("no user %s", id)
	return client.User{}
}

// cssID escapes the dot of a user id for a CSS id selector.
func cssID(id string) string { return strings.ReplaceAll(id, ".", `\.`) }

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// catalogue is the message key in lang, from messages.json.
func catalogue(t *testing.T, lang, key string) string {
	t.Helper()
	b, err := os.ReadFile("static/messages.json")
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]map[string]string
	if err := json.Unmarshal(b, &cat); err != nil {
		t.Fatal(err)
	}
	if cat[lang][key] == "" {
		t.Fatalf("no message %s in %s", key, lang)
	}
	return cat[lang][key]
}
