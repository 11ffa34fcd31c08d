package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight/format/html"
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
	// {"kind": {"testimony"}, "governorate": {"Kirkuk"}, "year": {"2017"}}.
	// Values are exact, as returned in FacetCount.Term.
	Filters map[string][]string
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
	Total  uint64
	Hits   []Hit
	Facets map[string][]FacetCount
	Took   time.Duration
}

// Hit is one matching document: only stored public metadata.
type Hit struct {
	ID, Collection, Kind, Language, Governorate, IncidentDate, Title string
	Tags                                                             []string
	Score                                                            float64
	// Highlights maps "title", "summary" and "transcript" to fragments
	// (HTML-escaped, matches in <mark>) when Request.Highlight is set.
	Highlights map[string][]string
}

// FacetCount is the number of hits with one value of a facet field.
type FacetCount struct {
	Term  string
	Count int
}

// markStart opens a match in highlight fragments (Bleve's html formatter).
const markStart = "<mark>"

var sorts = map[string][]string{
	"":           {"-_score", "_id"},
	"incident":   {fieldIncidentFrom, "-_score", "_id"},
	"-incident":  {"-" + fieldIncidentTo, "-_score", "_id"},
	"deposited":  {fieldDeposited, "_id"},
	"-deposited": {"-" + fieldDeposited, "_id"},
}

// Search runs req.
func (ix *Index) Search(req Request) (*Result, error) {
	return ix.SearchContext(context.Background(), req)
}

// SearchContext runs req; cancelling ctx stops the search.
func (ix *Index) SearchContext(ctx context.Context, req Request) (res *Result, err error) {
	sr, err := buildRequest(req)
	if err != nil {
		return nil, err
	}
	if sr == nil { // no collections: nothing to see
		return &Result{Hits: []Hit{}, Facets: map[string][]FacetCount{}}, nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return nil, ErrClosed
	}
	defer func() {
		// Bleve's query parser recovers its own panics; this is the last
		// line for the rest, so that no query string takes the server down.
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("search: internal error: %v", p)
		}
	}()
	ctx = context.WithValue(ctx, bsearch.MaxTermSearchersKey, maxTermSearchers)
	br, err := ix.bi.SearchInContext(ctx, sr)
	if err != nil {
		if strings.Contains(err.Error(), "TooManyTermSearchers") {
			return nil, badQuery("query too broad")
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("search: %w", ctxErr)
		}
		return nil, fmt.Errorf("search: %w", err)
	}
	return result(br, req), nil
}

// buildRequest validates req and builds the Bleve request; nil without error
// means the caller can see no collection.
func buildRequest(req Request) (*bleve.SearchRequest, error) {
	size := req.Size
	switch {
	case size == 0:
		size = DefaultSize
	case size < 0 || size > MaxSize:
		return nil, badRequest("size must be between 0 and %d", MaxSize)
	}
	if req.Offset < 0 || req.Offset > MaxOffset {
		return nil, badRequest("offset must be between 0 and %d", MaxOffset)
	}
	order, ok := sorts[req.Sort]
	if !ok {
		return nil, badRequest("unknown sort %q", req.Sort)
	}
	for _, f := range req.Facets {
		if !slices.Contains(facetFields, f) {
			return nil, badRequest("unknown facet %q", f)
		}
	}
	if len(req.Collections) > maxCollection {
		return nil, badRequest("more than %d collections", maxCollection)
	}
	userQuery, err := parseQuery(req.Query)
	if err != nil {
		return nil, err
	}

	var filters []query.Query
	access := anyOf("collection", req.Collections)
	if access == nil {
		return nil, nil
	}
	filters = append(filters, access)
	// Sorted for a deterministic query (map order is random).
	names := make([]string, 0, len(req.Filters))
	for name := range req.Filters {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		vals := req.Filters[name]
		if !slices.Contains(facetFields, name) {
			return nil, badRequest("unknown filter %q", name)
		}
		if len(vals) > maxFilterVals {
			return nil, badRequest("more than %d values for filter %q", maxFilterVals, name)
		}
		if len(vals) == 0 {
			continue
		}
		q := anyOf(name, vals)
		if q == nil { // only empty values: nothing can match
			q = query.NewMatchNoneQuery()
		}
		filters = append(filters, q)
	}
	if req.IDs != nil {
		if len(req.IDs) == 0 {
			filters = append(filters, query.NewMatchNoneQuery())
		} else {
			filters = append(filters, query.NewDocIDQuery(req.IDs))
		}
	}
	if req.From != "" || req.To != "" {
		q, err := dateRange(req.From, req.To)
		if err != nil {
			return nil, err
		}
		filters = append(filters, q)
	}

	bq := query.NewBooleanQuery(nil, nil, nil)
	// AddMust wraps userQuery in a conjunction: Bleve drops a must clause
	// that is itself a MatchNone searcher, which would leave the filter
	// alone, matching everything (TestMustMatchNoneMatchesNothing).
	bq.AddMust(userQuery)
	// A filter restricts without scoring; it is part of the query, so totals
	// and facet counts only ever see the caller's collections.
	bq.AddFilter(query.NewConjunctionQuery(filters))

	sr := bleve.NewSearchRequestOptions(bq, size, req.Offset, false)
	sr.SortBy(order)
	sr.Fields = storedFields()
	for _, f := range req.Facets {
		sr.AddFacet(f, bleve.NewFacetRequest(f, maxFacetTerms))
	}
	if req.Highlight {
		sr.Highlight = bleve.NewHighlightWithStyle(html.Name)
		sr.Highlight.Fields = allTextFields()
	}
	return sr, nil
}

