package search

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/numeric"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Columns: the keyword and number fields of every document, held in
// memory per index segment, for the access filter, filters, facets and
// sorting.
//
// Bleve reads a hit's facet and sort values from the segment's doc values,
// decompressing a chunk per hit, and its ID from the stored fields: for a
// word found in 20,000 documents that was most of a search's time.
// Segments never change once written, so their columns are built once, on
// first use, from the segment's postings (a few terms per field: kinds,
// governorates …), and dropped when a merge retires the segment. A search
// then checks and counts each hit with a few array reads.

// colFields are the single-valued keyword columns; tags is multi-valued.
var colFields = [...]string{"collection", "kind", "language", "governorate", fieldYear}

// segColumns are one segment's columns, indexed by local document number.
// Keyword values are ordinals into the index's dictionary, 0 for none.
type segColumns struct {
	kw   [len(colFields)][]uint32
	tags [][]uint32
	from []int32  // first incident month, yyyymm; 0: none
	to   []int32  // last incident month
	dep  []int64  // deposited, Unix ns; math.MinInt64: none
	key  []uint64 // the ID's first 8 bytes, big-endian: its sort order
}

// dictionary numbers the values of a keyword field across segments, from 1.
type dictionary struct {
	ord   map[string]uint32
	names []string // names[o-1] is ordinal o
}

func (d *dictionary) id(v string) uint32 {
	if o, ok := d.ord[v]; ok {
		return o
	}
	d.names = append(d.names, v)
	d.ord[v] = uint32(len(d.names))
	return uint32(len(d.names))
}

// columnCache holds the columns of the live segments.
type columnCache struct {
	mu    sync.Mutex
	segs  map[segment.Segment]*segColumns
	dicts [len(colFields) + 1]*dictionary // colFields, then tags
	last  *scorch.IndexSnapshot
	view  *snapshotColumns
}

// snapshotColumns are the columns of one snapshot.
type snapshotColumns struct {
	segs    []*segColumns
	offsets []uint64 // where each segment's document numbers start
	// names[f][o-1] is the value of ordinal o of colFields[f] (f =
	// len(colFields): tags); a copy, read without the lock.
	names [len(colFields) + 1][]string
}

func newColumnCache() *columnCache {
	c := &columnCache{segs: map[segment.Segment]*segColumns{}}
	for i := range c.dicts {
		c.dicts[i] = &dictionary{ord: map[string]uint32{}}
	}
	return c
}

// columns returns the columns of is, building those of new segments.
func (c *columnCache) columns(is *scorch.IndexSnapshot) (*snapshotColumns, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == is {
		return c.view, nil
	}
	v := &snapshotColumns{}
	live := map[segment.Segment]*segColumns{}
	var off uint64
	for _, ss := range is.Segments() {
		seg := ss.Segment()
		sc, ok := c.segs[seg]
		if !ok {
			var err error
			if sc, err = c.build(seg); err != nil {
				return nil, fmt.Errorf("search: columns: %w", err)
			}
		}
		live[seg] = sc
		v.segs = append(v.segs, sc)
		v.offsets = append(v.offsets, off)
		off += seg.Count()
	}
	c.segs = live // the columns of retired segments go
	for i, d := range c.dicts {
		v.names[i] = append([]string(nil), d.names...)
	}
	c.last, c.view = is, v
	return v, nil
}

// allTerms is an automaton accepting every term: it lists a segment's
// dictionary.
type allTerms struct{}

func (allTerms) Start() int               { return 0 }
func (allTerms) IsMatch(int) bool         { return true }
func (allTerms) CanMatch(int) bool        { return true }
func (allTerms) WillAlwaysMatch(int) bool { return true }
func (allTerms) Accept(int, byte) int     { return 0 }

// eachPosting calls fn with every term of field in seg and the local
// number of every document that has it.
func eachPosting(seg segment.Segment, field string, fn func(term []byte, doc uint64)) error {
	dict, err := seg.Dictionary(field)
	if err != nil {
		return err
	}
	it := dict.AutomatonIterator(allTerms{}, nil, nil)
	var pl segment.PostingsList
	var pi segment.PostingsIterator
	for {
		e, err := it.Next()
		if err != nil {
			return err
		}
		if e == nil {
			return nil
		}
		term := []byte(e.Term)
		if pl, err = dict.PostingsList(term, nil, pl); err != nil {
			return err
		}
		pi = pl.Iterator(false, false, false, pi)
		for {
			p, err := pi.Next()
			if err != nil {
				return err
			}
			if p == nil {
				break
			}
			fn(term, p.Number())
		}
	}
}

func (c *columnCache) build(seg segment.Segment) (*segColumns, error) {
	n := int(seg.Count())
	sc := &segColumns{tags: make([][]uint32, n), from: make([]int32, n), to: make([]int32, n),
		dep: make([]int64, n), key: make([]uint64, n)}
	for i, f := range colFields {
		col := make([]uint32, n)
		d := c.dicts[i]
		err := eachPosting(seg, f, func(term []byte, doc uint64) { col[doc] = d.id(string(term)) })
		if err != nil {
			return nil, err
		}
		sc.kw[i] = col
	}
	tags := c.dicts[len(colFields)]
	err := eachPosting(seg, "tags", func(term []byte, doc uint64) {
		sc.tags[doc] = append(sc.tags[doc], tags.id(string(term)))
	})
	if err != nil {
		return nil, err
	}
	err = eachPosting(seg, "_id", func(term []byte, doc uint64) {
		sc.key[doc] = idKey(term)
	})
	if err != nil {
		return nil, err
	}
	for i := range sc.dep {
		sc.dep[i] = math.MinInt64
	}
	// Numbers are indexed as prefix-coded terms at several precisions;
	// shift 0 is the value itself.
	numbers := func(field string, set func(doc uint64, v int64)) error {
		return eachPosting(seg, field, func(term []byte, doc uint64) {
			p := numeric.PrefixCoded(term)
			if s, err := p.Shift(); err != nil || s != 0 {
				return
			}
			if v, err := p.Int64(); err == nil {
				set(doc, v)
			}
		})
	}
	month := func(col []int32) func(uint64, int64) {
		return func(doc uint64, v int64) { col[doc] = int32(numeric.Int64ToFloat64(v)) }
	}
	if err := numbers(fieldIncidentFrom, month(sc.from)); err != nil {
		return nil, err
	}
	if err := numbers(fieldIncidentTo, month(sc.to)); err != nil {
		return nil, err
	}
	if err := numbers(fieldDeposited, func(doc uint64, v int64) { sc.dep[doc] = v }); err != nil {
		return nil, err
	}
	return sc, nil
}

// idKey is a document id's sort key: its first 8 bytes, big-endian.
func idKey(id []byte) uint64 {
	var b [8]byte
	copy(b[:], id)
	return binary.BigEndian.Uint64(b[:])
}
