package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/blobstore"
)

// LegacyBlobs returns the ids of the documents whose ciphertext is still
// in the vault file, in chunks (layout 2).
func (v *Vault) LegacyBlobs() ([]string, error) {
	var ids []string
	err := v.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDocs).ForEach(func(k, _ []byte) error {
			d, err := v.getDoc(tx, string(k))
			if err != nil {
				return fmt.Errorf("document %s: %w", k, err)
			}
			if d.Blob != "" {
				ids = append(ids, d.ID)
			}
			return nil
		})
	})
	return ids, err
}

// MigrateBlobs moves the ciphertext of documents of layout 2 out of the
// vault file into the blob store, one document at a time: it streams the
// chunks into a blob, which the store checks against the document's
// recorded SHA-256, then, in one transaction, points the record at the
// blob and deletes the chunks. Interrupted, it resumes where it stopped: a
// blob written for a document whose record still names its chunks is
// written again (the same bytes, the same name). A document whose chunks
// do not hash to its record stays in the file; the others move, and the
// error names it. progress, if not nil, is called after each document. One vault.migrate audit event records how
// many moved.
func (v *Vault) MigrateBlobs(progress func(id string, done, total int)) (int, error) {
	ids, err := v.LegacyBlobs()
	if err != nil {
		return 0, err
	}
	moved := 0
	var bytes int64
	var errs []error
	for i, id := range ids {
		n, err := v.migrateBlob(id)
		if err != nil {
			errs = append(errs, fmt.Errorf("vault: moving the ciphertext of document %s: %w", id, err))
		}
		if n > 0 {
			moved++
			bytes += n
		}
		if progress != nil {
			progress(id, i+1, len(ids))
		}
	}
	if moved > 0 {
		errs = append(errs, v.recordMigrateBlobs(moved, bytes, len(ids)))
	}
	return moved, errors.Join(errs...)
}

func (v *Vault) recordMigrateBlobs(moved int, bytes int64, total int) error {
	return v.commit.do(func(tx *bbolt.Tx) error {
		ev := v.event(Caller{}, "vault.migrate")
		ev.Outcome = outcomeOK
		ev.Detail = map[string]string{
			"blobs": strconv.Itoa(moved), "bytes": strconv.FormatInt(bytes, 10),
			"of": strconv.Itoa(total), "to": blobstore.Redact(v.blobs.URL()),
		}
		return v.appendEvent(tx, ev)
	})
}

// migrateBlob moves one document's chunks and returns the ciphertext's
// size, or 0 if the document no longer has chunks.
func (v *Vault) migrateBlob(id string) (int64, error) {
	var c *Content
	var sum blobstore.Sum
	err := v.db.View(func(tx *bbolt.Tx) error {
		d, err := v.getDoc(tx, id)
		if err != nil {
			return err
		}
		if d.Blob == "" {
			return nil
		}
		var ok bool
		if sum, ok = recordSum(d.CipherSHA256); !ok {
			return errors.New("its record holds no valid ciphertext hash")
		}
		c = &Content{v: v, blob: []byte(d.Blob), chunkSize: int64(d.ChunkSize), size: d.Size, curIdx: -1}
		return nil
	})
	if err != nil || c == nil {
		return 0, err
	}
	ctx := context.Background()
	w, err := v.blobs.Create(ctx)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(w, c); err != nil {
		w.Abort()
		return 0, err
	}
	if err := w.Commit(ctx, sum); err != nil {
		if errors.Is(err, blobstore.ErrMismatch) {
			return 0, errors.New("its chunks do not hash to the recorded SHA-256: left in the vault file")
		}
		return 0, err
	}
	err = v.commit.do(func(tx *bbolt.Tx) error {
		d, err := v.getDoc(tx, id)
		if err != nil {
			return err
		}
		if d.Blob != string(c.blob) {
			return nil // rekeyed or shredded meanwhile
		}
		if err := deleteBucket(tx.Bucket(bucketBlobs), d.Blob); err != nil {
			return err
		}
		d.Blob, d.ChunkSize = "", 0
		if err := putRef(tx, sum, refStateActive, id); err != nil {
			return err
		}
		return v.putDoc(tx, d)
	})
	if err != nil {
		return 0, err
	}
	return c.size, nil
}

// Compact rewrites the stopped vault in dir into a new file holding only
// its live pages, with bbolt's Compact, and renames it over the old one:
// the space the moved or deleted ciphertext took is returned to the
// filesystem. A crash leaves either file whole. It returns the sizes
// before and after.
//
// Like any rename, this unlinks the old file without overwriting it: its
// blocks, freed pages included, stay on the disk until reused.
func Compact(dir string, opts Options) (before, after int64, err error) {
	opts.fill()
	path := filepath.Join(dir, DBFile)
	tmp := path + ".compact"
	src, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		return 0, 0, fmt.Errorf("vault: %w", err)
	}
	defer src.Close()
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	os.Remove(tmp) // left by an interrupted compaction
	dst, err := bbolt.Open(tmp, 0o600, &bbolt.Options{NoFreelistSync: true, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return 0, 0, fmt.Errorf("vault: %w", err)
	}
	if err := bbolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("vault: compacting: %w", err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, err
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return 0, 0, err
	}
	nfi, err := os.Stat(tmp)
	if err != nil {
		return 0, 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, 0, err
	}
	d, err := os.Open(dir)
	if err == nil {
		err = d.Sync()
		d.Close()
	}
	return fi.Size(), nfi.Size(), err
}
