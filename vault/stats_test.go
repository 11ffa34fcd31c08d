package vault

import (
	"errors"
	"fmt"
	"math"
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
// nothing more is learnt, with the bounds the answer gives (a listed cell
// holds at least one document; "<N" would mean at most N-1). No suppressed
// cell may come out exact, and every published count must be true.
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
// [0, ∞) for Suppressed. Every table is the sum, along any
// one dimension, of the table grouped by one more; the attacker tightens
// each term of each such sum by the others until nothing changes, and
// reports the suppressed cells whose bounds met.
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
	set := func(key, count string) {
		cells++
		if n, err := strconv.Atoi(count); err == nil {
			b[key] = &bound{n, n}
			return
		}
		suppressed++
		hidden[key] = true
		b[key] = &bound{0, inf}
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
			set(statsAttackKey(a.by, func(d string) string { return c.Key[d] }), c.Count)
		}
		if len(a.by) == 0 {
			set(statsAttackKey(nil, nil), a.total)
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
