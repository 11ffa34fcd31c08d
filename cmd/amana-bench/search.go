package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	mrand "math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/demodata"
	"github.com/amana-vault/amana/redact"
	"github.com/amana-vault/amana/search"
)

// corpus is the synthetic data set after client-side redaction: what
// reaches the index and the vault.
type corpus struct {
	Raw      []demodata.Document
	Docs     []search.Doc // redacted public metadata, IDs like the vault's
	Visible  int          // documents in collections the searchers belong to
	Generate time.Duration
	Redact   time.Duration
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return strings.ToLower(b32.EncodeToString(b))
}

// buildCorpus generates n demodata documents and redacts their public
// fields as the depositing client would (one Redactor per document, with
// the persons listed in the deposit). Every fifth document goes to the
// restricted collection.
func buildCorpus(n int) *corpus {
	c := &corpus{}
	start := time.Now()
	c.Raw = demodata.Generate(n, 1)
	c.Generate = time.Since(start)
	start = time.Now()
	c.Docs = make([]search.Doc, n)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				d := &c.Raw[i]
				r := redact.New(d.Persons)
				red := func(s string) string { out, _ := r.Redact(s); return out }
				col := d.Collection
				if i%5 == 4 {
					col = colRestricted
				}
				doc := search.Doc{
					ID: randomID(), Collection: col, Kind: d.Kind,
					Title: red(d.Title), Summary: red(d.Summary), Language: d.Language,
					Governorate: d.Governorate, IncidentDate: d.IncidentDate,
					DepositedAt: base.Add(time.Duration(i) * time.Minute),
				}
				if d.Transcript != "" {
					doc.Transcript = red(d.Transcript)
				}
				for _, t := range d.Tags {
					doc.Tags = append(doc.Tags, red(t))
				}
				c.Docs[i] = doc
			}
		})
	}
	wg.Wait()
	c.Redact = time.Since(start)
	for i := range c.Docs {
		if c.Docs[i].Collection != colRestricted {
			c.Visible++
		}
	}
	return c
}

type indexResult struct {
	Docs  int
	Took  time.Duration
	Size  int64
	Batch int
	Load  string
	CPU   time.Duration
}

// loadIndex puts the corpus into the index in dir, in batches, before the
// server starts (one process per index).
func loadIndex(cfg *config, dir string, c *corpus) (*indexResult, error) {
	ix, err := search.Open(dir)
	if err != nil {
		return nil, err
	}
	res := &indexResult{Docs: len(c.Docs), Batch: cfg.indexBatch}
	cpu0 := selfCPU()
	start := time.Now()
	err = cfg.profile("index-load", func() error {
		for i := 0; i < len(c.Docs); i += cfg.indexBatch {
			if err := ix.Put(c.Docs[i:min(i+cfg.indexBatch, len(c.Docs))]...); err != nil {
				return err
			}
			if (i/cfg.indexBatch)%20 == 19 {
				logf("indexed %s of %s documents (%.0f docs/s)", count(i+cfg.indexBatch), count(len(c.Docs)), float64(i+cfg.indexBatch)/time.Since(start).Seconds())
			}
		}
		return nil
	})
	if err != nil {
		ix.Close()
		return nil, err
	}
	if err := ix.Close(); err != nil {
		return nil, err
	}
	res.Took = time.Since(start)
	res.CPU = selfCPU() - cpu0
	res.Load = load1()
	res.Size = dirSize(dir)
	return res, nil
}

// query is one search of the mix, labelled by what kind of search it is.
type query struct {
	Class, Q string
}

var queryClasses = []struct {
	name   string
	weight int
}{
	{"English word", 25}, {"Arabic word", 20}, {"Sorani word", 15}, {"two words", 10},
	{"phrase", 15}, {"field", 10}, {"empty (browse)", 5},
}

// words returns the words of s that are made of letters only (no
// pseudonyms, digits or query syntax), at least minLen runes long.
func words(s string, minLen int) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && r != '\u200c' }) {
		if utf8.RuneCountInString(w) >= minLen && !unicode.IsUpper([]rune(w)[0]) {
			out = append(out, w)
		}
	}
	return out
}

