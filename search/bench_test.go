package search

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Benchmarks run over synthetic documents: AMANA_BENCH_DOCS of them
// (default 10,000), for example
//
//	AMANA_BENCH_DOCS=100000 go test -run '^$' -bench . -benchtime 1x ./search/
//
// BenchmarkQuery's index is built once per run; -benchtime sets the number
// of queries (default: as many as fit in a second).
func benchDocs(b *testing.B) int {
	n := 10000
	if s := os.Getenv("AMANA_BENCH_DOCS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("AMANA_BENCH_DOCS=%q", s)
		}
		n = v
	}
	return n
}

// Fictional, non-graphic material for synthetic documents. %s is a place.
var synthTitles = map[string][]string{
	"en": {
		"Interview on displacement in %s district",
		"Testimony about detention at a checkpoint near %s",
		"Report on access to services in %s",
		"Case study of a family returning to %s",
		"Interview on missing relatives from %s",
	},
	"ar": {
		"مقابلة حول النزوح في قضاء %s",
		"شهادة عن الاحتجاز في نقطة تفتيش قرب %s",
		"تقرير عن الوصول إلى الخدمات في %s",
		"دراسة حالة عائلة عائدة إلى %s",
		"مقابلة عن الأقارب المفقودين من %s",
	},
	"ckb": {
		"چاوپێکەوتن دەربارەی ئاوارەبوون لە قەزای %s",
		"شایەتی دەربارەی دەستگیرکردن لە خاڵی پشکنین نزیک %s",
		"ڕاپۆرت دەربارەی خزمەتگوزارییەکان لە %s",
		"لێکۆڵینەوەی خێزانێک کە گەڕایەوە بۆ %s",
		"چاوپێکەوتن دەربارەی خزمە ونبووەکان لە %s",
	},
	"kmr": {
		"Hevpeyvîn li ser koçberiyê li qeza %s",
		"Şahidî li ser girtinê li xala kontrolê nêzîkî %s",
		"Rapor li ser gihîştina xizmetan li %s",
		"Lêkolîna malbatekê ku vegeriya %s",
		"Hevpeyvîn li ser xizmên winda yên ji %s",
	},
}

var synthPlaces = map[string][]string{
	"en":  {"Sinjar", "Mosul", "Tal Afar", "Kirkuk", "Hawija", "Duhok", "Zakho", "Sulaymaniyah", "Halabja", "Baghdad"},
	"ar":  {"سنجار", "الموصل", "تلعفر", "كركوك", "الحويجة", "دهوك", "زاخو", "السليمانية", "حلبجة", "بغداد"},
	"ckb": {"شنگال", "موسڵ", "تەلەعفەر", "کەرکووک", "حەویجە", "دهۆک", "زاخۆ", "سلێمانی", "هەڵەبجە", "بەغدا"},
	"kmr": {"Şengal", "Mûsil", "Telafer", "Kerkûk", "Hewîce", "Duhok", "Zaxo", "Silêmanî", "Helebce", "Bexda"},
}

// Letters for pseudo-words, so that vocabularies have realistic sizes.
var synthLetters = map[string][]string{
	"en":  strings.Split("b c d f g h k l m n p r s t v w y a e i o u a e i o", " "),
	"ar":  strings.Split("ب ت ث ج ح خ د ذ ر ز س ش ص ض ط ظ ع غ ف ق ك ل م ن ه و ي ا ة أ إ ى", " "),
	"ckb": strings.Split("ب پ ت ج چ ح خ د ر ڕ ز ژ س ش ع غ ف ڤ ق ک گ ل ڵ م ن و ۆ ە ی ێ ا", " "),
	"kmr": strings.Split("b c ç d f g h j k l m n p q r s ş t v w x y z a e ê i î o u û", " "),
}

var (
	synthGovernorates = []string{"Baghdad", "Basra", "Nineveh", "Kirkuk", "Erbil", "Duhok", "Sulaymaniyah", "Halabja",
		"Anbar", "Diyala", "Saladin", "Babil", "Karbala", "Najaf", "Wasit", "Qadisiyyah", "Maysan", "Dhi Qar", "Muthanna"}
	synthTags = []string{"displacement", "detention", "checkpoint", "camp", "missing-persons", "return",
		"documentation", "health", "education", "livelihood", "housing", "legal-aid"}
	synthKinds = []string{"testimony", "interview", "case_study", "report", "media"}
)

