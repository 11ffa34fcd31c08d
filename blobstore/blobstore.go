// Package blobstore keeps the vault's ciphertext outside its database:
// each document's age file is one blob, addressed by the SHA-256 of its
// bytes once complete.
//
// A Store has two backends: a directory on the server's disk (Dir, the
// default, DIR/blobs beside the vault file) and an S3-compatible bucket
// (S3). Open selects one from a URL:
//
//	file:///srv/amana-blobs
//	s3://BUCKET/PREFIX?endpoint=http://HOST:PORT&region=R
//
// A blob is written through a Writer, which streams: nothing is held in
// memory beyond a buffer. Its bytes are durable once Sync or Commit
// returns; Commit checks them against the SHA-256 the writer's caller
// expects and only then makes the blob visible under that hash. A Writer
// left unfinished by a crash is pending; the vault removes pending
// writers, and blobs no record names, when it opens (SweepPending, Walk,
// Remove).
//
// Blobs hold only ciphertext: a store's operator can read none of it.
package blobstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
)

// Sum is the SHA-256 of a blob's bytes, its address.
type Sum [32]byte

// String returns the sum in lower-case hex.
func (s Sum) String() string { return hex.EncodeToString(s[:]) }

// ParseSum parses 64 hex digits.
func ParseSum(h string) (Sum, error) {
	var s Sum
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != len(s) {
		return s, errors.New("blobstore: a blob's name is 64 hex digits")
	}
	return Sum(b), nil
}

var (
	// ErrNotFound is returned for a blob or pending writer that does not
	// exist.
	ErrNotFound = errors.New("blobstore: no such blob")
	// ErrMismatch is returned by Commit when the bytes written do not hash
	// to the expected sum. The writer is aborted.
	ErrMismatch = errors.New("blobstore: content does not match its SHA-256")
)

// Store holds blobs. Implementations are safe for concurrent use.
type Store interface {
	// Create starts a new blob.
	Create(ctx context.Context) (Writer, error)
	// Open returns a reader of the blob sum.
	Open(ctx context.Context, sum Sum) (Reader, error)
	// Stat returns the size of the blob sum.
	Stat(ctx context.Context, sum Sum) (int64, error)
	// Remove destroys the blob sum; removing a blob that does not exist is
	// not an error. The directory backend overwrites the file before
	// unlinking it (see Dir.Remove for where that cannot reach).
	Remove(ctx context.Context, sum Sum) error
	// Walk calls fn for every complete blob, in no particular order.
	Walk(ctx context.Context, fn func(sum Sum, size int64) error) error
	// WalkPending calls fn with the id of every pending writer.
	WalkPending(ctx context.Context, fn func(id string) error) error
	// SweepPending removes every pending writer whose id keep rejects
	// (keep may be nil: remove all). Only call it when no writer that
	// should be removed can be in use.
	SweepPending(ctx context.Context, keep func(id string) bool) error
	// PutFile stores r, of size bytes, as the named file, replacing any
	// file of that name atomically: a reader sees the old bytes or the
	// new. Names are short, of a-z, 0-9, '.' and '-'. Files are what an
	// off-site mirror keeps beside the blobs (the vault's sealed records).
	PutFile(ctx context.Context, name string, r io.Reader, size int64) error
	// GetFile opens the named file (ErrNotFound if there is none).
	GetFile(ctx context.Context, name string) (io.ReadCloser, error)
	// URL names the store, without credentials.
	URL() string
}

func checkFileName(name string) error {
	if name == "" || len(name) > 64 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" || name[0] == '.' {
		return fmt.Errorf("blobstore: invalid file name %q", name)
	}
	return nil
}

// Writer streams a new blob. It is not safe for concurrent use.
type Writer interface {
	io.Writer
	// ID names the pending blob until it is committed: Resume takes it.
	ID() string
	// Size returns how many bytes were written.
	Size() int64
	// Sync makes the bytes written so far durable and returns how many
	// are: all of them for the directory backend; for S3, those of the
	// complete parts uploaded (at least 5 MiB each), the rest staying in
	// memory until the next part or Commit.
	Sync() (int64, error)
	// Commit checks that the bytes written hash to sum, makes them durable
	// and visible as the blob sum. If a blob sum already exists it is left
	// as it is (same hash, same bytes). On ErrMismatch or any other error
	// the writer is aborted.
	Commit(ctx context.Context, sum Sum) error
	// Abort discards the writer's bytes. It may be called after Commit, to
	// no effect.
	Abort() error
}

// Resumer is a Store whose pending writers survive a restart: Resume
// reopens the writer id at the size its last Sync made durable.
type Resumer interface {
	Resume(ctx context.Context, id string) (Writer, error)
}

// Reader reads a blob, sequentially or at any offset.
type Reader interface {
	io.ReadSeeker
	io.ReaderAt
	io.Closer
	Size() int64
}

// Open opens the store that rawURL names. An empty URL is the default
// directory backend, dir/blobs, beside a vault in dir.
func Open(ctx context.Context, rawURL, dir string) (Store, error) {
	if rawURL == "" {
		return NewDir(filepath.Join(dir, "blobs"))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("blobstore: not a URL: want file:///PATH or s3://BUCKET?endpoint=…")
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" || u.RawQuery != "" || !filepath.IsAbs(u.Path) {
			return nil, errors.New("blobstore: a directory is named file:///ABSOLUTE/PATH")
		}
		return NewDir(filepath.Clean(u.Path))
	case "s3":
		return OpenS3(ctx, u)
	}
	return nil, errors.New("blobstore: unknown scheme: want file:///PATH or s3://BUCKET?endpoint=…")
}

// OpenCreate is Open, but makes the bucket of an s3:// URL if it does not
// exist (an off-site mirror's, at its first round).
func OpenCreate(ctx context.Context, rawURL, dir string) (Store, error) {
	if u, err := url.Parse(rawURL); err == nil && u.Scheme == "s3" {
		return InitS3(ctx, u)
	}
	return Open(ctx, rawURL, dir)
}

// Init prepares the store rawURL names for a new vault in dir: it makes
// the directory or the bucket if needed, and refuses a store that already
// holds blobs, as each vault needs a store (a bucket, or a prefix in one)
// of its own: a vault takes a blob no record names for a leftover.
func Init(ctx context.Context, rawURL, dir string) (Store, error) {
	var s Store
	var err error
	if u, perr := url.Parse(rawURL); perr == nil && u.Scheme == "s3" {
		s, err = InitS3(ctx, u)
	} else {
		s, err = Open(ctx, rawURL, dir)
	}
	if err != nil {
		return nil, err
	}
	errUsed := errors.New("used")
	err = s.Walk(ctx, func(Sum, int64) error { return errUsed })
	if err == errUsed {
		return nil, fmt.Errorf("blobstore: %s already holds blobs: give each vault a store of its own", s.URL())
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Redact returns rawURL without anything that may be a secret (user
// information), for messages and the audit log.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return strings.TrimSpace(u.String())
}
