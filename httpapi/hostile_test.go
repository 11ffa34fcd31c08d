package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/httpapi"
	"golang.org/x/time/rate"
)

// TestHostileRequests sends malformed, oversize and tricky requests: each
// gets its 4xx with a JSON error body, none gets a 5xx, and none changes
// anything (no document appears).
func TestHostileRequests(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	admin := e.login("l.custodian")
	big := strings.Repeat("a", 2<<20)
	tests := []struct {
		name        string
		as          *client.Client
		method      string
		path        string
		body        string
		contentType string
		want        int
	}{
		{"no token", nil, "GET", "/v1/collections", "", "", 401},
		{"bad token", &client.Client{Token: "forged"}, "GET", "/v1/collections", "", "", 401},
		{"malformed json", nil, "POST", "/v1/auth/challenge", "{", "application/json", 400},
		{"json array", nil, "POST", "/v1/auth/challenge", "[1,2]", "application/json", 400},
		{"unknown field", nil, "POST", "/v1/auth/challenge", `{"user":"x","admin":true}`, "application/json", 400},
		{"trailing data", nil, "POST", "/v1/auth/challenge", `{"user":"x"}{"user":"y"}`, "application/json", 400},
		{"wrong type", nil, "POST", "/v1/auth/challenge", `{"user":42}`, "application/json", 400},
		{"wrong content type", nil, "POST", "/v1/auth/challenge", `{"user":"x"}`, "text/plain", 415},
		{"oversize json", nil, "POST", "/v1/auth/challenge", `{"user":"` + big + `"}`, "application/json", 413},
		{"long user id", nil, "POST", "/v1/auth/challenge", `{"user":"` + strings.Repeat("u", 100) + `"}`, "application/json", 400},
		{"empty body", nil, "POST", "/v1/auth/login", "", "application/json", 400},
		{"deposit not multipart", r, "POST", "/v1/documents", `{"collection":"kirkuk-2018"}`, "application/json", 415},
		{"deposit garbage multipart", r, "POST", "/v1/documents", "garbage", "multipart/form-data; boundary=xyz", 400},
		{"deposit no boundary", r, "POST", "/v1/documents", "", "multipart/form-data", 415},
		{"guessed document", r, "GET", "/v1/documents/aaaaaaaaaaaaaaaaaaaaaaaaaa", "", "", 404},
		{"path traversal", r, "GET", "/v1/documents/..%2F..%2Fusers", "", "", 404},
		{"dot segments", r, "GET", "/v1/documents/../users", "", "", 404},
		{"unknown route", r, "GET", "/v1/nothing", "", "", 404},
		{"wrong method", r, "DELETE", "/v1/collections", "", "", 405},
		{"search bad size", r, "GET", "/v1/search?size=-1", "", "", 400},
		{"search huge size", r, "GET", "/v1/search?size=100000", "", "", 400},
		{"search bad query", r, "GET", "/v1/search?q=%22unbalanced", "", "", 400},
		{"search regexp", r, "GET", "/v1/search?q=%2F.*%2F", "", "", 400},
		{"search bad facet", r, "GET", "/v1/search?facets=password", "", "", 400},
		{"search bad date", r, "GET", "/v1/search?incident_from=yesterday", "", "", 400},
		{"search long query string", r, "GET", "/v1/search?q=" + strings.Repeat("a", 5000), "", "", 414},
		{"auditor searches", e.login("auditor"), "GET", "/v1/search?q=x", "", "", 403},
		{"audit events bad after", admin, "GET", "/v1/audit/events?after=-5", "", "", 400},
		{"grant bad base64", r, "POST", "/v1/documents/aaaaaaaaaaaaaaaaaaaaaaaaaa/grants", `{"user":"a.karim","slot":"!!"}`, "application/json", 400},
		{"create user bad role", admin, "POST", "/v1/users", `{"id":"x.y","role":"god","recipient":"age1"}`, "application/json", 400},
		{"create user by researcher", r, "POST", "/v1/users", `{"id":"x.y","role":"admin","recipient":"age1"}`, "application/json", 403},
		{"patch user bad state", admin, "PATCH", "/v1/users/r.ahmed", `{"state":"superuser"}`, "application/json", 400},
		{"collection bad id", admin, "POST", "/v1/collections", `{"id":"../etc"}`, "application/json", 400},
		{"hmac by researcher", r, "POST", "/v1/audit/hmac", `{"value":"x"}`, "application/json", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			resp := e.raw(tt.as, tt.method, tt.path, body, tt.contentType)
			b := e.body(resp)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, b)
			}
			var eb struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Code == "" {
				t.Fatalf("no JSON error body: %s", b)
			}
		})
	}
	if n, _ := e.ix.Count(); n != 0 {
		t.Errorf("%d documents indexed after hostile requests", n)
	}
}

