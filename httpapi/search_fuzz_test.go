package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/amana-vault/amana/client"
)

// newFzSearchEnv deposits a few documents in kirkuk-2018 (r.hassan's) and
// in sinjar-2017 (r.outsider's), so that searches have hits, facets and
// highlights, and a hit from the other collection would be a leak.
func newFzSearchEnv(tb testing.TB) *fzEnv {
	tb.Helper()
	fe := newFzEnv(tb, true, "r.hassan", "auditor")
	bg := context.Background()
	r := fe.login("r.hassan")
	for _, p := range []client.PublicMeta{
		{Title: "Testimony on checkpoint detentions near Hawija", Summary: "Fictional record of detentions.", Language: "en", Governorate: "Kirkuk", IncidentDate: "2017-06", Tags: []string{"detention", "checkpoint"}},
		{Title: "شهادة عن الاحتجاز عند نقطة التفتيش", Summary: "سجل خيالي", Language: "ar", Governorate: "Kirkuk", IncidentDate: "2016", Tags: []string{"احتجاز"}},
		{Title: "گەواهی لەسەر دەستگیرکردن", Language: "ckb", Governorate: "Sulaymaniyah", IncidentDate: "2018-01"},
		{Title: "Çîroka koçberiyê li kampê", Language: "kmr", Governorate: "Duhok", Tags: []string{"displacement"}},
	} {
		req := sampleDeposit([]byte("fictional content"))
		req.Public = p
		if _, err := r.Deposit(bg, req); err != nil {
			tb.Fatal(err)
		}
	}
	o := fe.login("r.outsider")
	req := sampleDeposit([]byte("fictional content"))
	req.Collection = "sinjar-2017"
	req.Public.Title = "Outsider secret checkpoint detentions testimony"
	req.Consent.RecordedBy = "r.outsider"
	if _, err := o.Deposit(bg, req); err != nil {
		tb.Fatal(err)
	}
	return fe
}

var searchHTTPSeeds = []string{
	"q=detention",
	"q=detention&facets=kind,governorate,collection,language,tags,year&highlight=true",
	"q=%22checkpoint+detentions%22&size=5&from=1",
	"q=title:checkpoint+-kirkuk+%2Bdetention",
	"q=year:>=2015&sort=-incident",
	"q=detent*&incident_from=2016&incident_to=2017-06",
	"q=chekpoint~2&highlight=1",
	"q=detention^200",
	"q=/regex/",
	"q=%D8%A7%D8%AD%D8%AA%D8%AC%D8%A7%D8%B2&facets=tags",
	"collection=sinjar-2017&facets=collection",
	"q=secret&collection=sinjar-2017",
	"size=1000&from=-1",
	"from=99999999999999999999",
	"q=%ff%fe&facets=%00",
	"q=a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q+r+s+t+u+v+w+x+y+z+aa+bb+cc+dd+ee+ff+gg",
	"q=a*+b*+c*+d*+e*",
	"sort=deposited&kind=testimony&language=en&governorate=Kirkuk&tags=detention&year=2017",
	"q=%",
	";;;&&&===",
}

// FuzzSearchHTTP sends fuzzed query strings to GET /v1/search as a
// researcher: no answer is 5xx, errors are 400 or 414, and a result never
// shows (in hits or facets) a collection the researcher is not in.
func FuzzSearchHTTP(f *testing.F) {
	fe := newFzSearchEnv(f)
	for _, q := range searchHTTPSeeds {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/v1/search", nil)
		r.URL.RawQuery = raw
		w := fe.serve(t, "r.hassan", r)
		switch w.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusRequestURITooLong:
			return
		default:
			t.Fatalf("search %q: %d %s", raw, w.Code, w.Body.String())
		}
		var res client.SearchResult
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatalf("search %q: answer is not a result: %v", raw, err)
		}
		if len(res.Hits) > 100 || uint64(len(res.Hits)) > res.Total {
			t.Fatalf("search %q: %d hits of %d", raw, len(res.Hits), res.Total)
		}
		for _, h := range res.Hits {
			if h.Collection != "kirkuk-2018" {
				t.Fatalf("search %q shows a document of %s", raw, h.Collection)
			}
		}
		for _, c := range res.Facets["collection"] {
			if c.Term != "kirkuk-2018" {
				t.Fatalf("search %q counts collection %s", raw, c.Term)
			}
		}
	})
}

var auditHTTPSeeds = []struct {
	which uint8
	query string
}{
	{0, "after=0&limit=10"}, {1, "seq=3&size=10"}, {2, "old=1&new=20"}, {0, ""}, {0, "after=-1"}, {1, "seq=99999&size=3"},
	{2, "old=0&new=0"}, {0, "limit=100000"}, {1, "seq=9223372036854775807&size=9223372036854775807"}, {2, "old=5&new=4"},
	{0, "after=1e3"}, {1, "seq=%00"}, {3, ""},
}

// FuzzAuditHTTP sends fuzzed query strings to the auditor's endpoints
// (events, inclusion and consistency proofs): no answer is 5xx, errors
// are 400, and answers are well-formed JSON.
func FuzzAuditHTTP(f *testing.F) {
	fe := newFzEnv(f, false, "auditor")
	paths := []string{"/v1/audit/events", "/v1/audit/proof/inclusion", "/v1/audit/proof/consistency", "/v1/audit/checkpoint"}
	for _, s := range auditHTTPSeeds {
		f.Add(s.which, s.query)
	}
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		r := httptest.NewRequest("GET", paths[int(which)%len(paths)], nil)
		r.URL.RawQuery = raw
		w := fe.serve(t, "auditor", r)
		switch w.Code {
		case http.StatusOK:
		case http.StatusBadRequest:
			return
		default:
			t.Fatalf("%s?%s: %d %s", r.URL.Path, raw, w.Code, w.Body.String())
		}
		if r.URL.Path == "/v1/audit/checkpoint" {
			if !bytes.Contains(w.Body.Bytes(), []byte("\n\n— ")) {
				t.Fatalf("checkpoint is not a signed note: %q", w.Body.String())
			}
			return
		}
		var out map[string]json.RawMessage
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s?%s: answer is not JSON: %v", r.URL.Path, raw, err)
		}
		if _, ok := out["proof"]; r.URL.Path != "/v1/audit/events" && !ok {
			t.Fatalf("%s?%s: no proof in %s", r.URL.Path, raw, w.Body.String())
		}
	})
}
