package search

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// SearchContext runs req; cancelling ctx stops the search.
//
// Bleve finds the hits and scores them (see localQuery); this package
// collects them: the access filter, Request.Filters, facet counts and the
// order use the columns (see columnCache), and only the page's hits are
// then read from the index, with their stored fields and highlights.
func (ix *Index) SearchContext(ctx context.Context, req Request) (res *Result, err error) {
	start := time.Now()
	p, err := buildPlan(req)
	if err != nil {
		return nil, err
	}
	if p == nil { // no collections: nothing to see
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
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("search: internal error: %v", r)
		}
	}()
	adv, err := ix.bi.Advanced()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer r.Close()
	is, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("search: unexpected index reader %T", r)
	}
	cols, err := ix.cols.columns(is)
	if err != nil {
		return nil, err
	}
	c, err := ix.collect(ctx, is, cols, p)
	if err != nil {
		if strings.Contains(err.Error(), "TooManyTermSearchers") {
			return nil, badQuery("query too broad")
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("search: %w", ctxErr)
		}
		return nil, fmt.Errorf("search: %w", err)
	}
	res = &Result{Total: c.total, Hits: []Hit{}, Facets: map[string][]FacetCount{}}
	for _, f := range req.Facets {
		res.Facets[f] = c.facet(f, cols, req.LabelLang)
	}
	if err := ix.loadPage(ctx, is, p, c.page, res); err != nil {
		return nil, err
	}
	if err := ix.markVia(ctx, res, p.pq); err != nil {
		return nil, err
	}
	res.Took = time.Since(start)
	return res, nil
}

// entry is a hit being ranked.
type entry struct {
	num   uint64 // Bleve's document number in the snapshot
	key   uint64 // ID prefix
	score float64
	v     int64 // sort value
	has   bool  // has a sort value
}

// collected is what a search's pass over its hits found.
type collected struct {
	total  uint64
	counts [len(colFields) + 1][]int // per facet, per ordinal
	page   []entry
}

func facetIndex(f string) int {
	if f == "tags" {
		return len(colFields)
	}
	return slices.Index(colFields[:], f)
}

func (c *collected) facet(f string, cols *snapshotColumns, lang string) []FacetCount {
	i := facetIndex(f)
	out := []FacetCount{}
	for o, n := range c.counts[i] {
		if o > 0 && n > 0 {
			t := cols.names[i][o-1]
			out = append(out, FacetCount{Term: t, Count: n})
		}
	}
	slices.SortFunc(out, func(a, b FacetCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Term, b.Term)
	})
	if len(out) > maxFacetTerms {
		out = out[:maxFacetTerms]
	}
	for k := range out {
		out[k].Label = Label(f, out[k].Term, lang)
	}
	return out
}

// allowed returns which ordinals of a column's values (names) pass: those
// among exact (the access filter), else those among folded once folded,
// or as they are for years (filters).
func allowed(names []string, exact, folded []string, year bool) []bool {
	ok := make([]bool, len(names)+1)
	for o, n := range names {
		switch {
		case exact != nil:
			ok[o+1] = slices.Contains(exact, n)
		case year:
			ok[o+1] = slices.Contains(folded, n)
		default:
			ok[o+1] = slices.Contains(folded, foldKeyword(n))
		}
	}
	return ok
}

