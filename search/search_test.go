package search

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// corpus is a small fixed set of documents across two collections.
func corpus() []Doc {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return []Doc{
		{ID: "a1", Collection: "A", Kind: "testimony", Language: "en", Governorate: "Kirkuk", IncidentDate: "2017-06",
			Title: "Detention at the checkpoint", Summary: "The witness describes the checkpoint near the river.",
			Tags: []string{"detention", "checkpoint"}, DepositedAt: at},
		{ID: "a2", Collection: "A", Kind: "interview", Language: "en", Governorate: "Nineveh", IncidentDate: "2014",
			Title: "Interview on displacement in Sinjar district", Summary: "Families left the checkpoint area at night.",
			Tags: []string{"displacement"}, DepositedAt: at.Add(time.Hour)},
		{ID: "a3", Collection: "A", Kind: "testimony", Language: "ar", Governorate: "Kirkuk", IncidentDate: "2016-03",
			Title: "شهادة عن الاحتجاز في نقطة التفتيش", Summary: "وصف الشاهد ما جرى قرب النهر",
			Tags: []string{"detention"}, DepositedAt: at.Add(2 * time.Hour)},
		{ID: "a4", Collection: "A", Kind: "report", Language: "kmr", Governorate: "Duhok", IncidentDate: "2017",
			Title: "Rapora li ser koçberiyê", Summary: "Malbat ji Şengalê derketin.",
			Tags: []string{"displacement", "camp"}, DepositedAt: at.Add(3 * time.Hour)},
		{ID: "a5", Collection: "A", Kind: "case_study", Language: "ckb", Governorate: "Sulaymaniyah",
			Title: "شایەتەکە لە کەمپ", Summary: "ئاوارەکان گەڕانەوە", DepositedAt: at.Add(4 * time.Hour)},
		{ID: "b1", Collection: "B", Kind: "testimony", Language: "en", Governorate: "Kirkuk", IncidentDate: "2017-07",
			Title: "Detention at the checkpoint, second account", Summary: "Another checkpoint testimony.",
			Tags: []string{"detention", "checkpoint"}, DepositedAt: at},
		{ID: "b2", Collection: "B", Kind: "testimony", Language: "ar", Governorate: "Kirkuk", IncidentDate: "2017",
			Title: "شهادة ثانية عن الاحتجاز", Tags: []string{"detention"}, DepositedAt: at},
	}
}

func TestAccessFilter(t *testing.T) {
	ix := openWith(t, corpus()...)
	all := []string{"collection", "kind", "language", "governorate", "tags", "year"}

	for _, q := range []string{"", "detention", "checkpoint", "الاحتجاز", "collection:B", "-nothing", "kind:testimony", "year:>=2010"} {
		res := find(t, ix, Request{Query: q, Collections: []string{"A"}, Facets: all, Size: MaxSize})
		for _, h := range res.Hits {
			if h.Collection != "A" {
				t.Errorf("query %q: hit %s from collection %s", q, h.ID, h.Collection)
			}
		}
		if res.Total != uint64(len(res.Hits)) {
			t.Errorf("query %q: total %d counts documents outside the hits %v", q, res.Total, hitIDs(res))
		}
		sum := 0
		for term, n := range facet(res, "collection") {
			if term != "A" {
				t.Errorf("query %q: facet counts collection %s", q, term)
			}
			sum += n
		}
		if uint64(sum) != res.Total {
			t.Errorf("query %q: collection facet sums to %d, total %d", q, sum, res.Total)
		}
	}

	// The same query over both collections does see B: the filter is what
	// removed it above.
	if got := findIDs(t, ix, "detention", "A", "B"); !slices.Contains(got, "b1") {
		t.Errorf("A+B: got %v, want b1 among them", got)
	}
	res := find(t, ix, Request{Query: "kind:testimony", Collections: []string{"A"}, Facets: all})
	if got := facet(res, "governorate"); !maps.Equal(got, map[string]int{"Kirkuk": 2}) {
		t.Errorf("governorate facet for A: %v, want Kirkuk:2 (B's Kirkuk testimonies excluded)", got)
	}

	// A filter on someone else's collection is refused as an unknown one
	// is, with the same message.
	_, errB := ix.Search(Request{Collections: []string{"A"}, Filters: map[string][]string{"collection": {"B"}}})
	_, errZ := ix.Search(Request{Collections: []string{"A"}, Filters: map[string][]string{"collection": {"Z"}}})
	if !errors.Is(errB, ErrBadRequest) || errB.Error() != strings.Replace(errZ.Error(), `"Z"`, `"B"`, 1) {
		t.Errorf("filter collection B as A: %v; Z: %v", errB, errZ)
	}

	// IDs restrict to those documents, within the collections still; an
	// empty list matches nothing.
	res = find(t, ix, Request{Collections: []string{"A"}, IDs: []string{"b1", "a2"}, Facets: all})
	if got := hitIDs(res); len(got) != 1 || got[0] != "a2" || res.Total != 1 {
		t.Errorf("IDs within A: %v (total %d)", got, res.Total)
	}
	if res := find(t, ix, Request{Collections: []string{"A", "B"}, IDs: []string{}, Facets: all}); res.Total != 0 || len(facet(res, "collection")) != 0 {
		t.Errorf("empty IDs: total %d, facets %v", res.Total, res.Facets)
	}

	// No collections: nothing, never everything.
	for _, cols := range [][]string{nil, {}, {""}, {" ", ""}} {
		res := find(t, ix, Request{Collections: cols, Facets: all})
		if res.Total != 0 || len(res.Hits) != 0 || len(res.Facets) != 0 {
			t.Errorf("collections %q: got total %d, hits %v, facets %v", cols, res.Total, hitIDs(res), res.Facets)
		}
	}
	// Unknown collection.
	if got := findIDs(t, ix, "", "C"); len(got) != 0 {
		t.Errorf("collection C: %v", got)
	}
}

