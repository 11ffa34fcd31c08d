package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Request is one search by one caller.
type Request struct {
	// Query uses Bleve's query-string syntax, at most MaxQueryLen bytes;
	// empty matches every document of Collections.
	//
	//	detention checkpoint      either word (both score higher)
	//	+detention -kirkuk        required, excluded
	//	"detention at the checkpoint"  phrase (stop words are skipped)
	//	title:checkpoint          also summary:, transcript:
	//	governorate:kirkuk        also collection:, kind:, language:, tags:
	//	                          (tag:); case and diacritics ignored
	//	year:2017 year:>=2015     incident years (ranges overlap, as From/To)
	//	detent*                   prefix of at least 3 letters, matched
	//	                          against indexed (stemmed) terms
	//	chekpoint~1               fuzzy, edit distance 1 or 2
	//	detention^2               boost, at most 100
	//
	// Words without a field search title, summary and transcript in every
	// language, each with its language's analyzer, and whole governorate
	// and tag values. There are no parentheses, AND or OR: "OR" is a word.
	// Regular expressions (/…/), other wildcards (*a, a?b), date ranges,
	// unknown fields, more than 32 terms or 4 fuzzy/prefix terms are
	// refused with ErrBadQuery.
	Query string
	// Collections are the collections the caller may read. The index
	// filters on them itself, so hits, totals and facet counts never
	// include other collections. Empty means no results, never "all".
	Collections []string
	// Filters restrict results to documents whose facet field has one of
	// the values (OR within a field, AND across fields), for example
	// {"kind": {"testimony"}, "governorate": {"kirkuk"}, "year": {"2017"}}.
	// Case and Latin diacritics are ignored. An unknown field, kind,
	// language or governorate, a collection not in Collections or a year
	// that is not four digits is refused with ErrBadRequest naming it;
	// tags are an open vocabulary.
	Filters map[string][]string
	// LabelLang is the language of FacetCount.Label: en (default), ar or
	// ckb.
	LabelLang string
	// IDs, if not nil, restricts results to these document ids (the
	// documents the caller can open, say); an empty list matches nothing.
	IDs []string
	// From and To ("YYYY" or "YYYY-MM", inclusive, either may be empty)
	// keep documents whose incident date overlaps the range: "2017" covers
	// 2017-01 to 2017-12. Documents without an incident date are dropped
	// when a range is given.
	From, To string
	// Facets names facets to count, among collection, kind, language,
	// governorate, tags and year.
	Facets []string
	// Offset and Size page through the hits; Size 0 means DefaultSize.
	Offset, Size int
	// Sort is "" (relevance), "incident", "-incident", "deposited" or
	// "-deposited". Ties are broken by ID, so paging is stable.
	Sort string
	// Literal searches only the words typed: no thesaurus expansion
	// across languages, no phrase or proximity clauses.
	Literal bool
	// Highlight asks for fragments of title, summary and transcript with
	// matches marked <mark>…</mark>; the rest of each fragment is
	// HTML-escaped.
	Highlight bool
}

// Paging and facet limits.
const (
	DefaultSize   = 20
	MaxSize       = 100
	MaxOffset     = 10000
	maxFacetTerms = 50 // terms returned per facet
	maxFilterVals = 100
	maxCollection = 10000
)

// Result is one page of hits with totals and facet counts over all hits.
type Result struct {
	// Concepts are the thesaurus concepts whose terms, in every language,
	// the query also searched (see Request.Literal).
	Concepts []string
	Total    uint64
	Hits     []Hit
	Facets   map[string][]FacetCount
	Took     time.Duration
}

// Hit is one matching document: only stored public metadata.
type Hit struct {
	ID, Collection, Kind, Language, Governorate, IncidentDate, Title string
	Tags                                                             []string
	Score                                                            float64
	// Via says how the hit matched the query's words: "words" (in the
	// language of the document, Language, as typed), or "thesaurus" (only
	// through a term of a concept in another language or a synonym); ""
	// for a query without words.
	Via string
	// Highlights maps "title", "summary" and "transcript" to fragments
	// (HTML-escaped, matches in <mark>) when Request.Highlight is set.
	Highlights map[string][]string
}

// FacetCount is the number of hits with one value of a facet field.
type FacetCount struct {
	Term  string
	Label string // display label in Request.LabelLang (see Label)
	Count int
}

// markStart opens a match in highlight fragments (Bleve's html formatter).
const markStart = "<mark>"

var sorts = []string{"", "incident", "-incident", "deposited", "-deposited"}

// Search runs req.
func (ix *Index) Search(req Request) (*Result, error) {
	return ix.SearchContext(context.Background(), req)
}

