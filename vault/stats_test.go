package vault

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestStatsSuppressSmallCells(t *testing.T) {
	f := newFixture(t)
	dep := func(gov, date string, scopes ...string) {
		req := sampleMeta()
		req.Public.Governorate, req.Public.IncidentDate = gov, date
		req.Consent.Scopes = scopes
		f.deposit(t, f.r1, req, []byte("x"), nil)
	}
	for i := 0; i < 7; i++ {
		dep("Kirkuk", "2017-06", ScopeAdvocacy, ScopeResearch)
	}
	for i := 0; i < 2; i++ {
		dep("Nineveh", "2016", ScopeAdvocacy)
	}
	for i := 0; i < 6; i++ {
		dep("Duhok", "2016", ScopeResearch) // no advocacy consent: never counted
	}
	// Every combination of dimensions, as a caller can ask for them.
	answers := map[string]statsAnswer{}
	for _, by := range [][]string{nil, {"governorate"}, {"year"}, {"kind"}, {"governorate", "year"},
		{"governorate", "kind"}, {"kind", "year"}, {"year", "kind", "governorate"}} {
		cells, total, err := f.v.Stats(f.lawyer.caller(), by)
		if err != nil {
			t.Fatal(err)
		}
		answers[strings.Join(by, ",")] = statsAnswer{by, cells, total}
	}
	got := map[string]string{}
	for _, c := range answers["governorate,year"].cells {
		got[c.Key["governorate"]+"/"+c.Key["year"]] = c.Count
	}
	// Nineveh's 2 is suppressed, and so is enough else that 9 - 7 no
	// longer gives it away; Kirkuk's 7 stays.
	if got["Kirkuk/2017"] != "7" || got["Nineveh/2016"] != Suppressed {
		t.Fatalf("cells %v", got)
	}
	for cell, n := range got {
		if cell != "Kirkuk/2017" && n != Suppressed {
			t.Errorf("%s: %s", cell, n)
		}
	}
	if derived, _, _ := differencingAttack(answers); len(derived) > 0 {
		t.Fatalf("derived from the answers: %v", derived)
	}
	// An outsider's collections hold nothing: the total is suppressed too.
	_, total, err := f.v.Stats(f.r3.caller(), []string{"kind"})
	if err != nil || total != Suppressed {
		t.Fatalf("outsider: %s, %v", total, err)
	}
	if _, _, err := f.v.Stats(f.audit.caller(), nil); !errors.Is(err, ErrForbidden) {
		t.Errorf("auditor stats: %v", err)
	}
	if _, _, err := f.v.Stats(f.r1.caller(), []string{"persons"}); !isInvalidErr(err) {
		t.Errorf("bad dimension: %v", err)
	}
}

// TestStatsNotDifferenced publishes every table of generated document sets
// and lets an attacker combine them: every difference between a cell, the
// others of its row or column and its margin or the total, repeated until
// nothing more is learnt, with the bounds the answer gives: an unlisted
// cell is empty, a suppressed one holds any number of documents, at least
// one in a table of one dimension, whose values come from documents ("<N"
// would mean one to N-1). No suppressed cell may come out exact, and every
// published count must be true.
func TestStatsNotDifferenced(t *testing.T) {
	gens := []struct {
		name              string
		govs, years, kind int
		docs              int
		skew              float64
	}{
		{"two governorates", 2, 1, 1, 9, 1},
		{"few, small", 3, 2, 2, 20, 1.5},
		{"governorates skewed", 8, 4, 3, 120, 2},
		{"sparse cube", 6, 6, 5, 60, 1},
		{"dense", 4, 3, 3, 400, 0.5},
		{"one big cell", 5, 3, 2, 168, 3},
		{"iraq", 19, 12, 6, 900, 1.2},
	}
	var cellsSeen, suppressed int
	for _, g := range gens {
		for seed := range uint64(12) {
			rows := genStatsRows(seed, g.govs, g.years, g.kind, g.docs, g.skew)
			cube := statsTables(rows)
			answers := map[string]statsAnswer{}
			for mask := range uint8(allDims + 1) {
				var by []string
				for d := range statsDims {
					if mask&(1<<d) != 0 {
						by = append(by, StatsDimensions[d])
					}
				}
				cells, total := cube.table(by)
				answers[strings.Join(by, ",")] = statsAnswer{by, cells, total}
			}
			checkTruth(t, rows, answers)
			derived, n, s := differencingAttack(answers)
			cellsSeen, suppressed = cellsSeen+n, suppressed+s
			for _, d := range derived {
				t.Errorf("%s, seed %d: %s", g.name, seed, d)
			}
		}
	}
	t.Logf("%d cells over all tables, %d suppressed", cellsSeen, suppressed)
}

