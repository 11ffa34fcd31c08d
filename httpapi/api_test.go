package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/client"
)

var ctx = context.Background()

func sampleDeposit(content []byte) client.DepositRequest {
	return client.DepositRequest{
		Collection: "kirkuk-2018",
		Kind:       "testimony",
		Public: client.PublicMeta{
			Title:        "Testimony on checkpoint detentions near Hawija",
			Summary:      "Fictional demonstration record about documentation of detentions.",
			Language:     "en",
			Governorate:  "Kirkuk",
			IncidentDate: "2017-06",
			Tags:         []string{"detention", "checkpoint"},
		},
		Consent: client.Consent{Scopes: []string{"research", "legal_proceedings"}, RecordedAt: "2018-03-02", RecordedBy: "r.hassan"},
		Private: map[string]any{"file_name": "interview.txt", "persons": []string{"Fictional Person"}},
		Content: bytes.NewReader(content),
	}
}

func TestLoginDepositSearchGet(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	content := bytes.Repeat([]byte("fictional transcript line\n"), 20000) // several chunks
	dep, err := r.Deposit(ctx, sampleDeposit(content))
	if err != nil {
		t.Fatal(err)
	}
	id := dep.Document.ID
	if len(id) != 26 || dep.Document.Depositor != "r.hassan" {
		t.Fatalf("deposited %+v", dep.Document)
	}

	// Searchable at once, by lawyers of the collection too.
	lawyer := e.login("a.karim")
	res, err := lawyer.Search(ctx, client.SearchParams{Query: "detentions", Facets: []string{"kind", "governorate"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Hits[0].ID != id || res.Facets["kind"][0].Term != "testimony" {
		t.Fatalf("search: %+v", res)
	}
	// The lawyer holds no slot yet: the hit says it cannot be opened; the
	// depositor's says it can.
	if res.Hits[0].CanOpen {
		t.Error("the lawyer's hit says it can open the document before any grant")
	}
	if mine, err := r.Search(ctx, client.SearchParams{Query: "detentions"}); err != nil || len(mine.Hits) != 1 || !mine.Hits[0].CanOpen {
		t.Errorf("the depositor's hit: %+v, %v", mine, err)
	}
	if only, err := lawyer.Search(ctx, client.SearchParams{Openable: true, Facets: []string{"kind"}}); err != nil || only.Total != 0 || len(only.Facets["kind"]) != 0 {
		t.Errorf("the lawyer's openable search before any grant: %+v, %v", only, err)
	}
	// Not by an outsider: no hit, no facet count.
	out := e.login("r.outsider")
	res, err = out.Search(ctx, client.SearchParams{Query: "detentions", Facets: []string{"collection"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 0 || len(res.Facets["collection"]) != 0 {
		t.Fatalf("outsider sees %+v", res)
	}

	// Depositor and custodian download, decrypt and verify.
	for _, c := range []*client.Client{r, e.login("l.custodian")} {
		var buf bytes.Buffer
		u := e.users[map[*client.Client]string{r: "r.hassan"}[c]]
		if u == nil {
			u = e.users["l.custodian"]
		}
		got, err := c.Get(ctx, id, []age.Identity{u.identity}, &buf)
		if err != nil {
			t.Fatalf("%s get: %v", u.id, err)
		}
		if !bytes.Equal(buf.Bytes(), content) || got.Private["file_name"] != "interview.txt" {
			t.Fatalf("%s got different content or private metadata", u.id)
		}
	}
	// The lawyer has no slot: 403; the outsider cannot know it exists: 404.
	if _, err := lawyer.KeySlot(ctx, id); !client.IsStatus(err, 403) {
		t.Errorf("lawyer keyslot: %v", err)
	}
	for _, path := range []string{"", "/keyslot", "/content", "/private"} {
		resp := e.raw(out, "GET", "/v1/documents/"+id+path, nil, "")
		if resp.StatusCode != 404 {
			t.Errorf("outsider GET %s: %d", path, resp.StatusCode)
		}
	}

	// Grant with step-up: the grant needs a fresh TOTP after 5 minutes.
	e.clock.Add(6 * time.Minute)
	r.TOTP = nil
	if err := r.Grant(ctx, id, "a.karim", []age.Identity{e.users["r.hassan"].identity}); !client.IsStatus(err, 401) {
		t.Fatalf("grant without step-up: %v", err)
	}
	u := e.users["r.hassan"]
	r.TOTP = func() (string, error) { e.step(); return e.code(u), nil }
	if err := r.Grant(ctx, id, "a.karim", []age.Identity{u.identity}); err != nil {
		t.Fatalf("grant with step-up: %v", err)
	}
	var buf bytes.Buffer
	if _, err := lawyer.Get(ctx, id, []age.Identity{e.users["a.karim"].identity}, &buf); err != nil || !bytes.Equal(buf.Bytes(), content) {
		t.Fatalf("lawyer get after grant: %v", err)
	}
	if res, err := lawyer.Search(ctx, client.SearchParams{Query: "detentions"}); err != nil || len(res.Hits) != 1 || !res.Hits[0].CanOpen {
		t.Errorf("the lawyer's hit after the grant: %+v, %v", res, err)
	}
	if only, err := lawyer.Search(ctx, client.SearchParams{Openable: true}); err != nil || only.Total != 1 || only.Hits[0].ID != id {
		t.Errorf("the lawyer's openable search after the grant: %+v, %v", only, err)
	}

	// Range requests on the ciphertext.
	full := e.body(e.raw(r, "GET", "/v1/documents/"+id+"/content", nil, ""))
	resp := e.raw(r, "GET", "/v1/documents/"+id+"/content", nil, "", "Range", "bytes=70000-70099")
	if resp.StatusCode != http.StatusPartialContent {
		t.Fatalf("range: %d", resp.StatusCode)
	}
	if part := e.body(resp); !bytes.Equal(part, full[70000:70100]) {
		t.Fatal("range returned the wrong bytes")
	}
	sum := sha256.Sum256(full)
	if hex.EncodeToString(sum[:]) != dep.Document.CipherSHA256 {
		t.Fatal("downloaded ciphertext hash differs from the deposit's")
	}

	// Revoke + rekey: the lawyer's old key no longer opens the content.
	oldKey, err := lawyer.OpenKey(ctx, id, []age.Identity{e.users["a.karim"].identity})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Revoke(ctx, id, "a.karim"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Rekey(ctx, id, []age.Identity{u.identity}); err != nil {
		t.Fatal(err)
	}
	newCipher := e.body(e.raw(r, "GET", "/v1/documents/"+id+"/content", nil, ""))
	if _, err := age.Decrypt(bytes.NewReader(newCipher), oldKey.Identity()); err == nil {
		t.Fatal("the revoked key opens the rekeyed content")
	}
	buf.Reset()
	if _, err := r.Get(ctx, id, []age.Identity{u.identity}, &buf); err != nil || !bytes.Equal(buf.Bytes(), content) {
		t.Fatalf("depositor get after rekey: %v", err)
	}

	// Shred (admin, step-up): gone from reads and from search.
	admin := e.login("l.custodian")
	if err := r.Shred(ctx, id); !client.IsStatus(err, 403) {
		t.Fatalf("researcher shred: %v", err)
	}
	if err := admin.Shred(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Document(ctx, id); !client.IsStatus(err, 404) {
		t.Fatalf("document after shred: %v", err)
	}
	res, _ = lawyer.Search(ctx, client.SearchParams{Query: "detentions"})
	if res.Total != 0 {
		t.Fatalf("shredded document still found: %+v", res)
	}
}

func TestLoginFailures(t *testing.T) {
	e := newEnv(t)
	u := e.users["r.hassan"]
	post := func(path string, body any) (*http.Response, map[string]any) {
		b, _ := json.Marshal(body)
		resp := e.raw(nil, "POST", path, bytes.NewReader(b), "application/json")
		var m map[string]any
		json.Unmarshal(e.body(resp), &m)
		return resp, m
	}
	challenge := func(user string) (string, string) {
		resp, m := post("/v1/auth/challenge", map[string]string{"user": user})
		if resp.StatusCode != 200 {
			t.Fatalf("challenge: %d", resp.StatusCode)
		}
		return m["challenge_id"].(string), m["challenge"].(string)
	}
	decrypt := func(armored string, id age.Identity) string {
		c := client.New(e.url)
		_ = c
		r, err := age.Decrypt(armorReader(armored), id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		return string(b)
	}
	login := func(user, cid, resp, code string) int {
		r, _ := post("/v1/auth/login", map[string]string{"user": user, "challenge_id": cid, "response": resp, "totp": code})
		return r.StatusCode
	}

	// Wrong response to the challenge: 401, even with the right code.
	e.step()
	cid, _ := challenge(u.id)
	if st := login(u.id, cid, "not the challenge", e.code(u)); st != 401 {
		t.Errorf("wrong response: %d", st)
	}
	// A correct response with a wrong code: 401, and the challenge is used
	// up, so the right code cannot follow on it.
	e.step()
	cid, ch := challenge(u.id)
	resp := decrypt(ch, u.identity)
	code := e.code(u)
	if st := login(u.id, cid, resp, "000000"); st != 401 && code != "000000" {
		t.Errorf("wrong code: %d", st)
	}
	if st := login(u.id, cid, resp, code); st != 401 {
		t.Errorf("reused challenge: %d", st)
	}
	// Right response and code: 200. The same code again: 401 (replay).
	e.step()
	cid, ch = challenge(u.id)
	code = e.code(u)
	if st := login(u.id, cid, decrypt(ch, u.identity), code); st != 200 {
		t.Fatalf("good login: %d", st)
	}
	cid, ch = challenge(u.id)
	if st := login(u.id, cid, decrypt(ch, u.identity), code); st != 401 {
		t.Errorf("replayed code: %d", st)
	}
	// An expired challenge: 401.
	e.step()
	cid, ch = challenge(u.id)
	e.clock.Add(3 * time.Minute)
	if st := login(u.id, cid, decrypt(ch, u.identity), e.code(u)); st != 401 {
		t.Errorf("expired challenge: %d", st)
	}
	// Another user's challenge answered for this user: 401.
	e.step()
	other := e.users["r.ahmed"]
	cid, ch = challenge(other.id)
	if st := login(u.id, cid, decrypt(ch, other.identity), e.code(u)); st != 401 {
		t.Errorf("challenge of another user: %d", st)
	}

	// Unknown users get a challenge that looks like a real one, of one of
	// the users' key types (TestKnownAndUnknownNamesLookAlike has more).
	cidUnknown, chUnknown := challenge("nobody")
	if !strings.HasPrefix(chUnknown, "-----BEGIN AGE ENCRYPTED FILE-----") || len(cidUnknown) != len(cid) {
		t.Errorf("unknown user's challenge looks different: %q", chUnknown[:40])
	}
	_, chPQ := challenge(u.id)
	_, chX := challenge(other.id)
	if n := len(chUnknown); n != len(chPQ) && n != len(chX) {
		t.Errorf("unknown user's challenge has %d bytes, users' %d (post-quantum) and %d (X25519)", n, len(chPQ), len(chX))
	}
	if st := login("nobody", cidUnknown, "x", "123456"); st != 401 {
		t.Errorf("unknown user login: %d", st)
	}
}

// armorReader reads an ASCII-armored age file.
func armorReader(s string) io.Reader { return ageArmor(strings.NewReader(s)) }

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.login("r.hassan")
	if _, err := c.Collections(ctx); err != nil {
		t.Fatal(err)
	}
	// Idle for more than 15 minutes: the token is dead.
	e.clock.Add(16 * time.Minute)
	if _, err := c.Collections(ctx); !client.IsStatus(err, 401) {
		t.Fatalf("after 16 idle minutes: %v", err)
	}
	// Active, but past 8 hours: dead too.
	c = e.login("r.hassan")
	for i := 1; ; i++ {
		e.clock.Add(12 * time.Minute)
		elapsed := time.Duration(i) * 12 * time.Minute
		_, err := c.Collections(ctx)
		if elapsed <= 8*time.Hour && err != nil {
			t.Fatalf("active session died after %v: %v", elapsed, err)
		}
		if elapsed > 8*time.Hour {
			if !client.IsStatus(err, 401) {
				t.Fatalf("session alive after %v: %v", elapsed, err)
			}
			break
		}
	}
	// Logout revokes the token.
	c = e.login("r.hassan")
	token := c.Token
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	c.Token = token
	if _, err := c.Collections(ctx); !client.IsStatus(err, 401) {
		t.Fatalf("after logout: %v", err)
	}
	// Disabling a user ends its sessions.
	c = e.login("r.ahmed")
	admin := e.login("l.custodian")
	disabled := "disabled"
	if _, err := admin.UpdateUser(ctx, "r.ahmed", nil, &disabled, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Collections(ctx); !client.IsStatus(err, 401) {
		t.Fatalf("disabled user's session: %v", err)
	}
}

func TestAuditOverHTTP(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	if _, err := r.Deposit(ctx, sampleDeposit([]byte("audited"))); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Search(ctx, client.SearchParams{Query: "secret-query-text-xyz"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.AuditEvents(ctx, 0, 10); !client.IsStatus(err, 403) {
		t.Fatalf("researcher reads audit: %v", err)
	}
	a := e.login("auditor")
	cp1, err := a.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := a.Verifier(ctx)
	if err != nil || vkey != e.v.VerifierKey() {
		t.Fatalf("verifier %q: %v", vkey, err)
	}
	c1, err := auditlog.OpenCheckpoint(cp1, vkey)
	if err != nil {
		t.Fatal(err)
	}
	events, next, err := a.AuditEvents(ctx, 0, 1000)
	if err != nil || int64(len(events)) != next {
		t.Fatalf("events: %d, next %d, %v", len(events), next, err)
	}
	var sawSearch bool
	for _, raw := range events {
		ev, err := auditlog.ParseEvent(raw)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Action == "search" {
			sawSearch = true
			if !strings.HasPrefix(ev.Hashed["query"], "hmac-sha256:") || strings.Contains(string(raw), "secret-query-text-xyz") {
				t.Errorf("search event holds the query in clear: %s", raw)
			}
		}
	}
	if !sawSearch {
		t.Error("no search event")
	}
	// Inclusion proof of event 3 in the checkpoint's tree.
	proof, err := a.InclusionProof(ctx, 3, c1.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(proof, c1.Size, c1.Root, 3, tlog.RecordHash(events[3])); err != nil {
		t.Fatalf("inclusion proof: %v", err)
	}
	// Later checkpoint, consistency proof.
	r.Search(ctx, client.SearchParams{Query: "more"})
	cp2, _ := a.Checkpoint(ctx)
	c2, err := auditlog.OpenCheckpoint(cp2, vkey)
	if err != nil || c2.Size <= c1.Size {
		t.Fatalf("second checkpoint: %v", err)
	}
	tp, err := a.ConsistencyProof(ctx, c1.Size, c2.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(tp, c2.Size, c2.Root, c1.Size, c1.Root); err != nil {
		t.Fatalf("consistency proof: %v", err)
	}
	if _, err := note.Open(cp2, note.VerifierList(mustVerifier(t, vkey))); err != nil {
		t.Fatal(err)
	}
	// Bad proof parameters: 400, never 500.
	for _, q := range []string{"seq=-1&size=3", "seq=5&size=2", "seq=a&size=b", "seq=0&size=999999"} {
		if resp := e.raw(a, "GET", "/v1/audit/proof/inclusion?"+q, nil, ""); resp.StatusCode != 400 {
			t.Errorf("inclusion %s: %d", q, resp.StatusCode)
		}
	}
	// The admin can look up the HMAC of a known query.
	h, err := e.login("l.custodian").HMAC(ctx, "secret-query-text-xyz")
	if err != nil || !strings.HasPrefix(h, "hmac-sha256:") {
		t.Fatalf("hmac: %q %v", h, err)
	}
	found := false
	events, _, _ = a.AuditEvents(ctx, 0, 1000)
	for _, raw := range events {
		if strings.Contains(string(raw), h) {
			found = true
		}
	}
	if !found {
		t.Error("the HMAC of the query does not find its search event")
	}
}

func mustVerifier(t *testing.T, vkey string) note.Verifier {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
