package search

import (
	"errors"
	"slices"
	"testing"
)

// openWith opens a fresh index in a temporary directory holding docs.
func openWith(t testing.TB, docs ...Doc) *Index {
	t.Helper()
	ix, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ix.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Error(err)
		}
	})
	if err := ix.Put(docs...); err != nil {
		t.Fatal(err)
	}
	return ix
}

// find runs req literally (without the thesaurus and phrase clauses, whose
// tests call Search themselves) and fails the test on error.
func find(t testing.TB, ix *Index, req Request) *Result {
	t.Helper()
	req.Literal = true
	res, err := ix.Search(req)
	if err != nil {
		t.Fatalf("Search(%+v): %v", req, err)
	}
	return res
}

// hitIDs returns the IDs of the hits, sorted.
func hitIDs(res *Result) []string {
	ids := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	return ids
}

// findIDs runs q over collections and returns the sorted hit IDs.
func findIDs(t testing.TB, ix *Index, q string, collections ...string) []string {
	t.Helper()
	return hitIDs(find(t, ix, Request{Query: q, Collections: collections, Size: MaxSize}))
}

func facet(res *Result, name string) map[string]int {
	m := map[string]int{}
	for _, fc := range res.Facets[name] {
		m[fc.Term] = fc.Count
	}
	return m
}
