package httpapi_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/vault"
)

// recorded returns a copy of c whose last response's status and request
// id the recorder keeps.
func recorded(c *client.Client) (*client.Client, *respRecorder) {
	cc := *c
	rec := &respRecorder{}
	cc.HTTP = &http.Client{Transport: rec}
	return &cc, rec
}

// apiCode is the status and error code of a client error.
func apiCode(err error) (int, string) {
	var ae *client.Error
	if errors.As(err, &ae) {
		return ae.Status, ae.Code
	}
	return 0, ""
}

// TestRekeyOnlyByKeepers: someone granted a key slot may read a document
// but not replace its ciphertext; the refusal is audited. The depositor
// (a keeper) still rekeys, and every remaining holder opens the result.
func TestRekeyOnlyByKeepers(t *testing.T) {
	e := newEnv(t)
	audit := newAuditIndex(e)
	hassan := e.login("r.hassan")
	content := bytes.Repeat([]byte("the statement as deposited\n"), 5000)
	d := sampleDeposit(content)
	d.To = []string{"r.ahmed", "a.karim"}
	dep, err := hassan.Deposit(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	id := dep.Document.ID
	before, _, _ := e.v.PublicRecord(id)

	for _, grantee := range []string{"r.ahmed", "a.karim"} {
		c, rec := recorded(e.login(grantee))
		_, err := c.Rekey(ctx, id, []age.Identity{e.users[grantee].identity})
		st, code := apiCode(err)
		if st != http.StatusForbidden || code != "forbidden" {
			t.Fatalf("rekey by grantee %s: %v, want 403 forbidden", grantee, err)
		}
		_, rid := rec.last()
		audit.check(t, rid, grantee, "document.rekey", id, http.StatusForbidden)
	}
	if after, _, _ := e.v.PublicRecord(id); after.Generation != 0 || after.CipherSHA256 != before.CipherSHA256 || !slices.Equal(after.SlotHolders, before.SlotHolders) {
		t.Fatalf("refused rekeys changed the document: %+v", after)
	}

	// The depositor revokes nobody and rekeys: every holder opens it.
	doc, err := hassan.Rekey(ctx, id, []age.Identity{e.users["r.hassan"].identity})
	if err != nil {
		t.Fatalf("rekey by the depositor: %v", err)
	}
	if doc.Generation != 1 || doc.CipherSHA256 == before.CipherSHA256 {
		t.Fatalf("after the rekey: %+v", doc)
	}
	for _, u := range []string{"r.hassan", "l.custodian", "r.ahmed", "a.karim"} {
		var buf bytes.Buffer
		if _, err := e.login(u).Get(ctx, id, []age.Identity{e.users[u].identity}, &buf); err != nil || !bytes.Equal(buf.Bytes(), content) {
			t.Errorf("%s opens the rekeyed document: %v", u, err)
		}
	}

	// A revoked grantee's slot is not re-wrapped: the custodian revokes
	// and rekeys, and the others still open the document.
	admin := e.login("l.custodian")
	if err := admin.Revoke(ctx, id, "r.ahmed"); err != nil {
		t.Fatal(err)
	}
	if doc, err = admin.Rekey(ctx, id, []age.Identity{e.users["l.custodian"].identity}); err != nil || doc.Generation != 2 || slices.Contains(doc.SlotHolders, "r.ahmed") {
		t.Fatalf("rekey by the custodian: %+v, %v", doc, err)
	}
	for _, u := range []string{"r.hassan", "l.custodian", "a.karim"} {
		var buf bytes.Buffer
		if _, err := e.login(u).Get(ctx, id, []age.Identity{e.users[u].identity}, &buf); err != nil || !bytes.Equal(buf.Bytes(), content) {
			t.Errorf("%s after the second rekey: %v", u, err)
		}
	}
}

// slotFor wraps a fresh document key for user's recipient.
func (e *env) slotFor(t *testing.T, key *envelope.DocKey, user string) []byte {
	t.Helper()
	r, err := recipient.Parse(e.users[user].rcpt)
	if err != nil {
		t.Fatal(err)
	}
	slot, err := envelope.Wrap(key, r)
	if err != nil {
		t.Fatal(err)
	}
	return slot
}

// TestCustodyFollowsConsent: a lawyer an admin made custodian (which needs
// a step-up) receives no key slot for a research-only deposit, neither
// through the Go client nor through a hand-made deposit that carries one.
func TestCustodyFollowsConsent(t *testing.T) {
	e := newEnv(t)
	audit := newAuditIndex(e)
	admin := e.login("l.custodian")

	// Making the lawyer a custodian needs a fresh TOTP code, whether of an
	// existing collection or of a new one.
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", "/v1/collections/kirkuk-2018", `{"add_custodians":["a.karim"]}`},
		{"POST", "/v1/collections", `{"id":"mosul-2020","members":["r.hassan","a.karim"],"custodians":["a.karim"]}`},
	} {
		e.clock.Add(5*time.Minute + time.Second) // a code gives five minutes
		res := e.send(admin, c.method, c.path, strings.NewReader(c.body), "application/json")
		if res.err != nil || res.status != http.StatusUnauthorized || jsonErrorCode(res.body) != "step_up_required" {
			t.Fatalf("%s %s with a stale session: %d %s %v", c.method, c.path, res.status, res.body, res.err)
		}
		e.step()
		res = e.send(admin, c.method, c.path, strings.NewReader(c.body), "application/json", "X-Amana-TOTP", e.code(e.users["l.custodian"]))
		if res.err != nil || res.status/100 != 2 {
			t.Fatalf("%s %s with a fresh code: %d %s %v", c.method, c.path, res.status, res.body, res.err)
		}
	}
	cols, err := e.v.ListCollections(vault.Caller{User: "l.custodian"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		if (c.ID == "kirkuk-2018" || c.ID == "mosul-2020") && !slices.Contains(c.Custodians, "a.karim") {
			t.Errorf("%s: custodians %v", c.ID, c.Custodians)
		}
	}

	// Whom a deposit must be sealed to, by consent.
	hassan := e.login("r.hassan")
	for scopes, want := range map[string][]string{
		"research":                   {"l.custodian", "r.hassan"},
		"legal_proceedings":          {"a.karim", "l.custodian"},
		"research,legal_proceedings": {"a.karim", "l.custodian", "r.hassan"},
		"":                           {"a.karim", "l.custodian", "r.hassan"}, // no scopes: every custodian
	} {
		var sc []string
		if scopes != "" {
			sc = strings.Split(scopes, ",")
		}
		got, err := hassan.Recipients(ctx, "kirkuk-2018", sc...)
		if err != nil {
			t.Fatal(err)
		}
		if ids := slices.Sorted(maps.Keys(got)); !slices.Equal(ids, want) {
			t.Errorf("recipients for %q: %v, want %v", scopes, ids, want)
		}
	}

	// Through the Go client: no slot for the lawyer custodian.
	research := sampleDeposit([]byte("research only"))
	research.Consent.Scopes = []string{"research"}
	dep, err := hassan.Deposit(ctx, research)
	if err != nil {
		t.Fatal(err)
	}
	if got := dep.Document.SlotHolders; !slices.Equal(got, []string{"l.custodian", "r.hassan"}) {
		t.Fatalf("research-only deposit sealed to %v", dep.Document.SlotHolders)
	}
	karim := e.login("a.karim")
	if _, err := karim.KeySlot(ctx, dep.Document.ID); err == nil {
		t.Fatal("the lawyer custodian fetched a key slot for a research-only deposit")
	}
	// Nor by asking for it.
	research.To = []string{"a.karim"}
	research.Content = bytes.NewReader([]byte("research only"))
	if _, err := hassan.Deposit(ctx, research); err == nil {
		t.Fatal("a deposit with --to a lawyer without legal consent was accepted")
	} else if st, code := apiCode(err); st != http.StatusUnprocessableEntity || code != "consent_not_covered" {
		t.Fatalf("deposit to a lawyer without legal consent: %v", err)
	}

	// By hand, with a key slot for the lawyer custodian: 422, audited,
	// and no document.
	key, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(map[string]any{
		"collection": "kirkuk-2018", "kind": "testimony",
		"public":  map[string]any{"title": "Hand-made deposit", "language": "en"},
		"consent": map[string]any{"scopes": []string{"research"}, "recorded_at": "2018-03-02", "recorded_by": "r.hassan"},
		"slots": map[string][]byte{
			"r.hassan": e.slotFor(t, key, "r.hassan"), "l.custodian": e.slotFor(t, key, "l.custodian"), "a.karim": e.slotFor(t, key, "a.karim"),
		},
	})
	var sealed bytes.Buffer
	s, err := envelope.Encrypt(&sealed, bytes.NewReader([]byte("research only")), key)
	if err != nil {
		t.Fatal(err)
	}
	ct, body := multipartDeposit(t, [2]string{"meta", string(meta)}, [2]string{"content", sealed.String()},
		[2]string{"final", `{"cipher_sha256":"` + hex.EncodeToString(s.CipherSHA256[:]) + `"}`})
	res := e.send(hassan, "POST", "/v1/documents", body, ct)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.status != http.StatusUnprocessableEntity || jsonErrorCode(res.body) != "consent_not_covered" || !strings.Contains(string(res.body), "a.karim") {
		t.Fatalf("hand-made deposit with a slot for the lawyer custodian: %d %s", res.status, res.body)
	}
	audit.check(t, res.header.Get("X-Request-ID"), "r.hassan", "document.deposit", "", res.status)
	if hits, err := karim.Search(ctx, client.SearchParams{Query: "Hand-made"}); err != nil || hits.Total != 0 {
		t.Fatalf("the refused deposit is searchable: %+v, %v", hits, err)
	}

	// Legal proceedings only: the lawyer custodian holds a slot and opens
	// it, the researcher depositor (whose role the consent does not cover)
	// holds none.
	legal := sampleDeposit([]byte("legal only"))
	legal.Consent.Scopes = []string{"legal_proceedings"}
	dep, err = hassan.Deposit(ctx, legal)
	if err != nil {
		t.Fatal(err)
	}
	if got := dep.Document.SlotHolders; !slices.Equal(got, []string{"a.karim", "l.custodian"}) {
		t.Fatalf("legal-only deposit sealed to %v", got)
	}
	var buf bytes.Buffer
	if _, err := karim.Get(ctx, dep.Document.ID, []age.Identity{e.users["a.karim"].identity}, &buf); err != nil || buf.String() != "legal only" {
		t.Errorf("the lawyer custodian opens a legal-only deposit: %v", err)
	}
}

// TestCheckEndpoint: GET /v1/check is for admins with a fresh code, and
// finds nothing in a vault kept by the consent rule. (Vault tests plant
// the slots an older vault holds.)
func TestCheckEndpoint(t *testing.T) {
	e := newEnv(t)
	audit := newAuditIndex(e)
	if _, err := e.login("r.hassan").Deposit(ctx, sampleDeposit([]byte("checked"))); err != nil {
		t.Fatal(err)
	}
	admin, rec := recorded(e.login("l.custodian"))
	rep, err := admin.CheckConsent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Documents != 1 || rep.Violations == nil || len(rep.Violations) != 0 {
		t.Fatalf("report %+v", rep)
	}
	st, rid := rec.last()
	audit.check(t, rid, "l.custodian", "vault.check", "", st)

	for _, u := range []string{"r.hassan", "a.karim", "auditor"} {
		c, rec := recorded(e.login(u))
		_, err := c.CheckConsent(ctx)
		if st, code := apiCode(err); st != http.StatusForbidden || code != "forbidden" {
			t.Errorf("check by %s: %v", u, err)
		}
		st, rid := rec.last()
		audit.check(t, rid, u, "vault.check", "", st)
	}
}
