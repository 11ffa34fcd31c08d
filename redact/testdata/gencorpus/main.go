// Command gencorpus writes the labelled synthetic corpus for the redact tests:
//
//	go run ./redact/testdata/gencorpus > redact/testdata/corpus.jsonl
//
// Every sentence is fictional and non-graphic; every name is invented. The
// sentences are written by hand below with inline labels:
//
//	{phone:0770 123 4567}  a literal span of that kind (person, name, phone, email, id, gps)
//	{P1} {P2}              a listed person's full name, in one of its spellings
//	{P1f} {P2f}            the same person's first name, in one of its spellings
//	{PHONE} {EMAIL} {ID} {IDg} {GPS}
//	                       a value drawn from the pools for the sentence's language
//
// The labels are the exact substrings a reviewer expects to be redacted. The
// output is deterministic (fixed seed).
package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
)

type span struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

type line struct {
	Lang    string   `json:"lang"`
	Text    string   `json:"text"`
	Persons []string `json:"persons"`
	Spans   []span   `json:"spans"`
}

type person struct {
	listed string
	full   []string // spellings of the full name that must match
	first  []string // spellings of the first name alone
}

type tmpl struct {
	text    string
	persons []string // listed persons for literal {person:…} labels
	reps    int      // how many sentences to draw from it (default 1)
}

var rng = rand.New(rand.NewPCG(2024, 6))

func pick[T any](xs []T) T { return xs[rng.IntN(len(xs))] }

func main() {
	var out []line
	for _, lang := range []string{"en", "ar", "ckb"} {
		for _, t := range templates[lang] {
			n := max(t.reps, 1)
			for range n {
				out = append(out, expand(lang, t))
			}
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for _, l := range out {
		if err := enc.Encode(l); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func expand(lang string, t tmpl) line {
	l := line{Lang: lang, Persons: []string{}, Spans: []span{}}
	l.Persons = append(l.Persons, t.persons...)
	pool := people[lang]
	p1 := pick(pool)
	p2 := pick(pool)
	for p2.listed == p1.listed {
		p2 = pick(pool)
	}
	used := map[string]bool{}
	var b strings.Builder
	s := t.text
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			panic("unclosed { in " + t.text)
		}
		j += i
		b.WriteString(s[:i])
		kind, val := fill(lang, s[i+1:j], p1, p2, used)
		b.WriteString(val)
		l.Spans = append(l.Spans, span{kind, val})
		s = s[j+1:]
	}
	l.Text = b.String()
	for _, p := range []person{p1, p2} {
		if used[p.listed] {
			l.Persons = append(l.Persons, p.listed)
		}
	}
	// A listed person who does not appear: nothing of theirs may be flagged.
	if rng.IntN(3) == 0 {
		d := pick(pool)
		if !used[d.listed] && !mentions(l.Text, d) {
			l.Persons = append(l.Persons, d.listed)
		}
	}
	check(l, t)
	return l
}

func fill(lang, slot string, p1, p2 person, used map[string]bool) (kind, val string) {
	if k, v, ok := strings.Cut(slot, ":"); ok {
		if k == "id" {
			k = "national_id"
		}
		return k, v
	}
	switch slot {
	case "P1", "P2", "P1f", "P2f":
		p := p1
		if slot[1] == '2' {
			p = p2
		}
		used[p.listed] = true
		if strings.HasSuffix(slot, "f") {
			return "person", pick(p.first)
		}
		return "person", pick(p.full)
	case "PHONE":
		return "phone", pick(phones[lang])
	case "EMAIL":
		return "email", pick(emails)
	case "ID":
		return "national_id", digits(lang, newID(false))
	case "IDg":
		return "national_id", digits(lang, newID(true))
	case "GPS":
		return "gps", gps(lang)
	}
	panic("unknown slot " + slot)
}

// mentions is a conservative check that a decoy's name does not occur.
func mentions(text string, p person) bool {
	low := strings.ToLower(text)
	for _, f := range append(append([]string{}, p.full...), p.first...) {
		for _, w := range strings.Fields(f) {
			if strings.Contains(low, strings.ToLower(w)) {
				return true
			}
		}
	}
	return false
}

// check makes the labels unambiguous: each label text occurs in the sentence
// exactly as often as it is listed.
func check(l line, t tmpl) {
	n := map[string]int{}
	for _, s := range l.Spans {
		n[s.Text]++
	}
	for txt, k := range n {
		if c := strings.Count(l.Text, txt); c != k {
			panic(fmt.Sprintf("label %q occurs %d times, listed %d times, in %q (template %q)", txt, c, k, l.Text, t.text))
		}
	}
}

func newID(grouped bool) string {
	var b strings.Builder
	b.WriteString(pick([]string{"19", "20", "11", "21"}))
	for b.Len() < 12 {
		b.WriteByte(byte('0' + rng.IntN(10)))
	}
	s := b.String()
	if s[8:10] < "24" { // keep it clear of timestamps (yyyymmddhhmm)
		s = s[:8] + "7" + s[9:]
	}
	if grouped {
		return s[:4] + " " + s[4:8] + " " + s[8:]
	}
	return s
}

const latinDigits = "0123456789"

func toScript(s string, zero rune) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return zero + r - '0'
		}
		return r
	}, s)
}

