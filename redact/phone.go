package redact

import (
	"strconv"
	"strings"
)

// numRun is a run of digit groups in folded text, separated by short runs of
// spaces, dashes, dots or parentheses: "+964 (0) 770-123-4567".
type numRun struct {
	start  int    // where the run begins (a leading '+' or '(' included)
	plus   bool   // it begins with '+'
	digits []byte // all digits, ASCII
	ends   []int  // ends[k]: offset in the folded text just after digit k
	groups []int  // index in digits where each group begins
	gpos   []int  // offset in the folded text where each group begins
}

const maxPhoneDigits = 17

// Between two digit groups of a number there may be up to maxSep separator
// bytes (four spaces, " -- ", a line break and indentation), of which at most
// maxSepPunct are punctuation. A colon is not a separator: times (10:30)
// would join the numbers around them.
const (
	maxSep      = 6
	maxSepPunct = 3
)

// isPhoneSep reports the folded bytes that may separate the digit groups of
// a number: spaces, line breaks and punctuation (middle dots and bullets are
// folded to '.').
func isPhoneSep(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '-', '.', '/', '_', ',', '(', ')', '[', ']', '|', '\\', '~', '*', '\'', '"', '=':
		return true
	}
	return false
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isASCIIAlnum(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'z' }

// scanRun reads a run of digit groups starting at i, which holds a digit, '+'
// or '(', into run. It returns the offset after its last digit.
func scanRun(s string, i int, run *numRun) int {
	// Reuse the slices: there is a run for every number in the text.
	*run = numRun{start: i, digits: run.digits[:0], ends: run.ends[:0], groups: run.groups[:0], gpos: run.gpos[:0]}
	j := i
	if j < len(s) && s[j] == '(' {
		j++
	}
	if j < len(s) && s[j] == '+' {
		run.plus = true
		j++
		if j < len(s) && s[j] == ' ' {
			j++
		}
	}
	if j < len(s) && s[j] == '(' {
		j++
	}
	for j < len(s) && isDigit(s[j]) {
		run.groups = append(run.groups, len(run.digits))
		run.gpos = append(run.gpos, j)
		for j < len(s) && isDigit(s[j]) {
			run.digits = append(run.digits, s[j])
			run.ends = append(run.ends, j+1)
			j++
		}
		k, punct := j, 0
		for k < len(s) && k-j < maxSep {
			c := s[k]
			if !isPhoneSep(c) {
				break
			}
			if c != ' ' && c != '\t' && c != '(' && c != ')' {
				punct++
			}
			k++
		}
		if k == j || punct > maxSepPunct || k >= len(s) || !isDigit(s[k]) {
			break
		}
		j = k
	}
	if len(run.digits) == 0 {
		return i + 1
	}
	return run.ends[len(run.ends)-1]
}

// findPhones finds Iraqi phone numbers: candidates are runs of digit groups,
// each read as +964 / 00964 / 964 followed by a national number, a national
// number with its trunk 0 (07xx xxx xxxx, 066 xxx xxxx) or a bare mobile
// number (7xx xxx xxxx), and validated against the numbering plan of Iraq
// (phone_iq.go) or of the country code (phone_plan.go).
func findPhones(f *folded, ms []match) []match {
	s := f.s
	var run numRun
	for i := 0; i < len(s); {
		c := s[i]
		if !isDigit(c) && c != '+' && c != '(' {
			i++
			continue
		}
		if i > 0 && isDigit(s[i-1]) {
			// Inside a longer number: skip it whole. A number glued to
			// letters (tel07701234567) is scanned like any other.
			i++
			for i < len(s) && isDigit(s[i]) {
				i++
			}
			continue
		}
		i = scanRun(s, i, &run)
		ms = phonesInRun(f, &run, ms)
	}
	return ms
}

func phonesInRun(f *folded, run *numRun, ms []match) []match {
	for g := 0; g < len(run.groups); g++ {
		n, key := phoneAt(f.s, run, g)
		if n == 0 {
			continue
		}
		from := run.gpos[g]
		if g == 0 {
			from = run.start
		}
		last := run.groups[g] + n
		if f.s[from] == '(' && !strings.Contains(f.s[from:run.ends[last-1]], ")") {
			from++ // "(+964…)": the bracket is not part of the number
		}
		start, end := f.span(from, run.ends[last-1])
		ms = append(ms, match{Finding{Kind: KindPhone, Start: start, End: end}, key})
		for g+1 < len(run.groups) && run.groups[g+1] < last {
			g++
		}
	}
	return ms
}

