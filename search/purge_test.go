package search

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// filesHolding returns the files under dir whose bytes contain word, in
// any case.
func filesHolding(t *testing.T, dir, word string) []string {
	t.Helper()
	var files []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a merge removed it between listing and lstat
		}
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil // removed while walking
		}
		if bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(word))) {
			files = append(files, filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Scorch reads its event callbacks from a registry that must not change
// once indexes are open.
func init() {
	scorch.RegistryEventCallbacks["amana-test-nomerge"] = func(e scorch.Event) bool {
		return e.Kind != scorch.EventKindPreMergeCheck
	}
}

func purgeDoc(id, word string) Doc {
	return Doc{ID: id, Collection: "kirkuk-2018", Kind: "testimony", Language: "en",
		Title: "Testimony from " + word, Summary: "The " + word + " brick kilns closed.", Transcript: strings.Repeat(word+" kiln ", 3)}
}

// waitPurged waits until every purge asked for so far has finished, and
// returns how long that took. The limit is generous: this is behaviour,
// not performance.
func waitPurged(t *testing.T, ix *Index) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		requested, finished, err := ix.purger.state()
		if finished >= requested {
			return time.Since(start)
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("purge not finished after %s: %v", time.Since(start), err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDeletePurgesFiles: once the purge a Delete asks for has finished, no
// file of the index holds the deleted document's words, in its term
// dictionary or stored fields; the other documents, and Count, are as
// before.
func TestDeletePurgesFiles(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	words := []string{"qorvexandrine", "zelmorathic", "vintrabulous", "plexomarine"}
	for i, w := range words {
		if err := ix.Put(purgeDoc("doc-"+w, w)); err != nil { // one segment each
			t.Fatal(err)
		}
		if i == 1 {
			if err := ix.Put(purgeDoc("doc-other", "kept")); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, w := range words {
		if filesHolding(t, dir, w) == nil {
			t.Fatalf("%q not found on disk before the delete: the scan proves nothing", w)
		}
	}
	// Twice: the second purge finds the first one's empty document.
	for i, w := range words[:2] {
		if err := ix.Delete("doc-" + w); err != nil {
			t.Fatal(err)
		}
		if got := findIDs(t, ix, w, "kirkuk-2018"); len(got) != 0 {
			t.Errorf("search %q after Delete: %v", w, got)
		}
		took := waitPurged(t, ix)
		if files := filesHolding(t, dir, w); files != nil {
			t.Errorf("%q still in %v when the purge finished", w, files)
		}
		t.Logf("purged %s after Delete returned", took)
		if n, err := ix.Count(); err != nil || n != uint64(len(words)-i) {
			t.Errorf("Count after %d deletes: %d, %v", i+1, n, err)
		}
	}
	for _, w := range words[2:] {
		if filesHolding(t, dir, w) == nil {
			t.Errorf("%q, not deleted, is gone from disk", w)
		}
		if got := findIDs(t, ix, w, "kirkuk-2018"); len(got) != 1 || got[0] != "doc-"+w {
			t.Errorf("search %q: %v", w, got)
		}
	}
	// The empty document is never a hit.
	if got := findIDs(t, ix, "", "kirkuk-2018"); len(got) != 3 {
		t.Errorf("all documents: %v", got)
	}
}

// TestCloseFinishesPurge: Close waits for the purge a Delete asked for, so
// that a server that stops right after a shred leaves no trace of it.
func TestCloseFinishesPurge(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// One segment: scorch never merges a lone segment by itself.
	if err := ix.Put(purgeDoc("doc-qorvexandrine", "qorvexandrine"), purgeDoc("doc-zelmorathic", "zelmorathic")); err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete("doc-qorvexandrine"); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if files := filesHolding(t, dir, "qorvexandrine"); files != nil {
		t.Errorf("deleted document still in %v after Close", files)
	}
	if err := ix.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

// TestOpenPurges: an index whose files still hold a deleted document (a
// purge cut short, or an index written without purging) is purged when it
// is opened.
func TestOpenPurges(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// One segment: scorch never merges a lone segment by itself.
	if err := ix.Put(purgeDoc("doc-qorvexandrine", "qorvexandrine"), purgeDoc("doc-zelmorathic", "zelmorathic")); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	// Delete without purging, with scorch's merges held off so that the
	// deleted document stays in its segment.
	bi, err := bleve.OpenUsing(dir, map[string]any{"eventCallbackName": "amana-test-nomerge"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bi.Delete("doc-qorvexandrine"); err != nil {
		t.Fatal(err)
	}
	if err := bi.Close(); err != nil {
		t.Fatal(err)
	}
	if filesHolding(t, dir, "qorvexandrine") == nil {
		t.Fatal("the deleted document is not on disk before Open: the test proves nothing")
	}
	start := time.Now()
	ix, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	t.Logf("Open purged in %s", time.Since(start))
	if files := filesHolding(t, dir, "qorvexandrine"); files != nil {
		t.Errorf("deleted document still in %v after Open", files)
	}
	if filesHolding(t, dir, "zelmorathic") == nil {
		t.Error("the other document is gone from disk")
	}
	if n, err := ix.Count(); err != nil || n != 1 {
		t.Errorf("Count: %d, %v", n, err)
	}
}

// TestConcurrentDeletePurge: puts, deletes and searches while purges run;
// at the end no file holds a deleted document and every kept one is there.
func TestConcurrentDeletePurge(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	word := func(w, i int) string { return fmt.Sprintf("kilnword%c%c", 'a'+w, 'a'+i) }
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 4 {
		wg.Go(func() {
			for i := range 12 {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := ix.Put(purgeDoc(id, word(w, i))); err != nil {
					errs <- err
				}
				if i%2 == 0 {
					if err := ix.Delete(id); err != nil {
						errs <- err
					}
				}
				if _, err := ix.Search(Request{Query: "kiln", Collections: []string{"kirkuk-2018"}}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	waitPurged(t, ix)
	for w := range 4 {
		for i := range 12 {
			files := filesHolding(t, dir, word(w, i))
			if i%2 == 0 && files != nil {
				t.Errorf("deleted %s still in %v", word(w, i), files)
			}
			if i%2 == 1 && files == nil {
				t.Errorf("kept %s not on disk", word(w, i))
			}
		}
	}
	if n, err := ix.Count(); err != nil || n != 24 {
		t.Errorf("Count: %d, %v", n, err)
	}
}

// TestDeleteEveryDocument deletes the documents one by one, down to none:
// the segment that holds the last one also holds the empty document of
// the previous purge.
func TestDeleteEveryDocument(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	words := []string{"qorvexandrine", "zelmorathic", "vintrabulous"}
	for _, w := range words {
		if err := ix.Put(purgeDoc("doc-"+w, w)); err != nil {
			t.Fatal(err)
		}
	}
	for i, w := range words {
		if err := ix.Delete("doc-" + w); err != nil {
			t.Fatal(err)
		}
		waitPurged(t, ix)
		if files := filesHolding(t, dir, w); files != nil {
			t.Errorf("%q still in %v", w, files)
		}
		if n, err := ix.Count(); err != nil || n != uint64(len(words)-i-1) {
			t.Errorf("Count: %d, %v", n, err)
		}
	}
	// And the index still takes documents.
	if err := ix.Put(purgeDoc("doc-new", "plexomarine")); err != nil {
		t.Fatal(err)
	}
	if got := findIDs(t, ix, "plexomarine", "kirkuk-2018"); len(got) != 1 {
		t.Errorf("search after deleting everything: %v", got)
	}
}
