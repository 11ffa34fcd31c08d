package search

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/bleve/v2/search/highlight"
	htmlFormatter "github.com/blevesearch/bleve/v2/search/highlight/format/html"
	simpleFragmenter "github.com/blevesearch/bleve/v2/search/highlight/fragmenter/simple"
	simpleHighlighter "github.com/blevesearch/bleve/v2/search/highlight/highlighter/simple"
)

// Highlight fragments that start and end between words.
//
// Bleve's simple fragmenter cuts a fragment of about 200 characters around
// a match wherever the count runs out, often inside a word: "…ention at
// the checkpoi…". wordFragmenter moves each end of such a fragment inward
// to the nearest space or punctuation, in any script: letters, digits and
// combining marks (harakat), and the zero-width joiners Sorani and Persian
// write inside words, are word characters. A fragment never loses a match.
const (
	wordFragmenterName = "amana_words"
	highlighterName    = "amana_html"
	fragmentSize       = 200 // characters, as Bleve's default
)

type wordFragmenter struct{ simple *simpleFragmenter.Fragmenter }

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '\u200c' || r == '\u200d'
}

func (f wordFragmenter) Fragment(orig []byte, ot highlight.TermLocations) []*highlight.Fragment {
	frags := f.simple.Fragment(orig, ot)
	for _, fr := range frags {
		// The matches inside the fragment bound how far its ends move.
		lo, hi := fr.End, fr.Start
		for _, l := range ot {
			if l.Start >= fr.Start && l.End <= fr.End {
				lo, hi = min(lo, l.Start), max(hi, l.End)
			}
		}
		start, end := fr.Start, fr.End
		// Start inside a word: skip to its end, then past what follows.
		if prev, _ := utf8.DecodeLastRune(orig[:start]); start > 0 && isWordRune(prev) {
			s := start
			for s < lo {
				r, size := utf8.DecodeRune(orig[s:])
				if !isWordRune(r) {
					break
				}
				s += size
			}
			for s < lo {
				r, size := utf8.DecodeRune(orig[s:])
				if isWordRune(r) || !unicode.IsSpace(r) && !unicode.IsPunct(r) {
					break
				}
				s += size
			}
			if s <= lo {
				start = s
			}
		}
		// End inside a word: back to its start, then before the spaces.
		if next, _ := utf8.DecodeRune(orig[end:]); end < len(orig) && isWordRune(next) {
			e := end
			for e > hi {
				r, size := utf8.DecodeLastRune(orig[:e])
				if !isWordRune(r) {
					break
				}
				e -= size
			}
			for e > hi {
				r, size := utf8.DecodeLastRune(orig[:e])
				if !unicode.IsSpace(r) {
					break
				}
				e -= size
			}
			if e >= hi {
				end = e
			}
		}
		if start < end {
			fr.Start, fr.End = start, end
		}
	}
	return frags
}

func init() {
	err := registry.RegisterFragmenter(wordFragmenterName, func(map[string]any, *registry.Cache) (highlight.Fragmenter, error) {
		return wordFragmenter{simpleFragmenter.NewFragmenter(fragmentSize)}, nil
	})
	if err == nil {
		err = registry.RegisterHighlighter(highlighterName, func(_ map[string]any, cache *registry.Cache) (highlight.Highlighter, error) {
			fr, err := cache.FragmenterNamed(wordFragmenterName)
			if err != nil {
				return nil, fmt.Errorf("building fragmenter: %v", err)
			}
			fo, err := cache.FragmentFormatterNamed(htmlFormatter.Name)
			if err != nil {
				return nil, fmt.Errorf("building formatter: %v", err)
			}
			return simpleHighlighter.NewHighlighter(fr, fo, simpleHighlighter.DefaultSeparator), nil
		})
	}
	if err != nil {
		panic(err) // a name clash in Bleve's registry: a programming error
	}
}
