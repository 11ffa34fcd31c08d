package vault

import (
	"cmp"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/vault/audit"
)

// SmallCell is the count below which statistics are always suppressed: a
// cell of fewer documents could single out a survivor.
const SmallCell = 5

// Suppressed is the count of a suppressed cell or total. It says nothing
// about the size of the count: small cells and the cells suppressed to
// protect them look the same.
const Suppressed = "suppressed"

// StatsDimensions are what statistics may be grouped by.
var StatsDimensions = []string{"governorate", "year", "kind"}

// StatsCell is one group of a statistics table. Count is the number of
// documents, or Suppressed.
type StatsCell struct {
	Key   map[string]string `json:"key"`
	Count string            `json:"count"`
}

// Stats counts the active documents of the caller's collections whose
// consent includes advocacy, grouped by the given dimensions, with
// complementary suppression: every count below SmallCell is suppressed,
// and so are enough other counts that no suppressed count can be derived
// from the published ones, whatever tables (any combination of dimensions,
// and the total) the caller puts together. See statsTables.
func (v *Vault) Stats(c Caller, by []string) (cells []StatsCell, total string, err error) {
	for _, d := range by {
		if !slices.Contains(StatsDimensions, d) {
			return nil, "", invalid("by", "must be among %s", strings.Join(StatsDimensions, ", "))
		}
	}
	by = slices.Compact(slices.Clone(by))
	var rows [][statsDims]string
	err = v.update(c, "stats", func(tx *bbolt.Tx, ev *audit.Event) error {
		rows = rows[:0]
		u, err := v.activeUser(tx, c.User)
		if err != nil {
			return err
		}
		shows, err := listFilter(u, ev.Action)
		if err != nil {
			return err
		}
		ev.Detail = map[string]string{"by": strings.Join(by, ",")}
		cols := map[string]bool{}
		return tx.Bucket(bucketDocs).ForEach(func(k, _ []byte) error {
			d, err := v.getDoc(tx, string(k))
			if err != nil {
				return err
			}
			if d.State != DocActive || !d.Consent.Covers(ScopeAdvocacy) {
				return nil
			}
			shown, seen := cols[d.Collection]
			if !seen {
				col, err := v.getCollection(tx, d.Collection)
				shown = err == nil && shows(col)
				cols[d.Collection] = shown
			}
			if shown {
				rows = append(rows, statsRow(&d.Document))
			}
			return nil
		})
	})
	if err != nil {
		return nil, "", err
	}
	cells, total = statsTables(rows).table(by)
	return cells, total, nil
}

// statsDims is len(StatsDimensions).
const statsDims = 3

// statsRow is a document's value in each of StatsDimensions.
func statsRow(d *Document) [statsDims]string {
	var r [statsDims]string
	r[0] = d.Public.Governorate
	if len(d.Public.IncidentDate) >= 4 {
		r[1] = d.Public.IncidentDate[:4]
	}
	r[2] = d.Kind
	for i := range r {
		if r[i] == "" {
			r[i] = "unknown"
		}
	}
	return r
}

// Complementary suppression
//
// A caller can ask for any combination of dimensions, so what it can put
// together is every table of the cube governorate × year × kind: the cube
// itself, its six margins and the total, all linked by sums. Suppression is
// therefore decided once over all of them (a "cell" below is a cell of any
// of these tables) and each answer is a slice of that one decision: asking
// again, or for another combination, reveals nothing the others did not.
//
// What a caller learns: every published count exactly; that a cell not
// listed is empty; of a suppressed cell, only that it is listed. Empty
// cells may be suppressed too (as complements), so a suppressed cell may
// hold no document at all, except in a table of one dimension: its values
// come from documents.
//
// A suppressed cell is protected when the published numbers do not fix its
// value: when another cube, equal to the true one in every published
// number and every unlisted cell, gives it another count. Two kinds of
// change to the true cube give one:
//
//   - a hypercube: pick some of the cell's own dimensions, P, and a second
//     value for each; the 2^|P| cube cells spanned by the two values of each
//     dimension of P (the others fixed) get +1 and -1 alternately. A table
//     that sums over a dimension of P sees the changes cancel; the cells of
//     every table grouped by all of P change by ±1, so they must all be
//     suppressed; the cube cells that lose a document must hold one, and
//     so must, after the change, the cells of a one-dimension table (a
//     value is listed only if a document has it).
//   - one document more in a cube cell: every cell that contains it, up to
//     the total, changes, so all of them must be suppressed.
//
// Each cell below SmallCell that no such change protects yet gets the
// cheapest one (the fewest cells and documents newly suppressed) and every
// cell it touches is suppressed. More suppression never undoes protection,
// and the second kind of change always exists, so this ends with every
// suppressed cell protected: the published numbers admit at least two
// values for each, however they are combined.
//
// Not covered: differences over time (the same table before and after a
// deposit or shred) and between callers who see different collections; and
// reasoning about why this procedure chose a complement.