// queryMix draws n searches from the corpus itself: single words in English,
// Arabic and Sorani, two words, quoted phrases of consecutive words, field
// searches (governorate, tag, kind) and the empty query that lists
// everything the caller may see, in fixed shares.
func queryMix(c *corpus, n int) []query {
	r := mrand.New(mrand.NewPCG(7, 11))
	byLang := map[string][]int{}
	for i, d := range c.Docs {
		byLang[d.Language] = append(byLang[d.Language], i)
	}
	pickDoc := func(lang string) *search.Doc {
		if lang == "" {
			return &c.Docs[r.IntN(len(c.Docs))]
		}
		ix := byLang[lang]
		return &c.Docs[ix[r.IntN(len(ix))]]
	}
	word := func(lang string) string {
		for {
			d := pickDoc(lang)
			ws := words(d.Title+" "+d.Summary, 4)
			if len(ws) > 0 {
				return ws[r.IntN(len(ws))]
			}
		}
	}
	var out []query
	total := 0
	for _, qc := range queryClasses {
		total += qc.weight
	}
	for len(out) < n {
		k := r.IntN(total)
		var class string
		for _, qc := range queryClasses {
			if k < qc.weight {
				class = qc.name
				break
			}
			k -= qc.weight
		}
		var q string
		switch class {
		case "English word":
			q = word("en")
		case "Arabic word":
			q = word("ar")
		case "Sorani word":
			q = word("ckb")
		case "two words":
			lang := []string{"en", "ar", "ckb"}[r.IntN(3)]
			q = word(lang) + " " + word(lang)
		case "phrase":
			for q == "" {
				d := pickDoc([]string{"en", "ar", "ckb"}[r.IntN(3)])
				ws := words(d.Summary, 2)
				if len(ws) >= 4 {
					i := r.IntN(len(ws) - 3)
					q = `"` + strings.Join(ws[i:i+2+r.IntN(2)], " ") + `"`
				}
			}
		case "field":
			d := pickDoc("")
			switch r.IntN(3) {
			case 0:
				q = "governorate:" + strings.ToLower(strings.ReplaceAll(d.Governorate, " ", "-"))
				if strings.Contains(d.Governorate, " ") {
					q = "governorate:kirkuk"
				}
			case 1:
				if len(d.Tags) > 0 {
					q = "tags:" + d.Tags[r.IntN(len(d.Tags))]
				} else {
					q = "tags:detention"
				}
			default:
				q = "kind:" + d.Kind + " " + word(d.Language)
			}
		}
		out = append(out, query{Class: class, Q: q})
	}
	return out
}

var benchFacets = []string{"kind", "governorate", "language", "year"}

type searchResult struct {
	All       latencies
	ByClass   map[string]latencies
	ServerP50 time.Duration // the index's time, from the answer's Server-Timing header
	ServerP99 time.Duration
	Queries   int
	Examples  map[string]string
	Filter    string // outcome of the access-filter check
	FirstErr  error
	Zero      int               // searches with no hit
	Hits      map[string]uint64 // median total hits per class
}

// checkFilter verifies that the access filter works: the empty query sees
// exactly the documents of the searcher's collections, and never the
// restricted one.
func checkFilter(ctx context.Context, c *client.Client, want int) string {
	res, err := c.Search(ctx, client.SearchParams{Facets: []string{"collection"}, Size: 100})
	if err != nil {
		return fmt.Sprintf("FAILED: %v", err)
	}
	for _, fc := range res.Facets["collection"] {
		if fc.Term == colRestricted {
			return fmt.Sprintf("FAILED: %d restricted documents counted", fc.Count)
		}
	}
	for _, h := range res.Hits {
		if h.Collection == colRestricted {
			return "FAILED: a restricted document was returned"
		}
	}
	if res.Total != uint64(want) {
		return fmt.Sprintf("FAILED: the empty query sees %d documents, want %d", res.Total, want)
	}
	return fmt.Sprintf("ok: the empty query sees %s of the %s indexed documents", count(want), count(want*5/4))
}

