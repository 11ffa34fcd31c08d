package search

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestThesaurusFile(t *testing.T) {
	th := theThesaurus()
	if n := len(th.concepts); n < 150 {
		t.Errorf("%d concepts, want at least 150", n)
	}
	for _, want := range []string{"Sources:", "Licence: CC0", "Review status:"} {
		if !strings.Contains(thesaurusTSV[:strings.Index(thesaurusTSV, "\ntestimony\t")], want) {
			t.Errorf("thesaurus header lacks %q", want)
		}
	}
	for _, id := range []string{"testimony", "interview", "detention", "displacement", "missing-persons",
		"civil-documentation", "legal-aid", "property", "return", "camp", "checkpoint"} {
		c := th.concept(id)
		if c == nil {
			t.Errorf("no concept %s", id)
			continue
		}
		for _, l := range languages {
			if len(c.terms[l]) == 0 {
				t.Errorf("%s has no %s term", id, l)
			}
		}
	}
	// Malformed files are refused.
	m, _ := newMapping()
	for _, bad := range []string{
		"x\ta\tb\tc",                        // a column short
		"x\ta\tb\tc\td\n" + "x\ta\tb\tc\td", // repeated id
		"x\ta | \tb\tc\td",                  // empty alternative
		"x\tthe\tb\tc\td",                   // an English stop word alone: nothing to search
	} {
		if _, err := parseThesaurus(bad, m); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func trilingual() []Doc {
	return []Doc{
		{ID: "en1", Collection: "c", Kind: "testimony", Language: "en", Title: "Testimony about the checkpoint"},
		{ID: "ar1", Collection: "c", Kind: "testimony", Language: "ar", Title: "شهادة عن الاحتجاز عند نقطة التفتيش"},
		{ID: "ar2", Collection: "c", Kind: "report", Language: "ar", Title: "إجراءات استخراج شهادات الميلاد للأطفال"},
		{ID: "ckb1", Collection: "c", Kind: "testimony", Language: "ckb", Title: "شایەتی دەربارەی ئاوارەبوون"},
		{ID: "kmr1", Collection: "c", Kind: "testimony", Language: "kmr", Title: "Şahidî li ser koçberiyê"},
		{ID: "en2", Collection: "c", Kind: "report", Language: "en", Title: "Birth certificates for children born in displacement"},
		{ID: "en3", Collection: "c", Kind: "report", Language: "en", Title: "Services in the camp"},
	}
}

func TestCrossLanguage(t *testing.T) {
	ix := openWith(t, trilingual()...)
	search := func(q string) *Result {
		t.Helper()
		res, err := ix.Search(Request{Query: q, Collections: []string{"c"}, Size: MaxSize})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return res
	}
	via := func(res *Result) map[string]string {
		m := map[string]string{}
		for _, h := range res.Hits {
			m[h.ID] = h.Via
		}
		return m
	}
	for q, want := range map[string][]string{
		"testimony":                  {"ar1", "ckb1", "en1", "kmr1"},
		"شهادة":                      {"ar1", "ckb1", "en1", "kmr1"}, // not ar2: birth certificates
		"شایەتی":                     {"ar1", "ckb1", "en1", "kmr1"},
		"şahidî":                     {"ar1", "ckb1", "en1", "kmr1"},
		"sahidi":                     {"ar1", "ckb1", "en1", "kmr1"},
		"birth certificate":          {"ar2", "en2"},
		`"شهادة الميلاد"`:            {"ar2", "en2"},
		"testimony lang:ar":          {"ar1"},
		"testimony lang:ar lang:ckb": {"ar1", "ckb1"},
		"testimony -lang:en":         {"ar1", "ckb1", "kmr1"},
		"lang:kmr":                   {"kmr1"},
	} {
		if got := hitIDs(search(q)); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", q, got, want)
		}
	}
	// Literal: the words typed only.
	res, err := ix.Search(Request{Query: "testimony", Collections: []string{"c"}, Literal: true})
	if err != nil || !slices.Equal(hitIDs(res), []string{"en1"}) {
		t.Errorf("literal testimony: %v %v", hitIDs(res), err)
	}
	// Hits say how they matched; the result which concepts were added.
	res = search("testimony")
	if v := via(res); v["en1"] != "words" || v["ar1"] != "thesaurus" || v["kmr1"] != "thesaurus" {
		t.Errorf("via: %v", v)
	}
	if !slices.Equal(res.Concepts, []string{"testimony"}) {
		t.Errorf("concepts %v", res.Concepts)
	}
	// The words typed rank above their translations.
	if res.Hits[0].ID != "en1" {
		t.Errorf("first hit %s, want en1", res.Hits[0].ID)
	}
	if _, err := ix.Search(Request{Query: "testimony lang:xx", Collections: []string{"c"}}); !errors.Is(err, ErrBadQuery) || !strings.Contains(err.Error(), "lang:xx") {
		t.Errorf("lang:xx: %v", err)
	}
}

// The Arabic analyzer tells شهادة, testimony, from شهادة الميلاد, birth
// certificate, in documents and queries alike.
func TestArabicCertificateSense(t *testing.T) {
	ix := openWith(t,
		Doc{ID: "t", Collection: "c", Language: "ar", Title: "شهادة امرأة نازحة", Summary: "شهادات الناجيات"},
		Doc{ID: "b", Collection: "c", Language: "ar", Title: "استخراج شهادات الميلاد", Summary: "شهادة الوفاة وشهادة الجنسية"},
		Doc{ID: "both", Collection: "c", Language: "ar", Title: "شهادة عن فقدان شهادة الميلاد"},
	)
	for q, want := range map[string][]string{
		"شهادة":           {"both", "t"},
		"شهادات":          {"both", "t"},
		"الشهادة":         {"both", "t"},
		`"شهادة الميلاد"`: {"b", "both"},
		`"شهادات ميلاد"`:  {"b", "both"},
		`"شهادة الوفاة"`:  {"b"}, // وفاة alone stems to فا: the light stemmer takes its و for "and"
		"ميلاد":           {"b", "both"},
	} {
		if got := findIDs(t, ix, q, "c"); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", q, got, want)
		}
	}
}

// Several words rank documents that have them as a phrase first.
func TestPhraseBoost(t *testing.T) {
	ix := openWith(t,
		Doc{ID: "apart", Collection: "c", Language: "en", Title: "Visit notes", Summary: "The land was sold. Later the family asked about records."},
		Doc{ID: "phrase", Collection: "c", Language: "en", Title: "Notes", Summary: "The family asked about land records for the house."},
		Doc{ID: "split", Collection: "c", Language: "en", Title: "Land", Summary: "Records of the visit to the family."},
	)
	res, err := ix.Search(Request{Query: "land records", Collections: []string{"c"}})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, h := range res.Hits {
		order = append(order, h.ID)
	}
	if len(order) != 3 || order[0] != "phrase" {
		t.Errorf("order %v, want phrase first", order)
	}
	// Without the phrase clauses the short title wins.
	res, _ = ix.Search(Request{Query: "land records", Collections: []string{"c"}, Literal: true})
	if res.Hits[0].ID == "phrase" {
		t.Errorf("literal search puts the phrase first too: the test shows nothing")
	}
}