// anyOf is a disjunction of exact terms on a keyword field, or nil when vals
// holds no non-empty value.
func anyOf(field string, vals []string) query.Query {
	var qs []query.Query
	seen := map[string]bool{}
	for _, v := range vals {
		v = strings.TrimSpace(clean(v))
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		tq := query.NewTermQuery(v)
		tq.SetField(field)
		qs = append(qs, tq)
	}
	if len(qs) == 0 {
		return nil
	}
	return query.NewDisjunctionQuery(qs)
}

// dateRange keeps documents whose incident months overlap [from, to].
func dateRange(from, to string) (query.Query, error) {
	lo, hi := 0, 999912
	var err error
	if from != "" {
		if lo, err = parseYearMonth(from, 1); err != nil {
			return nil, badRequest("from: %v", err)
		}
	}
	if to != "" {
		if hi, err = parseYearMonth(to, 12); err != nil {
			return nil, badRequest("to: %v", err)
		}
	}
	if lo > hi {
		return nil, badRequest("from %q is after to %q", from, to)
	}
	yes := true
	l, h := float64(lo), float64(hi)
	start := query.NewNumericRangeInclusiveQuery(nil, &h, nil, &yes)
	start.SetField(fieldIncidentFrom)
	end := query.NewNumericRangeInclusiveQuery(&l, nil, &yes, nil)
	end.SetField(fieldIncidentTo)
	return query.NewConjunctionQuery([]query.Query{start, end}), nil
}

func storedFields() []string {
	fs := []string{fieldIncidentDate}
	fs = append(fs, keywordFields...)
	for _, l := range languages {
		fs = append(fs, textField("title", l))
	}
	return fs
}

func result(br *bleve.SearchResult, req Request) *Result {
	res := &Result{
		Total:  br.Total,
		Hits:   make([]Hit, 0, len(br.Hits)),
		Facets: map[string][]FacetCount{},
		Took:   br.Took,
	}
	for _, h := range br.Hits {
		hit := Hit{
			ID:           h.ID,
			Score:        h.Score,
			Collection:   str(h.Fields["collection"]),
			Kind:         str(h.Fields["kind"]),
			Language:     str(h.Fields["language"]),
			Governorate:  str(h.Fields["governorate"]),
			IncidentDate: str(h.Fields[fieldIncidentDate]),
			Tags:         strs(h.Fields["tags"]),
		}
		for _, l := range languages {
			if t := str(h.Fields[textField("title", l)]); t != "" {
				hit.Title = t
				break
			}
		}
		if req.Highlight && len(h.Fragments) > 0 {
			hit.Highlights = map[string][]string{}
			for f, frags := range h.Fragments {
				part, _, _ := strings.Cut(f, "_")
				for _, fr := range frags {
					// Bleve adds the start of a field that has no match.
					if strings.Contains(fr, markStart) {
						hit.Highlights[part] = append(hit.Highlights[part], fr)
					}
				}
			}
			if len(hit.Highlights) == 0 {
				hit.Highlights = nil
			}
		}
		res.Hits = append(res.Hits, hit)
	}
	for name, fr := range br.Facets {
		counts := []FacetCount{}
		if fr.Terms != nil {
			for _, t := range fr.Terms.Terms() {
				counts = append(counts, FacetCount{Term: t.Term, Count: t.Count})
			}
		}
		res.Facets[name] = counts
	}
	return res
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
