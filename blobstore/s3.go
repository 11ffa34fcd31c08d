package blobstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is the backend for S3-compatible object storage. A blob is the object
// PREFIX/blobs/SUM. A writer streams its bytes as the parts of a multipart
// upload to PREFIX/pending/ID, held PartSize at a time (two parts in
// memory: one being filled, one being sent); Commit completes the upload,
// copies it to its name on the server side and deletes the pending
// object. A blob smaller than one part is sent with one PUT, straight to
// its name.
//
// Requests are retried (MaxRetries) and bounded in time (OpTimeout, and
// PartTimeout for a part); a stalled connection fails after
// ResponseTimeout without an answer.
type S3 struct {
	c      *minio.Client
	core   minio.Core
	bucket string
	region string
	prefix string // "" or ending in "/"
	url    string

	// PartSize is the size of an upload's parts (default 8 MiB, at least
	// 5 MiB, S3's minimum).
	PartSize int
}

// Bounds on requests to the object store.
const (
	S3MaxRetries      = 3
	S3OpTimeout       = 2 * time.Minute
	S3PartTimeout     = 10 * time.Minute
	S3ResponseTimeout = time.Minute
	s3DefaultPartSize = 8 << 20
	s3MinPartSize     = 5 << 20
)

// OpenS3 connects to the bucket u names,
// s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT[&region=R], path-style,
// with the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. The
// bucket must exist (InitS3 makes it).
func OpenS3(ctx context.Context, u *url.URL) (*S3, error) {
	s, err := newS3(u)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, S3OpTimeout)
	defer cancel()
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return nil, fmt.Errorf("blobstore: %s: %w", s.url, err)
	}
	if !ok {
		return nil, fmt.Errorf("blobstore: %s: no such bucket", s.url)
	}
	return s, nil
}

