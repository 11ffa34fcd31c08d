package httpapi

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/gorilla/mux"

	"github.com/amana-vault/amana/internal/fakeclock"
	"github.com/amana-vault/amana/vault"
)

// The OpenAPI document (openapi.json) is written by hand. These tests keep
// it from drifting from the code: the routes, which routes need a session
// and which need a step-up are checked against the router and the real
// middleware, and the document against the rules of OpenAPI 3.1 that a
// generator would otherwise enforce.

var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadOpenAPI decodes openapi.json as the server embeds it.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(openAPI))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if dec.More() {
		t.Fatal("openapi.json has trailing data after the document")
	}
	return doc
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// openAPIOp is one operation of the document.
type openAPIOp struct {
	method string // upper case
	path   string
	op     map[string]any
	item   map[string]any // the path item, for path-level parameters
}

func (o openAPIOp) key() string { return o.method + " " + o.path }

func openAPIOperations(t *testing.T, doc map[string]any) []openAPIOp {
	t.Helper()
	paths := obj(doc["paths"])
	if len(paths) == 0 {
		t.Fatal("openapi.json has no paths")
	}
	var ops []openAPIOp
	for p, v := range paths {
		item := obj(v)
		if item == nil {
			t.Errorf("path %s is not an object", p)
			continue
		}
		for _, m := range openAPIMethods {
			if op := obj(item[m]); op != nil {
				ops = append(ops, openAPIOp{method: strings.ToUpper(m), path: p, op: op, item: item})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].key() < ops[j].key() })
	return ops
}

var muxVarPattern = regexp.MustCompile(`\{([^{}:]+):[^{}]*\}`)

// routerOperations walks the real router and returns "METHOD /path/{var}".
func routerOperations(t *testing.T, r *mux.Router) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			t.Errorf("route without a path template: %v", err)
			return nil
		}
		if !strings.HasPrefix(tpl, "/v1/") {
			return nil // the web interface (package web), not the API
		}
		tpl = muxVarPattern.ReplaceAllString(tpl, "{$1}")
		methods, err := route.GetMethods()
		if err != nil {
			t.Errorf("route %s accepts every method; list its methods", tpl)
			return nil
		}
		for _, m := range methods {
			out[strings.ToUpper(m)+" "+tpl] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("the router has no routes")
	}
	return out
}

func TestOpenAPIRoutesMatchRouter(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := map[string]bool{}
	for _, o := range openAPIOperations(t, doc) {
		documented[o.key()] = true
	}
	routed := routerOperations(t, New(Config{}).router)

	for _, k := range slices.Sorted(maps.Keys(routed)) {
		if documented[k] {
			continue
		}
		if path, ok := strings.CutPrefix(k, "HEAD "); ok && documented["GET "+path] {
			continue // HEAD may be folded into GET
		}
		t.Errorf("route %s is not in openapi.json", k)
	}
	for _, k := range slices.Sorted(maps.Keys(documented)) {
		if !routed[k] {
			t.Errorf("openapi.json documents %s, which the router does not serve", k)
		}
	}
}

