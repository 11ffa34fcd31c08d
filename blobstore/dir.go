package blobstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Dir is the directory backend. A blob lives in ROOT/xx/SUM, where xx is
// the first two hex digits of its sum; a pending writer in
// ROOT/pending/ID. A blob is written to its pending file, synced, renamed
// into place and its directory synced: a crash leaves either the whole
// blob or none of it.
type Dir struct {
	root string
}

// NewDir opens (creating it if needed) the directory backend at root.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(root, "pending"), 0o700); err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return &Dir{root: root}, nil
}

// Root returns the directory.
func (d *Dir) Root() string { return d.root }

// URL returns file:///ROOT.
func (d *Dir) URL() string {
	abs, err := filepath.Abs(d.root)
	if err != nil {
		abs = d.root
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

func (d *Dir) path(sum Sum) string {
	h := sum.String()
	return filepath.Join(d.root, h[:2], h)
}

func (d *Dir) pendingPath(id string) (string, error) {
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return "", ErrNotFound
	}
	return filepath.Join(d.root, "pending", id), nil
}

// Create starts a pending blob.
func (d *Dir) Create(ctx context.Context) (Writer, error) {
	b := make([]byte, 16)
	rand.Read(b)
	id := hex.EncodeToString(b)
	name, _ := d.pendingPath(id)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return &dirWriter{d: d, id: id, f: f, h: sha256.New()}, nil
}

// Resume reopens the pending blob id. Its bytes are read once to restore
// the running hash.
func (d *Dir) Resume(ctx context.Context, id string) (Writer, error) {
	name, err := d.pendingPath(id)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return &dirWriter{d: d, id: id, f: f, h: h, n: n}, nil
}

type dirWriter struct {
	d    *Dir
	id   string
	f    *os.File
	h    hash.Hash
	n    int64
	done bool
}

func (w *dirWriter) ID() string  { return w.id }
func (w *dirWriter) Size() int64 { return w.n }

func (w *dirWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("blobstore: write after commit or abort")
	}
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

func (w *dirWriter) Sync() (int64, error) {
	if w.done {
		return 0, errors.New("blobstore: sync after commit or abort")
	}
	return w.n, w.f.Sync()
}

func (w *dirWriter) Commit(ctx context.Context, sum Sum) error {
	if w.done {
		return errors.New("blobstore: writer already finished")
	}
	if Sum(w.h.Sum(nil)) != sum {
		w.Abort()
		return ErrMismatch
	}
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		w.Abort()
		return fmt.Errorf("blobstore: %w", err)
	}
	w.done = true
	final := w.d.path(sum)
	pending, _ := w.d.pendingPath(w.id)
	dir := filepath.Dir(final)
	if err := os.Mkdir(dir, 0o700); err == nil {
		err = syncDir(w.d.root)
	} else if !errors.Is(err, fs.ErrExist) {
		os.Remove(pending)
		return fmt.Errorf("blobstore: %w", err)
	}
	if err := os.Rename(pending, final); err != nil {
		os.Remove(pending)
		return fmt.Errorf("blobstore: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	return syncDir(filepath.Dir(pending))
}

func (w *dirWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	pending, _ := w.d.pendingPath(w.id)
	if err := os.Remove(pending); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blobstore: %w", err)
	}
	return nil
}

// syncDir makes a directory's entries (a rename, a new file) durable.
func syncDir(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

type fileReader struct {
	*os.File
	size int64
}

func (r *fileReader) Size() int64 { return r.size }

// Open opens the blob sum.
func (d *Dir) Open(ctx context.Context, sum Sum) (Reader, error) {
	f, err := os.Open(d.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return &fileReader{f, fi.Size()}, nil
}

// Stat returns the size of the blob sum.
func (d *Dir) Stat(ctx context.Context, sum Sum) (int64, error) {
	fi, err := os.Stat(d.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, ErrNotFound
	} else if err != nil {
		return 0, fmt.Errorf("blobstore: %w", err)
	}
	return fi.Size(), nil
}

// Remove overwrites the blob sum with zeros, syncs it, and unlinks it.
//
// The overwrite reaches the disk blocks that held the ciphertext only on a
// filesystem that rewrites files in place (ext4, XFS without reflinks) on
// a disk that does the same (a spinning disk). On a copy-on-write or
// log-structured filesystem (btrfs, ZFS, F2FS), on a file sharing blocks
// with a reflinked copy or a snapshot, and on an SSD or thin-provisioned
// volume, which remap writes, the old blocks may survive until reused.
// What is left there is ciphertext whose key slots the shred deleted;
// full-disk encryption covers the rest.
func (d *Dir) Remove(ctx context.Context, sum Sum) error {
	name := d.path(sum)
	err := overwrite(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blobstore: overwriting before removal: %w", err)
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blobstore: %w", err)
	}
	return syncDir(filepath.Dir(name))
}

func overwrite(name string) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	zeros := make([]byte, 1<<20)
	for off := int64(0); off < fi.Size(); off += int64(len(zeros)) {
		n := min(int64(len(zeros)), fi.Size()-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return err
		}
	}
	return f.Sync()
}

// Walk calls fn for every blob.
func (d *Dir) Walk(ctx context.Context, fn func(Sum, int64) error) error {
	fans, err := os.ReadDir(d.root)
	if err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	for _, fan := range fans {
		if !fan.IsDir() || len(fan.Name()) != 2 {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(d.root, fan.Name()))
		if err != nil {
			return fmt.Errorf("blobstore: %w", err)
		}
		for _, e := range ents {
			sum, err := ParseSum(e.Name())
			if err != nil || !strings.HasPrefix(e.Name(), fan.Name()) {
				continue // not a blob of this store
			}
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue
			} else if err != nil {
				return fmt.Errorf("blobstore: %w", err)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(sum, fi.Size()); err != nil {
				return err
			}
		}
	}
	return nil
}

// PutFile writes the named file in ROOT/files through a temporary file,
// synced and renamed.
func (d *Dir) PutFile(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := checkFileName(name); err != nil {
		return err
	}
	dir := filepath.Join(d.root, "files")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	f, err := os.CreateTemp(dir, ".partial-")
	if err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	n, err := io.Copy(f, r)
	if err == nil && n != size {
		err = fmt.Errorf("%d bytes, want %d", n, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("blobstore: %w", err)
	}
	return syncDir(dir)
}

// GetFile opens the named file.
func (d *Dir) GetFile(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkFileName(name); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(d.root, "files", name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return f, nil
}

// WalkPending calls fn for every pending blob.
func (d *Dir) WalkPending(ctx context.Context, fn func(string) error) error {
	ents, err := os.ReadDir(filepath.Join(d.root, "pending"))
	if err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	for _, e := range ents {
		if err := fn(e.Name()); err != nil {
			return err
		}
	}
	return nil
}

// SweepPending removes the pending blobs keep rejects.
func (d *Dir) SweepPending(ctx context.Context, keep func(string) bool) error {
	dir := filepath.Join(d.root, "pending")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	for _, e := range ents {
		if keep != nil && keep(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blobstore: %w", err)
		}
	}
	return nil
}
