package search

import (
	"context"
	"fmt"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// Relevance without index statistics.
//
// Bleve scores a term with tf-idf: sqrt(frequency in the document) × field
// norm (1/sqrt(field length)) × idf, where idf = 1 + ln(docs in the index /
// (docs with the term + 1)). The idf spans the whole index, every
// collection, so a caller could learn from scores, or from the order of
// hits, whether a word occurs in collections they cannot see. Search runs
// the user's query through localQuery, which hides the index's statistics
// from the scorers: every term has the same idf. A hit's score then depends
// only on the query and the document itself (term frequencies and field
// lengths), and ties are broken by ID, so the hits, their order, totals
// and facets are the same whether or not other collections exist.
//
// Expansions (prefix*, fuzzy~1, year ranges) match as many index terms as
// the whole index holds, and Bleve weighs a disjunction by the share of its
// terms a document matches: they are scored as constScore, a fixed score
// for any match. The number of expanded terms still counts against
// maxTermSearchers, which every collection's terms can exhaust; such a
// query is refused as too broad whoever asks.

// localQuery runs q with index statistics hidden from its scorers.
type localQuery struct{ q query.Query }

func (l localQuery) Searcher(ctx context.Context, i index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	is, ok := i.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("search: unexpected index reader %T", i)
	}
	return l.q.Searcher(ctx, localReader{is}, m, opts)
}

// localReader is an index snapshot that reports one document in the index
// and no document for any term: tf-idf's idf is then 1 + ln(1/1) = 1 for
// every term. Everything else, postings included, is the snapshot's.
type localReader struct{ *scorch.IndexSnapshot }

func (localReader) DocCount() (uint64, error) { return 1, nil }

func (r localReader) TermFieldReader(ctx context.Context, term []byte, field string, freq, norm, vectors bool) (index.TermFieldReader, error) {
	tfr, err := r.IndexSnapshot.TermFieldReader(ctx, term, field, freq, norm, vectors)
	if err != nil {
		return nil, err
	}
	return localTermReader{tfr}, nil
}

// localTermReader hides a term's document count: it is the idf's only
// other input. Bleve also uses counts to order a conjunction's clauses,
// which then keep the query's order.
type localTermReader struct{ index.TermFieldReader }

func (localTermReader) Count() uint64 { return 0 }

// constScore matches what q matches with a fixed score: boost, times the
// query norm, times constMatch.
type constScore struct {
	q     query.Query
	boost float64
}

// constMatch is a constScore match's score before boost and query norm:
// about a single term's in a field of ten words (1/sqrt(10)).
const constMatch = 0.3

func (c constScore) Searcher(ctx context.Context, i index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	if l, ok := i.(localReader); ok {
		i = l.IndexSnapshot // counts only steer the expansion's own work
	}
	o := opts
	o.Score = "none"
	s, err := c.q.Searcher(ctx, i, m, o)
	if err != nil {
		return nil, err
	}
	return &constSearcher{Searcher: s, boost: c.boost, norm: 1, score: opts.Score != "none"}, nil
}

type constSearcher struct {
	bsearch.Searcher
	boost, norm float64
	score       bool
}

// Weight is the query-norm input of a term with this boost and idf 1.
func (s *constSearcher) Weight() float64 { return s.boost * s.boost }

func (s *constSearcher) SetQueryNorm(n float64) { s.norm = n }

func (s *constSearcher) set(d *bsearch.DocumentMatch) *bsearch.DocumentMatch {
	if d != nil && s.score {
		d.Score = s.boost * s.norm * constMatch
	}
	return d
}

func (s *constSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	d, err := s.Searcher.Next(ctx)
	return s.set(d), err
}

func (s *constSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	d, err := s.Searcher.Advance(ctx, id)
	return s.set(d), err
}