// statsKey names a cell of one of the tables: mask has bit d set when the
// table is grouped by dimension d, and v[d] is then the index of the
// cell's value among the dimension's values (-1 otherwise).
type statsKey struct {
	mask uint8
	v    [statsDims]int32
}

func project(f [statsDims]int32, mask uint8) statsKey {
	k := statsKey{mask: mask}
	for d := range statsDims {
		k.v[d] = -1
		if mask&(1<<d) != 0 {
			k.v[d] = f[d]
		}
	}
	return k
}

const allDims = 1<<statsDims - 1

// statsCube is every table over one set of documents, with the decision
// of which cells are suppressed.
type statsCube struct {
	vals   [statsDims][]string
	fine   []statsFine // non-empty cube cells, in order
	count  map[statsKey]int
	hidden map[statsKey]bool
}

type statsFine struct {
	f [statsDims]int32
	n int
}

// statsTables counts rows into every table and decides the suppression.
func statsTables(rows [][statsDims]string) *statsCube {
	c := &statsCube{count: map[statsKey]int{}, hidden: map[statsKey]bool{}}
	for d := range statsDims {
		for _, r := range rows {
			c.vals[d] = append(c.vals[d], r[d])
		}
		slices.Sort(c.vals[d])
		c.vals[d] = slices.Compact(c.vals[d])
	}
	for _, r := range rows {
		var f [statsDims]int32
		for d := range statsDims {
			i, _ := slices.BinarySearch(c.vals[d], r[d])
			f[d] = int32(i)
		}
		for mask := range uint8(allDims + 1) {
			c.count[project(f, mask)]++
		}
	}
	for k, n := range c.count {
		if k.mask == allDims {
			c.fine = append(c.fine, statsFine{k.v, n})
		}
	}
	slices.SortFunc(c.fine, func(a, b statsFine) int { return cmpFine(a.f, b.f) })
	c.suppress()
	return c
}

func cmpFine(a, b [statsDims]int32) int {
	for d := range statsDims {
		if c := cmp.Compare(a[d], b[d]); c != 0 {
			return c
		}
	}
	return 0
}

func (c *statsCube) suppress() {
	var small []statsKey
	for k, n := range c.count {
		if n < SmallCell {
			c.hidden[k] = true
			small = append(small, k)
		}
	}
	// Coarse tables first: protecting their cells hides cube cells that
	// then often protect the cube's own small cells at no further cost.
	slices.SortFunc(small, func(a, b statsKey) int {
		if c := cmp.Compare(bits.OnesCount8(a.mask), bits.OnesCount8(b.mask)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.mask, b.mask); c != 0 {
			return c
		}
		return cmpFine(a.v, b.v)
	})
	protected := map[statsKey]bool{}
	for _, a := range small {
		if protected[a] {
			continue
		}
		for _, k := range c.cheapestChange(a) {
			c.hidden[k] = true
			protected[k] = true
		}
	}
}

