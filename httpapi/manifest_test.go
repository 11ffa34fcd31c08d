package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/manifest"
)

// A keeper who holds the document key replaces the evidence: it rekeys the
// document with other plaintext and private metadata re-sealed to match
// (hash, size, a nonce of its choosing), which every check that does not
// involve the depositor's signed manifest accepts. The depositor's reader
// refuses it, names the mismatch and writes nothing it has not verified.
func TestKeeperForgeryDetected(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.login("r.hassan")
	dep, err := r.Deposit(ctx, sampleDeposit([]byte("the statement as deposited\n")))
	if err != nil {
		t.Fatal(err)
	}
	id := dep.Document.ID
	var out bytes.Buffer
	if _, err := r.Get(ctx, id, []age.Identity{e.users["r.hassan"].identity}, &out); err != nil || out.String() != "the statement as deposited\n" {
		t.Fatalf("honest get: %q %v", out.String(), err)
	}

	// The custodian forges: a rekey is a keeper's right, the content is not.
	e.srv.ForgeContent("l.custodian", id, []byte("a statement the depositor never made\n"), map[string]any{"notes": "fictional"})

	// Every reader notices: the plaintext is not what the signed manifest
	// commits to.
	for _, who := range []string{"r.hassan", "l.custodian"} {
		var w bytes.Buffer
		c := e.login(who)
		_, err := c.Get(ctx, id, []age.Identity{e.users[who].identity}, &w)
		if !errors.Is(err, client.ErrIntegrity) || !errors.Is(err, manifest.ErrMismatch) || !strings.Contains(err.Error(), "not what r.hassan deposited") {
			t.Errorf("%s reading the forgery: %v", who, err)
		}
	}
}

// The server refuses deposits whose manifest is not the depositor's or does
// not describe the deposit, and records the manifest in the deposit's audit
// event.
func TestDepositManifestChecked(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	cases := []struct {
		name   string
		change func(d *depositParts)
		want   string
	}{
		{"signed by another user", func(d *depositParts) {
			m, _ := manifest.Parse([]byte(d.final["manifest"].(string)))
			sig, _ := manifest.Sign(m, e.users["r.ahmed"].signer)
			d.final["manifest_sig"] = string(sig)
		}, "manifest_sig"},
		{"other ciphertext hash", func(d *depositParts) {
			m, _ := manifest.Parse([]byte(d.final["manifest"].(string)))
			m.CipherSHA256 = strings.Repeat("0", 64)
			sig, _ := manifest.Sign(m, e.users["r.hassan"].signer)
			d.final["manifest"], d.final["manifest_sig"] = string(m.Bytes()), string(sig)
		}, "cipher_sha256"},
		{"other public metadata", func(d *depositParts) {
			d.meta["public"] = json.RawMessage(`{"title":"Another title","language":"en"}`)
		}, "public_sha256"},
		{"other consent", func(d *depositParts) {
			d.meta["consent"] = map[string]any{"scopes": []string{"research", "advocacy"}, "recorded_at": "2018-03-02", "recorded_by": "r.hassan"}
		}, "consent"},
		{"no manifest", func(d *depositParts) { delete(d.final, "manifest"); delete(d.final, "manifest_sig") }, "manifest"},
		{"depositor impersonated", func(d *depositParts) {
			m, _ := manifest.Parse([]byte(d.final["manifest"].(string)))
			m.Depositor = "r.ahmed"
			sig, _ := manifest.Sign(m, e.users["r.ahmed"].signer)
			d.final["manifest"], d.final["manifest_sig"] = string(m.Bytes()), string(sig)
		}, "manifest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDepositParts(t, e, "r.hassan", "kirkuk-2018")
			c.change(d)
			res := e.send(r, "POST", "/v1/documents", bytes.NewReader(d.body(t)), h2multipart)
			if res.status/100 != 4 || !strings.Contains(string(res.body), c.want) {
				t.Fatalf("status %d %s, want a 4xx about %s", res.status, res.body, c.want)
			}
		})
	}
	if s := stateOf(t, e); s.documents != 0 {
		t.Fatalf("refused deposits left %d documents", s.documents)
	}

	d := newDepositParts(t, e, "r.hassan", "kirkuk-2018")
	res := e.send(r, "POST", "/v1/documents", bytes.NewReader(d.body(t)), h2multipart)
	if res.status != 201 {
		t.Fatalf("good deposit: %d %s", res.status, res.body)
	}
	id := d.meta["id"].(string)
	// The same id again (a replayed deposit) is refused.
	again := newDepositParts(t, e, "r.hassan", "kirkuk-2018")
	again.meta["id"] = id
	if res := e.send(r, "POST", "/v1/documents", bytes.NewReader(again.body(t)), h2multipart); res.status/100 != 4 {
		t.Fatalf("replayed id: %d", res.status)
	}
	auditor := e.login("auditor")
	evs, _, err := auditor.AuditEvents(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range evs {
		var ev struct {
			Action, Doc, Outcome string
			Detail               map[string]string
		}
		json.Unmarshal(raw, &ev)
		if ev.Action == "document.deposit" && ev.Doc == id && ev.Outcome == "ok" {
			if ev.Detail["manifest"] != d.final["manifest"] || !strings.Contains(ev.Detail["manifest_sig"], "BEGIN SSH SIGNATURE") {
				t.Fatalf("the deposit event does not hold the signed manifest: %v", ev.Detail)
			}
			return
		}
	}
	t.Fatal("no deposit event")
}