func newS3(u *url.URL) (*S3, error) {
	if u.User != nil {
		return nil, errors.New("blobstore: put no credentials in an s3:// URL (it is recorded in the vault): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	bucket := u.Host
	if bucket == "" {
		return nil, errors.New("blobstore: an s3:// URL names a bucket: s3://BUCKET?endpoint=http://HOST:PORT")
	}
	q := u.Query()
	for k := range q {
		if k != "endpoint" && k != "region" {
			return nil, fmt.Errorf("blobstore: unknown s3:// URL parameter %q (want endpoint, region)", k)
		}
	}
	ep, err := url.Parse(q.Get("endpoint"))
	if err != nil || (ep.Scheme != "http" && ep.Scheme != "https") || ep.Host == "" || (ep.Path != "" && ep.Path != "/") || ep.RawQuery != "" || ep.User != nil {
		return nil, errors.New("blobstore: an s3:// URL needs endpoint=http://HOST:PORT or https://HOST:PORT")
	}
	region := q.Get("region")
	if region == "" {
		region = "us-east-1"
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return nil, errors.New("blobstore: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the S3 blob store")
	}
	secure := ep.Scheme == "https"
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	tr.ResponseHeaderTimeout = S3ResponseTimeout
	tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	c, err := minio.New(ep.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(id, secret, ""),
		Secure:       secure,
		Region:       region,
		BucketLookup: minio.BucketLookupPath,
		Transport:    tr,
		MaxRetries:   S3MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	prefix := strings.Trim(path.Clean("/"+u.Path), "/")
	if prefix != "" {
		prefix += "/"
	}
	canon := url.URL{Scheme: "s3", Host: bucket, Path: "/" + strings.TrimSuffix(prefix, "/"),
		RawQuery: url.Values{"endpoint": {ep.Scheme + "://" + ep.Host}, "region": {region}}.Encode()}
	if prefix == "" {
		canon.Path = ""
	}
	return &S3{c: c, core: minio.Core{Client: c}, bucket: bucket, region: region, prefix: prefix, url: canon.String(), PartSize: s3DefaultPartSize}, nil
}

// InitS3 makes the bucket u names if it does not exist.
func InitS3(ctx context.Context, u *url.URL) (*S3, error) {
	s, err := newS3(u)
	if err != nil {
		return nil, err
	}
	octx, cancel := context.WithTimeout(ctx, S3OpTimeout)
	defer cancel()
	ok, err := s.c.BucketExists(octx, s.bucket)
	if err != nil {
		return nil, fmt.Errorf("blobstore: %s: %w", s.url, err)
	}
	if !ok {
		if err := s.c.MakeBucket(octx, s.bucket, minio.MakeBucketOptions{Region: s.region}); err != nil {
			return nil, fmt.Errorf("blobstore: making bucket %s: %w", s.bucket, err)
		}
	}
	return s, nil
}

// URL returns s3://BUCKET[/PREFIX]?endpoint=…&region=….
func (s *S3) URL() string { return s.url }

func (s *S3) key(sum Sum) string          { return s.prefix + "blobs/" + sum.String() }
func (s *S3) pendingKey(id string) string { return s.prefix + "pending/" + id }

func notFound(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == minio.NoSuchKey || code == "NotFound" || code == minio.NoSuchUpload
}

// Create starts a pending blob.
func (s *S3) Create(ctx context.Context) (Writer, error) {
	b := make([]byte, 16)
	rand.Read(b)
	size := max(s.PartSize, s3MinPartSize)
	return &s3Writer{s: s, id: hex.EncodeToString(b), h: sha256.New(), buf: make([]byte, 0, size)}, nil
}

type partResult struct {
	part minio.CompletePart
	buf  []byte
	err  error
}

type s3Writer struct {
	s        *S3
	id       string
	h        hash.Hash
	n        int64
	buf      []byte // the part being filled
	spare    []byte
	uploadID string
	parts    []minio.CompletePart
	durable  int64
	inflight chan partResult
	done     bool
	err      error
}

func (w *s3Writer) ID() string  { return w.id }
func (w *s3Writer) Size() int64 { return w.n }

func (w *s3Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.done {
		return 0, errors.New("blobstore: write after commit or abort")
	}
	n := 0
	for len(p) > 0 {
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		w.h.Write(p[:k])
		p, n, w.n = p[k:], n+k, w.n+int64(k)
		if len(w.buf) == cap(w.buf) {
			if err := w.sendPart(); err != nil {
				w.fail(err)
				return n, w.err
			}
		}
	}
	return n, nil
}

func (w *s3Writer) fail(err error) {
	if w.err == nil {
		w.err = fmt.Errorf("blobstore: %w", err)
	}
	w.Abort()
}

// wait waits for the part in flight, if any.
func (w *s3Writer) wait() error {
	if w.inflight == nil {
		return nil
	}
	r := <-w.inflight
	w.inflight = nil
	w.spare = r.buf[:0]
	if r.err != nil {
		return r.err
	}
	w.parts = append(w.parts, r.part)
	w.durable += int64(len(r.buf))
	return nil
}

// sendPart hands the filled buffer to a goroutine that uploads it once the
// previous part is uploaded.
func (w *s3Writer) sendPart() error {
	if err := w.wait(); err != nil {
		return err
	}
	key := w.s.pendingKey(w.id)
	if w.uploadID == "" {
		ctx, cancel := context.WithTimeout(context.Background(), S3OpTimeout)
		id, err := w.s.core.NewMultipartUpload(ctx, w.s.bucket, key, minio.PutObjectOptions{ContentType: "application/octet-stream"})
		cancel()
		if err != nil {
			return err
		}
		w.uploadID = id
	}
	buf, num := w.buf, len(w.parts)+1
	if w.spare == nil {
		w.spare = make([]byte, 0, cap(buf))
	}
	w.buf, w.spare = w.spare, nil
	done := make(chan partResult, 1)
	w.inflight = done
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), S3PartTimeout)
		defer cancel()
		p, err := w.s.core.PutObjectPart(ctx, w.s.bucket, key, w.uploadID, num, bytes.NewReader(buf), int64(len(buf)), minio.PutObjectPartOptions{})
		done <- partResult{minio.CompletePart{PartNumber: num, ETag: p.ETag}, buf, err}
	}()
	return nil
}

