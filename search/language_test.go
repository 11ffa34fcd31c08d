package search

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// Each language test indexes a target document and an unrelated one of the
// same language: a query must find the target and only it, so a query that
// matched everything would fail too.

func TestArabicSpellingVariants(t *testing.T) {
	ix := openWith(t,
		Doc{ID: "target", Collection: "c", Language: "ar",
			// أ إ آ forms, ة, ى and a plural in the stored text.
			Title:   "شهادة أسرة عن الإحتجاز في نقطة التفتيش",
			Summary: "روت امرأة آمنة ما جرى في مستشفى كركوك، وتحدث المعتقلون عن التحقيق"},
		Doc{ID: "other", Collection: "c", Language: "ar",
			Title:   "تقرير عن التعليم في المدارس",
			Summary: "زيارة إلى المدارس في الموصل"},
	)
	for _, q := range []string{
		"شهادة",        // as written
		"شهاده",        // ه for ة
		"شهـــادة",     // tatweel
		"شَهَادَةٌ",    // harakat
		"الشهادات",     // ال prefix, plural ات
		"اسرة",         // ا for أ
		"احتجاز",       // ا for إ, no ال
		"الاحتجاز",     // the usual spelling of the indexed الإحتجاز
		"امنة",         // ا for آ
		"مستشفي",       // ي for ى
		"معتقلين",      // ين plural for the indexed ون plural with ال
		"title:نقطه",   // field-specific, ه for ة
		"+شهادة +امنه", // both required
	} {
		if got := findIDs(t, ix, q, "c"); !slices.Equal(got, []string{"target"}) {
			t.Errorf("query %q: got %v, want [target]", q, got)
		}
	}
	if got := findIDs(t, ix, "زراعة", "c"); len(got) != 0 {
		t.Errorf("unrelated word: got %v, want none", got)
	}
}

// The ckb stemmer strips one suffix: definite -ەکە, definite plural -ەکان,
// final -ە. It normalizes Arabic ي and ك to Sorani ی and ک.
func TestSoraniInflection(t *testing.T) {
	ix := openWith(t,
		Doc{ID: "target", Collection: "c", Language: "ckb",
			Title:   "شایەتەکە لە کەمپ",    // the witness in the camp
			Summary: "ئاوارەکان گەڕانەوە"}, // the displaced returned
		Doc{ID: "other", Collection: "c", Language: "ckb",
			Title: "ڕاپۆرت دەربارەی قوتابخانە"}, // report about the school
	)
	for _, q := range []string{
		"شایەتەکە",  // as written
		"شایەت",     // bare noun finds the definite form
		"شایەتەکان", // definite plural finds the definite singular
		"شايەت",     // Arabic ي instead of ی
		"ئاوارە",    // bare noun finds the definite plural
		"ئاوارەکە",  // definite singular finds the definite plural
		"كەمپ",      // Arabic ك instead of ک
	} {
		if got := findIDs(t, ix, q, "c"); !slices.Equal(got, []string{"target"}) {
			t.Errorf("query %q: got %v, want [target]", q, got)
		}
	}
	if got := findIDs(t, ix, "نەخۆشخانە", "c"); len(got) != 0 { // hospital
		t.Errorf("unrelated word: got %v, want none", got)
	}
}

// The en analyzer is Porter: "detention(s)" → detent, "detained/detaining"
// → detain. The two stems differ, so "detentions" does not find "detained".
func TestEnglishStemming(t *testing.T) {
	ix := openWith(t,
		Doc{ID: "detention", Collection: "c", Language: "en", Title: "Detention conditions at the checkpoint"},
		Doc{ID: "detained", Collection: "c", Language: "en", Title: "She was detained for three days"},
		Doc{ID: "interview", Collection: "c", Language: "en", Title: "Interview with displaced families"},
	)
	for q, want := range map[string][]string{
		"detentions":   {"detention"},
		"detaining":    {"detained"},
		"interviewed":  {"interview"},
		"interviews":   {"interview"},
		"displacement": {"interview"},
		"condition":    {"detention"},
		"DETAIN":       {"detained"},
	} {
		if got := findIDs(t, ix, q, "c"); !slices.Equal(got, want) {
			t.Errorf("query %q: got %v, want %v", q, got, want)
		}
	}
}

// Kurmanji has no stemmer: the custom analyzer folds case and diacritics.
func TestKurmanjiFolding(t *testing.T) {
	ix := openWith(t,
		Doc{ID: "target", Collection: "c", Language: "kmr", Title: "Gotina şahid li ser koçberî"},
		Doc{ID: "other", Collection: "c", Language: "kmr", Title: "Rapor li ser dibistanê"},
	)
	for _, q := range []string{
		"şahid", "sahid", "ŞAHÎD", "Şahîd", "SAHID",
		"ŞAHİD", // Turkish dotted İ: must not corrupt the term
		"kocberi", "KOÇBERÎ", "koçberî",
	} {
		if got := findIDs(t, ix, q, "c"); !slices.Equal(got, []string{"target"}) {
			t.Errorf("query %q: got %v, want [target]", q, got)
		}
	}
	// The highlight marks the original spelling: folding happens in a token
	// filter, so offsets point into the stored text.
	res := find(t, ix, Request{Query: "sahid", Collections: []string{"c"}, Highlight: true})
	if got := res.Hits[0].Highlights["title"]; len(got) != 1 || !strings.Contains(got[0], "<mark>şahid</mark>") {
		t.Errorf("highlight: got %q", got)
	}
}

// Bleve's lowercase filter corrupts terms after İ (and a few other runes
// whose lower case is shorter in UTF-8). clean() maps them first.
func TestDottedCapitalI(t *testing.T) {
	ix := openWith(t,
		Doc{ID: "en", Collection: "c", Language: "en", Title: "Report from the İSTANBUL office"},
		Doc{ID: "ar", Collection: "c", Language: "ar", Title: "İzmir شهادة"},
		Doc{ID: "kelvin", Collection: "c", Language: "ckb", Title: "\u212Aelvin"}, // Kelvin sign K
	)
	for q, want := range map[string]string{
		"istanbul": "en", "İstanbul": "en", "ISTANBUL": "en",
		"izmir": "ar", "İZMİR": "ar",
		"kelvin": "kelvin",
	} {
		if got := findIDs(t, ix, q, "c"); !slices.Equal(got, []string{want}) {
			t.Errorf("query %q: got %v, want [%s]", q, got, want)
		}
	}
	res := find(t, ix, Request{Query: "istanbul", Collections: []string{"c"}, Highlight: true})
	h := res.Hits[0]
	if !utf8.ValidString(h.Title) || !strings.Contains(h.Title, "ISTANBUL") {
		t.Errorf("title %q", h.Title)
	}
	for _, f := range h.Highlights["title"] {
		if !utf8.ValidString(f) || !strings.Contains(f, "<mark>ISTANBUL</mark>") {
			t.Errorf("fragment %q", f)
		}
	}
}