func arabicDigits(s string) string {
	s = toScript(s, '٠')
	return strings.NewReplacer(".", "٫", ", ", "، ").Replace(s)
}

func persianDigits(s string) string {
	s = toScript(s, '۰')
	return strings.NewReplacer(".", "٫", ", ", "، ").Replace(s)
}

func digits(lang, s string) string {
	switch lang {
	case "ar":
		if rng.IntN(4) > 0 {
			return toScript(s, '٠')
		}
	case "ckb":
		switch rng.IntN(3) {
		case 0:
			return toScript(s, '٠')
		case 1:
			return toScript(s, '۰')
		}
	}
	return s
}

func gps(lang string) string {
	lat := 29.5 + rng.Float64()*7.7
	lon := 39.2 + rng.Float64()*9.2
	dms := func(v float64) (int, int, int) {
		d := int(v)
		m := int((v - float64(d)) * 60)
		s := int(((v-float64(d))*60 - float64(m)) * 60)
		return d, m, s
	}
	ld, lm, ls := dms(lat)
	od, om, os := dms(lon)
	latin := []string{
		fmt.Sprintf("%.4f, %.4f", lat, lon),
		fmt.Sprintf("%.5f,%.5f", lat, lon),
		fmt.Sprintf("%.4f° N, %.4f° E", lat, lon),
		fmt.Sprintf("%.4f°N %.4f°E", lat, lon),
		fmt.Sprintf("N %.4f E %.4f", lat, lon),
		fmt.Sprintf("%d°%02d'%02d\"N %d°%02d'%02d\"E", ld, lm, ls, od, om, os),
		fmt.Sprintf("%d° %02d′ %02d″ N, %d° %02d′ %02d″ E", ld, lm, ls, od, om, os),
	}
	switch lang {
	case "ar":
		switch rng.IntN(4) {
		case 0:
			return arabicDigits(fmt.Sprintf("%.4f, %.4f", lat, lon))
		case 1:
			return arabicDigits(fmt.Sprintf("%.4f° شمالاً %.4f° شرقاً", lat, lon))
		case 2:
			return toScript(fmt.Sprintf("%d°%02d'%02d\" شمالاً %d°%02d'%02d\" شرقاً", ld, lm, ls, od, om, os), '٠')
		}
	case "ckb":
		switch rng.IntN(3) {
		case 0:
			return arabicDigits(fmt.Sprintf("%.4f, %.4f", lat, lon))
		case 1:
			return persianDigits(fmt.Sprintf("%.4f, %.4f", lat, lon))
		}
	}
	return pick(latin)
}

var emails = []string{
	"amina.k@example.org", "l.darwish@ngo.example", "docs-team@example.iq",
	"nadia_s+interviews@mail.example.com", "contact@camp-support.example.org",
	"hero.mustafa@example.net", "R.Younis@Example.org", "case.worker7@legal-aid.example",
	"shilan [at] example [dot] org", "fieldteam(at)example.com", "info@women-centre.example",
}

var phones = map[string][]string{
	"en": {
		"+964 770 412 8836", "+964-750-318-2274", "00964 781 556 0193", "0771 903 4412",
		"07502147786", "0790-221-6634", "(0770) 845 1290", "+964 (0) 751 662 0048",
		"+9647813340921", "0782.441.7720", "750 339 1842", "+964 1 543 2100",
		"066 212 3456", "+964 7701 234 567", "0750 555 01 23",
	},
	"ar": {
		"٠٧٧٠ ٤١٢ ٨٨٣٦", "+٩٦٤ ٧٥٠ ٣١٨ ٢٢٧٤", "٠٠٩٦٤٧٨١٥٥٦٠١٩٣", "٠٧٥٠-٢١٤-٧٧٨٦",
		"٠٧٩٠٢٢١٦٦٣٤", "٠٧٧١ ٩٠٣ ٤٤١٢", "٠٧٧٠\u200f ٨٤٥ ١٢٩٠", "+964 780 661 2048",
		"07713349021", "٠٧٨١ ٢٢٣ ٤٤٥٥", "٠٧٧٢ ٣٣٤ ٥٥٦٦", "۰۷۵۰ ۴۴۴ ۳۲۱۰",
	},
	"ckb": {
		"۰۷۵۰ ۴۴۴ ۳۲۱۰", "۰۷۷۰۱۲۳۴۵۶۷", "+۹۶۴ ۷۸۰ ۶۶۱ ۲۰۴۸", "٠٧٥١ ۲۳۴ ٥٦٧٨",
		"٠٧٥٠ ١٢٣ ٤٥٦٧", "٠٧٧٠-٩٨٧-٦٥٤٣", "0750 446 8812", "٠٠٩٦٤٧٥٠٣٣٣٢٢١١",
		"۰۷۸۱-۵۵۵-۱۲۳۴", "07703345566",
	},
}

