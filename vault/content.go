package vault

import (
	"context"
	"errors"
	"fmt"
	"io"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/vault/audit"
)

// ErrChanged is returned by a Content reader when the document was
// rekeyed or shredded while it was being read.
var ErrChanged = errors.New("vault: document changed while reading")

// Content reads a document's ciphertext, an age file, from the blob store
// (or, for a document of layout 2, chunk by chunk from the vault file in
// short read transactions), so a long download neither holds memory nor
// blocks writers. It implements io.ReadSeeker and io.ReaderAt; Close it
// when done.
type Content struct {
	v          *Vault
	r          blobstore.Reader // nil for layout 2
	rpos       int64            // r's position, for sequential reads
	blob       []byte
	chunkSize  int64
	size       int64
	off        int64
	SHA256     string // hex SHA-256 of the whole ciphertext
	Generation int

	cur    []byte // the last chunk read, for sequential reads
	curIdx int64
}

// OpenContent returns a reader over a document's ciphertext, for a slot
// holder. Each call is one audited download.
func (v *Vault) OpenContent(c Caller, id string) (*Content, error) {
	var out *Content
	err := v.update(c, "document.download", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc = id
		a, err := v.access(tx, c, ev.Action, id, "")
		if err != nil {
			return err
		}
		ev.Collection = a.doc.Collection
		if a.doc.Blob == "" {
			sum, ok := recordSum(a.doc.CipherSHA256)
			if !ok {
				return fmt.Errorf("vault: document %s has no valid ciphertext hash", id)
			}
			r, err := v.blobs.Open(context.Background(), sum)
			if err != nil {
				return fmt.Errorf("vault: document %s: its ciphertext is missing from the blob store: %w", id, err)
			}
			if r.Size() != a.doc.Size {
				r.Close()
				return fmt.Errorf("vault: document %s: its blob holds %d bytes, the record says %d", id, r.Size(), a.doc.Size)
			}
			out = &Content{v: v, r: r, size: a.doc.Size, SHA256: a.doc.CipherSHA256, Generation: a.doc.Generation}
			return nil
		}
		out = &Content{
			v:          v,
			blob:       []byte(a.doc.Blob),
			chunkSize:  int64(a.doc.ChunkSize),
			size:       a.doc.Size,
			SHA256:     a.doc.CipherSHA256,
			Generation: a.doc.Generation,
			curIdx:     -1,
		}
		return nil
	})
	return out, err
}

// Size returns the ciphertext's length in bytes.
func (r *Content) Size() int64 { return r.size }

// Close releases the blob.
func (r *Content) Close() error {
	if r.r == nil {
		return nil
	}
	return r.r.Close()
}

// ReadAt implements io.ReaderAt.
func (r *Content) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("vault: negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	if r.r != nil {
		n, err := r.r.ReadAt(p[:min(int64(len(p)), r.size-off)], off)
		if err == nil && n < len(p) {
			err = io.EOF
		}
		if errors.Is(err, blobstore.ErrNotFound) {
			err = ErrChanged
		}
		return n, err
	}
	n := 0
	for n < len(p) && off < r.size {
		idx := off / r.chunkSize
		if idx != r.curIdx {
			if err := r.load(idx); err != nil {
				return n, err
			}
		}
		k := copy(p[n:], r.cur[off-idx*r.chunkSize:])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *Content) load(idx int64) error {
	err := r.v.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBlobs).Bucket(r.blob)
		if b == nil {
			return ErrChanged
		}
		c := b.Get(be64(uint64(idx)))
		want := min(r.chunkSize, r.size-idx*r.chunkSize)
		if int64(len(c)) != want {
			return fmt.Errorf("vault: chunk %d of %d bytes, want %d", idx, len(c), want)
		}
		r.cur = append(r.cur[:0], c...)
		return nil
	})
	if err != nil {
		r.curIdx = -1
		return err
	}
	r.curIdx = idx
	return nil
}

// Read implements io.Reader. From the blob store it reads sequentially
// (for S3, one streaming GET from the position, not a request per read).
func (r *Content) Read(p []byte) (int, error) {
	if r.r != nil {
		if r.off >= r.size {
			return 0, io.EOF
		}
		if r.off != r.rpos {
			if _, err := r.r.Seek(r.off, io.SeekStart); err != nil {
				return 0, err
			}
			r.rpos = r.off
		}
		n, err := r.r.Read(p[:min(int64(len(p)), r.size-r.off)])
		r.off += int64(n)
		r.rpos += int64(n)
		if errors.Is(err, blobstore.ErrNotFound) {
			err = ErrChanged
		}
		if err == io.EOF && n > 0 {
			err = nil
		}
		return n, err
	}
	n, err := r.ReadAt(p, r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// Seek implements io.Seeker.
func (r *Content) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("vault: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("vault: negative position")
	}
	r.off = offset
	return offset, nil
}