func TestQuerySyntax(t *testing.T) {
	ix := openWith(t, corpus()...)
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"", []string{"a1", "a2", "a3", "a4", "a5"}},
		{"checkpoint", []string{"a1", "a2"}},
		{"river sinjar", []string{"a1", "a2"}},      // either term
		{"+checkpoint +river", []string{"a1"}},      // both
		{"+checkpoint river", []string{"a1", "a2"}}, // river only scores
		{"checkpoint -river", []string{"a2"}},
		{"-checkpoint", []string{"a3", "a4", "a5"}},
		{`"detention at the checkpoint"`, []string{"a1"}},
		{`"checkpoint detention"`, nil}, // both words, not adjacent in this order
		{`"checkpoint near the river"`, []string{"a1"}},
		{`"near checkpoint"`, nil},
		{`"نقطة التفتيش"`, []string{"a3"}},
		{`"التفتيش نقطة"`, nil},
		{"kirkuk", []string{"a1", "a3"}},       // governorate
		{"displacement", []string{"a2", "a4"}}, // a2 by text, a4 by tag
		{"title:checkpoint", []string{"a1"}},
		{"summary:checkpoint", []string{"a1", "a2"}},
		{"transcript:checkpoint", nil},
		{"governorate:Kirkuk", []string{"a1", "a3"}},
		{"governorate:kirkuk", []string{"a1", "a3"}},
		{"governorate:KIRKUK -kind:testimony", nil},
		{"+governorate:kirkuk +kind:Testimony", []string{"a1", "a3"}},
		{"tags:camp", []string{"a4"}},
		{"tag:camp", []string{"a4"}},
		{"language:ckb", []string{"a5"}},
		{"kind:case_study", []string{"a5"}},
		{"year:2017", []string{"a1", "a4"}},
		{"year:>2016", []string{"a1", "a4"}},
		{"year:>=2016", []string{"a1", "a3", "a4"}},
		{"year:<2016", []string{"a2"}},
		{"year:<=2016 +title:interview", []string{"a2"}},
		{"checkp*", []string{"a1", "a2"}},
		{"title:detent*", []string{"a1"}},
		{"الاحتج*", []string{"a3"}}, // prefix normalized like the ar analyzer, ال kept
		{"koçber*", []string{"a4"}},
		{"KOCBER*", []string{"a4"}},
		{"chekpoint~1", []string{"a1", "a2"}},
		{"checkpoint^2 sinjar", []string{"a1", "a2"}},
		{"!!!", nil},  // analyzes to nothing: matches nothing, not everything
		{"+!!!", nil}, // idem as a required clause
		{"the", nil},  // an English stop word
	} {
		if got := findIDs(t, ix, c.q, "A"); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("query %q: got %v, want %v", c.q, got, c.want)
		}
	}
}

func TestBoostChangesOrder(t *testing.T) {
	ix := openWith(t, corpus()...)
	first := func(q string) string {
		res := find(t, ix, Request{Query: q, Collections: []string{"A"}})
		return res.Hits[0].ID
	}
	if a, b := first("river^10 sinjar"), first("river sinjar^10"); a != "a1" || b != "a2" {
		t.Errorf("boosted first hits: %s, %s; want a1, a2", a, b)
	}
}