// Sync waits for the part in flight: the bytes of complete parts are
// durable; those of the part being filled are not yet.
func (w *s3Writer) Sync() (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.done {
		return 0, errors.New("blobstore: sync after commit or abort")
	}
	if err := w.wait(); err != nil {
		w.fail(err)
		return 0, w.err
	}
	return w.durable, nil
}

func (w *s3Writer) Commit(ctx context.Context, sum Sum) error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return errors.New("blobstore: writer already finished")
	}
	if Sum(w.h.Sum(nil)) != sum {
		w.Abort()
		return ErrMismatch
	}
	err := w.commit(ctx, sum)
	if err != nil {
		w.fail(err)
		return w.err
	}
	w.done = true
	return nil
}

func (w *s3Writer) commit(ctx context.Context, sum Sum) error {
	s := w.s
	if err := w.wait(); err != nil {
		return err
	}
	if w.uploadID == "" { // smaller than a part: one PUT
		octx, cancel := context.WithTimeout(ctx, S3PartTimeout)
		defer cancel()
		_, err := s.core.PutObject(octx, s.bucket, s.key(sum), bytes.NewReader(w.buf), int64(len(w.buf)), "", "", minio.PutObjectOptions{ContentType: "application/octet-stream"})
		return err
	}
	if len(w.buf) > 0 {
		if err := w.sendPart(); err != nil {
			return err
		}
		if err := w.wait(); err != nil {
			return err
		}
	}
	pending := s.pendingKey(w.id)
	octx, cancel := context.WithTimeout(ctx, S3OpTimeout)
	_, err := s.core.CompleteMultipartUpload(octx, s.bucket, pending, w.uploadID, w.parts, minio.PutObjectOptions{})
	cancel()
	if err != nil {
		return err
	}
	w.uploadID = "" // completed: Abort removes the object instead
	// Copying an object of up to 5 GiB is one request; a larger one is
	// copied in parts, on the server.
	octx, cancel = context.WithTimeout(ctx, S3PartTimeout)
	_, err = s.c.ComposeObject(octx, minio.CopyDestOptions{Bucket: s.bucket, Object: s.key(sum)},
		minio.CopySrcOptions{Bucket: s.bucket, Object: pending})
	cancel()
	if err != nil {
		return err
	}
	octx, cancel = context.WithTimeout(ctx, S3OpTimeout)
	defer cancel()
	if err := s.c.RemoveObject(octx, s.bucket, pending, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("removing the pending object (the next sweep will): %w", err)
	}
	return nil
}

func (w *s3Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.wait()
	w.buf, w.spare = nil, nil
	ctx, cancel := context.WithTimeout(context.Background(), S3OpTimeout)
	defer cancel()
	key := w.s.pendingKey(w.id)
	if w.uploadID != "" {
		if err := w.s.core.AbortMultipartUpload(ctx, w.s.bucket, key, w.uploadID); err != nil && !notFound(err) {
			return fmt.Errorf("blobstore: %w", err)
		}
		return nil
	}
	if err := w.s.c.RemoveObject(ctx, w.s.bucket, key, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("blobstore: %w", err)
	}
	return nil
}

type s3Reader struct {
	*minio.Object
	size int64
}

func (r *s3Reader) Size() int64 { return r.size }

// Open returns a reader of the blob sum: each read past the current
// position or after a Seek is a ranged GET.
func (s *S3) Open(ctx context.Context, sum Sum) (Reader, error) {
	size, err := s.Stat(ctx, sum)
	if err != nil {
		return nil, err
	}
	obj, err := s.c.GetObject(context.Background(), s.bucket, s.key(sum), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return &s3Reader{obj, size}, nil
}

// Stat returns the size of the blob sum.
func (s *S3) Stat(ctx context.Context, sum Sum) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, S3OpTimeout)
	defer cancel()
	info, err := s.c.StatObject(ctx, s.bucket, s.key(sum), minio.StatObjectOptions{})
	if notFound(err) {
		return 0, ErrNotFound
	} else if err != nil {
		return 0, fmt.Errorf("blobstore: %w", err)
	}
	return info.Size, nil
}