// genStatsRows draws docs documents over the given numbers of values, each
// value with weight 1/(rank+1)^skew, so that small cells are common.
func genStatsRows(seed uint64, govs, years, kinds, docs int, skew float64) [][statsDims]string {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	pick := func(n int) int {
		var w []float64
		sum := 0.0
		for i := range n {
			w = append(w, 1/math.Pow(float64(i+1), skew))
			sum += w[i]
		}
		x := r.Float64() * sum
		for i := range w {
			if x -= w[i]; x < 0 {
				return i
			}
		}
		return n - 1
	}
	names := [][]string{
		{"Anbar", "Babil", "Baghdad", "Basra", "Dhi Qar", "Diyala", "Duhok", "Erbil", "Halabja", "Karbala",
			"Kirkuk", "Maysan", "Muthanna", "Najaf", "Nineveh", "Qadisiyyah", "Salah al-Din", "Sulaymaniyah", "Wasit"},
		{"2014", "2015", "2016", "2017", "2018", "2019", "2020", "2021", "2022", "2023", "2024", "unknown"},
		{"testimony", "interview", "case_study", "report", "media", "unknown"},
	}
	var rows [][statsDims]string
	for range docs {
		rows = append(rows, [statsDims]string{names[0][pick(govs)], names[1][pick(years)], names[2][pick(kinds)]})
	}
	return rows
}

type statsAnswer struct {
	by    []string
	cells []StatsCell
	total string
}

// checkTruth checks that every published count is the true one and that
// every count below SmallCell is suppressed.
func checkTruth(t *testing.T, rows [][statsDims]string, answers map[string]statsAnswer) {
	t.Helper()
	for _, a := range answers {
		want := map[string]int{}
		for _, r := range rows {
			if len(a.by) == 0 {
				break
			}
			want[statsAttackKey(a.by, func(d string) string { return r[slices.Index(StatsDimensions, d)] })]++
		}
		check := func(key, count string) {
			n, err := strconv.Atoi(count)
			switch {
			case err != nil && count != Suppressed:
				t.Fatalf("by %v: %s has count %q", a.by, key, count)
			case err == nil && n != want[key]:
				t.Fatalf("by %v: %s published as %d, is %d", a.by, key, n, want[key])
			case err == nil && n < SmallCell:
				t.Fatalf("by %v: %s published as %d, below %d", a.by, key, n, SmallCell)
			}
		}
		listed := map[string]bool{}
		for _, c := range a.cells {
			k := statsAttackKey(a.by, func(d string) string { return c.Key[d] })
			check(k, c.Count)
			listed[k] = true
		}
		for k := range want {
			if !listed[k] {
				t.Fatalf("by %v: %s (%d documents) not listed", a.by, k, want[k])
			}
		}
		want[statsAttackKey(nil, nil)] = len(rows)
		check(statsAttackKey(nil, nil), a.total)
	}
}

