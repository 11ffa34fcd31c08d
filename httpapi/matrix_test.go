package httpapi_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/time/rate"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/vault"
	"github.com/amana-vault/amana/vault/audit"
)

// The access matrix: every role against every endpoint, and for document
// endpoints every situation a document can be in from the caller's point of
// view. The statuses are those the vault's policy table (vault.Policy)
// implies, which TestAccessMatrixPolicy checks without a server:
//
//   - 401 for anonymous requests;
//   - 404 for anything the caller may not know exists: another collection's
//     document, a random id, a shredded document, any document for an
//     auditor (custody trails excepted: they are audit records);
//   - 403 for a caller who may know the object exists but holds no key slot,
//     or whose role does not allow the action;
//   - 200/201/204 where allowed.
//
// Every request that reaches the vault must leave an audit event with its
// request id, actor, action and outcome ("denied" for 403/404, "invalid" for
// 400, "ok" for success).

// mxRole is a caller of the matrix, with its role in the vault; user ""
// is anonymous.
type mxRole struct{ name, user, role string }

var mxRoles = []mxRole{
	{"admin", "l.custodian", vault.RoleAdmin},
	{"depositor", "r.hassan", vault.RoleResearcher},
	{"comember", "r.ahmed", vault.RoleResearcher},
	{"lawyer", "a.karim", vault.RoleLawyer},
	{"outsider", "r.outsider", vault.RoleResearcher},
	{"auditor", "auditor", vault.RoleAuditor},
	{"anonymous", "", ""},
}

// respRecorder is a RoundTripper that remembers the status and request id of
// the last response, so that requests made through the client library can
// be matched with their audit events.
type respRecorder struct {
	mu     sync.Mutex
	status int
	rid    string
}

func (r *respRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.status, r.rid = resp.StatusCode, resp.Header.Get("X-Request-ID")
		r.mu.Unlock()
	}
	return resp, err
}

func (r *respRecorder) last() (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status, r.rid
}

// auditIndex reads the audit log incrementally and indexes events by
// request id. Reading the log is itself audited (as l.custodian, without a
// request id), which does not disturb the index.
type auditIndex struct {
	e     *env
	mu    sync.Mutex
	next  int64
	byRID map[string][]*audit.Event
}

func newAuditIndex(e *env) *auditIndex {
	return &auditIndex{e: e, byRID: map[string][]*audit.Event{}}
}

func (a *auditIndex) events(t *testing.T, rid string) []*audit.Event {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		page, err := a.e.v.AuditEvents(vault.Caller{User: "l.custodian"}, a.next, vault.MaxAuditPage)
		if err != nil {
			t.Fatalf("reading the audit log: %v", err)
		}
		for _, raw := range page {
			ev, err := auditlog.ParseEvent(raw)
			if err != nil {
				t.Fatal(err)
			}
			if ev.RequestID != "" {
				a.byRID[ev.RequestID] = append(a.byRID[ev.RequestID], ev)
			}
		}
		a.next += int64(len(page))
		if len(page) < vault.MaxAuditPage {
			break
		}
	}
	return a.byRID[rid]
}

// wantOutcome is the audit outcome a status implies.
func wantOutcome(status int) string {
	switch {
	case status/100 == 2:
		return "ok"
	case status == 400 || status == 413 || status == 422:
		return "invalid"
	case status == 409:
		return "conflict"
	}
	return "denied"
}

// check asserts that the request rid, answered with status, left an event
// by user with action (and doc, if not empty) and the outcome the status
// implies. Anonymous requests never reach the vault: they have no actor.
func (a *auditIndex) check(t *testing.T, rid, user, action, doc string, status int) {
	t.Helper()
	if user == "" || action == "" {
		return
	}
	if rid == "" {
		t.Errorf("no X-Request-ID on the response")
		return
	}
	want := wantOutcome(status)
	evs := a.events(t, rid)
	for _, ev := range evs {
		if ev.Action == action && ev.Actor == user && ev.Outcome == want && (doc == "" || ev.Doc == doc) {
			return
		}
	}
	var got []string
	for _, ev := range evs {
		got = append(got, fmt.Sprintf("%s/%s/%s/doc=%s", ev.Actor, ev.Action, ev.Outcome, ev.Doc))
	}
	t.Errorf("no audit event %s/%s/%s (doc %q) for request %s; events: %v", user, action, want, doc, rid, got)
}

// randomDocID looks like a real document id and names nothing.
func randomDocID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// mxSituation is a document as a role sees it: make builds one (a fresh one
// on every call), grantee is who a grant in this situation is for, and
// revokee whose slot a revocation removes. want lists the statuses of the
// document operations, in mxDocOps order; rel is the caller's relation to
// the document in the vault's policy.
type mxSituation struct {
	role, name       string
	make             func(t *testing.T) string
	grantee, revokee string
	want             string
	rel              vault.Relation
}