// benchSearchSequential runs the mix one search at a time, for latency.
func benchSearchSequential(ctx context.Context, cfg *config, srv *server, c *client.Client, qs []query, n int, name string) (*searchResult, error) {
	res := &searchResult{ByClass: map[string]latencies{}, Examples: map[string]string{}, Hits: map[string]uint64{}}
	// Warm up: connections, Bleve's first segment loads, the page cache.
	for i := range min(100, len(qs)) {
		c.Search(ctx, client.SearchParams{Query: qs[i].Q, Facets: benchFacets})
	}
	var all, server []time.Duration
	by := map[string][]time.Duration{}
	errs := map[string]int{}
	total := 0
	m := meterCPU(srv)
	hits := map[string][]time.Duration{}
	err := cfg.profile(name, func() error {
		for i := range n {
			q := qs[i%len(qs)]
			start := time.Now()
			r, err := c.Search(ctx, client.SearchParams{Query: q.Q, Facets: benchFacets})
			d := time.Since(start)
			if err != nil {
				errs[q.Class]++
				total++
				if res.FirstErr == nil {
					res.FirstErr = fmt.Errorf("search %q: %w", q.Q, err)
				}
				continue
			}
			if r.Total == 0 {
				res.Zero++
			}
			all = append(all, d)
			hits[q.Class] = append(hits[q.Class], time.Duration(r.Total))
			server = append(server, time.Duration(r.TookMS*float64(time.Millisecond)))
			by[q.Class] = append(by[q.Class], d)
			if _, ok := res.Examples[q.Class]; !ok {
				res.Examples[q.Class] = q.Q
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	cl, sv := m.Stop()
	res.Queries = n
	res.All = summarize(all, total)
	res.All.CPUClient, res.All.CPUServer = cl/time.Duration(n), sv/time.Duration(n)
	for class, hs := range hits {
		res.Hits[class] = uint64(percentile(hs, 50))
	}
	res.ServerP50, res.ServerP99 = percentile(server, 50), percentile(server, 99)
	for class, ds := range by {
		res.ByClass[class] = summarize(ds, errs[class])
	}
	return res, nil
}

type loadResult struct {
	Clients    int
	Elapsed    time.Duration
	OK         int
	Limited    int // 429 answers
	Errors     int
	PerSecond  float64
	Lat        latencies
	SharedAddr bool
	Name       string
	FirstErr   error
}

// benchSearchLoad runs clients concurrent searchers, each logged in as its
// own user, for d, and counts successful (hence audited) searches.
func benchSearchLoad(ctx context.Context, cfg *config, srv *server, clients []*client.Client, qs []query, d time.Duration, name string) (*loadResult, error) {
	res := &loadResult{Clients: len(clients), Name: name}
	var allLat []time.Duration
	run := func(d time.Duration, record bool) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		deadline := time.Now().Add(d)
		start := time.Now()
		for k, c := range clients {
			wg.Go(func() {
				var ds []time.Duration
				ok, limited, errs := 0, 0, 0
				var first error
				for i := k * 37; time.Now().Before(deadline); i++ {
					q := qs[i%len(qs)]
					t := time.Now()
					_, err := c.Search(ctx, client.SearchParams{Query: q.Q, Facets: benchFacets})
					switch {
					case err == nil:
						ok++
						ds = append(ds, time.Since(t))
					case client.IsStatus(err, 429):
						limited++
					default:
						errs++
						if first == nil {
							first = err
						}
					}
				}
				if !record {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				res.OK += ok
				res.Limited += limited
				res.Errors += errs
				allLat = append(allLat, ds...)
				if res.FirstErr == nil {
					res.FirstErr = first
				}
			})
		}
		wg.Wait()
		if record {
			res.Elapsed = time.Since(start)
		}
	}
	run(time.Second, false) // warm-up
	m := meterCPU(srv)
	err := cfg.profile(name, func() error {
		run(d, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	cl, sv := m.Stop()
	res.PerSecond = float64(res.OK) / res.Elapsed.Seconds()
	res.Lat = summarize(allLat, res.Errors)
	if n := res.OK + res.Limited + res.Errors; n > 0 {
		res.Lat.CPUClient, res.Lat.CPUServer = cl/time.Duration(n), sv/time.Duration(n)
	}
	return res, nil
}

func sortedClasses(m map[string]latencies) []string {
	var out []string
	for _, qc := range queryClasses {
		if _, ok := m[qc.name]; ok {
			out = append(out, qc.name)
		}
	}
	return slices.Clip(out)
}
