package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/amana-vault/amana/client"
)

// leakQueries are searches a member of kirkuk-2018 runs before and after
// another collection receives documents: each is a raw query string of
// GET /v1/search.
var leakQueries = []string{
	"q=checkpoint+detention&facets=kind,governorate,tags,year,language,collection",
	"q=checkpoint+detention&highlight=true",
	"q=checkpoint+detention&from=1&size=2",
	"q=zorblax&facets=kind,tags",
	"q=zorblax+checkpoint&facets=tags",
	"q=checkp*+detention",
	"q=chekpoint~1+detention",
	"q=%22checkpoint+detention%22+camp",
	"q=year:>=2015+checkpoint",
	"q=governorate:kirkuk+detention",
	"q=&facets=governorate,kind,tags&sort=-incident",
	"q=checkpoint&sort=deposited",
	"q=%D8%A7%D8%AD%D8%AA%D8%AC%D8%A7%D8%B2+checkpoint", // احتجاز
	"q=checkpoint&governorate=Kirkuk&facets=kind",
	"q=testimony+detention&highlight=true&labels=ar",
	"q=%D8%B4%D9%87%D8%A7%D8%AF%D8%A9+lang:ar", // شهادة
}

// TestSearchLeaksNothingAboutOtherCollections deposits, in a collection
// the searcher cannot see, documents with a word found nowhere else and
// many more occurrences of the searcher's words, and compares the search
// answers before and after byte for byte: hits, order, totals, facets and
// highlights must not change. With Bleve's own tf-idf the order of the
// first queries changes (the other collection makes "checkpoint" common),
// and a score in the answer would change for all of them.
func TestSearchLeaksNothingAboutOtherCollections(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	deposit := func(c *client.Client, collection, title, summary, lang, gov, date string, tags ...string) {
		t.Helper()
		d := sampleDeposit([]byte("fictional content"))
		d.Collection = collection
		d.Public = client.PublicMeta{Title: title, Summary: summary, Language: lang, Governorate: gov, IncidentDate: date, Tags: tags}
		if _, err := c.Deposit(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	// Two documents that tie on "checkpoint detention" as long as both
	// words weigh the same, and others around them.
	deposit(r, "kirkuk-2018", "Checkpoint checkpoint checkpoint record", "A fictional note on a road.", "en", "Kirkuk", "2017-06", "checkpoint")
	deposit(r, "kirkuk-2018", "Detention detention detention record", "A fictional note on a road.", "en", "Kirkuk", "2016", "detention")
	deposit(r, "kirkuk-2018", "Checkpoint detention near the camp", "Fictional account of a detention at a checkpoint near a camp.", "en", "Nineveh", "2018-01", "detention", "camp")
	deposit(r, "kirkuk-2018", "Interview about a camp", "Fictional interview with a displaced family about the camp and a checkpoint.", "en", "Duhok", "", "camp")
	deposit(r, "kirkuk-2018", "شهادة عن الاحتجاز عند نقطة التفتيش", "وثيقة تجريبية عن احتجاز عند نقطة تفتيش", "ar", "Kirkuk", "2017", "detention")

	lawyer := e.login("a.karim")
	answers := func() []string {
		t.Helper()
		var out []string
		for _, q := range leakQueries {
			req, err := http.NewRequest("GET", e.url+"/v1/search?"+q, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+lawyer.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %s", q, resp.StatusCode, body)
			}
			if bytes.Contains(body, []byte(`"score"`)) || bytes.Contains(body, []byte(`took_ms`)) {
				t.Fatalf("%s: answer has a score or a time: %s", q, body)
			}
			out = append(out, string(body))
		}
		return out
	}
	before := answers()
	if !strings.Contains(before[0], `"total":5`) {
		t.Fatalf("before: %s", before[0])
	}

	// The other collection: the unique word, and the searcher's words
	// many times over, in the searcher's governorate, tags and years.
	o := e.login("r.outsider")
	for i := range 12 {
		deposit(o, "sinjar-2017", "Checkpoint checkpoint zorblax checkpoint", "Checkpoint checkpoint camp checkpoint zorblax.", "en", "Kirkuk", "2017-06", "checkpoint", "zorblax")
		if i%3 == 0 {
			deposit(o, "sinjar-2017", "نقطة تفتيش checkpoint", "احتجاز checkpointing checkpoints chekpoint", "ar", "Kirkuk", "2019", "detention")
		}
	}
	res, err := o.Search(ctx, client.SearchParams{Query: "zorblax"})
	if err != nil || res.Total != 12 {
		t.Fatalf("the other collection's documents are not indexed: %+v, %v", res, err)
	}

	after := answers()
	for i, q := range leakQueries {
		if before[i] != after[i] {
			u, _ := url.QueryUnescape(q)
			t.Errorf("%s: the answer changed when another collection got documents\nbefore: %s\nafter:  %s", u, before[i], after[i])
		}
	}
}

// TestSearchFiltersSayWhatTheyDo: unknown parameters and filter values are
// a 400 naming them, filters fold case and diacritics, facet values carry
// labels in the language asked for.
func TestSearchFiltersSayWhatTheyDo(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	if _, err := r.Deposit(ctx, sampleDeposit([]byte("fictional content"))); err != nil {
		t.Fatal(err)
	}
	get := func(query string, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.url+"/v1/search?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+r.Token)
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, c := range []struct{ query, want string }{
		{"q=detention&lang=xx", `unknown parameter \"lang\"`},
		{"q=detention&governorate=Kirkukk", `unknown value \"Kirkukk\"`},
		{"q=detention&kind=testimonies", `unknown value \"testimonies\"`},
		{"q=detention&language=xx", `unknown value \"xx\"`},
		{"q=detention&collection=sinjar-2017", `unknown value \"sinjar-2017\"`}, // exists, not r.hassan's
		{"q=detention&collection=no-such", `unknown value \"no-such\"`},
		{"q=detention&labels=fr", `unknown label language \"fr\"`},
	} {
		code, body := get(c.query)
		if code != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want 400 with %s", c.query, code, body, c.want)
		}
	}
	for _, q := range []string{"governorate=kirkuk", "governorate=KIRKUK&kind=TESTIMONY", "tags=D%C3%A9tention", "collection=KIRKUK-2018"} {
		code, body := get("q=detention&" + q)
		if code != http.StatusOK || !strings.Contains(body, `"total":1`) {
			t.Errorf("%s: %d %s, want 1 hit", q, code, body)
		}
	}
	_, body := get("q=detention&facets=governorate,kind,language&labels=ar")
	for _, want := range []string{`{"term":"Kirkuk","label":"كركوك","count":1}`, `{"term":"testimony","label":"شهادة","count":1}`, `{"term":"en","label":"الإنكليزية","count":1}`} {
		if !strings.Contains(body, want) {
			t.Errorf("labels=ar: %s lacks %s", body, want)
		}
	}
	_, body = get("q=detention&facets=governorate", "Accept-Language", "ckb-IQ, en;q=0.5")
	if !strings.Contains(body, `"label":"کەرکووک"`) {
		t.Errorf("Accept-Language ckb: %s", body)
	}
	_, body = get("q=detention&facets=kind")
	if !strings.Contains(body, `"label":"Testimony"`) {
		t.Errorf("default labels: %s", body)
	}
}
