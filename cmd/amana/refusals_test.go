package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestAuditLogShowsRefusals: requests refused before they reach the vault
// are in amana audit log, counted.
func TestAuditLogShowsRefusals(t *testing.T) {
	e := newEnv(t)
	e.login("auditor")
	for range 3 {
		req, _ := http.NewRequest("GET", e.url+"/v1/documents/"+strings.Repeat("a", 26)+"/content", nil)
		req.Header.Set("Authorization", "Bearer forged")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("forged token: %d", resp.StatusCode)
		}
	}
	out := e.ok("auditor", "audit", "log").stdout
	if !strings.Contains(out, "DETAIL") || !regexp.MustCompile(`request\.refused +denied +a{26} +GET /v1/documents/\{id\}/content unauthenticated\n`).MatchString(out) {
		t.Fatalf("the refusal is not in the log:\n%s", out)
	}
	e.srv.API.FlushRefusals(true)
	if out := e.ok("auditor", "audit", "log").stdout; !strings.Contains(out, "GET /v1/documents/{id}/content unauthenticated (2 times)") {
		t.Fatalf("the folded refusals are not in the log:\n%s", out)
	}
	var n int
	for _, ev := range decode[[]map[string]any](t, e.ok("auditor", "audit", "log", "--json").stdout) {
		if ev["action"] == "request.refused" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d refusal events, want 2", n)
	}
}