// Remove deletes the blob sum. Object storage cannot be overwritten in
// place: a bucket with versioning, object lock or replication keeps what
// its configuration keeps (turn them off for a vault's bucket, or know
// that the ciphertext survives there); what remains is ciphertext whose
// key slots the shred deleted.
func (s *S3) Remove(ctx context.Context, sum Sum) error {
	ctx, cancel := context.WithTimeout(ctx, S3OpTimeout)
	defer cancel()
	if err := s.c.RemoveObject(ctx, s.bucket, s.key(sum), minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("blobstore: %w", err)
	}
	return nil
}

// Walk calls fn for every blob.
func (s *S3) Walk(ctx context.Context, fn func(Sum, int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + "blobs/", Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("blobstore: %w", obj.Err)
		}
		sum, err := ParseSum(strings.TrimPrefix(obj.Key, s.prefix+"blobs/"))
		if err != nil {
			continue // not a blob of this store
		}
		if err := fn(sum, obj.Size); err != nil {
			return err
		}
	}
	return nil
}

// PutFile uploads the object PREFIX/files/NAME in one PUT (files are
// small), or in parts for a large one.
func (s *S3) PutFile(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := checkFileName(name); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, S3PartTimeout)
	defer cancel()
	_, err := s.c.PutObject(ctx, s.bucket, s.prefix+"files/"+name, r, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream", PartSize: uint64(max(s.PartSize, s3MinPartSize)), NumThreads: 1})
	if err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	return nil
}

// GetFile opens the object PREFIX/files/NAME.
func (s *S3) GetFile(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkFileName(name); err != nil {
		return nil, err
	}
	key := s.prefix + "files/" + name
	sctx, cancel := context.WithTimeout(ctx, S3OpTimeout)
	defer cancel()
	if _, err := s.c.StatObject(sctx, s.bucket, key, minio.StatObjectOptions{}); notFound(err) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	obj, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return obj, nil
}

// WalkPending calls fn for every multipart upload and pending object: a
// pending writer has one or the other (or, while Commit copies, both).
func (s *S3) WalkPending(ctx context.Context, fn func(string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prefix := s.prefix + "pending/"
	for up := range s.c.ListIncompleteUploads(ctx, s.bucket, prefix, true) {
		if up.Err != nil {
			return fmt.Errorf("blobstore: %w", up.Err)
		}
		if err := fn(strings.TrimPrefix(up.Key, prefix)); err != nil {
			return err
		}
	}
	for obj := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("blobstore: %w", obj.Err)
		}
		if err := fn(strings.TrimPrefix(obj.Key, prefix)); err != nil {
			return err
		}
	}
	return nil
}

// SweepPending aborts the multipart uploads and removes the pending
// objects keep rejects.
func (s *S3) SweepPending(ctx context.Context, keep func(string) bool) error {
	ctx, cancel := context.WithTimeout(ctx, S3PartTimeout)
	defer cancel()
	prefix := s.prefix + "pending/"
	var uploads []string
	for up := range s.c.ListIncompleteUploads(ctx, s.bucket, prefix, true) {
		if up.Err != nil {
			return fmt.Errorf("blobstore: %w", up.Err)
		}
		if id := strings.TrimPrefix(up.Key, prefix); keep == nil || !keep(id) {
			uploads = append(uploads, up.Key)
		}
	}
	for _, key := range uploads {
		if err := s.c.RemoveIncompleteUpload(ctx, s.bucket, key); err != nil && !notFound(err) {
			return fmt.Errorf("blobstore: %w", err)
		}
	}
	var objects []string
	for obj := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("blobstore: %w", obj.Err)
		}
		if id := strings.TrimPrefix(obj.Key, prefix); keep == nil || !keep(id) {
			objects = append(objects, obj.Key)
		}
	}
	for _, key := range objects {
		if err := s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
			return fmt.Errorf("blobstore: %w", err)
		}
	}
	return nil
}