// multipartDeposit builds a deposit body by hand, to send broken ones.
func multipartDeposit(t *testing.T, parts ...[2]string) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		w, err := mw.CreateFormField(p[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(p[1]))
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func TestHostileDeposits(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	meta := `{"collection":"kirkuk-2018","kind":"testimony","public":{"title":"t","language":"en"},"consent":{"scopes":["research"],"recorded_at":"2018-03-02","recorded_by":"r.hassan"},"slots":{}}`
	tests := []struct {
		name  string
		parts [][2]string
		want  int
	}{
		{"no parts", nil, 400},
		{"content first", [][2]string{{"content", "x"}, {"meta", meta}}, 400},
		{"meta not json", [][2]string{{"meta", "not json"}}, 400},
		{"meta unknown field", [][2]string{{"meta", `{"collection":"kirkuk-2018","owner":"me"}`}}, 400},
		{"missing slots", [][2]string{{"meta", meta}, {"content", "x"}}, 400},
		{"personal data in title", [][2]string{{"meta", strings.Replace(meta, `"title":"t"`, `"title":"call +964 770 123 4567"`, 1)}}, 422},
		{"unknown collection", [][2]string{{"meta", strings.Replace(meta, "kirkuk-2018", "nowhere", 1)}}, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, body := multipartDeposit(t, tt.parts...)
			resp := e.raw(r, "POST", "/v1/documents", body, ct)
			b := e.body(resp)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, b)
			}
		})
	}

	// A real deposit whose final hash is wrong: 400, nothing visible.
	dep := sampleDeposit([]byte("content"))
	recips, _ := r.Recipients(ctx, "kirkuk-2018")
	if len(recips) != 2 {
		t.Fatalf("recipients: %v", recips)
	}
	// Oversize deposit: 413 and nothing left.
	small := newEnv(t, func(c *httpapi.Config) { c.MaxDeposit = 64 << 10 })
	rs := small.login("r.hassan")
	dep.Content = bytes.NewReader(bytes.Repeat([]byte("z"), 1<<20))
	if _, err := rs.Deposit(ctx, dep); !client.IsStatus(err, 413) {
		t.Fatalf("oversize deposit: %v", err)
	}
	if n, _ := small.ix.Count(); n != 0 {
		t.Fatal("oversize deposit indexed")
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.AuthRate, c.AuthBurst = rate.Limit(1), 5 })
	codes := map[int]int{}
	for i := 0; i < 20; i++ {
		resp := e.raw(nil, "POST", "/v1/auth/challenge", strings.NewReader(`{"user":"r.hassan"}`), "application/json")
		e.body(resp)
		codes[resp.StatusCode]++
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if codes[200] != 5 || codes[429] != 15 {
		t.Fatalf("statuses %v, want 5×200 and 15×429", codes)
	}
}

// TestLogsHoldNoSecrets checks the access log: no token, no query text, no
// TOTP code, no body.
func TestLogsHoldNoSecrets(t *testing.T) {
	e := newEnv(t)
	c := e.login("r.hassan")
	c.Search(ctx, client.SearchParams{Query: "hidden-query-words"})
	c.Deposit(ctx, sampleDeposit([]byte("CANARY-BODY-CONTENT")))
	logs := e.logs.String()
	if !strings.Contains(logs, `"route":"/v1/search"`) {
		t.Fatalf("no access log line for the search: %s", logs)
	}
	for _, secret := range []string{c.Token, "hidden-query-words", "CANARY-BODY-CONTENT", e.users["r.hassan"].secret} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
}

func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t)
	c := e.login("r.hassan")
	if _, err := c.Deposit(ctx, sampleDeposit([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 25; j++ {
				if _, err := c.Search(ctx, client.SearchParams{Query: fmt.Sprintf("detentions %d", j)}); err != nil {
					errs <- err
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

var _ = http.StatusOK
