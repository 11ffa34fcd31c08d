package search

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/ar"
	"github.com/blevesearch/bleve/v2/analysis/token/unicodenorm"
	"github.com/blevesearch/bleve/v2/registry"
)

// Arabic uses one word, شهادة, for a testimony and for a certificate; the
// light stemmer also reduces its plural شهادات to the same stem, so a
// search for testimonies (شهادة) found every mention of birth certificates
// (شهادات الميلاد). arSenseFilter gives the stem a term of its own when the
// next word names what is certified: شهادة الميلاد, شهادات الوفاة, شهادة
// الجنسية … index as certificateTerm followed by the noun, and a query for
// شهادة alone no longer matches them. The same filter runs on queries, so
// "شهادة الميلاد" still finds birth certificates.
const (
	arSenseFilterName = "amana_ar_sense"
	arAnalyzer        = "amana_ar"
	// certificateTerm stands for شهادة in the sense of a certificate. The
	// "#" keeps it apart from any word: the tokenizer never emits one.
	certificateTerm = "شهاد#وثيقه"
)

// certifiedNouns are words that, after شهادة, make it a certificate: birth,
// death, nationality, marriage, divorce, graduation, school and university,
// medical and health, and "no criminal record" (عدم محكومية).
var certifiedNouns = []string{
	"الميلاد", "ميلاد", "الولادة", "ولادة", "الوفاة", "وفاة", "الجنسية", "جنسية",
	"الزواج", "زواج", "الطلاق", "طلاق", "التخرج", "تخرج", "دراسية", "مدرسية",
	"جامعية", "طبية", "صحية", "عدم",
}

// arStem normalizes and stems one word as the ar analyzer does.
func arStem(w string) string {
	ts := analysis.TokenStream{{Term: []byte(w)}}
	ts = unicodenorm.MustNewUnicodeNormalizeFilter(unicodenorm.NFKC).Filter(ts)
	ts = ar.NewArabicNormalizeFilter().Filter(ts)
	ts = ar.NewArabicStemmerFilter().Filter(ts)
	return string(ts[0].Term)
}

type arSenseFilter struct {
	witness string          // the stem of شهادة
	nouns   map[string]bool // stems of certifiedNouns
}

func newArSenseFilter() *arSenseFilter {
	f := &arSenseFilter{witness: arStem("شهادة"), nouns: map[string]bool{}}
	for _, n := range certifiedNouns {
		f.nouns[arStem(n)] = true
	}
	return f
}

func (f *arSenseFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for i, t := range in {
		if string(t.Term) != f.witness || i+1 == len(in) {
			continue
		}
		if next := in[i+1]; next.Position == t.Position+1 && f.nouns[string(next.Term)] {
			t.Term = []byte(certificateTerm)
		}
	}
	return in
}

func init() {
	err := registry.RegisterTokenFilter(arSenseFilterName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return newArSenseFilter(), nil
	})
	if err != nil {
		panic(err) // a name clash in Bleve's registry: a programming error
	}
}
