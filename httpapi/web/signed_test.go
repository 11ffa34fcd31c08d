package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/cmd/amana-wasm/inbrowser"
	"github.com/amana-vault/amana/internal/amanatest"
)

// browserDeposit deposits a text file through the page, as the user
// logged in, and returns the new document's id.
func browserDeposit(t *testing.T, ctx context.Context, title, content string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "statement.txt")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx,
		chromedp.Evaluate[chromedp.Void](`location.hash='#/deposit'`),
		chromedp.WaitVisible(chromedp.CSS(`#deposit-form`)),
		chromedp.WaitReady(chromedp.CSS(`#collection option[value="anbar-2018"]`)),
		chromedp.SetValue(chromedp.CSS(`#collection`), "anbar-2018"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{file}),
		chromedp.SendKeys(chromedp.CSS(`#title`), title),
		chromedp.WaitVisible(chromedp.CSS(`#preview-title`)),
		chromedp.Click(chromedp.CSS(`#deposit-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#deposited-link`)))
	return text(t, ctx, "#deposited-link")
}

// openInPage opens document id in the page and waits for the outcome: the
// verified content or an error.
func openInPage(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	run(t, ctx,
		// Through another page, so that the document's record is read again.
		chromedp.Evaluate[chromedp.Void](`location.hash='#/search'`),
		chromedp.WaitVisible(chromedp.CSS(`main[data-view=search]`)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash='#/doc/%s'`, id)),
		chromedp.WaitVisible(chromedp.CSS(`#open`)),
		chromedp.Click(chromedp.CSS(`#open`)),
		chromedp.WaitVisible(chromedp.CSS(`#verified, #open-error`)))
}

// A deposit made in the page carries the depositor's signed manifest and
// opens verified; once a keeper has replaced its content (a rekey with
// other plaintext and private metadata consistent with it), the page
// refuses it with an integrity error and shows nothing of it.
func TestBrowserKeeperForgeryRefused(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	const original = "ORIGINAL-CANARY: the statement as the survivor gave it\n"
	const forgedText = "FORGED-CANARY: a statement the depositor never made\n"
	e.browserLogin(t, ctx, "r.ahmed")
	id := browserDeposit(t, ctx, "Statement on the Hawija checkpoint", original)

	// The server holds the manifest r.ahmed signed.
	bg := context.Background()
	custodian := e.login("l.custodian")
	doc, err := custodian.Document(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Depositor != "r.ahmed" || !strings.Contains(doc.Manifest, `"id":"`+id+`"`) || !strings.HasPrefix(doc.ManifestSig, "-----BEGIN SSH SIGNATURE-----") {
		t.Fatalf("deposit record: depositor %s, manifest %q, signature %q", doc.Depositor, doc.Manifest, doc.ManifestSig)
	}
	if _, err := custodian.VerifyManifest(bg, doc); err != nil {
		t.Fatalf("the page's manifest does not verify with the command line's check: %v", err)
	}

	openInPage(t, ctx, id)
	if s := text(t, ctx, "#plaintext"); s != original {
		t.Fatalf("opened %q", s)
	}
	if s := text(t, ctx, "#verified"); !strings.Contains(s, "r.ahmed") {
		t.Errorf("verified message: %q", s)
	}

	// The custodian, a keeper holding the document key, replaces the content.
	e.srv.ForgeContent("l.custodian", id, []byte(forgedText), map[string]any{"file_name": "statement.txt", "media_type": "text/plain"})

	openInPage(t, ctx, id)
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#open-error[data-code="integrity"]`)))
	if s := text(t, ctx, "#open-error"); !strings.Contains(s, "Integrity check failed") || !strings.Contains(s, "r.ahmed") {
		t.Errorf("integrity error: %q", s)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#plaintext, #verified, #download, #private').length`); n != 0 {
		t.Errorf("%d elements of content shown with the integrity error", n)
	}
	if s := eval[string](t, ctx, `document.getElementById('main').innerText`); strings.Contains(s, "CANARY") {
		t.Errorf("the page shows content: %q", s)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('a[href^="blob:"]').length`); n != 0 {
		t.Errorf("%d links to decrypted content", n)
	}
	for _, lang := range []string{"en", "ar", "ckb"} {
		setLang(t, ctx, lang)
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#open`)), chromedp.Click(chromedp.CSS(`#open`)),
			chromedp.WaitVisible(chromedp.CSS(`#open-error[data-code="integrity"]`)),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('open-error').scrollIntoView({block: 'center'})`))
		screenshot(t, ctx, "document-integrity-"+lang)
	}
}

// rekey uploads a rekey of document id with the given parts, as the
// client's user, with a step-up code.
// The login form has the pinned ids; a security key's file is refused with
// a reason; without a signing key the deposit page says one is needed.
func TestBrowserLoginSigningKey(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	run(t, ctx, chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #login-form`)))
	for _, id := range []string{"login-user", "login-identity", "login-signing-key", "login-totp"} {
		if n := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('#login-form #%s').length`, id)); n != 1 {
			t.Errorf("#%s: %d in the login form", id, n)
		}
	}
	if ok := eval[bool](t, ctx, `document.getElementById('login-signing-key').type === 'file' && !document.getElementById('login-signing-key').required && document.querySelector('label[for="login-signing-key"]').textContent.length > 0`); !ok {
		t.Error("#login-signing-key is not an optional, labelled file input")
	}

	// A security key's file: refused before anything is sent, with the
	// reason in the page's language.
	var cat map[string]map[string]string
	if b, err := os.ReadFile("static/messages.json"); err != nil || json.Unmarshal(b, &cat) != nil {
		t.Fatal("messages.json")
	}
	skFile := filepath.Join(amanatest.KeysDir(t), "..", "sshsig", "testdata", "sk.key")
	for _, lang := range []string{"en", "ar", "ckb"} {
		setLang(t, ctx, lang)
		run(t, ctx,
			chromedp.WaitVisible(chromedp.CSS(`#login-form`)),
			chromedp.SendKeys(chromedp.CSS(`#login-user`), "r.hassan"),
			chromedp.SetUploadFiles(chromedp.CSS(`#login-identity`), []string{e.users["r.hassan"].IdentityFile}),
			chromedp.SetUploadFiles(chromedp.CSS(`#login-signing-key`), []string{skFile}),
			chromedp.SendKeys(chromedp.CSS(`#login-totp`), "000000"),
			chromedp.Click(chromedp.CSS(`#login-submit`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('login-error').textContent.length > 0`))
		if s := text(t, ctx, "#login-error"); s != cat[lang]["login.signing.sk"] {
			t.Errorf("%s: security key refused with %q", lang, s)
		}
		if eval[bool](t, ctx, `!document.getElementById('logout').hidden`) {
			t.Errorf("%s: logged in with a security key file", lang)
		}
		if msg := eval[string](t, ctx, `amanaWasm.answerChallenge('x').error`); !strings.Contains(msg, "no identity") {
			t.Errorf("after a refused signing key the module still holds an identity: %q", msg)
		}
		screenshot(t, ctx, "login-security-key-"+lang)
	}
	if !strings.Contains(cat["en"]["login.signing.sk"], "cannot sign in a browser") {
		t.Errorf("the English message does not say why: %q", cat["en"]["login.signing.sk"])
	}
	setLang(t, ctx, "en")

	// Without a signing key: reading works, depositing says what is missing.
	e.browserLoginWith(t, ctx, "r.hassan", "")
	if n := eval[int](t, ctx, `document.querySelectorAll('nav a[href]').length`); n < 2 || eval[int](t, ctx, `document.querySelectorAll('nav > :not(a)').length`) != 0 {
		t.Errorf("the navigation is not a nav of links (%d links)", n)
	}
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash='#/deposit'`), chromedp.WaitVisible(chromedp.CSS(`#no-signing-key`)))
	if s := text(t, ctx, "#no-signing-key"); !strings.Contains(s, "signing key") {
		t.Errorf("deposit without a signing key: %q", s)
	}
	if !eval[bool](t, ctx, `document.getElementById('deposit-submit').disabled`) {
		t.Error("the deposit button is enabled without a signing key")
	}
	screenshot(t, ctx, "deposit-no-signing-key-en")
}

