package search

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/amana-vault/amana/internal/demodata"
)

var updateRelevance = flag.Bool("update-relevance", false, "rewrite testdata/relevance.tsv from the demo data's known topics and kinds")

// The relevance set: queries a lawyer would type, in each of the four
// languages, with the demo documents judged relevant to each. The corpus
// is demodata.Generate(relevanceDocs, relevanceSeed), documents d000 to
// d099: one block of the generator, so its language shares are exact
// (40 en, 35 ar, 23 ckb, 2 kmr).
const (
	relevanceFile = "testdata/relevance.tsv"
	relevanceDocs = 100
	relevanceSeed = 17
)

// relevanceQueries: concept, then the query in en, ar, ckb and kmr.
var relevanceQueries = [][5]string{
	{"testimony", "testimony", "شهادة", "شایەتی", "şahidî"},
	{"interview", "interview", "مقابلة", "چاوپێکەوتن", "hevpeyvîn"},
	{"detention", "detention", "احتجاز", "دەستبەسەرکردن", "girtin"},
	{"displacement", "displacement", "نزوح", "ئاوارەبوون", "koçberî"},
	{"missing-persons", "missing person", "مفقود", "ونبوو", "winda"},
	{"legal-aid", "legal aid", "مساعدة قانونية", "یارمەتیی یاسایی", "alîkariya hiqûqî"},
	{"property", "property", "ممتلكات", "موڵک", "milk"},
	{"birth-certificate", "birth certificate", "شهادة ميلاد", "بڕوانامەی لەدایکبوون", "belgeya jidayikbûnê"},
	{"checkpoint", "checkpoint", "نقطة تفتيش", "خاڵی پشکنین", "xala kontrolê"},
	{"return", "return", "عودة", "گەڕانەوە", "vegerîn"},
}

// judge says whether demo document d is relevant to a concept of
// relevanceQueries, from what the generator put in it: its kind, its
// topic tags (a tag the generator draws from the document's topic), or,
// for birth certificates, the summary that explains how they are obtained.
func judge(concept string, d demodata.Document) bool {
	switch concept {
	case "testimony", "interview":
		return d.Kind == concept
	case "birth-certificate":
		for _, p := range []string{"birth certificates", "شهادات الميلاد", "بڕوانامەی لەدایکبوون"} {
			if strings.Contains(d.Summary, p) {
				return true
			}
		}
		return false
	}
	return slices.Contains(d.Tags, concept)
}

type judged struct {
	concept, lang, query string
	relevant             []string
}

func relevanceCorpus() ([]Doc, []demodata.Document) {
	gen := demodata.Generate(relevanceDocs, relevanceSeed)
	docs := make([]Doc, len(gen))
	for i, d := range gen {
		docs[i] = Doc{ID: fmt.Sprintf("d%03d", i), Collection: d.Collection, Kind: d.Kind, Title: d.Title,
			Summary: d.Summary, Transcript: d.Transcript, Language: d.Language, Governorate: d.Governorate,
			IncidentDate: d.IncidentDate, Tags: d.Tags}
	}
	return docs, gen
}