const synthCollections = 20

// synthVocab returns a deterministic vocabulary of size n for lang.
func synthVocab(lang string, n int) []string {
	r := rand.New(rand.NewPCG(uint64(len(lang)), 1))
	letters := synthLetters[lang]
	seen := map[string]bool{}
	var words []string
	for len(words) < n {
		var sb strings.Builder
		for range 3 + r.IntN(6) {
			sb.WriteString(letters[r.IntN(len(letters))])
		}
		if w := sb.String(); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

// synthDocs generates n fictional documents, the same for the same seed:
// four languages in turn, 20 collections, titles from synthTitles,
// summaries of 20–60 words and, for one in three, a transcript of 150–600
// words drawn from a Zipf distribution over 20,000 words per language.
func synthDocs(n int, seed uint64) []Doc {
	r := rand.New(rand.NewPCG(seed, 2))
	vocab := map[string][]string{}
	zipf := map[string]*rand.Zipf{}
	for _, l := range languages {
		vocab[l] = synthVocab(l, 20000)
		zipf[l] = rand.NewZipf(r, 1.1, 1, 19999)
	}
	text := func(lang string, words int) string {
		var sb strings.Builder
		for i := range words {
			if i > 0 {
				sb.WriteByte(' ')
			}
			if i%9 == 8 {
				sb.WriteString(synthPlaces[lang][r.IntN(len(synthPlaces[lang]))])
				continue
			}
			sb.WriteString(vocab[lang][zipf[lang].Uint64()])
		}
		return sb.String()
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	docs := make([]Doc, n)
	for i := range docs {
		lang := languages[i%len(languages)]
		place := synthPlaces[lang][r.IntN(len(synthPlaces[lang]))]
		titles := synthTitles[lang]
		d := Doc{
			ID:          fmt.Sprintf("doc-%07d", i),
			Collection:  fmt.Sprintf("col-%02d", r.IntN(synthCollections)),
			Kind:        synthKinds[r.IntN(len(synthKinds))],
			Language:    lang,
			Governorate: synthGovernorates[r.IntN(len(synthGovernorates))],
			Title:       fmt.Sprintf(titles[r.IntN(len(titles))], place),
			Summary:     text(lang, 20+r.IntN(41)),
			DepositedAt: base.Add(time.Duration(i) * time.Minute),
		}
		year := 2003 + r.IntN(21)
		if r.IntN(2) == 0 {
			d.IncidentDate = strconv.Itoa(year)
		} else {
			d.IncidentDate = fmt.Sprintf("%d-%02d", year, 1+r.IntN(12))
		}
		for range 1 + r.IntN(3) {
			if t := synthTags[r.IntN(len(synthTags))]; !slices.Contains(d.Tags, t) {
				d.Tags = append(d.Tags, t)
			}
		}
		if r.IntN(3) == 0 {
			d.Transcript = text(lang, 150+r.IntN(451))
		}
		docs[i] = d
	}
	return docs
}

func dirSize(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

const mib = 1 << 20

// BenchmarkIndex indexes the synthetic documents with Put in batches of
// 1,000 (bulk) and of 10 (the vault outbox's steady state, over at most
// 2,000 documents).
func BenchmarkIndex(b *testing.B) {
	for _, c := range []struct {
		batch, max int
	}{{1000, 0}, {10, 2000}} {
		b.Run(fmt.Sprintf("batch=%d", c.batch), func(b *testing.B) {
			n := benchDocs(b)
			if c.max > 0 {
				n = min(n, c.max)
			}
			docs := synthDocs(n, 1)
			var elapsed time.Duration
			var size int64
			cpu0 := cpuTime()
			for b.Loop() {
				dir := b.TempDir()
				ix, err := Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				for i := 0; i < len(docs); i += c.batch {
					if err := ix.Put(docs[i:min(i+c.batch, len(docs))]...); err != nil {
						b.Fatal(err)
					}
				}
				elapsed += time.Since(start)
				if err := ix.Close(); err != nil {
					b.Fatal(err)
				}
				size = dirSize(b, dir)
			}
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "docs/s")
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(size)/mib, "MiB")
		})
	}
}

// BenchmarkRebuild measures Rebuild (amana reindex) from a slice.
func BenchmarkRebuild(b *testing.B) {
	n := benchDocs(b)
	docs := synthDocs(n, 1)
	var size int64
	cpu0 := cpuTime()
	for b.Loop() {
		dir := filepath.Join(b.TempDir(), "idx")
		if err := Rebuild(dir, docSource(docs)); err != nil {
			b.Fatal(err)
		}
		size = dirSize(b, dir)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(size)/mib, "MiB")
}

// BenchmarkDelete measures Delete of one document (a shred) in an index of
// the synthetic documents, up to the end of the purge it asks for: the time
// until no file holds the document, most of it rewriting the index's
// segments.
func BenchmarkDelete(b *testing.B) {
	n := benchDocs(b)
	docs := synthDocs(n, 1)
	dir := filepath.Join(b.TempDir(), "idx")
	if err := Rebuild(dir, docSource(docs)); err != nil {
		b.Fatal(err)
	}
	ix, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	size := dirSize(b, dir)
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		if err := ix.Delete(docs[i%len(docs)].ID); err != nil {
			b.Fatal(err)
		}
		for {
			if requested, finished, err := ix.purger.state(); finished >= requested {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/delete")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(size)/mib, "MiB")
}

// benchQueries is a mix of what lawyers type: single words in each
// language, phrases, fields, ranges, fuzzy and prefix terms, and the empty
// query (facets only).
var benchQueries = []Request{
	{Query: "displacement"},
	{Query: "detention checkpoint"},
	{Query: `"displacement in" sinjar`},
	{Query: "النزوح"},
	{Query: "شهادة الاحتجاز"},
	{Query: "ئاوارەبوون"},
	{Query: "koçberî"},
	{Query: "governorate:Kirkuk detention"},
	{Query: "year:>=2015 +missing"},
	{Query: ""},
	{Query: "chekpoint~1"},
	{Query: "detent*"},
	{Query: "sinjar", Filters: map[string][]string{"kind": {"testimony"}}, From: "2014", To: "2016-06"},
	{Query: "interview", Highlight: true},
	{Query: "services", Offset: 200},
}

// BenchmarkQuery runs benchQueries in turn over an index of the synthetic
// documents, each with the access filter (3 of 20 collections), with all six
// facets and without facets, and reports latency percentiles.
func BenchmarkQuery(b *testing.B) {
	n := benchDocs(b)
	dir := filepath.Join(b.TempDir(), "idx")
	if err := Rebuild(dir, docSource(synthDocs(n, 1))); err != nil {
		b.Fatal(err)
	}
	ix, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	size := dirSize(b, dir)
	cols := []string{"col-03", "col-07", "col-11"}
	for _, c := range []struct {
		name   string
		facets []string
	}{
		{"facets=6", []string{"collection", "kind", "language", "governorate", "tags", "year"}},
		{"facets=0", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			var hits uint64
			i := 0
			for b.Loop() {
				req := benchQueries[i%len(benchQueries)]
				i++
				req.Collections, req.Facets = cols, c.facets
				start := time.Now()
				res, err := ix.Search(req)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatalf("%q: %v", req.Query, err)
				}
				hits += res.Total
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(hits)/float64(len(lat)), "hits/query")
			b.ReportMetric(float64(size)/mib, "MiB")
		})
	}
}

// TestSynthDocsDeterministic keeps benchmark inputs comparable across runs.
func TestSynthDocsDeterministic(t *testing.T) {
	a, b := synthDocs(50, 3), synthDocs(50, 3)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("synthDocs differs for the same seed")
	}
	ix := openWith(t, a...)
	if n, _ := ix.Count(); n != 50 {
		t.Errorf("count %d", n)
	}
}
