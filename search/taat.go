package search

import (
	"context"
	"errors"
	"math"
	"math/bits"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// Term-at-a-time scoring.
//
// A rewritten query is a boolean of clauses (+must, should, -must-not),
// each a disjunction of leaves: one word in one field, a phrase, a
// thesaurus term, a prefix. Bleve walks all the leaves' postings at once,
// document by document, through a heap: for a word in a few thousand
// documents searched in fourteen fields that heap was most of a search's
// time. termAtATime instead walks each leaf's postings on its own and adds
// its scores into an array indexed by document number, noting which
// clauses each document matched; a last pass keeps the documents the
// boolean admits.
//
// A document's score is the sum of its leaves' scores (each leaf scored by
// Bleve without index statistics, see localQuery, times the leaf's boost),
// times the share of the +must and should clauses it matches, so documents
// that match more of the words rank first. Like Bleve's own, it depends on
// nothing but the query and the document.

// errNotFlat: the query needs Bleve's own boolean searcher (no +must and
// no should clause, or too many clauses for the masks).
var errNotFlat = errors.New("search: not a flat query")

const (
	maxFlatClauses = 62
	excludedBit    = uint64(1) << 63
)

type taatBuf struct {
	scores  []float64
	masks   []uint64
	touched []uint32
}

var taatPool sync.Pool

// leaves flattens a clause, a disjunction possibly nested (a word and its
// thesaurus terms), into its leaves.
func leaves(q query.Query, out []query.Query) []query.Query {
	if d, ok := q.(*query.DisjunctionQuery); ok {
		for _, c := range d.Disjuncts {
			out = leaves(c, out)
		}
		return out
	}
	return append(out, q)
}

// singleTerm returns the field and the one indexed term of a leaf that is
// a word in a field (a match query whose text its field's analyzer makes
// one token, or a term query), with no fuzziness.
func singleTerm(m mapping.IndexMapping, q query.Query) (string, []byte, bool) {
	switch t := q.(type) {
	case *query.TermQuery:
		return t.FieldVal, []byte(t.Term), true
	case *query.MatchQuery:
		if t.Fuzziness != 0 || t.Analyzer != "" {
			return "", nil, false
		}
		a := m.AnalyzerNamed(m.AnalyzerNameForPath(t.FieldVal))
		if a == nil {
			return "", nil, false
		}
		ts := a.Analyze([]byte(t.Match))
		if len(ts) != 1 {
			return "", nil, false
		}
		return t.FieldVal, ts[0].Term, true
	}
	return "", nil, false
}

func leafBoost(q query.Query) float64 {
	if b, ok := q.(interface{ Boost() float64 }); ok {
		if _, cs := q.(constScore); !cs {
			return b.Boost()
		}
	}
	return 1
}

func (ix *Index) termAtATime(ctx context.Context, is *scorch.IndexSnapshot, cols *snapshotColumns, pq *parsedQuery, consider func(uint64, float64)) error {
	nMust, nShould := len(pq.must), len(pq.should)
	if nMust+nShould == 0 || nMust+nShould > maxFlatClauses || len(cols.segs) == 0 {
		return errNotFlat
	}
	last := len(cols.segs) - 1
	n := int(cols.offsets[last]) + len(cols.segs[last].key)
	b, _ := taatPool.Get().(*taatBuf)
	if b == nil || len(b.scores) < n {
		b = &taatBuf{scores: make([]float64, n), masks: make([]uint64, n)}
	}
	defer func() {
		for _, d := range b.touched {
			b.scores[d], b.masks[d] = 0, 0
		}
		b.touched = b.touched[:0]
		taatPool.Put(b)
	}()
	sctx := &bsearch.SearchContext{IndexReader: is}
	add := func(d uint64, bit uint64, score float64) {
		if d >= uint64(n) {
			return
		}
		if b.masks[d] == 0 {
			b.touched = append(b.touched, uint32(d))
		}
		b.masks[d] |= bit
		if bit != excludedBit {
			b.scores[d] += score
		}
	}
	m := ix.bi.Mapping()
	walk := func(clause query.Query, bit uint64) error {
		for _, leaf := range leaves(clause, nil) {
			// One word in one field: its postings, scored here as Bleve
			// would score them without index statistics.
			if field, term, ok := singleTerm(m, leaf); ok {
				if err := bsearch.RecordTermSearcher(ctx); err != nil {
					return err
				}
				tfr, err := is.TermFieldReader(ctx, term, field, true, true, false)
				if err != nil {
					return err
				}
				boost := leafBoost(leaf)
				var tfd index.TermFieldDoc
				for i := 0; ; i++ {
					if i%4096 == 4095 {
						if err := ctx.Err(); err != nil {
							tfr.Close()
							return err
						}
					}
					next, err := tfr.Next(tfd.Reset())
					if err != nil {
						tfr.Close()
						return err
					}
					if next == nil {
						break
					}
					add(next.ID.Value(), bit, boost*math.Sqrt(float64(next.Freq))*next.Norm)
				}
				if err := tfr.Close(); err != nil {
					return err
				}
				continue
			}
			s, err := localQuery{leaf}.Searcher(ctx, is, m, bsearch.SearcherOptions{})
			if err != nil {
				return err
			}
			sctx.DocumentMatchPool = bsearch.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0)
			mult := leafBoost(leaf)
			for i := 0; ; i++ {
				if i%4096 == 4095 {
					if err := ctx.Err(); err != nil {
						s.Close()
						return err
					}
				}
				dm, err := s.Next(sctx)
				if err != nil {
					s.Close()
					return err
				}
				if dm == nil {
					break
				}
				add(dm.IndexInternalID.Value(), bit, dm.Score*mult)
				sctx.DocumentMatchPool.Put(dm)
			}
			if err := s.Close(); err != nil {
				return err
			}
		}
		return nil
	}
	for i, c := range pq.must {
		if err := walk(c, 1<<i); err != nil {
			return err
		}
	}
	for i, c := range pq.should {
		if err := walk(c, 1<<(nMust+i)); err != nil {
			return err
		}
	}
	for _, c := range pq.mustNot {
		if err := walk(c, excludedBit); err != nil {
			return err
		}
	}
	mustBits := uint64(1)<<nMust - 1
	all := uint64(1)<<(nMust+nShould) - 1
	for _, d := range b.touched {
		m := b.masks[d]
		if m&excludedBit != 0 || m&mustBits != mustBits || nMust == 0 && m&all == 0 {
			continue
		}
		matched := bits.OnesCount64(m & all)
		consider(uint64(d), b.scores[d]*float64(matched)/float64(nMust+nShould))
	}
	return nil
}