func writeRelevance(t *testing.T, gen []demodata.Document) {
	var b strings.Builder
	fmt.Fprintf(&b, "# Relevance set of Amana's search (TestRelevance). Corpus: demodata.Generate(%d, %d), documents d000-d%03d.\n", relevanceDocs, relevanceSeed, relevanceDocs-1)
	b.WriteString("# Judgments: a document is relevant to a concept when the generator made it so - its kind (testimony,\n")
	b.WriteString("# interview), a tag of its topic (detention, displacement, missing-persons, legal-aid, property,\n")
	b.WriteString("# checkpoint, return), or its summary explaining how birth certificates are obtained - whatever its\n")
	b.WriteString("# language. Written by `go test ./search -run TestRelevance -update-relevance`; the same judgments for\n")
	b.WriteString("# the four queries of a concept. Columns: concept, query language, query, relevant documents.\n")
	for _, q := range relevanceQueries {
		var rel []string
		for i, d := range gen {
			if judge(q[0], d) {
				rel = append(rel, fmt.Sprintf("d%03d", i))
			}
		}
		for k, l := range languages {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", q[0], l, q[k+1], strings.Join(rel, " "))
		}
	}
	if err := os.WriteFile(relevanceFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readRelevance(t *testing.T) []judged {
	f, err := os.Open(relevanceFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []judged
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 4 {
			t.Fatalf("%s: bad line %q", relevanceFile, line)
		}
		out = append(out, judged{c[0], c[1], c[2], strings.Fields(c[3])})
	}
	return out
}

// recallAt10 is the share of the relevant documents in the first ten hits,
// out of at most ten; ndcgAt10 is the normalized discounted cumulative gain
// of the first ten hits, with gain 1 for a relevant document.
func recallAt10(hits, rel []string) float64 {
	n := 0
	for _, h := range hits[:min(10, len(hits))] {
		if slices.Contains(rel, h) {
			n++
		}
	}
	return float64(n) / float64(min(10, len(rel)))
}

func ndcgAt10(hits, rel []string) float64 {
	var dcg, ideal float64
	for i, h := range hits[:min(10, len(hits))] {
		if slices.Contains(rel, h) {
			dcg += 1 / math.Log2(float64(i+2))
		}
	}
	for i := range min(10, len(rel)) {
		ideal += 1 / math.Log2(float64(i+2))
	}
	return dcg / ideal
}

// TestRelevance runs the relevance set with the words typed only
// (Literal: before) and with the thesaurus and phrase clauses (after), and
// reports recall@10 and nDCG@10 per query and per query language. It fails
// if a language's mean after is below its mean before, or if the judgments
// no longer match the demo data.
func TestRelevance(t *testing.T) {
	docs, gen := relevanceCorpus()
	if *updateRelevance {
		writeRelevance(t, gen)
	}
	set := readRelevance(t)
	if len(set) != len(relevanceQueries)*len(languages) {
		t.Fatalf("%s has %d queries, want %d", relevanceFile, len(set), len(relevanceQueries)*len(languages))
	}
	for _, j := range set {
		for _, id := range j.relevant {
			var i int
			if _, err := fmt.Sscanf(id, "d%03d", &i); err != nil || i >= len(gen) || !judge(j.concept, gen[i]) {
				t.Fatalf("%s: %s judged relevant to %s, but the demo data no longer makes it so: rerun with -update-relevance", relevanceFile, id, j.concept)
			}
		}
	}
	ix := openWith(t, docs...)
	cols := demodata.Collections()
	var ids []string
	for _, c := range cols {
		ids = append(ids, c.ID)
	}
	run := func(q string, literal bool) []string {
		res, err := ix.Search(Request{Query: q, Collections: ids, Size: 10, Literal: literal})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.ID)
		}
		return out
	}
	type sums struct{ n, rb, ra, nb, na float64 }
	by := map[string]*sums{}
	t.Logf("%-18s %-4s %-26s %4s  %s", "concept", "lang", "query", "rel", "recall@10 before→after, nDCG@10 before→after")
	for _, j := range set {
		before, after := run(j.query, true), run(j.query, false)
		rb, ra := recallAt10(before, j.relevant), recallAt10(after, j.relevant)
		nb, na := ndcgAt10(before, j.relevant), ndcgAt10(after, j.relevant)
		t.Logf("%-18s %-4s %-26s %4d  %.2f→%.2f  %.2f→%.2f", j.concept, j.lang, j.query, len(j.relevant), rb, ra, nb, na)
		s := by[j.lang]
		if s == nil {
			s = &sums{}
			by[j.lang] = s
		}
		s.n++
		s.rb += rb
		s.ra += ra
		s.nb += nb
		s.na += na
	}
	for _, l := range languages {
		s := by[l]
		t.Logf("mean %-4s recall@10 %.3f → %.3f, nDCG@10 %.3f → %.3f (%d queries)", l, s.rb/s.n, s.ra/s.n, s.nb/s.n, s.na/s.n, int(s.n))
		if s.ra < s.rb || s.na < s.nb {
			t.Errorf("%s queries: after is below before (recall@10 %.3f → %.3f, nDCG@10 %.3f → %.3f)", l, s.rb/s.n, s.ra/s.n, s.nb/s.n, s.na/s.n)
		}
	}
}
