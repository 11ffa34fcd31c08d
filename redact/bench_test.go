package redact

import (
	"strings"
	"testing"
)

// transcript builds a ~100 KB multilingual text (English, Arabic, Sorani) from
// the corpus, as interview turns, with the names listed across the corpus.
// Dense keeps every sentence (more than half hold personal data, far more
// than a real transcript); sparse keeps one sentence with personal data in
// ten.
func transcript(tb testing.TB, dense bool) (string, []string) {
	lines := loadCorpus(tb)
	seen := map[string]bool{}
	var persons []string
	var pick []corpusLine
	withData := 0
	for _, l := range lines {
		for _, p := range l.Persons {
			if !seen[p] {
				seen[p] = true
				persons = append(persons, p)
			}
		}
		if len(l.Spans) > 0 {
			withData++
			if !dense && withData%10 != 0 {
				continue
			}
		}
		pick = append(pick, l)
	}
	var b strings.Builder
	for i := 0; b.Len() < 100<<10; i++ {
		b.WriteString([]string{"Q: ", "A: ", "س: ", "ج: ", "پ: ", "و: "}[i%6])
		b.WriteString(pick[i%len(pick)].Text)
		b.WriteByte('\n')
	}
	return b.String(), persons
}

func BenchmarkRedact(b *testing.B) {
	for _, dense := range []bool{true, false} {
		name := map[bool]string{true: "dense", false: "sparse"}[dense]
		text, persons := transcript(b, dense)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				New(persons).Redact(text)
			}
		})
	}
}

func BenchmarkFind(b *testing.B) {
	for _, dense := range []bool{true, false} {
		name := map[bool]string{true: "dense", false: "sparse"}[dense]
		text, persons := transcript(b, dense)
		r := New(persons)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				r.Find(text)
			}
		})
	}
}

// BenchmarkCheck is the server's guard on typical public metadata.
func BenchmarkCheck(b *testing.B) {
	fields := map[string]string{
		"title":   "Testimony on checkpoint detentions near Kirkuk",
		"summary": "Interview with [PERSON-1] about displacement from Sinjar in 2014, the camp in Duhok and legal referrals. مقابلة حول النزوح والمخيم والإحالة القانونية. چاوپێکەوتن دەربارەی ئاوارەبوون.",
		"tags":    "detention checkpoint displacement",
	}
	persons := []string{"Amina Khalil", "أمينة خليل", "ئامینە خەلیل"}
	for b.Loop() {
		if err := Check(fields, persons); err != nil {
			b.Fatal(err)
		}
	}
}