// markVia sets Hit.Via and Result.Concepts when the thesaurus expanded the
// query: the hits of the page that the words typed match too (a search of
// the unexpanded query among those hits only) are "words", the others
// "thesaurus".
func (ix *Index) markVia(ctx context.Context, res *Result, pq *parsedQuery) error {
	if len(res.Hits) == 0 {
		return nil
	}
	if _, all := pq.q.(*query.MatchAllQuery); all {
		return nil
	}
	for i := range res.Hits {
		res.Hits[i].Via = "words"
	}
	if pq.plain == nil {
		return nil
	}
	res.Concepts = pq.concepts
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	q := query.NewConjunctionQuery([]query.Query{query.NewDocIDQuery(ids), pq.plain})
	sr := bleve.NewSearchRequestOptions(q, len(ids), 0, false)
	sr.Score = bleve.ScoreNone
	sr.SortBy([]string{"_id"})
	br, err := ix.bi.SearchInContext(ctx, sr)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	plain := map[string]bool{}
	for _, h := range br.Hits {
		plain[h.ID] = true
	}
	for i := range res.Hits {
		if !plain[res.Hits[i].ID] {
			res.Hits[i].Via = "thesaurus"
		}
	}
	return nil
}

// plan is a validated request.
type plan struct {
	req         Request
	pq          *parsedQuery
	size        int
	collections []string            // exact values
	filters     map[string][]string // field → folded values (years as given)
	ranged      bool                // From or To given
	lo, hi      int32               // yyyymm the incident must overlap
	// ids, if not nil, holds the sort keys (idKey) of Request.IDs: only
	// documents with one of them are considered. Two ids share a key only
	// if their first 8 characters agree (40 random bits), so a document
	// whose id is not listed passes in a collision; it is still in the
	// caller's collections, and per-hit decisions (can_open) are made on
	// the full id.
	ids map[uint64]bool
}

// buildPlan validates req; nil without error means the caller can see no
// collection.
func buildPlan(req Request) (*plan, error) {
	p := &plan{req: req, size: req.Size, filters: map[string][]string{}}
	switch {
	case p.size == 0:
		p.size = DefaultSize
	case p.size < 0 || p.size > MaxSize:
		return nil, badRequest("size must be between 0 and %d", MaxSize)
	}
	if req.Offset < 0 || req.Offset > MaxOffset {
		return nil, badRequest("offset must be between 0 and %d", MaxOffset)
	}
	if !slices.Contains(sorts, req.Sort) {
		return nil, badRequest("unknown sort %q", req.Sort)
	}
	for _, f := range req.Facets {
		if !slices.Contains(facetFields, f) {
			return nil, badRequest("unknown facet %q", f)
		}
	}
	if req.LabelLang != "" && !slices.Contains(LabelLanguages, req.LabelLang) {
		return nil, badRequest("unknown label language %q (%s)", req.LabelLang, strings.Join(LabelLanguages, ", "))
	}
	if len(req.Collections) > maxCollection {
		return nil, badRequest("more than %d collections", maxCollection)
	}
	var err error
	if p.pq, err = parseQueryOpts(req.Query, !req.Literal); err != nil {
		return nil, err
	}
	for _, c := range req.Collections {
		if c = strings.TrimSpace(clean(c)); c != "" && !slices.Contains(p.collections, c) {
			p.collections = append(p.collections, c)
		}
	}
	if len(p.collections) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(req.Filters))
	for name := range req.Filters {
		names = append(names, name)
	}
	slices.Sort(names) // the first error is the same every time
	for _, name := range names {
		vals := req.Filters[name]
		if !slices.Contains(facetFields, name) {
			return nil, badRequest("unknown filter %q (filters: %s)", name, strings.Join(facetFields, ", "))
		}
		if len(vals) > maxFilterVals {
			return nil, badRequest("more than %d values for filter %q", maxFilterVals, name)
		}
		if len(vals) == 0 {
			continue
		}
		folded, err := checkFilter(name, vals, req.Collections)
		if err != nil {
			return nil, err
		}
		// Only empty values: an empty set, which nothing matches.
		p.filters[name] = append([]string{}, folded...)
	}
	if req.IDs != nil {
		p.ids = make(map[uint64]bool, len(req.IDs))
		for _, id := range req.IDs {
			p.ids[idKey([]byte(id))] = true
		}
	}
	if req.From != "" || req.To != "" {
		lo, hi := 0, 999912
		if req.From != "" {
			if lo, err = parseYearMonth(req.From, 1); err != nil {
				return nil, badRequest("from: %v", err)
			}
		}
		if req.To != "" {
			if hi, err = parseYearMonth(req.To, 12); err != nil {
				return nil, badRequest("to: %v", err)
			}
		}
		if lo > hi {
			return nil, badRequest("from %q is after to %q", req.From, req.To)
		}
		p.ranged, p.lo, p.hi = true, int32(lo), int32(hi)
	}
	return p, nil
}

func storedFields() []string {
	fs := []string{fieldIncidentDate}
	fs = append(fs, keywordFields...)
	for _, l := range languages {
		fs = append(fs, textField("title", l))
	}
	return fs
}

// str and strs read stored fields: Bleve returns one value as itself and
// several as a slice.
func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		if len(t) > 0 {
			s, _ := t[0].(string)
			return s
		}
	}
	return ""
}

func strs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
