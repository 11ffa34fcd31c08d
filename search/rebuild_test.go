package search

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2"
)

// docSource yields docs the way the vault's reindex would.
func docSource(docs []Doc) func() (Doc, bool, error) {
	i := 0
	return func() (Doc, bool, error) {
		if i == len(docs) {
			return Doc{}, false, nil
		}
		i++
		return docs[i-1], true, nil
	}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestRebuildMatchesIncremental(t *testing.T) {
	// The incremental index sees puts, replacements and deletes.
	docs := append(corpus(), synthDocs(300, 7)...)
	inc := openWith(t)
	for i := 0; i < len(docs); i += 17 {
		if err := inc.Put(docs[i:min(i+17, len(docs))]...); err != nil {
			t.Fatal(err)
		}
	}
	gone := []string{"a2", "b1", docs[20].ID, docs[200].ID}
	if err := inc.Delete(gone...); err != nil {
		t.Fatal(err)
	}
	changed := docs[10]
	changed.Title, changed.Collection = "Replaced title about a checkpoint", "col-01"
	if err := inc.Put(changed); err != nil {
		t.Fatal(err)
	}
	var final []Doc
	for _, d := range docs {
		if d.ID == changed.ID {
			d = changed
		}
		if !slices.Contains(gone, d.ID) {
			final = append(final, d)
		}
	}

	// The rebuilt index replaces an existing, different one.
	parent := t.TempDir()
	dir := filepath.Join(parent, "index")
	old, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Put(Doc{ID: "stale", Collection: "A", Language: "en", Title: "checkpoint"}); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Rebuild(dir, docSource(final)); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, parent); !slices.Equal(got, []string{"index"}) {
		t.Errorf("after rebuild, %s holds %v", parent, got)
	}
	reb, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer reb.Close()

	n1, _ := inc.Count()
	n2, _ := reb.Count()
	if n1 != n2 || n2 != uint64(len(final)) {
		t.Errorf("counts: incremental %d, rebuilt %d, want %d", n1, n2, len(final))
	}
	cols := []string{"A", "B", "col-00", "col-01", "col-02", "col-03"}
	facets := []string{"collection", "kind", "language", "governorate", "tags", "year"}
	for _, q := range []string{"", "checkpoint", "detention", "displacement", "sinjar", "شهادة", "نزوح", "ئاوارە", "koçberî",
		`"displacement in sinjar"`, "governorate:kirkuk", "year:>=2015", "+detention -kirkuk", "title:replaced"} {
		req := Request{Query: q, Collections: cols, Facets: facets, Size: MaxSize}
		r1, r2 := find(t, inc, req), find(t, reb, req)
		if r1.Total != r2.Total || !slices.Equal(hitIDs(r1), hitIDs(r2)) {
			t.Errorf("query %q: incremental %d %v, rebuilt %d %v", q, r1.Total, hitIDs(r1), r2.Total, hitIDs(r2))
		}
		for _, f := range facets {
			if !maps.Equal(facet(r1, f), facet(r2, f)) {
				t.Errorf("query %q facet %s: incremental %v, rebuilt %v", q, f, facet(r1, f), facet(r2, f))
			}
		}
		if q == "checkpoint" && slices.Contains(hitIDs(r2), "stale") {
			t.Errorf("the replaced index's document survived")
		}
	}
}

func TestRebuildNewDir(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "new", "parent")
	dir := filepath.Join(parent, "idx")
	if err := Rebuild(dir, docSource(corpus())); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, parent); !slices.Equal(got, []string{"idx"}) {
		t.Errorf("parent holds %v", got)
	}
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if n, _ := ix.Count(); n != uint64(len(corpus())) {
		t.Errorf("count %d", n)
	}
}

// A failing source or an invalid doc aborts the rebuild: the old index
// stays and no temporary directory is left.
func TestRebuildFailureKeepsOld(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "idx")
	if err := Rebuild(dir, docSource(corpus())); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("vault unavailable")
	n := 0
	failing := func() (Doc, bool, error) {
		if n++; n > 3 {
			return Doc{}, false, boom
		}
		return corpus()[0], true, nil
	}
	if err := Rebuild(dir, failing); !errors.Is(err, boom) {
		t.Errorf("failing source: %v", err)
	}
	bad := append(corpus(), Doc{ID: "bad", Collection: "c", Language: "xx"})
	if err := Rebuild(dir, docSource(bad)); !errors.Is(err, ErrInvalidDoc) {
		t.Errorf("invalid doc: %v", err)
	}
	if got := entries(t, parent); !slices.Equal(got, []string{"idx"}) {
		t.Errorf("parent holds %v", got)
	}
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if n, _ := ix.Count(); n != uint64(len(corpus())) {
		t.Errorf("count %d after failed rebuilds", n)
	}
}

// A crashed rebuild's temporary directory is removed by the next one.
func TestRebuildRemovesStaleTemp(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "idx")
	stale := filepath.Join(parent, tempPrefix("idx")+"123")
	if err := os.MkdirAll(filepath.Join(stale, "index"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Rebuild(dir, docSource(corpus())); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, parent); !slices.Equal(got, []string{"idx"}) {
		t.Errorf("parent holds %v", got)
	}
}

func TestRebuildLocked(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "idx")
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := Rebuild(dir, docSource(corpus())); !errors.Is(err, ErrLocked) {
		t.Errorf("rebuild of an open index: %v", err)
	}
}

// An index written with another mapping version is refused until rebuilt.
func TestIncompatibleVersion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.bi.SetInternal(internalVersionKey, []byte("amana-search-0")); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if _, err := Open(dir); !errors.Is(err, ErrIncompatible) {
		t.Fatalf("open old version: %v", err)
	}
	// A plain Bleve index (no version at all) is refused as well.
	plain := filepath.Join(t.TempDir(), "plain")
	bi, err := bleve.New(plain, bleve.NewIndexMapping())
	if err != nil {
		t.Fatal(err)
	}
	bi.Close()
	if _, err := Open(plain); !errors.Is(err, ErrIncompatible) {
		t.Fatalf("open plain bleve index: %v", err)
	}
	if err := Rebuild(dir, docSource(corpus())); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if got := fmt.Sprint(findIDs(t, ix, "checkpoint", "A")); got != "[a1 a2]" {
		t.Errorf("after rebuild: %s", got)
	}
}
