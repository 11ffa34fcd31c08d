package redact

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A coordinate is a decimal number, optionally with a degree sign, or
// degrees-minutes(-seconds), optionally with a hemisphere before or after it.
// The text is folded first: digits are ASCII, ′ ″ are ' ", Latin is lower-case,
// and tanween is gone from شمالاً.
const hemi = `[nsew]\b|north\b|south\b|east\b|west\b|شمالا?|جنوبا?|شرقا?|غربا?|باكوور|باشوور|روژههلات|روژياوا`

var coordRe = regexp.MustCompile(`(?:\b([nsew]) ?)?` + // 1: hemisphere before
	`(-?\d{1,3})` + // 2: degrees
	`(?:([.,]\d+)(?: ?(°))?` + // 3: decimals (point or comma), 4: degree sign
	`| ?° ?(\d{1,2}(?:\.\d+)?) ?'(?: ?(\d{1,2}(?:\.\d+)?) ?(?:"|''))?)` + // 5: minutes, 6: seconds
	`(?: ?(` + hemi + `))?`) // 7: hemisphere after

// gapRe is what may stand between latitude and longitude.
var gapRe = regexp.MustCompile(`^[ \t,;/]*(?:(?:lon|long|longitude|lng|خط الطول)[ \t]*[:=]?[ \t]*)?$`)

// latLabelRe is a label before the latitude.
var latLabelRe = regexp.MustCompile(`(?:lat|latitude|gps|coordinates|خط العرض|احداثيات|الاحداثيات|كوردينات)[ \t]*[:=]?[ \t]*$`)

type coord struct {
	a, b     int // folded offsets
	deg      float64
	decimals int  // digits after the decimal point (decimal form)
	marked   bool // degree sign or hemisphere
	dms      bool
	precise  bool // seconds, or decimal minutes
	ok       bool // minutes and seconds in range
	comma    bool // decimal comma
}

func findGPS(f *folded, ms []match) []match {
	s := f.s
	if !strings.ContainsAny(s, ".,°") {
		return ms
	}
	var cs []coord
	for _, m := range coordMatches(s) {
		if m[6] >= 0 && s[m[6]] == ',' && m[7]-m[6]-1 < 3 {
			continue // 1,50 is not a coordinate
		}
		if m[4] > 0 && (isDigit(s[m[4]-1]) || s[m[4]-1] == '.') && m[2] < 0 {
			continue // the tail of a longer number
		}
		if m[1] < len(s) && (s[m[1]] == '%' || isDigit(s[m[1]])) {
			continue
		}
		c := coord{a: m[0], b: m[1], ok: true, comma: m[6] >= 0 && s[m[6]] == ','}
		c.deg, _ = strconv.ParseFloat(s[m[4]:m[5]], 64)
		if c.deg < 0 {
			c.deg = -c.deg
		}
		c.marked = m[2] >= 0 || m[8] >= 0 || m[14] >= 0
		if m[6] >= 0 {
			c.decimals = m[7] - m[6] - 1
		} else {
			c.dms, c.marked = true, true
			mins, _ := strconv.ParseFloat(s[m[10]:m[11]], 64)
			c.ok = mins < 60
			c.precise = strings.Contains(s[m[10]:m[11]], ".")
			if m[12] >= 0 {
				secs, _ := strconv.ParseFloat(s[m[12]:m[13]], 64)
				c.ok = c.ok && secs < 60
				c.precise = true
			}
		}
		cs = append(cs, c)
	}
	for i := 0; i < len(cs); i++ {
		c := cs[i]
		if !c.ok || c.deg > 180 {
			continue
		}
		if i+1 < len(cs) {
			d := cs[i+1]
			if d.ok && d.deg <= 180 && (c.deg <= 90 || d.deg <= 90) && gapRe.MatchString(s[c.b:d.a]) {
				label := latLabelRe.MatchString(s[max(0, c.a-40):c.a])
				// With decimal commas, three decimals read as thousands
				// (12,345): a pair needs a mark, a label or four decimals,
				// or three without a comma between the two numbers.
				threeOK := bareThreeDecimals(s, c, d) && (!c.comma && !d.comma || !strings.Contains(s[c.b:d.a], ","))
				if c.marked || d.marked || label || c.decimals >= 4 && d.decimals >= 4 || threeOK {
					ms = appendGPS(f, ms, c.a, d.b)
					i++
					continue
				}
			}
		}
		// A lone coordinate: only when it cannot be anything else.
		if c.deg <= 180 && (c.dms && c.precise || c.decimals >= 3) && hasHemisphere(s[c.a:c.b]) {
			ms = appendGPS(f, ms, c.a, c.b)
		}
	}
	return ms
}

