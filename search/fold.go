package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/ar"
	"github.com/blevesearch/bleve/v2/analysis/lang/ckb"
	"github.com/blevesearch/bleve/v2/analysis/token/unicodenorm"
	"github.com/blevesearch/bleve/v2/registry"
)

// foldFilterName is a token filter folding Latin diacritics (ê î û ç ş → e i
// u c s, and the rest of Lucene's ASCII folding table) inside each token.
//
// Bleve ships ASCII folding only as a char filter, which rewrites the text
// before tokenizing: token offsets then point into the folded text, not the
// stored original, and highlights drift by one byte per folded letter. Folding
// the token terms keeps offsets on the original.
const foldFilterName = "amana_latin_fold"

func init() {
	// Bleve's analysis registry is process-global; the name is ours alone.
	err := registry.RegisterTokenFilter(foldFilterName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{}, nil
	})
	if err != nil {
		panic(err) // a name clash in Bleve's registry: a programming error
	}
}

type foldFilter struct{}

func (foldFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	f := asciifolding.New()
	for _, t := range in {
		if !isASCII(t.Term) {
			t.Term = f.Filter(t.Term)
		}
	}
	return in
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// clean makes text safe for Bleve's analyzers: invalid UTF-8 is replaced, and
// the few upper-case runes whose lower case is shorter in UTF-8 (İ, K Kelvin,
// Ω Ohm, …) are replaced by an equivalent that is not. Bleve's lowercase
// filter lowers in place and, after such a rune, stops copying the bytes that
// follow, producing invalid UTF-8 terms ("İstanbul" → "i\xb0stanbu").
// The same function is applied to documents and to queries.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsFunc(s, shrinksWhenLowered) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if !shrinksWhenLowered(r) {
			return r
		}
		l := unicode.ToLower(r)
		if u := unicode.ToUpper(l); !shrinksWhenLowered(u) {
			return u // İ → I, K (Kelvin) → K
		}
		return l
	}, s)
}

func shrinksWhenLowered(r rune) bool {
	return r >= 0x80 && utf8.RuneLen(unicode.ToLower(r)) < utf8.RuneLen(r)
}

// arabicPrefixes are the ar stemmer's multi-letter prefixes, longest first.
var arabicPrefixes = []string{"وال", "بال", "كال", "فال", "ال", "لل"}

// prefixTerm normalizes the literal part of a trailing-wildcard query (such
// as "detent*") the way the language's analyzer normalizes indexed terms,
// short of stemming: prefix queries are not analyzed by Bleve.
func prefixTerm(lang, s string) string {
	tok := &analysis.Token{Term: []byte(strings.ToLower(s))}
	ts := analysis.TokenStream{tok}
	switch lang {
	case "ar":
		ts = unicodenorm.MustNewUnicodeNormalizeFilter(unicodenorm.NFKC).Filter(ts)
		ts = ar.NewArabicNormalizeFilter().Filter(ts)
		// The stemmer strips these prefixes from indexed terms: strip them
		// here too, so that الاحتج* finds الاحتجاز (indexed as احتجاز).
		// Suffixes cannot be stripped from a prefix.
		for _, p := range arabicPrefixes {
			if rest, ok := strings.CutPrefix(string(tok.Term), p); ok && utf8.RuneCountInString(rest) >= 2 {
				tok.Term = []byte(rest)
				break
			}
		}
	case "ckb":
		ts = ckb.NewSoraniNormalizeFilter().Filter(ts)
	case "kmr", "fold":
		ts = foldFilter{}.Filter(ts)
		tok.Term = []byte(strings.ToLower(string(tok.Term)))
	}
	return string(ts[0].Term)
}