func statsAttackKey(by []string, val func(string) string) string {
	var parts []string
	for _, d := range StatsDimensions {
		if slices.Contains(by, d) {
			parts = append(parts, d+"="+val(d))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// differencingAttack knows only the answers. Each cell of every table (an
// absent one is 0) gets bounds: exact if published, [1, N-1] for "<N",
// [0, ∞) for Suppressed, [1, ∞) in a table of one dimension. Every table
// is the sum, along any one dimension, of the table grouped by one more;
// the attacker tightens each term of each such sum by the others until
// nothing changes, and reports the suppressed cells whose bounds met.
func differencingAttack(answers map[string]statsAnswer) (derived []string, cells, suppressed int) {
	const inf = math.MaxInt / 4
	type bound struct{ lo, hi int }
	vals := map[string][]string{}
	for _, a := range answers {
		for _, c := range a.cells {
			for d, v := range c.Key {
				if !slices.Contains(vals[d], v) {
					vals[d] = append(vals[d], v)
				}
			}
		}
	}
	b := map[string]*bound{}
	hidden := map[string]bool{}
	set := func(key string, dims int, count string) {
		cells++
		if n, err := strconv.Atoi(count); err == nil {
			b[key] = &bound{n, n}
			return
		}
		suppressed++
		hidden[key] = true
		b[key] = &bound{0, inf}
		if dims == 1 {
			// A value of one dimension is listed because a document has it.
			b[key].lo = 1
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(count, "<")); strings.HasPrefix(count, "<") && err == nil {
			b[key] = &bound{1, n - 1}
		}
	}
	// Every cell of every table, listed or not.
	type cellVals map[string]string
	var expand func(dims []string) []cellVals
	expand = func(dims []string) []cellVals {
		if len(dims) == 0 {
			return []cellVals{{}}
		}
		var out []cellVals
		for _, rest := range expand(dims[1:]) {
			for _, v := range vals[dims[0]] {
				c := cellVals{dims[0]: v}
				for k, x := range rest {
					c[k] = x
				}
				out = append(out, c)
			}
		}
		return out
	}
	for _, a := range answers {
		for _, c := range expand(a.by) {
			b[statsAttackKey(a.by, func(d string) string { return c[d] })] = &bound{0, 0}
		}
		for _, c := range a.cells {
			set(statsAttackKey(a.by, func(d string) string { return c.Key[d] }), len(a.by), c.Count)
		}
		if len(a.by) == 0 {
			set(statsAttackKey(nil, nil), 0, a.total)
		}
	}
	// The sums: parent = Σ children along one more dimension.
	type sum struct {
		parent   string
		children []string
	}
	var sums []sum
	for _, a := range answers {
		for _, d := range StatsDimensions {
			if slices.Contains(a.by, d) {
				continue
			}
			finer := append(slices.Clone(a.by), d)
			for _, c := range expand(a.by) {
				s := sum{parent: statsAttackKey(a.by, func(x string) string { return c[x] })}
				for _, v := range vals[d] {
					s.children = append(s.children, statsAttackKey(finer, func(x string) string {
						if x == d {
							return v
						}
						return c[x]
					}))
				}
				sums = append(sums, s)
			}
		}
	}
	add := func(x, y int) int { return min(x+y, inf) }
	for changed := true; changed; {
		changed = false
		tighten := func(k string, lo, hi int) {
			if lo > b[k].lo {
				b[k].lo, changed = lo, true
			}
			if hi < b[k].hi {
				b[k].hi, changed = hi, true
			}
		}
		for _, s := range sums {
			lo, hi := 0, 0
			for _, c := range s.children {
				lo, hi = add(lo, b[c].lo), add(hi, b[c].hi)
			}
			tighten(s.parent, lo, hi)
			p := b[s.parent]
			for _, c := range s.children {
				othersLo, othersHi := 0, 0
				for _, o := range s.children {
					if o != c {
						othersLo, othersHi = add(othersLo, b[o].lo), add(othersHi, b[o].hi)
					}
				}
				clo, chi := 0, inf
				if othersHi < inf {
					clo = p.lo - othersHi
				}
				if p.hi < inf {
					chi = p.hi - othersLo
				}
				tighten(c, clo, chi)
			}
		}
	}
	for k := range hidden {
		if b[k].lo == b[k].hi {
			derived = append(derived, fmt.Sprintf("suppressed %s derived: %d", k, b[k].lo))
		}
	}
	slices.Sort(derived)
	return derived, cells, suppressed
}

// TestStatsNotDerivableExactly goes beyond differences on small document
// sets: it enumerates every cube of documents that gives the same answers
// (the same published counts, the same cells listed, every listed value of
// a dimension held by a document) and checks that each suppressed cell
// takes at least two values among them. Cube cells are searched up to the
// true number of documents plus two; an alternative found is a proof, so
// the check can only err towards failing.
func TestStatsNotDerivableExactly(t *testing.T) {
	tried := 0
	for seed := range uint64(600) {
		r := rand.New(rand.NewPCG(seed, 7))
		rows := genStatsRows(seed, 1+r.IntN(4), 1+r.IntN(3), 1+r.IntN(2), 1+r.IntN(16), 1)
		answers := map[uint8]statsAnswer{}
		cube := statsTables(rows)
		for mask := range uint8(allDims + 1) {
			var by []string
			for d := range statsDims {
				if mask&(1<<d) != 0 {
					by = append(by, StatsDimensions[d])
				}
			}
			cells, total := cube.table(by)
			answers[mask] = statsAnswer{by, cells, total}
		}
		if fixed := exactAttack(t, answers, len(rows)+2); len(fixed) > 0 {
			t.Errorf("seed %d, %d documents %v: suppressed cells with one possible value: %v", seed, len(rows), rows, fixed)
		}
		tried++
	}
	t.Logf("%d document sets", tried)
}

// exactAttack returns the suppressed cells (as "by: key") that take a
// single value over every cube, with cells of at most max documents,
// consistent with the answers.
func exactAttack(t *testing.T, answers map[uint8]statsAnswer, max int) []string {
	t.Helper()
	// The values of each dimension, from the one-dimension tables.
	var vals [statsDims][]string
	for d := range statsDims {
		for _, c := range answers[1<<d].cells {
			vals[d] = append(vals[d], c.Key[StatsDimensions[d]])
		}
	}
	type cell struct {
		mask  uint8
		key   [statsDims]int
		value int // -1: suppressed
	}
	// Every cell of every table, listed or not, with the cube cells it sums.
	var cells []cell
	var members [][]int // cube cell indexes under each cell
	var cube [][statsDims]int
	var each func(d int, k [statsDims]int, fn func([statsDims]int))
	each = func(d int, k [statsDims]int, fn func([statsDims]int)) {
		if d == statsDims {
			fn(k)
			return
		}
		for i := range vals[d] {
			k[d] = i
			each(d+1, k, fn)
		}
	}
	each(0, [statsDims]int{}, func(k [statsDims]int) { cube = append(cube, k) })
	for mask := range uint8(allDims + 1) {
		a := answers[mask]
		listed := map[[statsDims]int]string{}
		for _, c := range a.cells {
			var k [statsDims]int
			for d := range statsDims {
				if mask&(1<<d) != 0 {
					k[d] = slices.Index(vals[d], c.Key[StatsDimensions[d]])
				}
			}
			listed[k] = c.Count
		}
		seen := map[[statsDims]int]bool{}
		for _, f := range cube {
			var k [statsDims]int
			for d := range statsDims {
				if mask&(1<<d) != 0 {
					k[d] = f[d]
				}
			}
			if seen[k] {
				continue
			}
			seen[k] = true
			c := cell{mask: mask, key: k}
			count, ok := listed[k]
			switch n, err := strconv.Atoi(count); {
			case mask == 0:
				c.value = -1
				if n, err := strconv.Atoi(a.total); err == nil {
					c.value = n
				}
			case !ok:
				c.value = 0
			case err == nil:
				c.value = n
			default:
				c.value = -1
			}
			var under []int
			for i, g := range cube {
				in := true
				for d := range statsDims {
					in = in && (mask&(1<<d) == 0 || g[d] == k[d])
				}
				if in {
					under = append(under, i)
				}
			}
			cells = append(cells, c)
			members = append(members, under)
		}
	}
	// Depth-first over the cube cells, keeping each cell's partial sum: a
	// published cell's may not exceed its count, and must equal it once its
	// last cube cell is set; a cell of one dimension must then hold one.
	containing := make([][]int, len(cube))
	for j, under := range members {
		for _, i := range under {
			containing[i] = append(containing[i], j)
		}
	}
	partial := make([]int, len(cells))
	values := make([]map[int]bool, len(cells))
	open := 0 // suppressed cells seen with one value only
	for j, c := range cells {
		values[j] = map[int]bool{}
		if c.value < 0 {
			open++
		}
	}
	nodes, solutions := 0, 0
	var search func(i int) bool // false: stop
	search = func(i int) bool {
		if nodes++; nodes > 20_000_000 {
			t.Fatalf("search too large")
		}
		if i == len(cube) {
			solutions++
			for j, c := range cells {
				if c.value < 0 && !values[j][partial[j]] {
					values[j][partial[j]] = true
					if len(values[j]) == 2 {
						open--
					}
				}
			}
			return open > 0
		}
		for v := 0; v <= max; v++ {
			good, over := true, false
			for _, j := range containing[i] {
				partial[j] += v
				c := cells[j]
				last := members[j][len(members[j])-1] == i
				switch {
				case c.value >= 0 && partial[j] > c.value:
					good, over = false, true // and more so for a larger v
				case c.value >= 0 && last && partial[j] != c.value:
					good = false
				case c.value < 0 && last && bits.OnesCount8(c.mask) == 1 && partial[j] < 1:
					good = false
				}
			}
			more := !good || search(i+1)
			for _, j := range containing[i] {
				partial[j] -= v
			}
			if !more {
				return false
			}
			if over {
				break
			}
		}
		return true
	}
	search(0)
	if solutions == 0 {
		t.Fatalf("no cube gives the answers, not even the true one")
	}
	var fixed []string
	for j, c := range cells {
		if c.value < 0 && len(values[j]) < 2 {
			var parts []string
			for d := range statsDims {
				if c.mask&(1<<d) != 0 {
					parts = append(parts, StatsDimensions[d]+"="+vals[d][c.key[d]])
				}
			}
			fixed = append(fixed, fmt.Sprintf("{%s} = %v", strings.Join(parts, ","), slices.Collect(maps.Keys(values[j]))))
		}
	}
	return fixed
}