func TestFacets(t *testing.T) {
	ix := openWith(t, corpus()...)
	all := []string{"collection", "kind", "language", "governorate", "tags", "year"}
	res := find(t, ix, Request{Collections: []string{"A", "B"}, Facets: all})
	want := map[string]map[string]int{
		"collection":  {"A": 5, "B": 2},
		"kind":        {"testimony": 4, "interview": 1, "report": 1, "case_study": 1},
		"language":    {"en": 3, "ar": 2, "kmr": 1, "ckb": 1},
		"governorate": {"Kirkuk": 4, "Nineveh": 1, "Duhok": 1, "Sulaymaniyah": 1},
		"tags":        {"detention": 4, "checkpoint": 2, "displacement": 2, "camp": 1},
		"year":        {"2017": 4, "2014": 1, "2016": 1},
	}
	for name, w := range want {
		if got := facet(res, name); !maps.Equal(got, w) {
			t.Errorf("facet %s: got %v, want %v", name, got, w)
		}
	}
	// Facet counts are sorted by count.
	if got := res.Facets["kind"][0]; got != (FacetCount{"testimony", "Testimony", 4}) {
		t.Errorf("first kind: %v", got)
	}

	// Counts follow the query and filters.
	res = find(t, ix, Request{Query: "detention", Collections: []string{"A", "B"}, Facets: all,
		Filters: map[string][]string{"governorate": {"Kirkuk"}, "kind": {"testimony", "report"}}})
	// a1 and b1 by text, a3 and b2 by their detention tag.
	if got, w := facet(res, "collection"), map[string]int{"A": 2, "B": 2}; !maps.Equal(got, w) || res.Total != 4 {
		t.Errorf("filtered collection facet: got %v (total %d), want %v", got, res.Total, w)
	}
	// Only the facets asked for.
	res = find(t, ix, Request{Collections: []string{"A"}, Facets: []string{"year"}})
	if len(res.Facets) != 1 || !maps.Equal(facet(res, "year"), map[string]int{"2017": 2, "2014": 1, "2016": 1}) {
		t.Errorf("year facet only: %v", res.Facets)
	}
	// Filters by facet value, several fields.
	for _, c := range []struct {
		filters map[string][]string
		want    []string
	}{
		{map[string][]string{"tags": {"displacement"}}, []string{"a2", "a4"}},
		{map[string][]string{"tags": {"displacement", "detention"}}, []string{"a1", "a2", "a3", "a4"}},
		{map[string][]string{"tags": {"displacement"}, "language": {"kmr"}}, []string{"a4"}},
		{map[string][]string{"year": {"2017"}}, []string{"a1", "a4"}},
		{map[string][]string{"governorate": {"kirkuk"}}, []string{"a1", "a3"}}, // case and diacritics folded
		{map[string][]string{"governorate": {" KIRKUK", "Nineveh"}, "kind": {"Testimony"}}, []string{"a1", "a3"}},
		{map[string][]string{"tags": {"DÉTENTION"}}, []string{"a1", "a3"}},
		{map[string][]string{"collection": {"a"}}, []string{"a1", "a2", "a3", "a4", "a5"}},
		{map[string][]string{"kind": {""}}, nil},
		{map[string][]string{"kind": {}}, []string{"a1", "a2", "a3", "a4", "a5"}},
	} {
		res := find(t, ix, Request{Collections: []string{"A"}, Filters: c.filters, Size: MaxSize})
		if got := hitIDs(res); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("filters %v: got %v, want %v", c.filters, got, c.want)
		}
	}
	for _, bad := range []Request{
		{Collections: []string{"A"}, Facets: []string{"title"}},
		{Collections: []string{"A"}, Filters: map[string][]string{"depositor": {"x"}}},
		{Collections: []string{"A"}, Filters: map[string][]string{"lang": {"xx"}}},
		{Collections: []string{"A"}, Filters: map[string][]string{"language": {"xx"}}},
		{Collections: []string{"A"}, Filters: map[string][]string{"governorate": {"Kirkukk"}}},
		{Collections: []string{"A"}, Filters: map[string][]string{"kind": {"testimonies"}}},
		{Collections: []string{"A"}, Filters: map[string][]string{"year": {"17"}}},
		{Collections: []string{"A"}, LabelLang: "fr"},
	} {
		_, err := ix.Search(bad)
		if !errors.Is(err, ErrBadRequest) {
			t.Errorf("%+v: err %v, want ErrBadRequest", bad, err)
			continue
		}
		// The message names what is wrong.
		for name, vals := range bad.Filters {
			if !strings.Contains(err.Error(), name) || name != "depositor" && name != "lang" && !strings.Contains(err.Error(), strconv.Quote(vals[0])) {
				t.Errorf("%+v: %v does not name the filter and value", bad, err)
			}
		}
	}
}