// The page's pins: a depositor's signing key is pinned when a document is
// opened; a pin that differs stops the next open until the user accepts
// the keys the audit log proves.
func TestBrowserKeyPins(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	e.browserLogin(t, ctx, "a.karim")
	id := e.docs["granted"].ID
	openInPage(t, ctx, id)
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#verified`)))
	pins := eval[map[string]any](t, ctx, `JSON.parse(localStorage.getItem('amana.keys'))`)
	users, _ := pins["users"].(map[string]any)
	pin, _ := users["r.ahmed"].(map[string]any)
	if pin["signing_key"] != e.users["r.ahmed"].SigningKey || pin["recipient"] != e.users["r.ahmed"].Recipient {
		t.Fatalf("pins: %v", pins)
	}
	// Another signing key pinned for r.ahmed: the page refuses and asks.
	eval[bool](t, ctx, fmt.Sprintf(`(()=>{const p=JSON.parse(localStorage.getItem('amana.keys')); p.users['r.ahmed'].signing_key=%q; localStorage.setItem('amana.keys', JSON.stringify(p)); return true})()`, e.users["r.hassan"].SigningKey))
	openInPage(t, ctx, id)
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#key-error[data-code="key_changed"]`)))
	if s := text(t, ctx, "#key-error"); !strings.Contains(s, "r.ahmed") {
		t.Errorf("key change: %q", s)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#plaintext, #verified').length`); n != 0 {
		t.Error("content shown with changed keys")
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`#trust-keys`)), chromedp.WaitVisible(chromedp.CSS(`#verified`)))
	if s := eval[string](t, ctx, `JSON.parse(localStorage.getItem('amana.keys')).users['r.ahmed'].signing_key`); s != e.users["r.ahmed"].SigningKey {
		t.Errorf("after accepting, r.ahmed's signing key is pinned as %q", s)
	}
	// A verifier key other than the pinned one: nothing is trusted.
	eval[bool](t, ctx, `(()=>{const p=JSON.parse(localStorage.getItem('amana.keys')); p.verifier='other+00000000+AAAA'; localStorage.setItem('amana.keys', JSON.stringify(p)); return true})()`)
	openInPage(t, ctx, id)
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#key-error[data-code="verifier"]`)))

	// A grant wraps the document key for the recipient the audit log
	// proves, and pins it (pins start afresh here).
	eval[bool](t, ctx, `(localStorage.removeItem('amana.keys'), true)`)
	e.browserLogin(t, ctx, "r.ahmed")
	ungranted := e.docs["ungranted"].ID
	run(t, ctx,
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash='#/doc/%s'`, ungranted)),
		chromedp.WaitVisible(chromedp.CSS(`#grant-form`)),
		chromedp.SendKeys(chromedp.CSS(`#grant-user`), "r.hassan"),
		chromedp.SendKeys(chromedp.CSS(`#grant-totp`), e.code("r.ahmed")),
		chromedp.Click(chromedp.CSS(`#grant-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-revoke="r.hassan"]`)))
	if s := eval[string](t, ctx, `JSON.parse(localStorage.getItem('amana.keys')).users['r.hassan'].recipient`); s != e.users["r.hassan"].Recipient {
		t.Errorf("r.hassan's recipient pinned as %q", s)
	}
	var got bytes.Buffer
	if _, err := e.login("r.hassan").Get(context.Background(), ungranted, e.users["r.hassan"].Identities, &got); err != nil || !bytes.Equal(got.Bytes(), e.docs["ungranted"].Content) {
		t.Errorf("r.hassan reading what the page granted: %v", err)
	}
}

