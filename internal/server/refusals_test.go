package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
)

// refusedEvents returns the request.refused events of the server's log.
func refusedEvents(t *testing.T, s *amanatest.Server) []*auditlog.Event {
	t.Helper()
	var out []*auditlog.Event
	for after := int64(0); ; {
		page, err := s.Vault.AuditEvents(vault.Caller{User: "auditor"}, after, vault.MaxAuditPage)
		if err != nil {
			t.Fatal(err)
		}
		for _, leaf := range page {
			ev, err := auditlog.ParseEvent(leaf)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Action == vault.ActionRefused {
				out = append(out, ev)
			}
		}
		// The read appends an event of its own: stop at a short page.
		if len(page) < vault.MaxAuditPage {
			return out
		}
		after += int64(len(page))
	}
}

// countOf sums the counts of the refusals of actor on route for reason.
func countOf(evs []*auditlog.Event, actor, route, reason string) int {
	n := 0
	for _, ev := range evs {
		if ev.Actor == actor && ev.Detail["route"] == route && ev.Detail["reason"] == reason {
			c, _ := strconv.Atoi(ev.Detail["count"])
			n += c
		}
	}
	return n
}

func find(evs []*auditlog.Event, actor, route, reason string) *auditlog.Event {
	for _, ev := range evs {
		if ev.Actor == actor && ev.Detail["route"] == route && ev.Detail["reason"] == reason {
			return ev
		}
	}
	return nil
}

// TestRefusalsAreAudited: a researcher whose step-up expired tries to
// shred, back up, list users and revoke, sends a malformed deposit, and a
// forged token tries a download. Each refusal is in the log at once, with
// the actor when known, the route, the reason, the outcome, the request
// id and the hashed client address.
func TestRefusalsAreAudited(t *testing.T) {
	s := amanatest.NewServer(t, amanatest.Options{
		Collections: []vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan", "a.karim"}}},
	})
	ctx := context.Background()
	r := s.Login("r.hassan")
	dep, err := r.Deposit(ctx, client.DepositRequest{
		Collection: "kirkuk-2018", Kind: "testimony",
		Public:  client.PublicMeta{Title: "Fictional testimony for refusals", Language: "en", Governorate: "Kirkuk", IncidentDate: "2017-06"},
		Consent: client.Consent{Scopes: []string{"research", "legal_proceedings"}, RecordedAt: "2018-03-02", RecordedBy: "r.hassan"},
		Private: map[string]any{"file_name": "t.txt"},
		Content: strings.NewReader("fictional content"),
	})
	if err != nil {
		t.Fatal(err)
	}
	doc := dep.Document.ID

	// Six minutes on, the session lives and its step-up is stale; the
	// client has no TOTP to offer.
	s.Clock.Add(6 * time.Minute)
	r.TOTP = nil
	last := &lastRequestID{}
	r.HTTP = &http.Client{Transport: last}
	rids := map[string]string{}
	record := func(name string, err error, want int) {
		t.Helper()
		if !client.IsStatus(err, want) {
			t.Fatalf("%s: %v, want status %d", name, err, want)
		}
		rids[name] = last.id
	}
	record("shred", r.Shred(ctx, doc), 401)
	_, err = r.Backup(ctx)
	record("backup", err, 401)
	_, err = r.Users(ctx)
	record("users", err, 401)
	record("revoke", r.Revoke(ctx, doc, "a.karim"), 401)

	send := func(method, path, token, ct, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("X-Request-ID")
	}
	st, rid := send("POST", "/v1/documents", r.Token, "multipart/form-data; boundary=x", "--x\r\nthis is not a deposit")
	if st != 400 {
		t.Fatalf("malformed deposit: %d", st)
	}
	rids["deposit"] = rid
	st, rid = send("GET", "/v1/documents/"+doc+"/content", "forged-token", "", "")
	if st != 401 {
		t.Fatalf("forged download: %d", st)
	}
	rids["download"] = rid

	evs := refusedEvents(t, s)
	for _, w := range []struct{ name, actor, route, reason, outcome, doc string }{
		{"shred", "r.hassan", "POST /v1/documents/{id}/shred", "step_up_required", "denied", doc},
		{"backup", "r.hassan", "GET /v1/backup", "step_up_required", "denied", ""},
		{"users", "r.hassan", "GET /v1/users", "step_up_required", "denied", ""},
		{"revoke", "r.hassan", "DELETE /v1/documents/{id}/grants/{user}", "step_up_required", "denied", doc},
		{"deposit", "r.hassan", "POST /v1/documents", "bad_multipart", "invalid", ""},
		{"download", "", "GET /v1/documents/{id}/content", "unauthenticated", "denied", doc},
	} {
		ev := find(evs, w.actor, w.route, w.reason)
		if ev == nil {
			t.Errorf("%s: no refusal event for %q on %s (%s) in %v", w.name, w.actor, w.route, w.reason, evs)
			continue
		}
		if ev.Outcome != w.outcome || ev.Doc != w.doc || ev.RequestID != rids[w.name] || ev.Detail["count"] != "1" ||
			!strings.HasPrefix(ev.Hashed["addr"], "hmac-sha256:") {
			t.Errorf("%s: %+v, want outcome %s, doc %q, request %s, count 1 and a hashed address", w.name, ev, w.outcome, w.doc, rids[w.name])
		}
		if w.name == "revoke" && ev.Target != "a.karim" {
			t.Errorf("revoke: target %q", ev.Target)
		}
	}
	if len(evs) != 6 {
		t.Errorf("%d refusal events, want 6: %v", len(evs), evs)
	}

	// A refusal the vault makes itself is audited once, by the vault.
	l := s.Login("a.karim")
	if err := l.Shred(ctx, doc); !client.IsStatus(err, 403) {
		t.Fatalf("a lawyer's shred: %v", err)
	}
	if evs := refusedEvents(t, s); len(evs) != 6 {
		t.Errorf("the vault's own refusal was audited again: %v", evs[6:])
	}
}

