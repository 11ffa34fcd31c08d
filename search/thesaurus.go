package search

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
)

// thesaurusTSV is the field's vocabulary in English, Arabic, Sorani and
// Kurmanji: see its header for sources, licence and review status.
//
//go:embed thesaurus.tsv
var thesaurusTSV string

// A concept is one line of the thesaurus: its terms by language, the
// first of each being its label.
type concept struct {
	id    string
	terms map[string][]string // language → terms
}

// thesaurus finds the concepts a query's words name, in any language, and
// the terms to search for them in every language.
type thesaurus struct {
	concepts []*concept
	byID     map[string]*concept
	// byKey maps a language and the analyzed form of a term in it (its
	// tokens joined by spaces, as that language's analyzer gives them) to
	// the concepts with that term.
	byKey map[string]map[string][]*concept
	// analyzers of the text fields, by language.
	analyzers map[string]analysis.Analyzer
	maxWords  int // the most tokens of any term
}

var (
	defaultThesaurusOnce sync.Once
	defaultThesaurusVal  *thesaurus
)

// theThesaurus returns the embedded thesaurus, parsed once. The embedded
// file is checked by the package's tests, so a parse error is a build
// defect.
func theThesaurus() *thesaurus {
	defaultThesaurusOnce.Do(func() {
		m, err := newMapping()
		if err != nil {
			panic(err)
		}
		t, err := parseThesaurus(thesaurusTSV, m)
		if err != nil {
			panic(err)
		}
		defaultThesaurusVal = t
	})
	return defaultThesaurusVal
}

func parseThesaurus(data string, m *mapping.IndexMappingImpl) (*thesaurus, error) {
	t := &thesaurus{byID: map[string]*concept{}, byKey: map[string]map[string][]*concept{}, analyzers: map[string]analysis.Analyzer{}}
	for _, l := range languages {
		a := m.AnalyzerNamed(analyzerFor[l])
		if a == nil {
			return nil, fmt.Errorf("thesaurus: no analyzer for %s", l)
		}
		t.analyzers[l] = a
		t.byKey[l] = map[string][]*concept{}
	}
	cols := []string{"en", "ar", "ckb", "kmr"}
	for n, line := range strings.Split(data, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 1+len(cols) {
			return nil, fmt.Errorf("thesaurus line %d: %d columns, want %d", n+1, len(f), 1+len(cols))
		}
		c := &concept{id: f[0], terms: map[string][]string{}}
		if c.id == "" || t.byID[c.id] != nil {
			return nil, fmt.Errorf("thesaurus line %d: empty or repeated id %q", n+1, c.id)
		}
		for i, l := range cols {
			for _, term := range strings.Split(f[i+1], "|") {
				term = strings.TrimSpace(term)
				if term == "" {
					return nil, fmt.Errorf("thesaurus line %d (%s): empty %s term", n+1, c.id, l)
				}
				key, words := t.key(l, term)
				if key == "" {
					return nil, fmt.Errorf("thesaurus line %d (%s): %s term %q has no searchable word", n+1, c.id, l, term)
				}
				c.terms[l] = append(c.terms[l], term)
				if !slices.Contains(t.byKey[l][key], c) {
					t.byKey[l][key] = append(t.byKey[l][key], c)
				}
				t.maxWords = max(t.maxWords, words)
			}
		}
		t.concepts = append(t.concepts, c)
		t.byID[c.id] = c
	}
	return t, nil
}

// key is text as lang's analyzer indexes it, tokens joined by spaces, and
// the number of tokens.
func (t *thesaurus) key(lang, text string) (string, int) {
	ts := t.analyzers[lang].Analyze([]byte(clean(text)))
	words := make([]string, len(ts))
	for i, tok := range ts {
		words[i] = string(tok.Term)
	}
	return strings.Join(words, " "), len(words)
}

func (t *thesaurus) concept(id string) *concept { return t.byID[id] }

// lookup returns the concepts one of whose terms, in some language, is
// text as that language analyzes it.
func (t *thesaurus) lookup(text string) []*concept {
	var out []*concept
	for _, l := range languages {
		key, _ := t.key(l, text)
		if key == "" {
			continue
		}
		for _, c := range t.byKey[l][key] {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// Thesaurus terms, for tests and tools.

// ThesaurusSize returns the number of concepts in the thesaurus.
func ThesaurusSize() int { return len(theThesaurus().concepts) }

// Concepts returns the ids of the concepts text names in some language
// (the words of a query, a tag), or nil.
func Concepts(text string) []string {
	var ids []string
	for _, c := range theThesaurus().lookup(text) {
		ids = append(ids, c.id)
	}
	return ids
}