func TestDateRange(t *testing.T) {
	ix := openWith(t, corpus()...) // A: a1 2017-06, a2 2014, a3 2016-03, a4 2017, a5 none
	for _, c := range []struct {
		from, to string
		want     []string
	}{
		{"2017", "2017", []string{"a1", "a4"}},
		{"2017-07", "", []string{"a4"}}, // a year overlaps every month of it
		{"2017-06", "2017-06", []string{"a1", "a4"}},
		{"", "2016", []string{"a2", "a3"}},
		{"2016-04", "2017-05", []string{"a4"}},
		{"2016-03", "2016-03", []string{"a3"}},
		{"2014", "2017", []string{"a1", "a2", "a3", "a4"}},
		{"2018", "", nil},
	} {
		res := find(t, ix, Request{Collections: []string{"A"}, From: c.from, To: c.to})
		if got := hitIDs(res); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("from %q to %q: got %v, want %v", c.from, c.to, got, c.want)
		}
	}
	for _, c := range [][2]string{{"2017-13", ""}, {"17", ""}, {"", "2017-1"}, {"2018", "2017"}, {"abcd", ""}, {"2017-00", ""}, {"-201", ""}} {
		if _, err := ix.Search(Request{Collections: []string{"A"}, From: c[0], To: c[1]}); !errors.Is(err, ErrBadRequest) {
			t.Errorf("from %q to %q: err %v, want ErrBadRequest", c[0], c[1], err)
		}
	}
}

func TestSort(t *testing.T) {
	ix := openWith(t, corpus()...)
	order := func(sort string) []string {
		res := find(t, ix, Request{Collections: []string{"A"}, Sort: sort})
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		return ids
	}
	for sort, want := range map[string][]string{
		"incident":   {"a2", "a3", "a4", "a1", "a5"}, // by first month; undated last
		"deposited":  {"a1", "a2", "a3", "a4", "a5"},
		"-deposited": {"a5", "a4", "a3", "a2", "a1"},
	} {
		if got := order(sort); !slices.Equal(got, want) {
			t.Errorf("sort %q: got %v, want %v", sort, got, want)
		}
	}
	if _, err := ix.Search(Request{Collections: []string{"A"}, Sort: "title"}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("sort title: %v", err)
	}
}

func TestPaging(t *testing.T) {
	var docs []Doc
	for i := range 57 {
		d := Doc{ID: fmt.Sprintf("d%02d", i), Collection: "c", Language: "en", Title: "checkpoint report"}
		if i%3 == 0 {
			d.Summary = "checkpoint" // a higher score for every third
		}
		docs = append(docs, d)
	}
	ix := openWith(t, docs...)
	whole := find(t, ix, Request{Query: "checkpoint", Collections: []string{"c"}, Size: 100})
	if whole.Total != 57 || len(whole.Hits) != 57 {
		t.Fatalf("total %d, hits %d", whole.Total, len(whole.Hits))
	}
	var paged []Hit
	for off := 0; off < 70; off += 10 {
		res := find(t, ix, Request{Query: "checkpoint", Collections: []string{"c"}, Offset: off, Size: 10})
		if res.Total != 57 {
			t.Errorf("offset %d: total %d", off, res.Total)
		}
		paged = append(paged, res.Hits...)
	}
	if len(paged) != 57 {
		t.Fatalf("paged %d hits", len(paged))
	}
	for i := range paged {
		if paged[i].ID != whole.Hits[i].ID {
			t.Fatalf("hit %d: paged %s, whole %s", i, paged[i].ID, whole.Hits[i].ID)
		}
		if i > 0 {
			prev := paged[i-1]
			if prev.Score < paged[i].Score || prev.Score == paged[i].Score && prev.ID > paged[i].ID {
				t.Errorf("hits %d, %d out of order: %s %v, %s %v", i-1, i, prev.ID, prev.Score, paged[i].ID, paged[i].Score)
			}
		}
	}
	if !strings.HasPrefix(paged[0].ID, "d00") || !(paged[0].Score > paged[len(paged)-1].Score) {
		t.Errorf("first %s %v, last %v", paged[0].ID, paged[0].Score, paged[len(paged)-1].Score)
	}
	// Default size.
	if res := find(t, ix, Request{Collections: []string{"c"}}); len(res.Hits) != DefaultSize {
		t.Errorf("default size: %d hits", len(res.Hits))
	}
	for _, bad := range []Request{{Size: -1}, {Size: MaxSize + 1}, {Offset: -1}, {Offset: MaxOffset + 1}} {
		bad.Collections = []string{"c"}
		if _, err := ix.Search(bad); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%+v: err %v, want ErrBadRequest", bad, err)
		}
	}
}