// coordMatches runs coordRe only on windows around numbers that have a
// decimal point or a degree sign: most of a transcript has neither, and the
// regular expression is the slowest part of the scan.
func coordMatches(s string) [][]int {
	var out [][]int
	winStart, winEnd := -1, -1
	flush := func() {
		if winStart < 0 {
			return
		}
		for _, m := range coordRe.FindAllStringSubmatchIndex(s[winStart:winEnd], -1) {
			for k := range m {
				if m[k] >= 0 {
					m[k] += winStart
				}
			}
			out = append(out, m)
		}
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || i > 0 && isDigit(s[i-1]) {
			continue
		}
		if !coordTrigger(s, i) {
			continue
		}
		a, b := max(0, i-24), min(len(s), i+160)
		for a > 0 && !utf8.RuneStart(s[a]) {
			a--
		}
		for b < len(s) && !utf8.RuneStart(s[b]) {
			b++
		}
		// Start the window between words, so that no token is cut (looking
		// back a bounded distance, to stay linear).
		if k := strings.LastIndexAny(s[max(0, a-32):a], " \n\t"); k >= 0 {
			a = max(0, a-32) + k
		}
		if winStart >= 0 && a <= winEnd {
			winEnd = max(winEnd, b)
			continue
		}
		flush()
		winStart, winEnd = a, b
	}
	flush()
	return out
}

// coordTrigger reports whether the number at i may be part of a coordinate:
// it has a degree sign, three or more decimals, or some decimals and a
// hemisphere after it or a label before it.
func coordTrigger(s string, i int) bool {
	k := i
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	e := k
	if k+1 < len(s) && (s[k] == '.' || s[k] == ',') && isDigit(s[k+1]) {
		for e = k + 1; e < len(s) && isDigit(s[e]); e++ {
		}
		// A decimal comma needs four decimals, or three and another
		// number after a space (36,348 43,157): 1,500 is an amount.
		if s[k] == ',' && (e-k-1 < 3 || e-k-1 == 3 && !(e+1 < len(s) && s[e] == ' ' && isDigit(s[e+1]))) {
			e = k
		}
	}
	j := e
	if j < len(s) && s[j] == ' ' {
		j++
	}
	if strings.HasPrefix(s[j:], "°") {
		return true
	}
	decimals := max(0, e-k-1)
	if decimals >= 3 {
		return true
	}
	if decimals == 0 {
		return false
	}
	if j < len(s) && strings.IndexByte("nsew", s[j]) >= 0 && (j+1 == len(s) || s[j+1] < 'a' || s[j+1] > 'z') {
		return true
	}
	for _, w := range hemiWords {
		if strings.HasPrefix(s[j:], w) {
			return true
		}
	}
	return containsAny(s[max(0, i-40):i], coordLabels)
}

var (
	hemiWords   = []string{"north", "south", "east", "west", "شمال", "جنوب", "شرق", "غرب", "باكوور", "باشوور", "روژ"}
	coordLabels = []string{"lat", "latitude", "gps", "coordinates", "العرض", "احداثيات", "كوردينات"}
)

// bareThreeDecimals accepts an unmarked pair with three decimals (about 100 m)
// when both have two-digit degrees and neither looks like an amount written
// with a dot for thousands (12.500, 25.000).
func bareThreeDecimals(s string, c, d coord) bool {
	for _, x := range [...]coord{c, d} {
		if x.decimals != 3 || x.deg < 10 {
			return false
		}
		num := strings.TrimLeft(s[x.a:x.b], "-")
		if len(num) != 6 || strings.HasSuffix(num, "00") {
			return false
		}
	}
	return true
}

var hemiRe = regexp.MustCompile(`(?:^|[^a-z])(?:` + hemi + `)`)

func hasHemisphere(s string) bool {
	return hemiRe.MatchString(strings.TrimLeft(s, "-0123456789. °'\""))
}

func appendGPS(f *folded, ms []match, a, b int) []match {
	start, end := f.span(a, b)
	key := strings.Join(strings.Fields(f.s[a:b]), "")
	return append(ms, match{Finding{Kind: KindGPS, Start: start, End: end}, key})
}