// lastRequestID keeps the X-Request-ID of the last response.
type lastRequestID struct{ id string }

func (l *lastRequestID) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		l.id = resp.Header.Get("X-Request-ID")
	}
	return resp, err
}

// TestRefusalsFold: 10,000 identical refusals from one address are a
// bounded number of events whose counts add up to 10,000.
func TestRefusalsFold(t *testing.T) {
	s := amanatest.NewServer(t, amanatest.Options{
		API: func(c *httpapi.Config) { c.Rate, c.Burst = 1e6, 1e6 },
	})
	const total, workers = 10000, 8
	url := s.URL + "/v1/documents/" + strings.Repeat("a", 26) + "/content"
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < total; i += workers {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer forged")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 401 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	before := refusedEvents(t, s)
	if len(before) != 1 || before[0].Detail["count"] != "1" {
		t.Fatalf("before the window ends: %v, want the first refusal only", before)
	}
	// The window ends: the rest is one event.
	s.Clock.Add(httpapi.DefaultRefusalWindow)
	if err := s.API.FlushRefusals(false); err != nil {
		t.Fatal(err)
	}
	evs := refusedEvents(t, s)
	if len(evs) != 2 {
		t.Fatalf("%d events for %d refusals: %v", len(evs), total, evs)
	}
	if got := countOf(evs, "", "GET /v1/documents/{id}/content", "unauthenticated"); got != total {
		t.Errorf("counts add up to %d, want %d", got, total)
	}
	if ev := evs[1]; ev.Detail["first"] == "" || ev.Detail["last"] == "" || ev.Hashed["addr"] != evs[0].Hashed["addr"] {
		t.Errorf("folded event %+v", ev)
	}
	t.Logf("%d refusals: %d events, counts %s and %s", total, len(evs), evs[0].Detail["count"], evs[1].Detail["count"])

	// Flushing again adds nothing; shutting down records what is left.
	s.API.FlushRefusals(false)
	if n := len(refusedEvents(t, s)); n != 2 {
		t.Errorf("%d events after a second flush", n)
	}
}