// phoneAt reads a phone number from group g of the run. It returns how many
// digits it used (0 if none) and the number in E.164 form.
func phoneAt(s string, run *numRun, g int) (int, string) {
	base := run.groups[g]
	// No number is longer than "00" and 15 digits: looking further would
	// only make long runs of digits quadratic.
	d := string(run.digits[base:min(len(run.digits), base+maxPhoneDigits)])
	// A number may only end where a group ends (not in the middle of digits)
	// and not directly before a Latin letter.
	cutOK := func(n int) bool {
		if n > len(d) {
			return false
		}
		if base+n < len(run.digits) {
			h := g
			for h < len(run.groups) && run.groups[h] < base+n {
				h++
			}
			if h == len(run.groups) || run.groups[h] != base+n {
				return false
			}
		}
		return true // letters may follow: 4567x, 4567ext
	}
	intl := func(p int, mobileOnly bool) (int, string) {
		if p < len(d) && d[p] == '0' { // "+964 (0) 770…"
			p++
		}
		for _, l := range [...]int{10, 9, 8} {
			if cutOK(p + l) {
				if key, ok := validIQ("+964"+d[p:p+l], mobileOnly); ok {
					return p + l, key
				}
			}
		}
		return 0, ""
	}
	firstGroup := len(d)
	if g+1 < len(run.groups) {
		firstGroup = run.groups[g+1] - base
	}
	switch {
	case g == 0 && run.plus:
		if strings.HasPrefix(d, "964") {
			return intl(3, false)
		}
		return foreign(d, cutOK)
	case strings.HasPrefix(d, "00964"):
		return intl(5, false)
	case strings.HasPrefix(d, "00") && g == 0:
		if n, key := foreign(d[2:], func(n int) bool { return cutOK(n + 2) }); n > 0 {
			return n + 2, key
		}
	case strings.HasPrefix(d, "964"):
		return intl(3, true)
	case strings.HasPrefix(d, "07"):
		if (firstGroup == 4 || firstGroup == 11 || digitByDigit(run, g, 11)) && cutOK(11) {
			if key, ok := validIQ(d[:11], true); ok {
				return 11, key
			}
		}
	case strings.HasPrefix(d, "0"):
		// Landline with area code: 01 543 2100, 066 212 3456. Dates written
		// with dashes or dots (02-03-2019) are runs of digits too.
		if looksLikeDate(s[run.gpos[g]:]) {
			return 0, ""
		}
		for _, l := range [...]int{10, 9} {
			if cutOK(l) {
				if key, ok := validIQ(d[:l], false); ok {
					return l, key
				}
			}
		}
	case d[0] == '7':
		if (firstGroup == 3 || firstGroup == 10 || digitByDigit(run, g, 10)) && cutOK(10) {
			if key, ok := validIQ(d[:10], true); ok {
				return 10, key
			}
		}
	}
	return 0, ""
}

// digitByDigit reports whether the n digits from group g are written one
// digit a group (0 7 7 0 1 2 3 4 5 6 7), an evasion no grouping rule sees.
func digitByDigit(run *numRun, g, n int) bool {
	if g+n > len(run.groups) {
		return false
	}
	for h := g; h < g+n; h++ {
		next := len(run.digits)
		if h+1 < len(run.groups) {
			next = run.groups[h+1]
		}
		if next-run.groups[h] != 1 {
			return false
		}
	}
	return true
}

// foreign reads an international number of another country (relatives
// abroad are personal data too): d holds the digits after "+" or "00". Only
// lengths that the country's numbering plan allows are validated, so that a
// long run of digit groups does not validate every group.
func foreign(d string, cutOK func(int) bool) (int, string) {
	lengths := phonePlans().lengths
	for l := min(15, len(d)); l >= 8; l-- {
		if !cutOK(l) {
			continue
		}
		plausible := false
		for ccLen := 1; ccLen <= 3 && !plausible; ccLen++ {
			cc, _ := strconv.Atoi(d[:ccLen])
			plausible = lengths[cc]&(1<<(l-ccLen)) != 0
		}
		if !plausible {
			continue
		}
		if key, ok := validIntl(d[:l]); ok {
			return l, key
		}
	}
	return 0, ""
}

// looksLikeDate reports whether s begins like d-m-y or y-m-d with dashes,
// dots or slashes.
func looksLikeDate(s string) bool {
	var parts [3]int
	k := 0
	for i := 0; i < len(s) && k < 3; k++ {
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == i {
			return false
		}
		parts[k] = j - i
		if k == 2 {
			break
		}
		if j >= len(s) || (s[j] != '-' && s[j] != '.' && s[j] != '/') {
			return false
		}
		i = j + 1
	}
	if k < 2 {
		return false
	}
	return parts[0] <= 2 && parts[1] <= 2 && (parts[2] == 2 || parts[2] == 4) ||
		parts[0] == 4 && parts[1] <= 2 && parts[2] <= 2
}
