package redact

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

type corpusLine struct {
	Lang    string   `json:"lang"`
	Text    string   `json:"text"`
	Persons []string `json:"persons"`
	Spans   []struct {
		Kind string `json:"kind"`
		Text string `json:"text"`
	} `json:"spans"`
}

func loadCorpus(t testing.TB) []corpusLine {
	t.Helper()
	f, err := os.Open("testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []corpusLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l corpusLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("corpus.jsonl:%d: %v", n, err)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// expected turns the labels (exact substrings, in order of appearance) into
// byte spans.
func (l corpusLine) expected(t *testing.T) []Finding {
	var out []Finding
	from := 0
	for _, s := range l.Spans {
		i := strings.Index(l.Text[from:], s.Text)
		if i < 0 {
			t.Fatalf("label %q not found in order in %q", s.Text, l.Text)
		}
		start := from + i
		out = append(out, Finding{s.Kind, start, start + len(s.Text)})
		from = start + len(s.Text)
	}
	return out
}

type score struct{ tp, fp, fn int }

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

// TestCorpus measures precision and recall per kind over the labelled
// corpus. A finding counts only if its kind and exact span match a label.
func TestCorpus(t *testing.T) {
	lines := loadCorpus(t)
	langs := map[string]int{}
	clean := 0
	scores := map[string]*score{}
	get := func(k string) *score {
		if scores[k] == nil {
			scores[k] = &score{}
		}
		return scores[k]
	}
	var misses []string
	for _, l := range lines {
		langs[l.Lang]++
		if len(l.Spans) == 0 {
			clean++
		}
		r := New(l.Persons)
		got := r.Find(l.Text)
		want := l.expected(t)
		matched := map[Finding]bool{}
		for _, w := range want {
			matched[w] = false
		}
		for _, g := range got {
			if _, ok := matched[g]; ok {
				matched[g] = true
				get(g.Kind).tp++
				continue
			}
			get(g.Kind).fp++
			misses = append(misses, fmt.Sprintf("false positive %s %q in %q", g.Kind, l.Text[g.Start:g.End], l.Text))
		}
		for _, w := range want {
			if !matched[w] {
				get(w.Kind).fn++
				misses = append(misses, fmt.Sprintf("missed %s %q in %q", w.Kind, l.Text[w.Start:w.End], l.Text))
			}
		}

		// What the client uploads passes the server's guard.
		red, _ := r.Redact(l.Text)
		if err := Check(map[string]string{"summary": red}, l.Persons); err != nil {
			t.Errorf("redacted text fails the guard: %v: %q", err, red)
		}
	}

	if len(lines) < 200 {
		t.Errorf("corpus has %d sentences, want at least 200", len(lines))
	}
	if float64(clean) < 0.4*float64(len(lines)) {
		t.Errorf("corpus has %d sentences without personal data out of %d, want at least 40%%", clean, len(lines))
	}
	t.Logf("corpus: %d sentences (en %d, ar %d, ckb %d), %d without personal data",
		len(lines), langs["en"], langs["ar"], langs["ckb"], clean)

	kinds := make([]string, 0, len(scores))
	var all score
	for k, s := range scores {
		kinds = append(kinds, k)
		all.tp += s.tp
		all.fp += s.fp
		all.fn += s.fn
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		s := scores[k]
		t.Logf("%-12s labels %3d  found %3d  precision %.3f  recall %.3f", k, s.tp+s.fn, s.tp+s.fp, s.precision(), s.recall())
	}
	t.Logf("%-12s labels %3d  found %3d  precision %.3f  recall %.3f", "overall", all.tp+all.fn, all.tp+all.fp, all.precision(), all.recall())
	for _, m := range misses {
		t.Log(m)
	}

	if all.recall() < 0.95 {
		t.Errorf("overall recall %.3f < 0.95", all.recall())
	}
	if all.precision() < 0.90 {
		t.Errorf("overall precision %.3f < 0.90", all.precision())
	}
	for _, k := range []string{KindPhone, KindEmail, KindPerson} {
		if s := get(k); s.recall() < 0.98 {
			t.Errorf("%s recall %.3f < 0.98", k, s.recall())
		}
	}
}