// inbrowser.CheckKeys, the page's check of a user's keys, decides as
// client.CheckKeys, the command line's, on the real server's answers.
func TestCheckKeysAgreesWithClient(t *testing.T) {
	e := newEnv(t)
	c := e.login("a.karim")
	get := func(path string) []byte {
		req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+c.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	verifier := strings.TrimSpace(string(get("/v1/audit/verifier")))
	answer := func(user string, since int64) []byte {
		return get(fmt.Sprintf("/v1/users/%s/keys?since=%d", user, since))
	}
	type result struct {
		ok                 bool
		changed            bool
		recipient, signing string
		seq                int64
		keep               string
	}
	both := func(name, user string, ans []byte, key string, last []byte, pinned *client.PinnedKeys) result {
		t.Helper()
		var uk auditlog.UserKeys
		if err := json.Unmarshal(ans, &uk); err != nil {
			t.Fatal(err)
		}
		cp, ckeep, cerr := client.CheckKeys(user, &uk, key, last, pinned)
		var bp *inbrowser.PinnedKeys
		if pinned != nil {
			bp = &inbrowser.PinnedKeys{Recipient: pinned.Recipient, SigningKey: pinned.SigningKey, Seq: pinned.Seq}
		}
		pp, bkeep, berr := inbrowser.CheckKeys(user, ans, key, last, bp, false)
		if (cerr == nil) != (berr == nil) {
			t.Fatalf("%s: client %v, browser %v", name, cerr, berr)
		}
		if cerr != nil {
			if errors.Is(cerr, client.ErrKeyChanged) != (inbrowser.ErrorCode(berr) == "key_changed") {
				t.Errorf("%s: client %v, browser %v (%s)", name, cerr, berr, inbrowser.ErrorCode(berr))
			}
			return result{changed: errors.Is(cerr, client.ErrKeyChanged)}
		}
		if cp.Recipient != pp.Recipient || cp.SigningKey != pp.SigningKey || cp.Seq != pp.Seq || !bytes.Equal(ckeep, bkeep) {
			t.Errorf("%s: client pins %+v keeps %d bytes, browser %+v keeps %d bytes", name, cp, len(ckeep), pp, len(bkeep))
		}
		return result{ok: true, recipient: pp.Recipient, signing: pp.SigningKey, seq: pp.Seq, keep: string(bkeep)}
	}

	first := answer("r.ahmed", 0)
	r := both("first use", "r.ahmed", first, verifier, nil, nil)
	if !r.ok || r.recipient != e.users["r.ahmed"].Recipient || r.signing != e.users["r.ahmed"].SigningKey {
		t.Fatalf("first use: %+v", r)
	}
	last := []byte(r.keep)
	var lastSize int64
	fmt.Sscanf(strings.Split(r.keep, "\n")[1], "%d", &lastSize)
	pin := &client.PinnedKeys{Recipient: r.recipient, SigningKey: r.signing, Seq: r.seq}

	e.login("auditor") // the log grows
	again := answer("r.ahmed", lastSize)
	if r := both("pinned, the log grew", "r.ahmed", again, verifier, last, pin); !r.ok || r.keep == string(last) {
		t.Errorf("pinned, the log grew: %+v", r)
	}
	changed := *pin
	changed.SigningKey = e.users["r.hassan"].SigningKey
	if r := both("another signing key pinned", "r.ahmed", again, verifier, last, &changed); r.ok || !r.changed {
		t.Errorf("another signing key pinned: %+v", r)
	}
	later := *pin
	later.Seq += 1000
	if r := both("a later binding pinned", "r.ahmed", again, verifier, last, &later); r.ok {
		t.Errorf("a later binding pinned: %+v", r)
	}
	if r := both("another user's answer", "a.karim", again, verifier, last, nil); r.ok {
		t.Error("r.ahmed's keys accepted as a.karim's")
	}
	other := strings.Replace(verifier, verifier[:strings.Index(verifier, "+")], "other", 1)
	if r := both("another verifier key", "r.ahmed", again, other, nil, nil); r.ok {
		t.Error("accepted with another verifier key")
	}
	// An answer from before the checkpoint kept: a rollback.
	newer := []byte(both("pinned", "r.ahmed", again, verifier, last, pin).keep)
	if r := both("rollback", "r.ahmed", first, verifier, newer, pin); r.ok {
		t.Error("an older checkpoint accepted after a newer one")
	}
	tampered := bytes.Replace(again, []byte(e.users["r.ahmed"].Recipient), []byte(e.users["r.hassan"].Recipient), 1)
	if r := both("another recipient", "r.ahmed", tampered, verifier, last, nil); r.ok {
		t.Error("a recipient the event does not bind accepted")
	}
	// Accepting a change takes proven keys that differ from the pin, never an older binding.
	if p, _, err := inbrowser.CheckKeys("r.ahmed", again, verifier, last, &inbrowser.PinnedKeys{Recipient: pin.Recipient, SigningKey: changed.SigningKey, Seq: pin.Seq}, true); err != nil || p.SigningKey != e.users["r.ahmed"].SigningKey {
		t.Errorf("accepting a change: %+v %v", p, err)
	}
	if _, _, err := inbrowser.CheckKeys("r.ahmed", again, verifier, last, &inbrowser.PinnedKeys{Recipient: pin.Recipient, SigningKey: pin.SigningKey, Seq: later.Seq}, true); err == nil {
		t.Error("an older binding accepted as a change")
	}
}
