package redact

// The phone validators of this package against libphonenumber itself
// (github.com/nyaruka/phonenumbers), which stays a dependency of these tests
// only: the package and what imports it, the WebAssembly module among them,
// carry phone_iq.go and phoneplans.txt instead of the library.

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

var update = flag.Bool("update", false, "rewrite phoneplans.txt from libphonenumber's metadata")

// refValidIQ is validIQ as libphonenumber answers it.
func refValidIQ(number string, mobileOnly bool) (string, bool) {
	n, err := phonenumbers.Parse(number, "IQ")
	if err != nil || !phonenumbers.IsValidNumberForRegion(n, "IQ") {
		return "", false
	}
	if mobileOnly && phonenumbers.GetNumberType(n) != phonenumbers.MOBILE {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// refValidIntl is validIntl as libphonenumber answers it.
func refValidIntl(d string) (string, bool) {
	n, err := phonenumbers.Parse("+"+d, "ZZ")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// randomFills is how many random fills each prefix and length gets: fewer
// with -short.
func randomFills() int {
	if testing.Short() {
		return 0
	}
	return 2
}

// fills are the digits that follow a prefix in the samples: all zeros, all
// nines, and pseudo-random ones (a fixed seed: a failure must repeat).
func fills(rng *rand.Rand, n, random int) []string {
	out := []string{strings.Repeat("0", n), strings.Repeat("9", n)}
	for range random {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		out = append(out, string(b))
	}
	return out
}

// TestIraqEquivalence compares validIQ with libphonenumber on every
// three-digit prefix of a national number, every length from 4 to 13 digits,
// in each form the scanner hands over: +964 N, +964 0N, 0N and the bare N
// (which the scanner only reads when it begins with 7: libphonenumber would
// take a bare 964… for a country code).
func TestIraqEquivalence(t *testing.T) {
	rng := rand.New(rand.NewPCG(964, 1))
	checked, valid := 0, 0
	for prefix := range 1000 {
		p := fmt.Sprintf("%03d", prefix)
		for length := 4; length <= 13; length++ {
			for _, fill := range fills(rng, length, randomFills()) {
				nsn := (p + fill)[:length]
				forms := []string{"+964" + nsn, "+9640" + nsn, "0" + nsn}
				if nsn[0] == '7' {
					forms = append(forms, nsn)
				}
				for _, number := range forms {
					for _, mobileOnly := range []bool{false, true} {
						got, gotOK := validIQ(number, mobileOnly)
						want, wantOK := refValidIQ(number, mobileOnly)
						if got != want || gotOK != wantOK {
							t.Fatalf("validIQ(%q, mobileOnly=%v) = %q, %v; libphonenumber: %q, %v",
								number, mobileOnly, got, gotOK, want, wantOK)
						}
						checked++
						if gotOK {
							valid++
						}
					}
				}
			}
		}
	}
	t.Logf("%d numbers checked, %d valid", checked, valid)
	if valid < checked/100 {
		t.Fatalf("only %d of %d samples valid: the sample misses the plan", valid, checked)
	}
}

// TestIraqEquivalenceInText writes numbers into text in the forms people
// use (+964, 00964, 964, with the trunk 0, bare) and checks that Find
// reports a phone number exactly when libphonenumber validates it.
func TestIraqEquivalenceInText(t *testing.T) {
	rng := rand.New(rand.NewPCG(964, 2))
	r := New(nil)
	phones := func(text string) int {
		n := 0
		for _, f := range r.Find(text) {
			if f.Kind == KindPhone {
				n++
			}
		}
		return n
	}
	checked, valid := 0, 0
	for prefix := range 100 {
		p := fmt.Sprintf("%02d", prefix)
		for length := 6; length <= 11; length++ {
			for _, fill := range fills(rng, length, randomFills()) {
				nsn := (p + fill)[:length]
				_, any := refValidIQ("+964"+nsn, false)
				_, mobile := refValidIQ("+964"+nsn, true)
				cases := []struct {
					text string
					want bool
				}{
					{"+964 " + nsn, any},
					{"00964" + nsn, any},
					{"964" + nsn, mobile}, // without + or 00, only mobile numbers
				}
				switch nsn[0] {
				case '0': // 00…: another country
				case '7': // 07… is a mobile number or nothing
					cases = append(cases, struct {
						text string
						want bool
					}{"0" + nsn, mobile}, struct {
						text string
						want bool
					}{nsn, mobile})
				default:
					cases = append(cases, struct {
						text string
						want bool
					}{"0" + nsn, any})
				}
				for _, c := range cases {
					if got := phones("Number: " + c.text + "."); got > 1 || (got == 1) != c.want {
						t.Fatalf("%q: %d phone numbers found; libphonenumber says valid: %v", c.text, got, c.want)
					}
					checked++
					if c.want {
						valid++
					}
				}
			}
		}
	}
	t.Logf("%d texts checked, %d with a valid number", checked, valid)
	if valid < checked/20 {
		t.Fatalf("only %d of %d texts hold a valid number: the sample misses the plan", valid, checked)
	}
}

// intlSamples is the systematic sample of international numbers: every
// calling code followed by every two-digit prefix, every length of 8 to 15
// digits in all, in several fills; and random digit strings.
func intlSamples(codes []int, fillsPerLength, random int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []string
	for _, cc := range codes {
		c := strconv.Itoa(cc)
		for prefix := range 100 {
			p := fmt.Sprintf("%02d", prefix)
			for total := 8; total <= 15; total++ {
				n := total - len(c)
				for _, fill := range fills(rng, n, fillsPerLength) {
					out = append(out, c+(p + fill)[:n])
				}
			}
		}
	}
	// Where a rule of the parser decides (found by looking for them).
	out = append(out,
		"113101234",      // +1 and a trunk 1 whose removal leaves a local-only length: kept, invalid
		"49030901820",    // +49 (0)30: the trunk 0 goes
		"390612345678",   // +39 06: the leading 0 stays
		"5491123456789",  // +54 9 11: an Argentine mobile number as dialled from abroad
		"54111512345678", // +54 11 15: a local mobile prefix, rewritten to +54 9 11
		"77012345678",    // +7 701: Kazakhstan, not Russia, by its leading digits
		"441481256789",   // +44 1481: Guernsey, not the United Kingdom
	)
	for range random {
		b := make([]byte, 8+rng.IntN(8))
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		out = append(out, string(b))
	}
	return out
}

// TestIntlEquivalence compares validIntl with libphonenumber's Parse,
// IsValidNumber and Format(E164) on every calling code.
func TestIntlEquivalence(t *testing.T) {
	var codes []int
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		codes = append(codes, cc)
	}
	sort.Ints(codes)
	if len(codes) < 200 {
		t.Fatalf("libphonenumber knows %d calling codes", len(codes))
	}
	samples := intlSamples(codes, randomFills(), 100000)
	if testing.Short() {
		samples = intlSamples(codes, 0, 0)
	}
	valid := map[int]int{}
	for _, d := range samples {
		got, gotOK := validIntl(d)
		want, wantOK := refValidIntl(d)
		if got != want || gotOK != wantOK {
			t.Fatalf("validIntl(%q) = %q, %v; libphonenumber: %q, %v", d, got, gotOK, want, wantOK)
		}
		if gotOK {
			n, _ := phonenumbers.Parse(want, "ZZ")
			valid[int(n.GetCountryCode())]++
		}
	}
	t.Logf("%d numbers checked, valid ones in %d calling codes", len(samples), len(valid))
	if len(valid) < len(codes)*3/4 {
		t.Fatalf("valid numbers in only %d of %d calling codes: the sample misses the plans", len(valid), len(codes))
	}
}

// TestPossibleLengths compares the lengths foreign trusts with
// libphonenumber's.
func TestPossibleLengths(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]uint32{}
	for _, m := range coll.GetMetadata() {
		cc := int(m.GetCountryCode())
		for _, l := range m.GetGeneralDesc().GetPossibleLength() {
			if l > 0 && l < 18 {
				want[cc] |= 1 << l
			}
		}
	}
	got := phonePlans().lengths
	for cc, ls := range want {
		if got[cc] != ls {
			t.Errorf("+%d: lengths %b, libphonenumber %b", cc, got[cc], ls)
		}
	}
	for cc := range got {
		if _, ok := want[cc]; !ok {
			t.Errorf("+%d: not in libphonenumber", cc)
		}
	}
}

// TestPhonePlanFile checks that phoneplans.txt is what libphonenumber's
// metadata says; with -update it rewrites the file.
func TestPhonePlanFile(t *testing.T) {
	b, err := genPhonePlans()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("phoneplans.txt", b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(b, []byte(phonePlanFile)) {
		t.Fatal("phoneplans.txt differs from libphonenumber's metadata: go test ./redact -run TestPhonePlanFile -update")
	}
}

// genPhonePlans writes the plans (see parsePhonePlans for the format).
func genPhonePlans() ([]byte, error) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil, err
	}
	// As libphonenumber's own lookup: by region, and by calling code for
	// the non-geographic services (region "001").
	byRegion := map[string]*phonenumbers.PhoneMetadata{}
	nonGeo := map[int]*phonenumbers.PhoneMetadata{}
	for _, m := range coll.GetMetadata() {
		if m.GetId() == "001" {
			nonGeo[int(m.GetCountryCode())] = m
		} else {
			byRegion[m.GetId()] = m
		}
	}
	var codes []int
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		codes = append(codes, cc)
	}
	sort.Ints(codes)

	var b bytes.Buffer
	b.WriteString("# Numbering plans from libphonenumber's metadata (github.com/nyaruka/phonenumbers, as go.mod requires).\n")
	b.WriteString("# Written by go test ./redact -run TestPhonePlanFile -update: do not edit. Format: parsePhonePlans.\n")
	var bad error
	field := func(s string) string {
		if s == "" {
			return "-"
		}
		if s == "-" || strings.ContainsAny(s, " \n") {
			bad = fmt.Errorf("field %q cannot be written", s)
		}
		return s
	}
	lengths := func(ls []int32) string {
		var s []string
		for _, l := range ls {
			if l < 1 || l > 31 {
				bad = fmt.Errorf("length %d", l)
			}
			s = append(s, strconv.Itoa(int(l)))
		}
		return field(strings.Join(s, ","))
	}
	for _, cc := range codes {
		regions := phonenumbers.GetRegionCodesForCountryCode(cc)
		meta := func(region string) *phonenumbers.PhoneMetadata {
			if region == "001" {
				return nonGeo[cc]
			}
			return byRegion[region]
		}
		main := meta(regions[0])
		if main == nil {
			return nil, fmt.Errorf("+%d: no metadata for %s", cc, regions[0])
		}
		fmt.Fprintf(&b, "+%d %s %s\n", cc, field(main.GetNationalPrefixForParsing()), field(main.GetNationalPrefixTransformRule()))
		for _, region := range regions {
			m := meta(region)
			if m == nil {
				return nil, fmt.Errorf("+%d: no metadata for %s", cc, region)
			}
			g := m.GetGeneralDesc()
			fmt.Fprintf(&b, "%s %s %s %s %s\n", region, field(m.GetLeadingDigits()),
				lengths(g.GetPossibleLength()), lengths(g.GetPossibleLengthLocalOnly()), field(g.GetNationalNumberPattern()))
			types := []struct {
				name string
				desc *phonenumbers.PhoneNumberDesc
			}{
				{"premium", m.GetPremiumRate()}, {"tollfree", m.GetTollFree()},
				{"shared", m.GetSharedCost()}, {"voip", m.GetVoip()},
				{"personal", m.GetPersonalNumber()}, {"pager", m.GetPager()},
				{"uan", m.GetUan()}, {"voicemail", m.GetVoicemail()},
				{"fixed", m.GetFixedLine()}, {"mobile", m.GetMobile()},
			}
			for _, ty := range types {
				d := ty.desc
				// A type without numbers is "NA" of length -1; a mobile
				// pattern equal to the fixed-line one is only tried as such.
				if d == nil || d.GetNationalNumberPattern() == "NA" || slices.Contains(d.GetPossibleLength(), -1) ||
					ty.name == "mobile" && m.GetSameMobileAndFixedLinePattern() {
					continue
				}
				fmt.Fprintf(&b, "%s %s %s\n", ty.name, lengths(d.GetPossibleLength()), field(d.GetNationalNumberPattern()))
			}
		}
	}
	if bad != nil {
		return nil, bad
	}
	if _, err := parsePhonePlans(b.String()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
