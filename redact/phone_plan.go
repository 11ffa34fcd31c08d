package redact

import (
	_ "embed"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Numbers of other countries are validated against the numbering plans in
// phoneplans.txt, taken from libphonenumber's metadata by
// TestPhonePlanFile (go test ./redact -run TestPhonePlanFile -update).
// validIntl does for a number written "+digits" what libphonenumber's Parse,
// IsValidNumber and Format(E164) do, and phone_equiv_test.go checks that it
// does: the library itself, with its carrier, geocoding and time zone data,
// weighs megabytes in the WebAssembly module, the plans under 100 kB.

//go:embed phoneplans.txt
var phonePlanFile string

// numberDesc is a class of national significant numbers: those with a
// length in lengths (any length if 0) that match pattern.
type numberDesc struct {
	lengths uint32 // bit l is set when l digits are possible
	pattern string
	re      *regexp.Regexp
}

// lengthResult tells how a national significant number of n digits fits
// the possible lengths of a plan, as libphonenumber's testNumberLength.
type lengthResult int

const (
	lengthPossible lengthResult = iota
	lengthLocalOnly
	lengthTooShort
	lengthTooLong
	lengthInvalid
)

func (d *numberDesc) matches(nsn string) bool {
	if d.lengths != 0 && (len(nsn) >= 32 || d.lengths&(1<<len(nsn)) == 0) {
		return false
	}
	return d.re.MatchString(nsn)
}

// phoneRegion is the plan of one region (or non-geographic service) of a
// calling code.
type phoneRegion struct {
	id        string
	leading   string // where set, the region owns the numbers that begin so
	leadingRe *regexp.Regexp
	general   numberDesc   // every number of the region
	localOnly uint32       // lengths of numbers dialled without their area code
	types     []numberDesc // fixed line, mobile, toll free…: a valid number is in one
}

func (r *phoneRegion) valid(nsn string) bool {
	if !r.general.matches(nsn) {
		return false
	}
	for i := range r.types {
		if r.types[i].matches(nsn) {
			return true
		}
	}
	return false
}

func (r *phoneRegion) testLength(nsn string) lengthResult {
	n := len(nsn)
	if n < 32 && r.localOnly&(1<<n) != 0 {
		return lengthLocalOnly
	}
	ls := r.general.lengths
	switch {
	case ls == 0:
		return lengthInvalid
	case n < bits.TrailingZeros32(ls):
		return lengthTooShort
	case n > 31-bits.LeadingZeros32(ls):
		return lengthTooLong
	case ls&(1<<n) != 0:
		return lengthPossible
	}
	return lengthInvalid
}

// callingCode is the plan of one country calling code: its regions, the
// first being the main one, whose national prefix applies.
type callingCode struct {
	prefix    string // national prefix for parsing, a regular expression
	transform string // what replaces the national prefix, when set
	regions   []phoneRegion

	once     sync.Once
	prefixRe *regexp.Regexp
}

// compile compiles the regular expressions of the plan, on first use:
// most texts only name a few countries.
func (c *callingCode) compile() {
	c.once.Do(func() {
		if c.prefix != "" {
			c.prefixRe = regexp.MustCompile("^(?:" + c.prefix + ")")
		}
		for i := range c.regions {
			r := &c.regions[i]
			if r.leading != "" {
				r.leadingRe = regexp.MustCompile("^(?:" + r.leading + ")")
			}
			r.general.re = regexp.MustCompile("^(?:" + r.general.pattern + ")$")
			for j := range r.types {
				r.types[j].re = regexp.MustCompile("^(?:" + r.types[j].pattern + ")$")
			}
		}
	})
}

// stripNationalPrefix removes a national prefix (a trunk 0, a carrier
// code) written after the country code: +49 (0)30…, as libphonenumber's
// maybeStripNationalPrefixAndCarrierCode.
func (c *callingCode) stripNationalPrefix(n string) (string, bool) {
	if c.prefixRe == nil || n == "" {
		return n, false
	}
	groups := c.prefixRe.FindStringSubmatchIndex(n)
	if groups == nil {
		return n, false
	}
	general := c.regions[0].general.re
	viable := general.MatchString(n)
	last := len(groups)/2 - 1
	if c.transform == "" || groups[last*2] < 0 {
		if viable && !general.MatchString(n[groups[1]:]) {
			return n, false
		}
		return n[groups[1]:], true
	}
	t := c.prefixRe.ReplaceAllString(n, c.transform)
	if viable && !general.MatchString(t) {
		return n, false
	}
	return t, true
}

// validIntl reads d, the digits written after a "+", as an international
// number and returns it in E.164 form if it is valid in the plan of its
// country calling code.
func validIntl(d string) (string, bool) {
	if len(d) <= 2 || d[0] == '0' {
		return "", false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	plans := phonePlans()
	var c *callingCode
	var cc string
	for i := 1; i <= 3 && i <= len(d); i++ {
		n, _ := strconv.Atoi(d[:i])
		if c = plans.codes[n]; c != nil {
			cc = d[:i]
			break
		}
	}
	if c == nil {
		return "", false
	}
	nsn := d[len(cc):]
	if len(nsn) < 2 {
		return "", false
	}
	c.compile()
	if s, ok := c.stripNationalPrefix(nsn); ok {
		switch c.regions[0].testLength(s) {
		case lengthTooShort, lengthLocalOnly, lengthInvalid:
		default:
			nsn = s
		}
	}
	if len(nsn) < 2 || len(nsn) > 17 {
		return "", false
	}
	if !c.valid(nsn) {
		return "", false
	}
	return "+" + cc + nsn, true
}

// valid picks the region of nsn as libphonenumber's GetRegionCodeForNumber
// does (by leading digits where a region has them, else by validity), then
// validates it there.
func (c *callingCode) valid(nsn string) bool {
	if len(c.regions) == 1 {
		return c.regions[0].valid(nsn)
	}
	for i := range c.regions {
		r := &c.regions[i]
		if r.leadingRe != nil {
			if r.leadingRe.MatchString(nsn) {
				return r.valid(nsn)
			}
		} else if r.valid(nsn) {
			return true
		}
	}
	return false
}

// phonePlanSet is phoneplans.txt, read.
type phonePlanSet struct {
	codes map[int]*callingCode
	// lengths maps a calling code to the possible lengths of its national
	// significant numbers, in every region.
	lengths map[int]uint32
}

// phonePlans reads phoneplans.txt on first use. The file is part of the
// package and checked by its tests: an error in it is a bug, not input.
var phonePlans = sync.OnceValue(func() *phonePlanSet {
	s, err := parsePhonePlans(phonePlanFile)
	if err != nil {
		panic("redact: phoneplans.txt: " + err.Error())
	}
	return s
})

// parsePhonePlans reads the plan file: lines of fields separated by
// spaces, "-" for an empty field, # for comments.
//
//	+CC national-prefix-for-parsing national-prefix-transform
//	REGION leading-digits lengths local-only-lengths general-pattern
//	type lengths pattern
//
// A region belongs to the calling code above it, a type to the region
// above it. Lengths are comma-separated.
func parsePhonePlans(text string) (*phonePlanSet, error) {
	s := &phonePlanSet{codes: map[int]*callingCode{}, lengths: map[int]uint32{}}
	var c *callingCode
	var ccn int
	for n, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, " ")
		for i := range f {
			if f[i] == "-" {
				f[i] = ""
			}
		}
		bad := func(what string) (*phonePlanSet, error) {
			return nil, &planError{n + 1, what}
		}
		switch {
		case f[0][0] == '+':
			if len(f) != 3 {
				return bad("calling code: 3 fields")
			}
			v, err := strconv.Atoi(f[0][1:])
			if err != nil || s.codes[v] != nil {
				return bad("calling code")
			}
			c, ccn = &callingCode{prefix: f[1], transform: f[2]}, v
			s.codes[v] = c
		case 'A' <= f[0][0] && f[0][0] <= 'Z' || f[0] == "001":
			if c == nil || len(f) != 5 {
				return bad("region: 5 fields after a calling code")
			}
			ls, err1 := parseLengths(f[2])
			lo, err2 := parseLengths(f[3])
			if err1 != nil || err2 != nil || ls == 0 {
				return bad("region lengths")
			}
			c.regions = append(c.regions, phoneRegion{id: f[0], leading: f[1],
				general: numberDesc{lengths: ls, pattern: f[4]}, localOnly: lo})
			s.lengths[ccn] |= ls
		case 'a' <= f[0][0] && f[0][0] <= 'z':
			if c == nil || len(c.regions) == 0 || len(f) != 3 {
				return bad("type: 3 fields after a region")
			}
			ls, err := parseLengths(f[1])
			if err != nil {
				return bad("type lengths")
			}
			r := &c.regions[len(c.regions)-1]
			r.types = append(r.types, numberDesc{lengths: ls, pattern: f[2]})
		default:
			return bad("unknown line")
		}
	}
	return s, nil
}

func parseLengths(s string) (uint32, error) {
	var m uint32
	if s == "" {
		return 0, nil
	}
	for _, v := range strings.Split(s, ",") {
		l, err := strconv.Atoi(v)
		if err != nil || l < 1 || l > 31 {
			return 0, &planError{0, "length " + v}
		}
		m |= 1 << l
	}
	return m, nil
}

type planError struct {
	line int
	what string
}

func (e *planError) Error() string { return "line " + strconv.Itoa(e.line) + ": " + e.what }