// mxDocOp is one document endpoint.
type mxDocOp struct {
	name, method, action string
	path                 func(id, revokee string) string
}

var mxDocOps = []mxDocOp{
	{"get", "GET", "document.read", func(id, _ string) string { return "/v1/documents/" + id }},
	{"manifest", "GET", "document.manifest", func(id, _ string) string { return "/v1/documents/" + id + "/manifest" }},
	{"keyslot", "GET", "document.keyslot", func(id, _ string) string { return "/v1/documents/" + id + "/keyslot" }},
	{"content", "GET", "document.download", func(id, _ string) string { return "/v1/documents/" + id + "/content" }},
	{"private", "GET", "document.private", func(id, _ string) string { return "/v1/documents/" + id + "/private" }},
	{"custody", "GET", "document.custody", func(id, _ string) string { return "/v1/documents/" + id + "/custody" }},
	{"grant", "POST", "document.grant", func(id, _ string) string { return "/v1/documents/" + id + "/grants" }},
	{"revoke", "DELETE", "document.revoke", func(id, u string) string { return "/v1/documents/" + id + "/grants/" + u }},
	{"shred", "POST", "document.shred", func(id, _ string) string { return "/v1/documents/" + id + "/shred" }},
	{"rekey", "PUT", "document.rekey", func(id, _ string) string { return "/v1/documents/" + id + "/content" }},
	{"request", "POST", "document.request", func(id, _ string) string { return "/v1/documents/" + id + "/requests" }},
}

// mxEnv is the environment of the matrix: a vault with a third collection
// and a sixth user, and a logged-in client for every user.
type mxEnv struct {
	*env
	clients map[string]*client.Client
	idents  map[string]age.Identity
	audit   *auditIndex
}

