package search

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/blevesearch/bleve/v2"
)

// Rebuild batch limits: large batches amortize Bleve's per-batch segment and
// persistence cost; the byte bound keeps memory flat with long transcripts.
const (
	rebuildBatchDocs  = 2000
	rebuildBatchBytes = 32 << 20
)

// Rebuild builds a fresh index from the documents next yields and puts it in
// place of the index in dir, for `amana reindex`. next returns (doc, true,
// nil) for each document and (_, false, nil) at the end; an error aborts the
// rebuild and leaves dir untouched.
//
// The new index is built in a temporary directory beside dir and swapped in
// with one atomic rename (renameat2 RENAME_EXCHANGE on Linux; elsewhere two
// renames, with a short window in which dir does not exist). No process may
// have dir open: Rebuild returns ErrLocked if one does, and a process that
// opens dir during the rebuild keeps the old, deleted files until it reopens.
func Rebuild(dir string, next func() (Doc, bool, error)) (err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("search: rebuild: %w", err)
	}
	parent, base := filepath.Split(dir)
	if err := checkUnlocked(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return fmt.Errorf("search: rebuild: %w", err)
	}
	removeStale(parent, base)
	tmp, err := os.MkdirTemp(parent, tempPrefix(base))
	if err != nil {
		return fmt.Errorf("search: rebuild: %w", err)
	}
	defer func() {
		if rmErr := os.RemoveAll(tmp); err == nil && rmErr != nil {
			err = fmt.Errorf("search: rebuild: remove %s: %w", tmp, rmErr)
		}
	}()

	fresh := filepath.Join(tmp, "index")
	if err := build(fresh, next); err != nil {
		return err
	}
	if err := checkUnlocked(dir); err != nil {
		return err
	}
	if err := swap(fresh, dir, filepath.Join(tmp, "old")); err != nil {
		return fmt.Errorf("search: rebuild: swap: %w", err)
	}
	return syncDir(parent)
}

func tempPrefix(base string) string { return "." + base + ".rebuild-" }

// removeStale removes temporary directories left by a rebuild that crashed.
func removeStale(parent, base string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), tempPrefix(base)) {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

// checkUnlocked fails with ErrLocked if another process holds dir open.
func checkUnlocked(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err != nil {
		return nil
	}
	bi, err := bleve.OpenUsing(dir, map[string]any{"bolt_timeout": openTimeout})
	if err != nil {
		if err := openError(dir, err); errors.Is(err, ErrLocked) {
			return err
		}
		return nil // unreadable or incompatible: replacing it is the point
	}
	return bi.Close()
}

func build(path string, next func() (Doc, bool, error)) (err error) {
	bi, err := openBleve(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := bi.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("search: rebuild: close: %w", cerr)
		}
	}()
	var batch []Doc
	size := 0
	for {
		d, ok, err := next()
		if err != nil {
			return fmt.Errorf("search: rebuild: source: %w", err)
		}
		if !ok {
			break
		}
		batch = append(batch, d)
		size += len(d.Title) + len(d.Summary) + len(d.Transcript)
		if len(batch) >= rebuildBatchDocs || size >= rebuildBatchBytes {
			if err := putBatch(bi, batch); err != nil {
				return err
			}
			batch, size = batch[:0], 0
		}
	}
	if len(batch) > 0 {
		return putBatch(bi, batch)
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("search: rebuild: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("search: rebuild: sync %s: %w", dir, err)
	}
	return nil
}
