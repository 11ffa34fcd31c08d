package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/time/rate"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/httpapi"
)

// soakCounter is a slog handler that counts error records (the server logs
// every 5xx) and keeps the first few.
type soakCounter struct {
	mu     sync.Mutex
	errors int
	first  []string
}

func (h *soakCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h *soakCounter) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errors++
	if len(h.first) < 5 {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
		h.first = append(h.first, b.String())
	}
	return nil
}
func (h *soakCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *soakCounter) WithGroup(string) slog.Handler      { return h }

// soakStats counts operations and answers across clients.
type soakStats struct {
	mu       sync.Mutex
	ops      map[string]int
	statuses map[int]int
	failures []string
	s5xx     atomic.Int64
}

func (s *soakStats) record(op string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops[op]++
	status := 200
	var ce *client.Error
	switch {
	case err == nil:
	case errors.As(err, &ce):
		status = ce.Status
	default:
		status = -1 // transport or client-side failure
	}
	s.statuses[status]++
	if status >= 500 || status < 0 {
		if status >= 500 {
			s.s5xx.Add(1)
		}
		if len(s.failures) < 10 {
			s.failures = append(s.failures, fmt.Sprintf("%s: %v", op, err))
		}
	}
}

type soakDoc struct {
	id, depositor string
	granted       bool // a.karim holds a slot
}

// soakDocs is the shared list of deposited documents.
type soakDocs struct {
	mu   sync.Mutex
	docs []soakDoc
}

func (d *soakDocs) add(doc soakDoc) {
	d.mu.Lock()
	d.docs = append(d.docs, doc)
	d.mu.Unlock()
}

// pick returns a random document for which ok is true.
func (d *soakDocs) pick(r *mrand.Rand, ok func(soakDoc) bool) (soakDoc, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for range 8 {
		if len(d.docs) == 0 {
			break
		}
		doc := d.docs[r.IntN(len(d.docs))]
		if ok(doc) {
			return doc, true
		}
	}
	return soakDoc{}, false
}

type soakMem struct {
	goroutines int
	heapInuse  uint64
}

func soakMeasure() soakMem {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return soakMem{goroutines: runtime.NumGoroutine(), heapInuse: m.HeapInuse}
}

func soakEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestSoak runs N clients (AMANA_SOAK_CLIENTS, default 8) for M seconds
// (AMANA_SOAK_SECONDS, default 10; 3 with -short) of mixed traffic on
// loopback against a real server: searches, document reads, key slots,
// content downloads, private metadata, deposits, custody and audit reads.
// No answer may be 5xx; once the clients stop and their idle connections
// are closed, goroutines must come back to within a few of the start and
// the heap in use must not have grown by more than 50% + 10 MB.
func TestSoak(t *testing.T) {
	seconds := soakEnvInt("AMANA_SOAK_SECONDS", 10)
	if testing.Short() && os.Getenv("AMANA_SOAK_SECONDS") == "" {
		seconds = 3
	}
	nclients := soakEnvInt("AMANA_SOAK_CLIENTS", 8)
	logs := &soakCounter{}
	e := newEnv(t, func(c *httpapi.Config) {
		c.Rate, c.Burst = rate.Inf, 1<<30 // every client shares 127.0.0.1
		c.Logger = slog.New(logs)
	})
	tr := &http.Transport{MaxIdleConnsPerHost: nclients * 2, IdleConnTimeout: time.Minute}
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	bg := context.Background()

	// Seed documents, so that readers have something from the start.
	docs := &soakDocs{}
	for _, id := range []string{"r.hassan", "r.ahmed"} {
		c := e.login(id)
		c.HTTP = hc
		for i := range 3 {
			req := sampleDeposit(soakContent(4 << 10))
			req.Consent.RecordedBy = id
			req.To = []string{"a.karim"}
			req.Public.Title = fmt.Sprintf("Soak seed %d of %s on checkpoint detentions", i, id)
			d, err := c.Deposit(bg, req)
			if err != nil {
				t.Fatal(err)
			}
			docs.add(soakDoc{d.Document.ID, id, true})
		}
	}

	roles := []string{"r.hassan", "a.karim", "l.custodian", "auditor", "r.ahmed", "r.outsider"}
	clients := make([]*client.Client, nclients)
	for i := range clients {
		clients[i] = e.login(roles[i%len(roles)])
		clients[i].HTTP = hc
	}
	tr.CloseIdleConnections()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	start := soakMeasure()
	t.Logf("start: %d goroutines, heap in use %.1f MB", start.goroutines, float64(start.heapInuse)/(1<<20))

	stats := &soakStats{ops: map[string]int{}, statuses: map[int]int{}}
	ctx, cancel := context.WithTimeout(bg, time.Duration(seconds)*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	began := time.Now()
	for i, c := range clients {
		user := roles[i%len(roles)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &soakWorker{e: e, c: c, user: user, docs: docs, stats: stats, r: mrand.New(mrand.NewPCG(uint64(i), 42))}
			for ctx.Err() == nil {
				w.step(ctx)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)

	tr.CloseIdleConnections()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	var end soakMem
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		end = soakMeasure()
		if end.goroutines <= start.goroutines+5 || time.Now().After(deadline) {
			break
		}
	}

	total := 0
	for _, n := range stats.ops {
		total += n
	}
	t.Logf("%d clients, %s: %d requests (%.0f/s), %d documents; ops %v; statuses %v",
		nclients, elapsed.Round(time.Millisecond), total, float64(total)/elapsed.Seconds(), len(docs.docs), stats.ops, stats.statuses)
	t.Logf("end:   %d goroutines, heap in use %.1f MB", end.goroutines, float64(end.heapInuse)/(1<<20))
	if n := stats.s5xx.Load(); n > 0 || logs.errors > 0 {
		t.Errorf("%d answers were 5xx; %d errors logged: %q", n, logs.errors, logs.first)
	}
	if len(stats.failures) > 0 {
		t.Errorf("failures: %q", stats.failures)
	}
	if total < nclients {
		t.Errorf("only %d requests in %s", total, elapsed)
	}
	if end.goroutines > start.goroutines+5 {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("goroutines grew from %d to %d after the clients stopped:\n%s", start.goroutines, end.goroutines, buf)
	}
	if limit := start.heapInuse + start.heapInuse/2 + 10<<20; end.heapInuse > limit {
		t.Errorf("heap in use grew from %.1f MB to %.1f MB (limit %.1f MB)",
			float64(start.heapInuse)/(1<<20), float64(end.heapInuse)/(1<<20), float64(limit)/(1<<20))
	}
}

func soakContent(max int) []byte {
	b := make([]byte, 1+mrand.IntN(max))
	rand.Read(b)
	return b
}

// soakWorker is one client's traffic, according to its user's role.
type soakWorker struct {
	e     *env
	c     *client.Client
	user  string
	docs  *soakDocs
	stats *soakStats
	r     *mrand.Rand
	after int64 // audit paging
}

var soakQueries = []string{"detention", "checkpoint detentions", `"checkpoint detentions"`, "soak", "title:seed",
	"detent*", "governorate:kirkuk", "year:2017", "احتجاز", "chekpoint~1", ""}

func (w *soakWorker) search(ctx context.Context) {
	p := client.SearchParams{Query: soakQueries[w.r.IntN(len(soakQueries))], Size: 1 + w.r.IntN(30)}
	if w.r.IntN(2) == 0 {
		p.Facets = []string{"kind", "governorate", "year", "collection"}
	}
	if w.r.IntN(4) == 0 {
		p.Highlight = true
	}
	_, err := w.c.Search(ctx, p)
	w.record(ctx, "search", err)
}

// record ignores errors caused by the end of the run.
func (w *soakWorker) record(ctx context.Context, op string, err error) {
	if err != nil && (ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		return
	}
	w.stats.record(op, err)
}

// read reads a document the worker's user holds a slot for.
func (w *soakWorker) read(ctx context.Context) {
	doc, ok := w.docs.pick(w.r, func(d soakDoc) bool {
		switch w.user {
		case "l.custodian":
			return true
		case "a.karim":
			return d.granted
		}
		return d.depositor == w.user
	})
	if !ok {
		w.search(ctx)
		return
	}
	switch n := w.r.IntN(10); {
	case n < 3:
		_, err := w.c.Document(ctx, doc.id)
		w.record(ctx, "document", err)
	case n < 5:
		_, err := w.c.KeySlot(ctx, doc.id)
		w.record(ctx, "keyslot", err)
	case n < 8:
		rc, err := w.c.Content(ctx, doc.id)
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		w.record(ctx, "content", err)
	case n < 9:
		_, err := w.c.Custody(ctx, doc.id)
		w.record(ctx, "custody", err)
	default:
		u := w.e.users[w.user]
		var buf bytes.Buffer
		_, err := w.c.Get(ctx, doc.id, []age.Identity{u.identity}, &buf)
		w.record(ctx, "get", err)
	}
}

func (w *soakWorker) step(ctx context.Context) {
	n := w.r.IntN(100)
	switch w.user {
	case "r.hassan", "r.ahmed":
		switch {
		case n < 45:
			w.search(ctx)
		case n < 92:
			w.read(ctx)
		default:
			req := sampleDeposit(soakContent(64 << 10))
			req.Consent.RecordedBy = w.user
			req.Public.Title = "Soak deposit on checkpoint detentions"
			d, err := w.c.Deposit(ctx, req)
			w.record(ctx, "deposit", err)
			if err == nil {
				w.docs.add(soakDoc{d.Document.ID, w.user, false})
			}
		}
	case "a.karim":
		if n < 50 {
			w.search(ctx)
		} else {
			w.read(ctx)
		}
	case "l.custodian":
		switch {
		case n < 40:
			w.search(ctx)
		case n < 80:
			w.read(ctx)
		default:
			w.audit(ctx)
		}
	case "auditor":
		w.audit(ctx)
	default: // an outsider: searches and guesses
		if n < 70 {
			w.search(ctx)
		} else {
			_, err := w.c.Document(ctx, "aaaaaaaaaaaaaaaaaaaaaaaaaa")
			if client.IsStatus(err, http.StatusNotFound) {
				err = nil
			}
			w.record(ctx, "guess", err)
		}
	}
}

func (w *soakWorker) audit(ctx context.Context) {
	switch w.r.IntN(4) {
	case 0:
		evs, next, err := w.c.AuditEvents(ctx, w.after, 200)
		if err == nil && len(evs) > 0 {
			w.after = next
		}
		w.record(ctx, "audit.events", err)
	case 1:
		_, err := w.c.Checkpoint(ctx)
		w.record(ctx, "audit.checkpoint", err)
	case 2:
		_, err := w.c.InclusionProof(ctx, int64(w.r.IntN(20)), 20)
		w.record(ctx, "audit.inclusion", err)
	default:
		_, err := w.c.ConsistencyProof(ctx, int64(1+w.r.IntN(19)), 20)
		w.record(ctx, "audit.consistency", err)
	}
}