func newMxEnv(t *testing.T) *mxEnv {
	e := newEnv(t, func(c *httpapi.Config) { c.Rate = rate.Inf })
	admin := vault.Caller{User: "l.custodian"}
	// A second researcher in sinjar-2017, so that the outsider can grant.
	nadia, _ := age.GenerateX25519Identity()
	if _, _, err := e.v.AddUser(admin, vault.NewUser{ID: "r.nadia", Role: vault.RoleResearcher, Recipient: nadia.Recipient().String()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.v.UpdateCollection(admin, "sinjar-2017", vault.CollectionUpdate{AddMembers: []string{"r.nadia"}}); err != nil {
		t.Fatal(err)
	}
	// A collection of which the admin is neither member nor custodian: its
	// documents carry no slot for the admin.
	if _, err := e.v.CreateCollection(admin, vault.Collection{ID: "mosul-2019", Members: []string{"r.hassan", "a.karim"}, Custodians: []string{"r.ahmed"}}); err != nil {
		t.Fatal(err)
	}
	m := &mxEnv{env: e, clients: map[string]*client.Client{}, idents: map[string]age.Identity{}, audit: newAuditIndex(e)}
	// Every login moves the clock by 30 s; six logins stay well inside the
	// 5-minute step-up window of the first, and nothing else moves the clock.
	for _, r := range mxRoles {
		if r.user == "" {
			continue
		}
		c := e.login(r.user)
		c.TOTP = nil // a step-up prompt would be a failure here
		m.clients[r.user], m.idents[r.user] = c, e.users[r.user].identity
	}
	return m
}

// deposit makes a document in col by user, with extra key slots for to.
func (m *mxEnv) deposit(t *testing.T, user, col string, to ...string) string {
	t.Helper()
	d := sampleDeposit([]byte("matrix document content"))
	d.Collection, d.To = col, to
	dep, err := m.clients[user].Deposit(ctx, d)
	if err != nil {
		t.Fatalf("deposit by %s into %s: %v", user, col, err)
	}
	return dep.Document.ID
}

func (m *mxEnv) shredded(t *testing.T, user, col string) string {
	t.Helper()
	id := m.deposit(t, user, col)
	if err := m.v.Shred(vault.Caller{User: "l.custodian"}, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// send makes a raw request as c and returns its status and request id,
// checking that errors have a JSON error body.
func (m *mxEnv) send(t *testing.T, c *client.Client, method, path string, body io.Reader, ct string) (int, string) {
	t.Helper()
	res := m.env.send(c, method, path, body, ct)
	if res.err != nil {
		t.Fatalf("%s %s: %v", method, path, res.err)
	}
	if res.status >= 400 && jsonErrorCode(res.body) == "" {
		t.Errorf("%s %s: %d without a JSON error body: %.200s", method, path, res.status, res.body)
	}
	return res.status, res.header.Get("X-Request-ID")
}

// as returns a copy of user's client with a recorder of its own, for use
// in one goroutine; nil for anonymous.
func (m *mxEnv) as(user string) (*client.Client, *respRecorder) {
	if user == "" {
		return nil, nil
	}
	c := *m.clients[user]
	rec := &respRecorder{}
	c.HTTP = &http.Client{Transport: rec}
	return &c, rec
}

// slotFor is a well-formed key slot (for some document key) for user.
func (m *mxEnv) slotFor(t *testing.T, user string) []byte {
	t.Helper()
	var rcpt string
	if u, ok := m.users[user]; ok {
		rcpt = u.rcpt
	} else {
		r, err := m.v.GetUser(vault.Caller{User: "l.custodian"}, user)
		if err != nil {
			t.Fatal(err)
		}
		rcpt = r.Recipient
	}
	ar, err := recipient.Parse(rcpt)
	if err != nil {
		t.Fatalf("recipient of %s: %v", user, err)
	}
	k, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	slot, err := envelope.Wrap(k, ar)
	if err != nil {
		t.Fatal(err)
	}
	return slot
}

// rekeyBody is a syntactically complete rekey request for the denied cases:
// the vault refuses it before looking at the slots.
func rekeyBody(t *testing.T) (string, *bytes.Buffer) {
	return multipartDeposit(t, [2]string{"meta", `{"slots":{}}`}, [2]string{"content", "age-encryption.org/v1\n"},
		[2]string{"final", `{"cipher_sha256":"` + strings.Repeat("00", 32) + `"}`})
}

// doDocOp runs op as user on doc id in situation s, returning the status and
// request id. Allowed mutations use the client library, as a real client
// would; everything else is a raw request.
func (m *mxEnv) doDocOp(t *testing.T, user string, c *client.Client, rec *respRecorder, op mxDocOp, id string, s mxSituation, want int) (int, string) {
	t.Helper()
	switch op.name {
	case "grant":
		b, _ := json.Marshal(map[string]any{"user": s.grantee, "slot": m.slotFor(t, s.grantee)})
		if user != "" && want == 201 {
			// The real thing: open the caller's slot, wrap for the grantee.
			err := c.Grant(ctx, id, s.grantee, []age.Identity{m.idents[user]})
			st, rid := rec.last()
			if err != nil && st/100 == 2 {
				t.Errorf("grant: %v", err)
			}
			return st, rid
		}
		return m.send(t, c, op.method, op.path(id, s.revokee), bytes.NewReader(b), "application/json")
	case "rekey":
		if user != "" && want == 200 {
			_, err := c.Rekey(ctx, id, []age.Identity{m.idents[user]})
			st, rid := rec.last()
			if err != nil && st/100 == 2 {
				t.Errorf("rekey: %v", err)
			}
			return st, rid
		}
		ct, body := rekeyBody(t)
		return m.send(t, c, op.method, op.path(id, s.revokee), body, ct)
	}
	return m.send(t, c, op.method, op.path(id, s.revokee), nil, "")
}

// mutates reports whether op, when it succeeds, changes the document, so
// that the cell needs a document of its own.
func mutates(op string) bool {
	return op == "grant" || op == "revoke" || op == "shred" || op == "rekey"
}

// Relations of the matrix that are not relations of the policy: an object
// that does not exist (refused if the role alone refuses the action, not
// found otherwise), and a listing (refused if the role alone refuses it,
// answered otherwise), and no relation at all (anonymous, unaudited).
const (
	relMissing vault.Relation = "(missing)"
	relListing vault.Relation = "(listing)"
	relNA      vault.Relation = "-"
)

// policyStatus is the status class the vault's policy gives role for
// action on an object in relation rel: 200 when allowed, 403 or 404.
func policyStatus(role, action string, rel vault.Relation) int {
	var err error
	switch rel {
	case relMissing, relListing:
		decided, byRole := vault.AuthorizeRole(role, action)
		switch {
		case decided && byRole != nil:
			err = byRole
		case rel == relMissing:
			err = vault.ErrNotFound
		}
	default:
		err = vault.Authorize(role, action, rel)
	}
	switch {
	case err == nil:
		return 200
	case errors.Is(err, vault.ErrForbidden):
		return 403
	case errors.Is(err, vault.ErrNotFound):
		return 404
	}
	return 500
}

// TestAccessMatrixPolicy checks the matrix against the vault's policy
// table, without a server: every cell's status is the one the table gives
// the caller's role and relation (anonymous requests never reach it).
func TestAccessMatrixPolicy(t *testing.T) {
	check := func(t *testing.T, cell string, role mxRole, action string, rel vault.Relation, want int) {
		t.Helper()
		if role.user == "" || action == "" {
			if rel != relNA {
				t.Errorf("%s: relation %q for a request the policy does not decide", cell, rel)
			}
			return
		}
		got := policyStatus(role.role, action, rel)
		if got != want && !(got == 200 && want/100 == 2) {
			t.Errorf("%s: the policy gives %s %s as %s %d, the matrix %d", cell, role.role, action, rel, got, want)
		}
	}
	roles := map[string]mxRole{}
	for _, r := range mxRoles {
		roles[r.name] = r
	}
	for _, s := range mxDocSituations(nil) {
		want := strings.Fields(s.want)
		for i, op := range mxDocOps {
			rel := s.rel
			if op.name == "revoke" && rel == vault.RelHolder && s.revokee == roles[s.role].user {
				rel = vault.RelSelf // a holder giving up its own slot
			}
			st, _ := strconv.Atoi(want[i])
			check(t, s.role+"/"+s.name+"/"+op.name, roles[s.role], op.action, rel, st)
		}
	}
	for _, c := range mxEndpointCases("DOC") {
		want, rels := strings.Fields(c.want), strings.Fields(c.rels)
		for i, r := range mxRoles {
			rel := vault.Relation(rels[0])
			if len(rels) > 1 {
				rel = vault.Relation(rels[i])
			} else if r.user == "" {
				rel = relNA
			}
			st, _ := strconv.Atoi(want[i])
			check(t, c.method+" "+c.path+"/"+r.name, r, c.action, rel, st)
		}
	}
}

// mxDocSituations are the situations of the document matrix; m builds
// their documents, and may be nil when no document is made.
func mxDocSituations(m *mxEnv) []mxSituation {
	dep := func(user, col string, to ...string) func(*testing.T) string {
		return func(t *testing.T) string { return m.deposit(t, user, col, to...) }
	}
	shred := func(user, col string) func(*testing.T) string {
		return func(t *testing.T) string { return m.shredded(t, user, col) }
	}
	missing := func(*testing.T) string { return randomDocID() }

	// Statuses, in mxDocOps order:
	//                 get manifest keyslot content private custody grant revoke shred rekey request
	const (
		keeper      = "200 200 200 200 200 200 201 204 403 200 403" // depositor: may also replace the ciphertext (rekey)
		holder      = "200 200 200 200 200 200 201 204 403 403 403" // researcher or lawyer granted a slot: reads and grants, never rekeys
		noSlot      = "200 200 403 403 403 403 403 403 403 403 201" // member without a slot: may ask for one
		hidden      = "404 404 404 404 404 404 404 404 404 404 404"
		anonymous   = "401 401 401 401 401 401 401 401 401 401 401"
		adminSlot   = "200 200 200 200 200 200 201 204 204 200 403" // custodian's slot
		adminNoSlot = "200 200 403 403 403 200 403 204 204 403 403" // sees, revokes and shreds; cannot decrypt, and cannot be granted
		auditTrail  = "404 404 404 404 404 200 404 404 404 404 404" // custody only: it is audit data
	)
	return []mxSituation{
		// r.hassan, researcher and depositor in kirkuk-2018.
		{"depositor", "own deposit", dep("r.hassan", "kirkuk-2018", "a.karim"), "r.ahmed", "a.karim", keeper, vault.RelDepositor},
		{"depositor", "granted", dep("r.ahmed", "kirkuk-2018", "r.hassan"), "a.karim", "r.hassan", holder, vault.RelHolder},
		{"depositor", "member, no slot", dep("r.ahmed", "kirkuk-2018", "a.karim"), "r.hassan", "a.karim", noSlot, vault.RelMember},
		{"depositor", "other collection", dep("r.outsider", "sinjar-2017"), "r.nadia", "r.outsider", hidden, vault.RelNone},
		{"depositor", "nonexistent", missing, "r.ahmed", "r.ahmed", hidden, relMissing},
		{"depositor", "shredded own deposit", shred("r.hassan", "kirkuk-2018"), "r.ahmed", "r.hassan", hidden, vault.RelShredded},
		// r.ahmed, researcher in kirkuk-2018.
		{"comember", "own deposit", dep("r.ahmed", "kirkuk-2018", "a.karim"), "r.hassan", "a.karim", keeper, vault.RelDepositor},
		{"comember", "granted", dep("r.hassan", "kirkuk-2018", "r.ahmed"), "a.karim", "r.ahmed", holder, vault.RelHolder},
		{"comember", "member, no slot", dep("r.hassan", "kirkuk-2018", "a.karim"), "r.ahmed", "a.karim", noSlot, vault.RelMember},
		{"comember", "other collection", dep("r.outsider", "sinjar-2017"), "r.nadia", "r.outsider", hidden, vault.RelNone},
		{"comember", "nonexistent", missing, "r.hassan", "r.hassan", hidden, relMissing},
		{"comember", "shredded", shred("r.hassan", "kirkuk-2018"), "r.ahmed", "r.hassan", hidden, vault.RelShredded},
		// a.karim, lawyer in kirkuk-2018 (consent covers legal_proceedings).
		{"lawyer", "granted", dep("r.hassan", "kirkuk-2018", "a.karim"), "r.ahmed", "a.karim", holder, vault.RelHolder},
		{"lawyer", "member, no slot", dep("r.hassan", "kirkuk-2018", "r.ahmed"), "a.karim", "r.ahmed", noSlot, vault.RelMember},
		{"lawyer", "other collection", dep("r.outsider", "sinjar-2017"), "r.nadia", "r.outsider", hidden, vault.RelNone},
		{"lawyer", "nonexistent", missing, "r.ahmed", "r.ahmed", hidden, relMissing},
		{"lawyer", "shredded", shred("r.hassan", "kirkuk-2018"), "r.ahmed", "r.hassan", hidden, vault.RelShredded},
		// r.outsider, researcher in sinjar-2017 only.
		{"outsider", "own deposit", dep("r.outsider", "sinjar-2017"), "r.nadia", "r.outsider", keeper, vault.RelDepositor},
		{"outsider", "other collection", dep("r.hassan", "kirkuk-2018", "a.karim"), "r.ahmed", "a.karim", hidden, vault.RelNone},
		{"outsider", "nonexistent", missing, "r.nadia", "r.nadia", hidden, relMissing},
		{"outsider", "shredded own deposit", shred("r.outsider", "sinjar-2017"), "r.nadia", "r.outsider", hidden, vault.RelShredded},
		// l.custodian, admin and custodian of kirkuk-2018 and sinjar-2017.
		{"admin", "custodian slot", dep("r.hassan", "kirkuk-2018", "a.karim"), "r.ahmed", "a.karim", adminSlot, vault.RelCustodian},
		{"admin", "no slot (mosul-2019)", dep("r.hassan", "mosul-2019", "a.karim"), "a.karim", "a.karim", adminNoSlot, vault.RelNone},
		{"admin", "nonexistent", missing, "r.ahmed", "r.ahmed", hidden, relMissing},
		{"admin", "shredded", shred("r.hassan", "kirkuk-2018"), "r.ahmed", "r.hassan", auditTrail, vault.RelShredded},
		// The auditor: never a document, only its audit trail.
		{"auditor", "kirkuk-2018 document", dep("r.hassan", "kirkuk-2018", "a.karim"), "r.ahmed", "a.karim", auditTrail, vault.RelNone},
		{"auditor", "nonexistent", missing, "r.ahmed", "r.ahmed", hidden, relMissing},
		{"auditor", "shredded", shred("r.hassan", "kirkuk-2018"), "r.ahmed", "r.hassan", auditTrail, vault.RelShredded},
		// Nobody logged in.
		{"anonymous", "kirkuk-2018 document", dep("r.hassan", "kirkuk-2018", "a.karim"), "r.ahmed", "a.karim", anonymous, relNA},
		{"anonymous", "nonexistent", missing, "r.ahmed", "r.ahmed", anonymous, relNA},
	}
}

func TestAccessMatrixDocuments(t *testing.T) {
	m := newMxEnv(t)
	situations := mxDocSituations(m)
	users := map[string]string{}
	for _, r := range mxRoles {
		users[r.name] = r.user
	}
	start := time.Now()
	// Situations run in parallel (the vault group-commits their audit
	// events); the operations of one situation run in order.
	t.Run("cells", func(t *testing.T) {
		for _, s := range situations {
			user := users[s.role]
			want := strings.Fields(s.want)
			if len(want) != len(mxDocOps) {
				t.Fatalf("%s/%s: %d statuses", s.role, s.name, len(want))
			}
			t.Run(s.role+"/"+s.name, func(t *testing.T) {
				t.Parallel()
				c, rec := m.as(user)
				shared := s.make(t)
				before, _, _ := m.v.PublicRecord(shared)
				for i, op := range mxDocOps {
					wantSt, _ := strconv.Atoi(want[i])
					t.Run(op.name, func(t *testing.T) {
						id := shared
						if mutates(op.name) && wantSt/100 == 2 {
							id = s.make(t) // a document of its own, in the same situation
						}
						st, rid := m.doDocOp(t, user, c, rec, op, id, s, wantSt)
						if st != wantSt {
							t.Fatalf("%s %s as %s on %s: %d, want %d", op.method, op.name, s.role, s.name, st, wantSt)
						}
						m.audit.check(t, rid, user, op.action, id, st)
						if wantSt/100 == 2 && mutates(op.name) {
							checkMutation(t, m, op.name, id, s)
						}
					})
				}
				// Denied and read-only requests changed nothing.
				if after, _, _ := m.v.PublicRecord(shared); before != nil && (after == nil ||
					!slices.Equal(before.SlotHolders, after.SlotHolders) || before.Generation != after.Generation || before.CipherSHA256 != after.CipherSHA256) {
					t.Errorf("the shared document changed: %+v -> %+v", before, after)
				}
			})
		}
	})
	t.Logf("%d situations × %d operations in %v", len(situations), len(mxDocOps), time.Since(start))
}

// checkMutation verifies the effect of an allowed grant, revoke, shred or
// rekey on document id.
func checkMutation(t *testing.T, m *mxEnv, op, id string, s mxSituation) {
	t.Helper()
	doc, active, err := m.v.PublicRecord(id)
	if err != nil {
		t.Fatal(err)
	}
	switch op {
	case "shred":
		if active {
			t.Errorf("document still active after shred")
		}
		return
	case "grant":
		if !active || !doc.HoldsSlot(s.grantee) {
			t.Errorf("grantee %s holds no slot after the grant: %+v", s.grantee, doc)
		}
	case "revoke":
		if !active || doc.HoldsSlot(s.revokee) {
			t.Errorf("%s still holds a slot after the revocation: %+v", s.revokee, doc)
		}
	case "rekey":
		if !active || doc.Generation != 1 {
			t.Errorf("generation after rekey: %+v", doc)
		}
	}
}

// mxCase is a non-document endpoint; want lists statuses in mxRoles order,
// and rels the callers' relations to the object in the vault's policy, in
// the same order, or one for every caller but the anonymous.
type mxCase struct {
	method, path, action string
	body                 func() string // JSON, or nil
	want, rels           string
}

// mxEndpointCases are the cases of the endpoint matrix; hassanDoc is a
// document deposited by r.hassan into kirkuk-2018 with no extra slot.
func mxEndpointCases(hassanDoc string) []mxCase {
	n := 0
	uniq := func(prefix string) string { n++; return fmt.Sprintf("%s%d", prefix, n) }
	newRecipient := func() string {
		k, _ := age.GenerateX25519Identity()
		return k.Recipient().String()
	}
	jsonOf := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	const (
		none      = string(vault.RelNone)
		listing   = string(relListing)
		missing   = string(relMissing)
		kirkuk    = "member member member member none none -" // the members of kirkuk-2018, and r.hassan's fellows
		sinjar    = "member none none none member none -"
		hassanRel = "custodian depositor member member none none -"
	)

	//                                                        admin dep com law out aud anon
	return []mxCase{
		{"POST", "/v1/users", "user.create", func() string {
			return jsonOf(map[string]string{"id": uniq("m.user"), "role": "researcher", "recipient": newRecipient()})
		}, "201 403 403 403 403 403 401", none},
		{"GET", "/v1/users", "user.list", nil, "200 403 403 403 403 403 401", none},
		{"PATCH", "/v1/users/r.ahmed", "user.update", func() string { return `{"name":"Ahmed (fictional)"}` }, "200 403 403 403 403 403 401", none},
		{"GET", "/v1/users/r.hassan/recipient", "user.recipient", nil, "200 200 200 200 404 404 401", kirkuk},
		{"GET", "/v1/users/r.hassan/keys", "user.keys", nil, "200 200 200 200 200 200 401", none},               // public keys with their proof: anyone signed in
		{"GET", "/v1/users/r.hassan/keys?at=1000000000", "user.keys", nil, "200 200 200 200 200 200 401", none}, // and those in effect at an event
		{"POST", "/v1/collections", "collection.create", func() string { return jsonOf(map[string]string{"id": uniq("mx-col-")}) }, "201 403 403 403 403 403 401", none},
		{"GET", "/v1/collections", "collection.list", nil, "200 200 200 200 200 200 401", listing},
		{"PATCH", "/v1/collections/kirkuk-2018", "collection.update", func() string { return `{"add_members":["r.ahmed"]}` }, "200 403 403 403 403 403 401", none},
		{"GET", "/v1/collections/kirkuk-2018/recipients", "collection.recipients", nil, "200 200 200 200 404 404 401", kirkuk},
		{"GET", "/v1/collections/sinjar-2017/recipients", "collection.recipients", nil, "200 404 404 404 200 404 401", sinjar},
		{"GET", "/v1/collections/nowhere/recipients", "collection.recipients", nil, "404 404 404 404 404 404 401", missing},
		{"POST", "/v1/documents", "document.deposit", nil, "403 201 201 403 404 403 401", kirkuk},
		{"GET", "/v1/search?q=testimony&facets=collection", "search", nil, "200 200 200 200 200 403 401", listing},
		// Pending access requests: the keepers' lists, unaudited (the
		// requests are); anyone else is told the document does not exist.
		{"GET", "/v1/requests", "", nil, "200 200 200 200 200 200 401", "-"},
		{"GET", "/v1/documents/" + hassanDoc + "/requests", "", nil, "200 200 404 404 404 404 401", "-"},
		{"GET", "/v1/stats?by=kind", "stats", nil, "200 200 200 200 200 403 401", listing},
		{"GET", "/v1/audit/events?limit=5", "audit.read", nil, "200 403 403 403 403 200 401", none},
		{"GET", "/v1/audit/checkpoint", "audit.checkpoint", nil, "200 403 403 403 403 200 401", none},
		{"GET", "/v1/audit/verifier", "", nil, "200 200 200 200 200 200 401", "-"}, // a public key: not audited
		{"GET", "/v1/audit/proof/inclusion?seq=0&size=2", "audit.proof", nil, "200 403 403 403 403 200 401", none},
		{"GET", "/v1/audit/proof/consistency?old=1&new=2", "audit.proof", nil, "200 403 403 403 403 200 401", none},
		{"POST", "/v1/audit/hmac", "audit.hmac", func() string { return `{"value":"a known query"}` }, "200 403 403 403 403 403 401", none},
		{"GET", "/v1/backup", "vault.backup", nil, "200 403 403 403 403 403 401", none},
		{"GET", "/v1/check", "vault.check", nil, "200 403 403 403 403 403 401", none},
		{"GET", "/v1/documents/" + hassanDoc + "/custody", "document.custody", nil, "200 200 403 403 404 200 401", hassanRel},
	}
}

func TestAccessMatrixEndpoints(t *testing.T) {
	m := newMxEnv(t)
	hassanDoc := m.deposit(t, "r.hassan", "kirkuk-2018")
	m.deposit(t, "r.outsider", "sinjar-2017")
	cases := mxEndpointCases(hassanDoc)
	meta := `{"collection":"kirkuk-2018","kind":"testimony","public":{"title":"Matrix deposit","language":"en"},` +
		`"consent":{"scopes":["research"],"recorded_at":"2018-03-02","recorded_by":"r.hassan"},"slots":{}}`
	for _, c := range cases {
		want := strings.Fields(c.want)
		if len(want) != len(mxRoles) {
			t.Fatalf("%s %s: %d statuses", c.method, c.path, len(want))
		}
		for i, r := range mxRoles {
			wantSt, _ := strconv.Atoi(want[i])
			t.Run(c.method+" "+c.path+"/"+r.name, func(t *testing.T) {
				var st int
				var rid string
				cl, rec := m.as(r.user)
				switch {
				case c.path == "/v1/documents" && wantSt == 201:
					_, err := cl.Deposit(ctx, sampleDeposit([]byte("matrix deposit")))
					st, rid = rec.last()
					if err != nil && st/100 == 2 {
						t.Errorf("deposit: %v", err)
					}
				case c.path == "/v1/documents":
					ct, body := multipartDeposit(t, [2]string{"meta", meta}, [2]string{"content", "age-encryption.org/v1\n"},
						[2]string{"final", `{"cipher_sha256":"` + strings.Repeat("00", 32) + `"}`})
					st, rid = m.send(t, cl, c.method, c.path, body, ct)
				case c.body != nil:
					st, rid = m.send(t, cl, c.method, c.path, strings.NewReader(c.body()), "application/json")
				default:
					st, rid = m.send(t, cl, c.method, c.path, nil, "")
				}
				if st != wantSt {
					t.Fatalf("%s %s as %s: %d, want %d", c.method, c.path, r.name, st, wantSt)
				}
				m.audit.check(t, rid, r.user, c.action, "", st)
			})
		}
	}

	// Listings are filtered to the caller: collections, and search hits
	// and facets.
	wantCols := map[string][]string{
		"l.custodian": {"kirkuk-2018", "mosul-2019", "sinjar-2017"}, // and those created above
		"r.hassan":    {"kirkuk-2018", "mosul-2019"},
		"r.ahmed":     {"kirkuk-2018", "mosul-2019"},
		"a.karim":     {"kirkuk-2018", "mosul-2019"},
		"r.outsider":  {"sinjar-2017"},
		"auditor":     {},
	}
	for user, want := range wantCols {
		cols, err := m.clients[user].Collections(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cols {
			if user == "l.custodian" && strings.HasPrefix(c.ID, "mx-col-") {
				continue
			}
			got = append(got, c.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s lists collections %v, want %v", user, got, want)
		}
		if user == "auditor" {
			continue
		}
		res, err := m.clients[user].Search(ctx, client.SearchParams{Query: "testimony", Facets: []string{"collection"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total == 0 && user != "l.custodian" && user != "r.outsider" {
			// Members of kirkuk-2018 see the deposits made above.
			t.Errorf("%s finds nothing", user)
		}
		for _, h := range res.Hits {
			if !slices.Contains(want, h.Collection) && user != "l.custodian" {
				t.Errorf("%s finds %s of %s", user, h.ID, h.Collection)
			}
		}
		for _, f := range res.Facets["collection"] {
			if !slices.Contains(want, f.Term) && user != "l.custodian" {
				t.Errorf("%s gets a facet count for %s", user, f.Term)
			}
		}
	}
}

// TestStepUpMatrix: a session whose last TOTP is older than five minutes
// cannot manage users, grant, revoke, shred, rekey, create or change
// collections (making a lawyer a custodian included), check the vault or
// take a backup without a fresh code (SPEC §2.3, §7), and a fresh code in
// X-Amana-TOTP lets the same request through.
func TestStepUpMatrix(t *testing.T) {
	m := newMxEnv(t)
	id := m.deposit(t, "r.hassan", "kirkuk-2018", "a.karim")
	newRecipient := func() string {
		k, _ := age.GenerateX25519Identity()
		return k.Recipient().String()
	}
	type stepCase struct {
		user, method, path, body, contentType string
		want                                  int // with a fresh code
		spec                                  string
	}
	rekeyCT, rekeyBuf := rekeyBody(t)
	cases := []stepCase{
		{"l.custodian", "POST", "/v1/users", `{"id":"m.stepup","role":"lawyer","recipient":"` + newRecipient() + `"}`, "application/json", 201, ""},
		{"l.custodian", "PATCH", "/v1/users/r.ahmed", `{"name":"Ahmed"}`, "application/json", 200, ""},
		{"l.custodian", "GET", "/v1/users", "", "", 200, "SPEC §7 lists GET /v1/users under \"admin (+TOTP step-up)\"; the server (and openapi.json) ask for no step-up"},
		{"l.custodian", "PATCH", "/v1/collections/kirkuk-2018", `{"add_members":["r.ahmed"]}`, "application/json", 200, ""},
		{"l.custodian", "PATCH", "/v1/collections/sinjar-2017", `{"add_members":["a.karim"],"add_custodians":["a.karim"]}`, "application/json", 200, ""},
		{"l.custodian", "POST", "/v1/collections", `{"id":"basra-2020","members":["r.hassan"],"custodians":["a.karim"]}`, "application/json", 201, ""},
		{"l.custodian", "GET", "/v1/check", "", "", 200, ""},
		{"l.custodian", "GET", "/v1/backup", "", "", 200, ""},
		{"r.hassan", "POST", "/v1/documents/" + id + "/grants", `{"user":"r.ahmed","slot":"` + b64(m.slotFor(t, "r.ahmed")) + `"}`, "application/json", 201, ""},
		{"r.hassan", "DELETE", "/v1/documents/" + id + "/grants/a.karim", "", "", 204, ""},
		{"r.hassan", "PUT", "/v1/documents/" + id + "/content", rekeyBuf.String(), rekeyCT, 400, ""}, // a fake ciphertext: refused after the step-up
		{"l.custodian", "POST", "/v1/documents/" + id + "/shred", "", "", 204, ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			cl := m.login(c.user) // a session of its own, whose step-up then ages
			m.clock.Add(5*time.Minute + time.Second)
			send := func(header ...string) (int, string) {
				var body io.Reader
				if c.body != "" {
					body = strings.NewReader(c.body)
				}
				resp := m.raw(cl, c.method, c.path, body, c.contentType, header...)
				return resp.StatusCode, string(m.body(resp))
			}
			st, b := send()
			if st != 401 || !strings.Contains(b, "step_up_required") {
				t.Fatalf("without a fresh code: %d %s", st, b)
			}
			m.step()
			if st, b := send("X-Amana-TOTP", m.code(m.users[c.user])); st != c.want {
				t.Fatalf("with a fresh code: %d %s", st, b)
			}
		})
	}
}

func b64(b []byte) string {
	s, _ := json.Marshal(b)
	return strings.Trim(string(s), `"`)
}