func (ix *Index) collect(ctx context.Context, is *scorch.IndexSnapshot, cols *snapshotColumns, p *plan) (*collected, error) {
	// What a hit must have, by column.
	var need [len(colFields)][]bool
	need[0] = allowed(cols.names[0], p.collections, nil, false)
	for i, f := range colFields {
		if vals, ok := p.filters[f]; ok && i > 0 {
			need[i] = allowed(cols.names[i], nil, vals, f == fieldYear)
		}
	}
	lang := facetIndex("language")
	if len(p.pq.langs) > 0 || len(p.pq.notLangs) > 0 {
		l := allowed(cols.names[lang], nil, p.pq.langs, false)
		if len(p.pq.langs) == 0 {
			l = make([]bool, len(cols.names[lang])+1)
			for k := range l {
				l[k] = true
			}
		}
		not := allowed(cols.names[lang], nil, p.pq.notLangs, false)
		for k := range l {
			l[k] = l[k] && !not[k] && (need[lang] == nil || need[lang][k])
		}
		need[lang] = l
	}
	var needTag []bool
	if vals, ok := p.filters["tags"]; ok {
		needTag = allowed(cols.names[len(colFields)], nil, vals, false)
	}

	c := &collected{}
	var count [len(colFields) + 1]bool
	for _, f := range p.req.Facets {
		i := facetIndex(f)
		count[i] = true
		c.counts[i] = make([]int, len(cols.names[i])+1)
	}

	sort := p.req.Sort
	h := &ranking{better: better(sort, is)}
	k := p.req.Offset + p.size
	seg, segEnd := -1, uint64(0)
	var sc *segColumns
	var base uint64
	consider := func(num uint64, score float64) {
		if seg < 0 || num >= segEnd || num < base {
			seg, _ = slices.BinarySearchFunc(cols.offsets, num, func(o, n uint64) int { return cmp.Compare(o, n) })
			if seg == len(cols.offsets) || cols.offsets[seg] > num {
				seg--
			}
			sc, base = cols.segs[seg], cols.offsets[seg]
			segEnd = base + uint64(len(sc.key))
		}
		d := num - base
		if d >= uint64(len(sc.key)) {
			return
		}
		for i := range need {
			if need[i] != nil && !need[i][sc.kw[i][d]] {
				return
			}
		}
		if needTag != nil && !slices.ContainsFunc(sc.tags[d], func(o uint32) bool { return needTag[o] }) {
			return
		}
		if p.ids != nil && !p.ids[sc.key[d]] {
			return
		}
		if p.ranged && (sc.from[d] == 0 || sc.from[d] > p.hi || sc.to[d] < p.lo) {
			return
		}
		c.total++
		for i := range colFields {
			if count[i] {
				c.counts[i][sc.kw[i][d]]++
			}
		}
		if count[len(colFields)] {
			for _, o := range sc.tags[d] {
				c.counts[len(colFields)][o]++
			}
		}
		e := entry{num: num, key: sc.key[d], score: score}
		switch sort {
		case "incident":
			e.v, e.has = int64(sc.from[d]), sc.from[d] != 0
		case "-incident":
			e.v, e.has = int64(sc.to[d]), sc.to[d] != 0
		case "deposited", "-deposited":
			e.v, e.has = sc.dep[d], sc.dep[d] != math.MinInt64
		}
		if h.Len() < k {
			heap.Push(h, e)
		} else if h.better(e, h.e[0]) {
			h.e[0] = e
			heap.Fix(h, 0)
		}
	}

	ctx = context.WithValue(ctx, bsearch.MaxTermSearchersKey, maxTermSearchers)
	ctx = bsearch.ContextWithTermSearchersCounter(ctx)
	if err := ix.termAtATime(ctx, is, cols, p.pq, consider); err != errNotFlat {
		if err != nil {
			return nil, err
		}
	} else {
		opts := bsearch.SearcherOptions{}
		if sort == "deposited" || sort == "-deposited" {
			opts.Score = "none"
		}
		s, err := localQuery{p.pq.q}.Searcher(ctx, is, ix.bi.Mapping(), opts)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		sctx := &bsearch.SearchContext{
			DocumentMatchPool: bsearch.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0),
			IndexReader:       is,
		}
		for n := 0; ; n++ {
			if n%4096 == 4095 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			dm, err := s.Next(sctx)
			if err != nil {
				return nil, err
			}
			if dm == nil {
				break
			}
			num, score := dm.IndexInternalID.Value(), dm.Score
			sctx.DocumentMatchPool.Put(dm)
			consider(num, score)
		}
	}
	all := h.e
	slices.SortFunc(all, func(a, b entry) int {
		if h.better(a, b) {
			return -1
		}
		if h.better(b, a) {
			return 1
		}
		return 0
	})
	if p.req.Offset < len(all) {
		c.page = all[p.req.Offset:]
	}
	return c, nil
}

// ranking is a heap of the best k entries, the worst at the root.
type ranking struct {
	e      []entry
	better func(a, b entry) bool
}

func (h *ranking) Len() int           { return len(h.e) }
func (h *ranking) Less(i, j int) bool { return h.better(h.e[j], h.e[i]) }
func (h *ranking) Swap(i, j int)      { h.e[i], h.e[j] = h.e[j], h.e[i] }
func (h *ranking) Push(x any)         { h.e = append(h.e, x.(entry)) }
func (h *ranking) Pop() any {
	x := h.e[len(h.e)-1]
	h.e = h.e[:len(h.e)-1]
	return x
}

// better orders hits for a sort: by the sort value (documents without one
// last), then by score, highest first, then by ID. IDs are compared by
// their first eight bytes, and in full only when those are equal.
func better(sort string, is *scorch.IndexSnapshot) func(a, b entry) bool {
	byID := func(a, b entry) bool {
		if a.key != b.key {
			return a.key < b.key
		}
		ia, erra := is.ExternalID(index.NewIndexInternalID(nil, a.num))
		ib, errb := is.ExternalID(index.NewIndexInternalID(nil, b.num))
		if erra != nil || errb != nil || ia == ib {
			return a.num < b.num
		}
		return ia < ib
	}
	desc := strings.HasPrefix(sort, "-")
	return func(a, b entry) bool {
		if sort != "" {
			if a.has != b.has {
				return a.has
			}
			if a.v != b.v {
				return a.v < b.v != desc
			}
		}
		if a.score != b.score {
			return a.score > b.score
		}
		return byID(a, b)
	}
}

// loadPage reads the page's hits from the index: their stored fields and,
// if asked, highlights of the user's query.
func (ix *Index) loadPage(ctx context.Context, is *scorch.IndexSnapshot, p *plan, page []entry, res *Result) error {
	if len(page) == 0 {
		return nil
	}
	ids := make([]string, len(page))
	for i, e := range page {
		id, err := is.ExternalID(index.NewIndexInternalID(nil, e.num))
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		ids[i] = id
	}
	var q query.Query = query.NewDocIDQuery(ids)
	if p.req.Highlight {
		if _, all := p.pq.q.(*query.MatchAllQuery); !all {
			q = query.NewConjunctionQuery([]query.Query{q, localQuery{p.pq.q}})
		}
	}
	sr := bleve.NewSearchRequestOptions(q, len(ids), 0, false)
	sr.Score = bleve.ScoreNone
	sr.SortBy([]string{"_id"})
	sr.Fields = storedFields()
	if p.req.Highlight {
		sr.Highlight = bleve.NewHighlightWithStyle(highlighterName)
		sr.Highlight.Fields = allTextFields()
	}
	br, err := ix.bi.SearchInContext(ctx, sr)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	byID := map[string]*bsearch.DocumentMatch{}
	for _, h := range br.Hits {
		byID[h.ID] = h
	}
	for i, id := range ids {
		h := byID[id]
		if h == nil {
			continue // deleted since: the page has one hit fewer
		}
		hit := Hit{
			ID:           id,
			Score:        page[i].score,
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
		if p.req.Highlight && len(h.Fragments) > 0 {
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
	return nil
}
