package search

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Doc is the public, already-redacted metadata of one vault document: the
// only data this package indexes.
//
// Text and keywords are indexed as given, except that invalid UTF-8 becomes
// U+FFFD and the few capitals Bleve's lowercase filter corrupts become plain
// ones (İ → I, Kelvin sign → K); titles come back in hits the same way.
// Keyword values (collection, kind, governorate, tags) are exact: facets
// and Request.Filters use them as given.
type Doc struct {
	ID, Collection, Kind string // kind: testimony, interview, case_study, report, media
	// Title, Summary and Transcript are indexed in the fields of Language
	// with its analyzer. Transcript is transcript_redacted, optional.
	Title, Summary, Transcript string
	Language                   string // "ar", "ckb", "kmr" or "en"
	Governorate                string // e.g. "Kirkuk"
	IncidentDate               string // "", "2017" or "2017-06"
	Tags                       []string
	DepositedAt                time.Time
}

// Limits on what Put accepts.
const (
	maxIDLen      = 256
	maxKeywordLen = 256
	maxTags       = 64
	// maxTextLen bounds Title+Summary+Transcript; transcripts are expected
	// to stay around 1 MB.
	maxTextLen = 8 << 20
)

// Index is a Bleve index over Doc values. Its methods are safe for
// concurrent use; only one process may open a given directory.
type Index struct {
	mu     sync.RWMutex // write-locked only by Close
	bi     bleve.Index
	closed bool
	purger *purger
	cols   *columnCache // see SearchContext
}

// openTimeout bounds the wait for the index lock held by another process.
const openTimeout = "2s"

// Open opens the index in dir, creating it if dir holds none. If a file of
// the index still holds a deleted document (a purge that a crash, Close or
// an error cut short, or an index written before deletions were purged),
// Open purges it before it returns: see Delete.
func Open(dir string) (*Index, error) {
	bi, err := openBleve(dir)
	if err != nil {
		return nil, err
	}
	store := filepath.Join(dir, "store")
	if stale, err := needsPurge(bi, store); err != nil || stale {
		if err == nil {
			err = purge(bi, store)
		}
		if err != nil {
			bi.Close()
			return nil, err
		}
	}
	return &Index{bi: bi, purger: startPurger(bi, store), cols: newColumnCache()}, nil
}

func openBleve(dir string) (bleve.Index, error) {
	cfg := map[string]any{"bolt_timeout": openTimeout}
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err == nil {
		bi, err := bleve.OpenUsing(dir, cfg)
		if err != nil {
			return nil, openError(dir, err)
		}
		v, err := bi.GetInternal(internalVersionKey)
		if err != nil || string(v) != mappingVersion {
			bi.Close()
			return nil, fmt.Errorf("%w: %s has version %q, want %q", ErrIncompatible, dir, v, mappingVersion)
		}
		return bi, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("search: open %s: %w", dir, err)
	}
	m, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("search: mapping: %w", err)
	}
	bi, err := bleve.NewUsing(dir, m, scorch.Name, scorch.Name, cfg)
	if err != nil {
		return nil, openError(dir, err)
	}
	if err := bi.SetInternal(internalVersionKey, []byte(mappingVersion)); err != nil {
		bi.Close()
		return nil, fmt.Errorf("search: create %s: %w", dir, err)
	}
	return bi, nil
}

func openError(dir string, err error) error {
	if errors.Is(err, bolterrors.ErrTimeout) {
		return fmt.Errorf("%w: %s", ErrLocked, dir)
	}
	return fmt.Errorf("search: open %s: %w", dir, err)
}

// Close closes the index, after the purge of deleted documents that a
// Delete asked for (see Delete). Calls after Close return ErrClosed.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return ErrClosed
	}
	ix.closed = true
	ix.purger.stop()
	return ix.bi.Close()
}

// Put indexes docs, replacing any document with the same ID, in one Bleve
// batch that returns once the batch is persisted. If one doc is invalid,
// nothing is indexed.
func (ix *Index) Put(docs ...Doc) error {
	if len(docs) == 0 {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return ErrClosed
	}
	return putBatch(ix.bi, docs)
}

func putBatch(bi bleve.Index, docs []Doc) error {
	b := bi.NewBatch()
	for i := range docs {
		f, err := fields(&docs[i])
		if err != nil {
			return err
		}
		if err := b.Index(docs[i].ID, f); err != nil {
			return fmt.Errorf("search: index %q: %w", docs[i].ID, err)
		}
	}
	if err := bi.Batch(b); err != nil {
		return fmt.Errorf("search: batch: %w", err)
	}
	return nil
}