// resolvePointer follows a local JSON pointer ("#/a/b") in doc.
func resolvePointer(doc map[string]any, ref string) (any, bool) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var cur any = doc
	for _, tok := range strings.Split(p, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m := obj(cur)
		if m == nil {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// deref returns v, or what its $ref points to.
func deref(doc map[string]any, v any) map[string]any {
	m := obj(v)
	for range 10 {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		target, ok := resolvePointer(doc, ref)
		if !ok {
			return nil
		}
		m = obj(target)
	}
	return m
}

// needsSession reports whether the operation requires a bearer token:
// its own security, or the document's.
func needsSession(doc map[string]any, op map[string]any) bool {
	sec, ok := op["security"]
	if !ok {
		sec = doc["security"]
	}
	reqs, _ := sec.([]any)
	for _, r := range reqs {
		if len(obj(r)) > 0 {
			return true
		}
	}
	return false
}

// parametersOf returns the operation's parameters, path-level ones first,
// resolved.
func parametersOf(doc map[string]any, o openAPIOp) []map[string]any {
	var out []map[string]any
	for _, src := range []any{o.item["parameters"], o.op["parameters"]} {
		list, _ := src.([]any)
		for _, p := range list {
			out = append(out, deref(doc, p))
		}
	}
	return out
}

func hasStepUpHeader(doc map[string]any, o openAPIOp) bool {
	for _, p := range parametersOf(doc, o) {
		if p["in"] == "header" && strings.EqualFold(p["name"].(string), "X-Amana-TOTP") {
			return true
		}
	}
	return false
}

func TestOpenAPIDocumentIsSound(t *testing.T) {
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	info := obj(doc["info"])
	if info["title"] != "Amana API" || info["version"] != "1" {
		t.Errorf("info = %v %v, want Amana API, version 1", info["title"], info["version"])
	}
	if s := obj(obj(obj(doc["components"])["securitySchemes"])["bearer"]); s["type"] != "http" || s["scheme"] != "bearer" {
		t.Errorf("components.securitySchemes.bearer = %v, want http bearer", s)
	}
	for _, name := range []string{"User", "Collection", "PublicMeta", "Consent", "Document", "SearchResult", "Hit", "FacetCount", "Error", "Event", "Proof"} {
		if obj(obj(obj(doc["components"])["schemas"])[name]) == nil {
			t.Errorf("components.schemas.%s is missing", name)
		}
	}

	// Every $ref resolves, to a component.
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if !strings.HasPrefix(ref, "#/components/") {
					t.Errorf("%s: $ref %q does not point into components", at, ref)
				} else if _, ok := resolvePointer(doc, ref); !ok {
					t.Errorf("%s: $ref %q does not resolve", at, ref)
				}
			}
			for k, e := range v {
				walk(at+"/"+k, e)
			}
		case []any:
			for _, e := range v {
				walk(at+"[]", e)
			}
		}
	}
	walk("#", doc)

	varRE := regexp.MustCompile(`\{([^{}]+)\}`)
	ids := map[string]string{}
	for _, o := range openAPIOperations(t, doc) {
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s has no operationId", o.key())
		} else if prev, dup := ids[id]; dup {
			t.Errorf("operationId %q is used by %s and %s", id, prev, o.key())
		} else {
			ids[id] = o.key()
		}

		responses := obj(o.op["responses"])
		ok2xx := false
		for code, r := range responses {
			if strings.HasPrefix(code, "2") {
				ok2xx = true
			}
			if rr := deref(doc, r); rr == nil || rr["description"] == nil {
				t.Errorf("%s: response %s has no description", o.key(), code)
			}
		}
		if !ok2xx {
			t.Errorf("%s documents no 2xx response", o.key())
		}
		if responses["429"] == nil {
			t.Errorf("%s: every route is rate-limited; document 429", o.key())
		}
		if needsSession(doc, o.op) && responses["401"] == nil {
			t.Errorf("%s needs a session but does not document 401", o.key())
		}

		// Path variables are declared, and only those.
		declared := map[string]bool{}
		for _, p := range parametersOf(doc, o) {
			if p == nil {
				t.Errorf("%s: a parameter does not resolve", o.key())
				continue
			}
			if p["in"] == "path" {
				declared[p["name"].(string)] = true
				if p["required"] != true {
					t.Errorf("%s: path parameter %v must be required", o.key(), p["name"])
				}
			}
		}
		for _, m := range varRE.FindAllStringSubmatch(o.path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter {%s} is not declared", o.key(), m[1])
			}
			delete(declared, m[1])
		}
		for name := range declared {
			t.Errorf("%s declares path parameter %s, which is not in the path", o.key(), name)
		}
	}
}

// TestOpenAPIAuthMatchesMiddleware sends every documented operation to a
// real server and checks that the document's security and step-up header
// say what the middleware does: a request without a token gets 401 exactly
// where the document requires a session, and a session whose last TOTP
// verification is stale gets step_up_required exactly where the document
// lists X-Amana-TOTP.
func TestOpenAPIAuthMatchesMiddleware(t *testing.T) {
	doc := loadOpenAPI(t)
	clk := fakeclock.New(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := vault.Create(t.TempDir(), "openapi probe passphrase",
		vault.NewUser{ID: "probe-admin", Recipient: id.Recipient().String()},
		vault.Options{Now: clk.Now, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	s := New(Config{Vault: v, Now: clk.Now})

	var vars = regexp.MustCompile(`\{[^{}]+\}`)
	send := func(o openAPIOp, token string) (int, errorBody) {
		path := vars.ReplaceAllString(o.path, "probe")
		req := httptest.NewRequest(o.method, path, strings.NewReader("{"))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var eb errorBody
		json.Unmarshal(rec.Body.Bytes(), &eb)
		return rec.Code, eb
	}

	for _, o := range openAPIOperations(t, doc) {
		code, eb := send(o, "")
		if got, want := code == http.StatusUnauthorized, needsSession(doc, o.op); got != want {
			t.Errorf("%s without a token: status %d (%s); the document says needs a session = %v", o.key(), code, eb.Error.Code, want)
		}

		// A session whose TOTP verification is six minutes old: it is
		// still live (idle < 15 min) but outside the step-up window.
		token, _ := s.sessions.create("probe-user", vault.RoleAdmin)
		clk.Add(stepUpWindow + time.Minute)
		code, eb = send(o, token)
		stepped := code == http.StatusUnauthorized && eb.Error.Code == "step_up_required"
		if want := hasStepUpHeader(doc, o); stepped != want {
			t.Errorf("%s with a stale session: status %d (%s); the document lists X-Amana-TOTP = %v", o.key(), code, eb.Error.Code, want)
		}
		if code == http.StatusUnauthorized && eb.Error.Code == "unauthenticated" {
			t.Errorf("%s rejected a live session: the probe is broken", o.key())
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	file, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, openAPI) {
		t.Fatal("the embedded document differs from openapi.json")
	}
	rec := httptest.NewRecorder()
	New(Config{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /v1/openapi.json: status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !bytes.Equal(rec.Body.Bytes(), file) {
		t.Error("GET /v1/openapi.json does not serve openapi.json")
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Error("GET /v1/openapi.json is not valid JSON")
	}
}
