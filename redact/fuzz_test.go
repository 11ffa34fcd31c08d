package redact

import (
	"testing"
)

// FuzzRedact checks, for any input, that nothing panics, that findings are in
// bounds, sorted, non-overlapping and on rune boundaries, that the output is
// the input with findings replaced by pseudonyms, and that the output passes
// the guard.
//
//	go test -run '^$' -fuzz FuzzRedact -fuzztime 60s ./redact/
func FuzzRedact(f *testing.F) {
	for _, l := range loadCorpus(f) {
		name := ""
		if len(l.Persons) > 0 {
			name = l.Persons[0]
		}
		f.Add(l.Text, name)
	}
	for _, s := range []string{
		"Amina07701234567 and Amina",
		"[PHONE-07701234567] [PERSON-1][ID-199012345678]",
		"+964 (0) 751 662 0048 / 00964 781 556 0193 / ٠٧٧٠\u200f ٨٤٥ ١٢٩٠",
		"36°20'56\"N 43°09'28\"E ٣٥٫٤٦٨١° شمالاً ٤٤٫٣٩٢٢° شرقاً",
		"x [at] y [dot] org @@ a@b.c (at)",
		"ئـَئ ـ ً ﻻ \xff\xfe\u200f",
	} {
		f.Add(s, "Amina Khalil")
	}
	f.Fuzz(func(t *testing.T, text, name string) {
		persons := []string{name, "أمينة خليل", "شیلان ئەحمەد", "Abd al-Rahman Saleh"}
		r := New(persons)
		checkInvariants(t, text, r.Find(text))
		out, fs := r.Redact(text)
		checkReconstruction(t, text, out, fs)
		if err := Check(map[string]string{"f": out}, persons); err != nil {
			t.Fatalf("redacted %q of %q fails the guard: %v", out, text, err)
		}
	})
}