// Delete removes the documents with the given IDs; unknown IDs are ignored.
// It returns once the deletion is persisted: searches no longer find them.
// Their terms and stored fields are then purged from the index's files in
// the background (see purge): a rewrite of every segment, about a second
// for 10,000 documents; Close waits for it.
func (ix *Index) Delete(ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return ErrClosed
	}
	b := ix.bi.NewBatch()
	for _, id := range ids {
		b.Delete(id)
	}
	if err := ix.bi.Batch(b); err != nil {
		return fmt.Errorf("search: delete: %w", err)
	}
	ix.purger.request()
	return nil
}

// Count returns the number of indexed documents.
func (ix *Index) Count() (uint64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return 0, ErrClosed
	}
	n, err := ix.bi.DocCount()
	if err != nil {
		return 0, err
	}
	if d, err := ix.bi.Document(purgeID); err == nil && d != nil && n > 0 {
		n-- // the empty document a purge leaves
	}
	return n, nil
}

// fields turns a Doc into the map Bleve indexes with the mapping of
// newMapping. Only the fields named there exist in the index.
func fields(d *Doc) (map[string]any, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %q: %s", ErrInvalidDoc, d.ID, fmt.Sprintf(format, args...))
	}
	if d.ID == "" || len(d.ID) > maxIDLen || !utf8.ValidString(d.ID) {
		return nil, invalid("bad ID")
	}
	if !slices.Contains(languages, d.Language) {
		return nil, invalid("unknown language %q", d.Language)
	}
	if len(d.Title)+len(d.Summary)+len(d.Transcript) > maxTextLen {
		return nil, invalid("text longer than %d bytes", maxTextLen)
	}
	if len(d.Tags) > maxTags {
		return nil, invalid("more than %d tags", maxTags)
	}
	f := map[string]any{}
	keyword := func(name, v string) error {
		v = strings.TrimSpace(clean(v))
		if len(v) > maxKeywordLen {
			return invalid("%s longer than %d bytes", name, maxKeywordLen)
		}
		if v != "" {
			f[name] = v
			f[name+foldSuffix] = v
		}
		return nil
	}
	if err := keyword("collection", d.Collection); err != nil {
		return nil, err
	}
	if f["collection"] == nil {
		return nil, invalid("no collection")
	}
	for name, v := range map[string]string{"kind": d.Kind, "language": d.Language, "governorate": d.Governorate} {
		if err := keyword(name, v); err != nil {
			return nil, err
		}
	}
	var tags []string
	for _, t := range d.Tags {
		t = strings.TrimSpace(clean(t))
		if len(t) > maxKeywordLen {
			return nil, invalid("tag longer than %d bytes", maxKeywordLen)
		}
		if t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) > 0 {
		f["tags"] = tags
		f["tags"+foldSuffix] = tags
	}
	for _, p := range []struct{ part, text string }{{"title", d.Title}, {"summary", d.Summary}, {"transcript", d.Transcript}} {
		if t := clean(p.text); strings.TrimSpace(t) != "" {
			f[textField(p.part, d.Language)] = t
		}
	}
	if d.IncidentDate != "" {
		from, to, err := parseMonthRange(d.IncidentDate, d.IncidentDate)
		if err != nil {
			return nil, invalid("incident date %q: want YYYY or YYYY-MM", d.IncidentDate)
		}
		f[fieldIncidentDate] = d.IncidentDate
		f[fieldYear] = d.IncidentDate[:4]
		f[fieldIncidentFrom] = float64(from)
		f[fieldIncidentTo] = float64(to)
	}
	if !d.DepositedAt.IsZero() {
		f[fieldDeposited] = d.DepositedAt.UTC()
	}
	return f, nil
}

// parseMonthRange turns an inclusive range of "YYYY" or "YYYY-MM" values into
// yyyymm numbers: a year alone covers its first month as a start ("2017" →
// 201701) and its last month as an end ("2017" → 201712).
func parseMonthRange(from, to string) (int, int, error) {
	f, err := parseYearMonth(from, 1)
	if err != nil {
		return 0, 0, err
	}
	t, err := parseYearMonth(to, 12)
	if err != nil {
		return 0, 0, err
	}
	return f, t, nil
}

// parseYearMonth parses "YYYY" (month defaults to defMonth) or "YYYY-MM"
// into yyyymm.
func parseYearMonth(s string, defMonth int) (int, error) {
	bad := fmt.Errorf("bad date %q", s)
	if len(s) != 4 && len(s) != 7 {
		return 0, bad
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y < 1000 || s[0] == '+' || s[0] == '-' {
		return 0, bad
	}
	m := defMonth
	if len(s) == 7 {
		if s[4] != '-' {
			return 0, bad
		}
		m, err = strconv.Atoi(s[5:])
		if err != nil || m < 1 || m > 12 || s[5] == '+' || s[5] == '-' {
			return 0, bad
		}
	}
	return y*100 + m, nil
}
