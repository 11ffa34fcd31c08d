package search

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHostileQueries(t *testing.T) {
	ix := openWith(t, corpus()...)
	refuse := []string{
		"/.*/", "/[a-z]+/", "title:/.*/",
		"*a*", "*", "?", "a*", "ab*", "*tion", "det?ntion", "de*tion", "title:*",
		"a~100", "detention~3", "ab~1", "a~1 b~1",
		"a~1 bbb~1 ccc~1 ddd~1 eee~1 fff~1",
		"aaa* bbb* ccc* ddd* eee*",
		`"unbalanced`, `title:"unbalanced`, `"`, `\`, "title:", ":", "::", ":detention", "+", "-", "+-", "^2",
		"kirkuk^0", "kirkuk^1000", "kirkuk^1e308", "kirkuk^-1",
		`year:>"2017"`, `title:>"2017-01-01"`, "title:>5", "year:>2017.5", "year:>99999", "year:>-1e308",
		"note:secret", "depositor:alice", "_id:a1", "_all:detention", "title_en:detention", "collection_fold:b",
		strings.Repeat("a", MaxQueryLen+1),
		strings.Repeat("a ", 40),
	}
	for _, q := range refuse {
		res, err := ix.Search(Request{Query: q, Collections: []string{"A"}})
		if !errors.Is(err, ErrBadQuery) {
			t.Errorf("query %.60q: got %v, %v; want ErrBadQuery", q, res, err)
		}
	}
	// Odd but harmless: these run, and only see collection A.
	run := []string{
		"\x00", "\xff\xfe", "detention\x00", "İİİİ", "ـــ", "\u200f\u200e", "\u0301", "🙂", "a:b:c:d" + ":",
		"((a))", strings.Repeat("(", 100), "a^", "a AND b OR c", "NOT a", "&&", "||", "{}", "[2017 TO 2018]", "title:(a b)",
		`"a" "b" "c"`, `""`, `"   "`, "+\"\"", "-\"\"", `"the"`, "year:abcd", "year:2017~1", "year:201*",
		"detention~1", "detention~", "checkpoint~2", "kirkuk^0.001", "governorate:\"Nineveh Plains\"",
		strings.Repeat("ش", 300), strings.Repeat("x", MaxQueryLen),
		strings.Repeat("a ", 32), strings.Repeat(`"a b" `, 30),
	}
	for _, q := range run {
		res, err := ix.Search(Request{Query: q, Collections: []string{"A"}, Facets: []string{"collection"}, Highlight: true})
		if err != nil {
			if !errors.Is(err, ErrBadQuery) {
				t.Errorf("query %.60q: %v", q, err)
			}
			continue
		}
		for _, h := range res.Hits {
			if h.Collection != "A" {
				t.Errorf("query %.60q: hit in %s", q, h.Collection)
			}
		}
	}
}

// Prefix and fuzzy terms are bounded: a prefix matching many terms in many
// fields is refused as too broad rather than run.
func TestBroadPrefixRefused(t *testing.T) {
	var docs []Doc
	words := make([]string, 0, 3000)
	for i := range 3000 {
		words = append(words, "pre"+strings.Repeat(string(rune('a'+i%26)), 1+i/26%5)+string(rune('a'+i/130%26))+string(rune('a'+i%7)))
	}
	docs = append(docs, Doc{ID: "many", Collection: "A", Language: "en", Title: strings.Join(words, " "),
		Summary: strings.Join(words, " "), Transcript: strings.Join(words, " ")})
	ix := openWith(t, docs...)
	start := time.Now()
	_, err := ix.Search(Request{Query: "pre* pre* pre* pre*", Collections: []string{"A"}})
	if !errors.Is(err, ErrBadQuery) || !strings.Contains(err.Error(), "too broad") {
		t.Errorf("broad prefix: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusal took %v", d)
	}
	if got := findIDs(t, ix, "prebbbbb*", "A"); len(got) != 1 {
		t.Errorf("narrow prefix: %v", got)
	}
}

// A query that analyzes to nothing ("!!!", stop words only) must match
// nothing, not every document the caller may see.
func TestMustMatchNoneMatchesNothing(t *testing.T) {
	ix := openWith(t, corpus()...)
	for q, want := range map[string]uint64{"!!!": 0, "+!!!": 0, "the": 0, "+the": 0, "-!!!": 5} {
		for _, literal := range []bool{true, false} {
			res, err := ix.Search(Request{Query: q, Collections: []string{"A"}, Literal: literal})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != want {
				t.Errorf("query %q (literal %v): %d hits, want %d", q, literal, res.Total, want)
			}
		}
	}
}

func FuzzQuery(f *testing.F) {
	for _, s := range []string{"detention", `"a b"`, "+a -b", "title:x", "year:>2015", "a~1", "abc*", "/x/", `\"`, "ش~2", "İ", "a^2"} {
		f.Add(s)
	}
	ix := openWith(f, corpus()...)
	f.Fuzz(func(t *testing.T, q string) {
		res, err := ix.Search(Request{Query: q, Collections: []string{"A"}, Facets: []string{"kind"}, Highlight: true})
		if err != nil {
			if !errors.Is(err, ErrBadQuery) {
				t.Fatalf("query %q: %v", q, err)
			}
			return
		}
		for _, h := range res.Hits {
			if h.Collection != "A" {
				t.Fatalf("query %q: hit in %s", q, h.Collection)
			}
		}
	})
}