// cheapestChange returns the cells that the cheapest change protecting a
// touches (see above). A change that touches only suppressed cells costs
// nothing and ends the search.
func (c *statsCube) cheapestChange(a statsKey) []statsKey {
	var best, cells []statsKey
	bestCost := -1
	// consider weighs the change touching cells: one per cell newly
	// suppressed and one per document it holds.
	consider := func() bool {
		cost := 0
		for _, k := range cells {
			if !c.hidden[k] {
				cost += 1 + c.count[k]
			}
		}
		if bestCost < 0 || cost < bestCost {
			best, bestCost = slices.Clone(cells), cost
		}
		return cost == 0
	}
	var corners [][statsDims]int32
	// hypercube spans the cube cells f0 (under a) and g (opposite) in the
	// dimensions p, and reports whether it protects a at no cost.
	hypercube := func(f0, g [statsDims]int32, p uint8) bool {
		corners, cells = corners[:0], cells[:0]
		even, odd := true, true // each class could lose a document
		for s := range uint8(allDims + 1) {
			if s&p != s {
				continue
			}
			f := g
			for d := range statsDims {
				if p&(1<<d) != 0 && s&(1<<d) == 0 {
					f[d] = f0[d]
				}
			}
			// A cube cell that loses a document must hold one, and a
			// value of one dimension must keep one: it is listed.
			canLose := c.count[project(f, allDims)] > 0
			if bits.OnesCount8(p) == 1 {
				canLose = canLose && c.count[project(f, p)] > 1
			}
			if !canLose {
				if bits.OnesCount8(p^s)%2 == 0 {
					even = false
				} else {
					odd = false
				}
			}
			corners = append(corners, f)
		}
		if !even && !odd {
			return false
		}
		for mask := range uint8(allDims + 1) {
			if mask&p == p {
				for _, f := range corners {
					cells = append(cells, project(f, mask))
				}
			}
		}
		return consider()
	}
	for _, f0 := range c.fine {
		if project(f0.f, a.mask) != a {
			continue
		}
		for p := a.mask; p != 0; p = (p - 1) & a.mask {
			if bits.OnesCount8(p) == 1 {
				// Any second value: the document moves to a cell that
				// may be empty.
				d := bits.TrailingZeros8(p)
				for w := range int32(len(c.vals[d])) {
					if w != f0.f[d] {
						g := f0.f
						g[d] = w
						if hypercube(f0.f, g, p) {
							return best
						}
					}
				}
				continue
			}
		opposite:
			for _, g := range c.fine {
				for d := range statsDims {
					if (p&(1<<d) != 0) == (g.f[d] == f0.f[d]) {
						continue opposite
					}
				}
				if hypercube(f0.f, g.f, p) {
					return best
				}
			}
		}
	}
	// One document more in a cube cell under a.
	for _, f0 := range c.fine {
		if project(f0.f, a.mask) == a {
			cells = cells[:0]
			for mask := range uint8(allDims + 1) {
				cells = append(cells, project(f0.f, mask))
			}
			if consider() {
				return best
			}
		}
	}
	return best
}

// table returns the cells of the table grouped by the dimensions by, in
// the order of their values, and the total.
func (c *statsCube) table(by []string) ([]StatsCell, string) {
	var mask uint8
	var order []int
	for _, name := range by {
		d := slices.Index(StatsDimensions, name)
		mask |= 1 << d
		order = append(order, d)
	}
	var keys []statsKey
	for k := range c.count {
		if k.mask == mask && mask != 0 {
			keys = append(keys, k)
		}
	}
	for k := range c.hidden {
		if k.mask == mask && mask != 0 && c.count[k] == 0 {
			keys = append(keys, k) // an empty cell suppressed as a complement
		}
	}
	name := func(k statsKey, d int) string { return c.vals[d][k.v[d]] }
	slices.SortFunc(keys, func(a, b statsKey) int {
		for _, d := range order {
			if x := strings.Compare(name(a, d), name(b, d)); x != 0 {
				return x
			}
		}
		return 0
	})
	cells := make([]StatsCell, 0, len(keys))
	for _, k := range keys {
		key := map[string]string{}
		for _, d := range order {
			key[StatsDimensions[d]] = name(k, d)
		}
		cells = append(cells, StatsCell{Key: key, Count: c.show(k)})
	}
	return cells, c.show(statsKey{v: [statsDims]int32{-1, -1, -1}})
}

func (c *statsCube) show(k statsKey) string {
	n := c.count[k]
	if n < SmallCell && k.mask == 0 || c.hidden[k] {
		return Suppressed
	}
	return strconv.Itoa(n)
}
