package redact

import (
	"crypto/sha256"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Kinds of personal data, as reported in Finding.Kind.
const (
	KindEmail      = "email"
	KindPhone      = "phone"
	KindNationalID = "national_id"
	KindGPS        = "gps"
	KindPerson     = "person" // a name listed for the deposit
	KindName       = "name"   // a probable name nobody listed
)

// Finding locates one piece of personal data. Start and End are byte offsets
// into the text that was scanned, on rune boundaries. It never holds the value.
type Finding struct {
	Kind  string `json:"kind"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	// Reason says why a person or name was found: ReasonListed,
	// ReasonGivenName or ReasonTitle. It is empty for the other kinds,
	// which their format alone identifies.
	Reason string `json:"reason,omitempty"`
}

// Redactor finds and pseudonymises personal data in the fields of one
// document. The same value (after normalisation) gets the same pseudonym in
// every call on the same Redactor, so "[PERSON-1]" in the title and in the
// transcript are the same person. Use one Redactor per document: pseudonyms
// must not link documents. A Redactor is safe for concurrent use.
type Redactor struct {
	names *nameMatcher
	keep  map[string]bool // folded names the depositor decided to keep

	mu      sync.Mutex
	pseudo  map[[sha256.Size]byte]string // hash of kind and normalised value → pseudonym
	counter map[string]int               // pseudonym label → last number used
}

// New returns a Redactor that also looks for the given person names (as
// listed in the deposit's private metadata). Names are matched after
// normalisation; see the package documentation.
func New(persons []string) *Redactor {
	return &Redactor{
		names:   newNameMatcher(persons),
		keep:    map[string]bool{},
		pseudo:  make(map[[sha256.Size]byte]string),
		counter: make(map[string]int),
	}
}

// Keep records the depositor's decision to publish names that were found
// although nobody listed them (a public official, say): findings of kind
// KindName whose text equals one of texts, after folding, are no longer
// reported or replaced. Listed persons and the other kinds cannot be kept.
func (r *Redactor) Keep(texts ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range texts {
		if k := keepKey(t); k != "" {
			r.keep[k] = true
		}
	}
}

func (r *Redactor) kept(text string, m match) bool {
	if m.Kind != KindName {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keep[keepKey(text[m.Start:m.End])]
}

// KeepMatches reports whether Keep(keep) would keep the finding f in text:
// f is of kind KindName and its text equals keep after folding.
func KeepMatches(keep, text string, f Finding) bool {
	k := keepKey(keep)
	return f.Kind == KindName && k != "" && k == keepKey(text[f.Start:f.End])
}

func keepKey(t string) string {
	return strings.Join(strings.FieldsFunc(fold(t).s, func(r rune) bool { return !isWordRune(r) }), " ")
}

// match is a finding with the normalised value's key, used for pseudonyms.
type match struct {
	Finding
	key string
}

// Find returns the personal data found in text, sorted by offset and
// non-overlapping. Where detections overlap, the longest wins, then the most
// specific kind (email, phone, national ID, GPS, person).
func (r *Redactor) Find(text string) []Finding {
	ms := r.find(text)
	out := make([]Finding, len(ms))
	for i, m := range ms {
		out[i] = m.Finding
	}
	return out
}

func (r *Redactor) find(text string) []match {
	f := fold(text)
	var ms []match
	ms = findEmails(f, ms)
	ms = findPhones(f, ms)
	ms = findNationalIDs(f, ms)
	ms = findGPS(f, ms)
	ms = r.names.find(f, text, ms)
	ms = outsidePersons(text, findNames(f, text, nil), ms)
	ms = resolve(ms, pseudonymSpans(text))
	if len(r.keep) > 0 {
		kept := ms[:0]
		for _, m := range ms {
			if !r.kept(text, m) {
				kept = append(kept, m)
			}
		}
		ms = kept
	}
	return ms
}

// outsidePersons appends to ms the parts of the name findings that no
// listed person covers: a listed name is reported as such, and the rest of
// a longer name (a family name nobody listed) stays a name.
func outsidePersons(text string, names, ms []match) []match {
	var persons [][2]int
	for _, m := range ms {
		if m.Kind == KindPerson {
			persons = append(persons, [2]int{m.Start, m.End})
		}
	}
	if len(persons) == 0 {
		return append(ms, names...)
	}
	sort.Slice(persons, func(i, j int) bool { return persons[i][0] < persons[j][0] })
	for _, n := range names {
		from := n.Start
		for _, p := range persons {
			if p[1] <= from || p[0] >= n.End {
				continue
			}
			ms = appendNamePart(text, ms, n, from, p[0])
			from = max(from, p[1])
		}
		ms = appendNamePart(text, ms, n, from, n.End)
	}
	return ms
}

// appendNamePart appends the part [a, b) of the name finding n, without the
// spaces and punctuation at its ends, when it holds a letter.
func appendNamePart(text string, ms []match, n match, a, b int) []match {
	for a < b {
		r, size := utf8.DecodeRuneInString(text[a:b])
		if unicode.IsLetter(r) {
			break
		}
		a += size
	}
	for b > a {
		r, size := utf8.DecodeLastRuneInString(text[a:b])
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
			break
		}
		b -= size
	}
	if a >= b {
		return ms
	}
	if a == n.Start && b == n.End {
		return append(ms, n)
	}
	return append(ms, match{Finding{Kind: KindName, Start: a, End: b, Reason: n.Reason}, "n:" + keepKey(text[a:b])})
}

// Redact returns text with every finding replaced by its pseudonym
// ([PERSON-1], [PHONE-1], [EMAIL-1], [ID-1], [GPS-1]) and the findings, with
// offsets into text. The result passes Check with the same persons: when a
// replacement exposes data that was hidden by its neighbour (a name glued to
// a phone number, say), that data is redacted too, so the findings can be a
// superset of Find's.
func (r *Redactor) Redact(text string) (string, []Finding) {
	ms := r.find(text)
	out, segs := r.render(text, ms)
	// Replacing changes what a detector sees at the edges of a replacement.
	// A few rounds reach a fixed point in practice; the bound keeps it linear.
	for round := 0; round < 4; round++ {
		extra := r.find(out)
		if len(extra) == 0 {
			break
		}
		for _, e := range extra {
			if s, ok := segs.toInput(e.Start, e.End); ok {
				e.Start, e.End = s, s+(e.End-e.Start)
				ms = append(ms, e)
			}
		}
		ms = resolve(ms, nil)
		out, segs = r.render(text, ms)
	}
	fs := make([]Finding, len(ms))
	for i, m := range ms {
		fs[i] = m.Finding
	}
	return out, fs
}

// segments records which spans of the output were copied from the input.
type segments []struct{ out, in, n int }

// toInput maps an output range that lies inside one copied span back to the
// input.
func (s segments) toInput(start, end int) (int, bool) {
	i := sort.Search(len(s), func(i int) bool { return s[i].out+s[i].n > start })
	if i == len(s) || start < s[i].out || end > s[i].out+s[i].n {
		return 0, false
	}
	return s[i].in + start - s[i].out, true
}

func (r *Redactor) render(text string, ms []match) (string, segments) {
	var segs segments
	out := make([]byte, 0, len(text))
	last := 0
	for _, m := range ms {
		if m.Start > last {
			segs = append(segs, struct{ out, in, n int }{len(out), last, m.Start - last})
			out = append(out, text[last:m.Start]...)
		}
		out = append(out, r.pseudonym(m.Kind, m.key)...)
		last = m.End
	}
	if last < len(text) {
		segs = append(segs, struct{ out, in, n int }{len(out), last, len(text) - last})
		out = append(out, text[last:]...)
	}
	return string(out), segs
}

var labels = map[string]string{
	KindPerson:     "PERSON",
	KindPhone:      "PHONE",
	KindEmail:      "EMAIL",
	KindNationalID: "ID",
	KindGPS:        "GPS",
	KindName:       "NAME",
}

func (r *Redactor) pseudonym(kind, key string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Only a hash of the value is kept, so a Redactor held in memory (in a
	// browser tab, say) does not accumulate the values it replaced.
	k := sha256.Sum256([]byte(kind + "\x00" + key))
	if p, ok := r.pseudo[k]; ok {
		return p
	}
	label := labels[kind]
	r.counter[label]++
	p := "[" + label + "-" + strconv.Itoa(r.counter[label]) + "]"
	r.pseudo[k] = p
	return p
}

// specificity breaks ties between overlapping findings of equal length.
var specificity = map[string]int{
	KindEmail:      5,
	KindPhone:      4,
	KindNationalID: 3,
	KindGPS:        2,
	KindPerson:     1,
	KindName:       0,
}

// resolve drops empty findings and findings that overlap a pseudonym, then
// keeps, among overlapping findings, the longest (then the most specific), and
// returns them sorted by offset.
func resolve(ms []match, pseudonyms [][2]int) []match {
	kept := ms[:0]
	for _, m := range ms {
		if m.End <= m.Start || overlapsAny(pseudonyms, m.Start, m.End) {
			continue
		}
		kept = append(kept, m)
	}
	ms = kept
	sort.SliceStable(ms, func(i, j int) bool {
		li, lj := ms[i].End-ms[i].Start, ms[j].End-ms[j].Start
		if li != lj {
			return li > lj
		}
		if si, sj := specificity[ms[i].Kind], specificity[ms[j].Kind]; si != sj {
			return si > sj
		}
		return ms[i].Start < ms[j].Start
	})
	// Claim bytes in priority order. Findings are short, so this is linear in
	// the text and the number of findings.
	end := 0
	for _, m := range ms {
		end = max(end, m.End)
	}
	taken := make([]bool, end)
	var out []match
	for _, m := range ms {
		free := true
		for k := m.Start; k < m.End; k++ {
			if taken[k] {
				free = false
				break
			}
		}
		if !free {
			continue
		}
		for k := m.Start; k < m.End; k++ {
			taken[k] = true
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

func overlapsAny(spans [][2]int, start, end int) bool {
	i := sort.Search(len(spans), func(i int) bool { return spans[i][1] > start })
	return i < len(spans) && spans[i][0] < end
}

// pseudonymSpans finds the pseudonyms Redact writes ("[PERSON-12]"), so that
// redacted text does not trigger the guard. The number is limited to five
// digits without a leading zero, so a phone or card number cannot hide in one.
func pseudonymSpans(text string) [][2]int {
	var spans [][2]int
	for i := 0; i < len(text); i++ {
		if text[i] != '[' {
			continue
		}
		for _, label := range [...]string{"PERSON", "PHONE", "EMAIL", "ID", "GPS", "NAME"} {
			j := i + 1 + len(label)
			if j+2 >= len(text) || text[i+1:j] != label || text[j] != '-' {
				continue
			}
			k := j + 1
			for k < len(text) && k-j <= 5 && '0' <= text[k] && text[k] <= '9' {
				k++
			}
			if k > j+1 && k-j <= 6 && text[j+1] != '0' && k < len(text) && text[k] == ']' {
				spans = append(spans, [2]int{i, k + 1})
				i = k
			}
			break
		}
	}
	return spans
}