func TestHits(t *testing.T) {
	ix := openWith(t, corpus()...)
	res := find(t, ix, Request{Query: "title:detention", Collections: []string{"A"}})
	if len(res.Hits) != 1 {
		t.Fatalf("hits %v", hitIDs(res))
	}
	h := res.Hits[0]
	h.Score = 0
	want := Hit{ID: "a1", Collection: "A", Kind: "testimony", Language: "en", Governorate: "Kirkuk",
		IncidentDate: "2017-06", Title: "Detention at the checkpoint", Tags: []string{"detention", "checkpoint"}, Via: "words"}
	if fmt.Sprint(h) != fmt.Sprint(want) {
		t.Errorf("hit\n got %+v\nwant %+v", h, want)
	}
	res = find(t, ix, Request{Query: "الاحتجاز", Collections: []string{"A"}})
	if h := res.Hits[0]; h.Title != "شهادة عن الاحتجاز في نقطة التفتيش" || !slices.Equal(h.Tags, []string{"detention"}) {
		t.Errorf("arabic hit %+v", h)
	}
}

func TestHighlight(t *testing.T) {
	long := strings.Repeat("Nothing of note happened on this day. ", 500)
	ix := openWith(t,
		Doc{ID: "x", Collection: "c", Language: "en", Title: "Checkpoint testimony",
			Summary:    "<script>alert(1)</script> near the checkpoint & the river",
			Transcript: long + "Then we reached the checkpoint at dawn. " + long},
		Doc{ID: "y", Collection: "c", Language: "ar", Title: "شهادة عن الاحتجاز في نقطة التفتيش"},
	)
	res := find(t, ix, Request{Query: "checkpoints", Collections: []string{"c"}, Highlight: true})
	if len(res.Hits) != 1 {
		t.Fatalf("hits %v", hitIDs(res))
	}
	hl := res.Hits[0].Highlights
	has := func(part, sub string) bool {
		for _, f := range hl[part] {
			if strings.Contains(f, sub) {
				return true
			}
		}
		return false
	}
	if !has("title", "<mark>Checkpoint</mark> testimony") {
		t.Errorf("title fragments %q", hl["title"])
	}
	if !has("transcript", "reached the <mark>checkpoint</mark> at dawn") {
		t.Errorf("transcript fragments %q", hl["transcript"])
	}
	if !has("summary", "&lt;script&gt;alert(1)&lt;/script&gt; near the <mark>checkpoint</mark> &amp; the river") || has("summary", "<script>") {
		t.Errorf("summary fragments not escaped: %q", hl["summary"])
	}
	for part, frags := range hl {
		for _, f := range frags {
			if len(f) > 1000 {
				t.Errorf("%s fragment of %d bytes", part, len(f))
			}
		}
	}

	res = find(t, ix, Request{Query: "احتجاز", Collections: []string{"c"}, Highlight: true})
	if got := res.Hits[0].Highlights["title"]; len(got) != 1 || !strings.Contains(got[0], "عن <mark>الاحتجاز</mark> في") {
		t.Errorf("arabic fragments %q", got)
	}
	res = find(t, ix, Request{Query: "checkpoint", Collections: []string{"c"}})
	if res.Hits[0].Highlights != nil {
		t.Errorf("highlights without asking: %v", res.Hits[0].Highlights)
	}
}

func TestDelete(t *testing.T) {
	ix := openWith(t, corpus()...)
	if err := ix.Delete("a1", "a3", "unknown"); err != nil {
		t.Fatal(err)
	}
	if n, err := ix.Count(); err != nil || n != 5 {
		t.Errorf("count %d, %v", n, err)
	}
	res := find(t, ix, Request{Query: "detention", Collections: []string{"A", "B"}, Facets: []string{"collection", "tags"}})
	if got := hitIDs(res); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Errorf("after delete: %v", got)
	}
	if got := facet(res, "collection"); !maps.Equal(got, map[string]int{"B": 2}) {
		t.Errorf("collection facet after delete: %v", got)
	}
	res = find(t, ix, Request{Collections: []string{"A"}, Facets: []string{"tags"}})
	if got := facet(res, "tags"); !maps.Equal(got, map[string]int{"displacement": 2, "camp": 1}) {
		t.Errorf("tags facet after delete: %v", got)
	}
}

