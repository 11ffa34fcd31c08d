package blobstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/amana-vault/amana/internal/weedtest"
)

func TestS3URLs(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "k")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	for _, bad := range []string{
		"s3://?endpoint=http://h:1",
		"s3://b",
		"s3://b?endpoint=ftp://h:1",
		"s3://b?endpoint=http://h:1/path",
		"s3://b?endpoint=http://h:1&acl=public",
		"s3://key:secret@b?endpoint=http://h:1",
	} {
		u, _ := url.Parse(bad)
		if _, err := newS3(u); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	u, _ := url.Parse("s3://evidence/org//vault1/?region=eu-1&endpoint=https://s3.example:9000")
	s, err := newS3(u)
	if err != nil {
		t.Fatal(err)
	}
	if s.bucket != "evidence" || s.prefix != "org/vault1/" || s.URL() != "s3://evidence/org/vault1?endpoint=https%3A%2F%2Fs3.example%3A9000&region=eu-1" {
		t.Errorf("parsed as bucket %q prefix %q URL %s", s.bucket, s.prefix, s.URL())
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if _, err := newS3(u); err == nil || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY") {
		t.Errorf("without credentials: %v", err)
	}
}

// TestS3 runs the Store tests against a real SeaweedFS server.
func TestS3(t *testing.T) {
	w := weedtest.Start(t)

	// The bucket must exist to open; Init makes it.
	if _, err := Open(ctx, w.URL("evidence"), t.TempDir()); err == nil || !strings.Contains(err.Error(), "no such bucket") {
		t.Fatalf("opening a missing bucket: %v", err)
	}
	s, err := Init(ctx, w.URL("evidence/vault-a"), "")
	if err != nil {
		t.Fatal(err)
	}
	storeRoundTrip(t, s)

	t.Run("multipart", func(t *testing.T) { s3Multipart(t, s.(*S3)) })

	// A second vault's store in the same bucket under another prefix is
	// apart; Init refuses a store already holding blobs.
	other, err := Init(ctx, w.URL("evidence/vault-b"), "")
	if err != nil {
		t.Fatal(err)
	}
	put(t, other, []byte("vault b's"))
	if _, err := Init(ctx, w.URL("evidence/vault-b"), ""); err == nil || !strings.Contains(err.Error(), "already holds blobs") {
		t.Fatalf("Init of a used store: %v", err)
	}
	n := 0
	s.Walk(ctx, func(Sum, int64) error { n++; return nil })
	if n != 0 {
		t.Errorf("vault a's store lists %d blobs of vault b", n)
	}

	// Wrong credentials are refused.
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if _, err := Open(ctx, w.URL("evidence/vault-a"), ""); err == nil {
		t.Fatal("opened with a wrong secret key")
	}
}

func s3Multipart(t *testing.T, s *S3) {
	s.PartSize = 5 << 20
	content := make([]byte, 12<<20+12345)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range content {
		content[i] = byte(r.Uint32())
	}
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for p := content; len(p) > 0; {
		k := min(len(p), 100000)
		if _, err := w.Write(p[:k]); err != nil {
			t.Fatal(err)
		}
		p = p[k:]
	}
	if n, err := w.Sync(); err != nil || n != 10<<20 {
		t.Fatalf("Sync: %d durable, %v; want two parts", n, err)
	}
	// A restart: the writer is gone (the 2 MiB after its last part with
	// it); Resume goes on from what Sync made durable.
	var _ Resumer = s
	if w, err = s.Resume(ctx, w.ID()); err != nil {
		t.Fatal(err)
	}
	if w.Size() != 10<<20 {
		t.Fatalf("resumed at %d, want %d", w.Size(), 10<<20)
	}
	if _, err := w.Write(content[10<<20:]); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{strings.Repeat("0", 32), "../x", ""} {
		if _, err := s.Resume(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Resume(%q): %v", id, err)
		}
	}
	// An abandoned upload beside it, swept.
	a, _ := s.Create(ctx)
	a.Write(make([]byte, 6<<20))
	a.Sync()
	if ups := incomplete(t, s); ups != 2 {
		t.Fatalf("%d incomplete uploads, want 2", ups)
	}
	if err := s.SweepPending(ctx, func(id string) bool { return id == w.ID() }); err != nil {
		t.Fatal(err)
	}
	if ups := incomplete(t, s); ups != 1 {
		t.Fatalf("%d incomplete uploads after the sweep, want 1", ups)
	}
	if _, err := s.Resume(ctx, a.ID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("resuming a swept writer: %v", err)
	}
	n := 0
	s.WalkPending(ctx, func(id string) error {
		if id != w.ID() {
			t.Errorf("WalkPending lists %q", id)
		}
		n++
		return nil
	})
	if n != 1 {
		t.Fatalf("WalkPending lists %d, want 1", n)
	}

	sum := Sum(sha256.Sum256(content))
	if err := w.Commit(ctx, sum); err != nil {
		t.Fatal(err)
	}
	if ups := incomplete(t, s); ups != 0 {
		t.Fatalf("%d incomplete uploads after Commit", ups)
	}
	rd, err := s.Open(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if rd.Size() != int64(len(content)) {
		t.Fatalf("size %d", rd.Size())
	}
	p := make([]byte, 4096)
	for _, off := range []int64{0, 5<<20 - 100, 11 << 20, int64(len(content)) - 4096} {
		if n, err := rd.ReadAt(p, off); n != len(p) || (err != nil && err != io.EOF) || !bytes.Equal(p, content[off:off+4096]) {
			t.Fatalf("ReadAt %d: %d, %v", off, n, err)
		}
	}
	h := sha256.New()
	rd.Seek(0, io.SeekStart)
	if _, err := io.Copy(h, rd); err != nil || Sum(h.Sum(nil)) != sum {
		t.Fatalf("read back: %v", err)
	}
	// Nothing pending is left.
	for obj := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + "pending/", Recursive: true}) {
		t.Errorf("left behind: %s", obj.Key)
	}

	// A multipart upload with a wrong sum is refused and aborted.
	w, _ = s.Create(ctx)
	w.Write(content)
	if err := w.Commit(ctx, Sum(sha256.Sum256(content[1:]))); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong sum: %v", err)
	}
	if ups := incomplete(t, s); ups != 0 {
		t.Fatalf("%d incomplete uploads after a refused Commit", ups)
	}
	s.Remove(ctx, sum)
}

func incomplete(t *testing.T, s *S3) int {
	t.Helper()
	n := 0
	for up := range s.c.ListIncompleteUploads(context.Background(), s.bucket, s.prefix+"pending/", true) {
		if up.Err != nil {
			t.Fatal(up.Err)
		}
		n++
	}
	return n
}