var people = map[string][]person{
	"en": {
		{"Amina Khalil", []string{"Amina Khalil", "AMINA KHALIL", "Amina  Khalil", "amina khalil"}, []string{"Amina"}},
		{"Layla Darwish", []string{"Layla Darwish", "Layla\nDarwish"}, []string{"Layla"}},
		{"Şîrîn Ehmed", []string{"Şîrîn Ehmed", "Sirin Ehmed", "Şirin Ehmed", "ŞÎRÎN EHMED"}, []string{"Şîrîn", "Sirin"}},
		{"Rasha Younis", []string{"Rasha Younis", "Rasha Younis"}, []string{"Rasha"}},
		{"Huda Al-Kareem", []string{"Huda Al-Kareem", "Huda al Kareem", "Huda Al-Kareem"}, []string{"Huda"}},
		{"Nasreen Abdulrahman", []string{"Nasreen Abdul Rahman", "Nasreen Abdulrahman", "Nasreen Abdul-Rahman"}, []string{"Nasreen"}},
		{"Rojîn Qadir", []string{"Rojîn Qadir", "Rojin Qadir"}, []string{"Rojîn", "Rojin"}},
		{"Dilan Hussein", []string{"Dilan Hussein"}, []string{"Dilan"}},
		{"Sawsan Jabbar", []string{"Sawsan Jabbar", "Sawsan Jabbar"}, []string{"Sawsan"}},
		{"Evîn Silêman", []string{"Evîn Silêman", "Evin Sileman"}, []string{"Evîn", "Evin"}},
	},
	"ar": {
		{"أمينة خليل", []string{"أمينة خليل", "امينه خليل", "أمـيـنة خليل", "أَمِينَة خَلِيل"}, []string{"أمينة", "امينه", "إمينة"}},
		{"ليلى درويش", []string{"ليلى درويش", "ليلي درويش"}, []string{"ليلى", "ليلي"}},
		{"هدى كريم", []string{"هدى كريم", "هدي كريم", "هُدى كريم"}, []string{"هدى"}},
		{"فاطمة عبد الله", []string{"فاطمة عبد الله", "فاطمه عبدالله", "فاطمة عبدالله"}, []string{"فاطمة", "فاطمه"}},
		{"عائشة حميد", []string{"عائشة حميد", "عايشة حميد", "عائشه حميد"}, []string{"عائشة", "عايشة"}},
		{"سلمى يونس", []string{"سلمى يونس", "سلمي يونس"}, []string{"سلمى"}},
		{"رشا صالح", []string{"رشا صالح"}, []string{"رشا"}},
		{"إسراء مؤيد", []string{"إسراء مؤيد", "اسراء مويد", "أسراء مؤيد"}, []string{"إسراء", "اسراء"}},
		{"آمنة جاسم", []string{"آمنة جاسم", "امنه جاسم", "آمنه جاسم"}, []string{"آمنة", "امنة"}},
		{"نسرين عبد الرحمن", []string{"نسرين عبد الرحمن", "نسرين عبدالرحمن"}, []string{"نسرين"}},
	},
	"ckb": {
		{"ئامینە خەلیل", []string{"ئامینە خەلیل", "ئامينە خەليل", "ئامینه خەلیل"}, []string{"ئامینە", "ئامینه"}},
		{"شیلان ئەحمەد", []string{"شیلان ئەحمەد", "شيلان ئەحمەد", "شیلان  ئەحمەد"}, []string{"شیلان", "شيلان"}},
		{"ڤیان کەریم", []string{"ڤیان کەریم", "ڤیان كەریم"}, []string{"ڤیان"}},
		{"هێرۆ مستەفا", []string{"هێرۆ مستەفا", "هيرو مستەفا"}, []string{"هێرۆ"}},
		{"نازدار عوسمان", []string{"نازدار عوسمان"}, []string{"نازدار"}},
		{"ژینۆ ڕەسوڵ", []string{"ژینۆ ڕەسوڵ", "ژینۆ رەسول"}, []string{"ژینۆ"}},
		{"سۆزان حەمە", []string{"سۆزان حەمە", "سوزان حەمە"}, []string{"سۆزان"}},
		{"بەفرین عەلی", []string{"بەفرین عەلی", "بەفرین عەلي"}, []string{"بەفرین"}},
	},
}