func TestPutReplaces(t *testing.T) {
	ix := openWith(t, Doc{ID: "x", Collection: "A", Language: "en", Title: "checkpoint", Tags: []string{"old"}})
	if err := ix.Put(Doc{ID: "x", Collection: "B", Language: "ar", Title: "شهادة", Tags: []string{"new"}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.Count(); n != 1 {
		t.Errorf("count %d", n)
	}
	if got := findIDs(t, ix, "checkpoint", "A", "B"); len(got) != 0 {
		t.Errorf("old text still found: %v", got)
	}
	if got := findIDs(t, ix, "", "A"); len(got) != 0 {
		t.Errorf("old collection still holds %v", got)
	}
	res := find(t, ix, Request{Query: "شهاده", Collections: []string{"B"}, Facets: []string{"tags"}})
	if got := hitIDs(res); !slices.Equal(got, []string{"x"}) || !maps.Equal(facet(res, "tags"), map[string]int{"new": 1}) {
		t.Errorf("new doc: %v %v", got, res.Facets)
	}
}

func TestPutRefusesInvalid(t *testing.T) {
	ix := openWith(t)
	ok := Doc{ID: "ok", Collection: "c", Language: "en", Title: "fine"}
	for _, d := range []Doc{
		{Collection: "c", Language: "en"},
		{ID: "x", Language: "en"},
		{ID: "x", Collection: " ", Language: "en"},
		{ID: "x", Collection: "c", Language: "fr"},
		{ID: "x", Collection: "c"},
		{ID: "x", Collection: "c", Language: "en", IncidentDate: "2017-13"},
		{ID: "x", Collection: "c", Language: "en", IncidentDate: "17"},
		{ID: "x", Collection: "c", Language: "en", IncidentDate: "2017-06-01"},
		{ID: "x", Collection: "c", Language: "en", Governorate: strings.Repeat("x", 300)},
		{ID: "\xff", Collection: "c", Language: "en"},
	} {
		if err := ix.Put(ok, d); !errors.Is(err, ErrInvalidDoc) {
			t.Errorf("%+v: err %v, want ErrInvalidDoc", d, err)
		}
	}
	if n, _ := ix.Count(); n != 0 {
		t.Errorf("a refused batch indexed %d documents", n)
	}
}

func TestClosed(t *testing.T) {
	ix := openWith(t)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Put(Doc{ID: "x", Collection: "c", Language: "en"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Put: %v", err)
	}
	if _, err := ix.Search(Request{Collections: []string{"c"}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Search: %v", err)
	}
	if err := ix.Delete("x"); !errors.Is(err, ErrClosed) {
		t.Errorf("Delete: %v", err)
	}
	if _, err := ix.Count(); !errors.Is(err, ErrClosed) {
		t.Errorf("Count: %v", err)
	}
	if err := ix.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("Close: %v", err)
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Put(corpus()...); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	// The persisted mapping keeps its analyzers, including the custom ones.
	if got := findIDs(t, ix, "sengale", "A"); !slices.Equal(got, []string{"a4"}) {
		t.Errorf("after reopen: %v", got)
	}
}

// One process per index: a second Open of the same directory fails with
// ErrLocked instead of hanging.
func TestOpenLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, err := Open(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}

func TestConcurrentPutSearch(t *testing.T) {
	ix := openWith(t, corpus()...)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				if w%2 == 0 {
					d := Doc{ID: fmt.Sprintf("w%d-%d", w, i), Collection: "A", Language: "en", Title: "checkpoint"}
					if err := ix.Put(d); err != nil {
						errs <- err
					}
					continue
				}
				res, err := ix.Search(Request{Query: "checkpoint", Collections: []string{"A"}, Facets: []string{"kind"}})
				if err != nil {
					errs <- err
				} else if res.Total < 2 {
					errs <- fmt.Errorf("total %d", res.Total)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := find(t, ix, Request{Query: "checkpoint", Collections: []string{"A"}}).Total; got != 42 {
		t.Errorf("total after concurrent puts: %d, want 42", got)
	}
}
