package blobstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var ctx = context.Background()

// put writes b as a blob of s and commits it.
func put(t *testing.T, s Store, b []byte) Sum {
	t.Helper()
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for p := b; len(p) > 0; {
		n := min(len(p), 1000)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	sum := Sum(sha256.Sum256(b))
	if err := w.Commit(ctx, sum); err != nil {
		t.Fatal(err)
	}
	return sum
}

func pendingFiles(t *testing.T, d *Dir) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(d.Root(), "pending"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestDirRoundTrip(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	storeRoundTrip(t, d)
	if n := pendingFiles(t, d); n != 0 {
		t.Errorf("%d pending files left", n)
	}
}

// storeRoundTrip exercises any Store.
func storeRoundTrip(t *testing.T, s Store) {
	content := bytes.Repeat([]byte("age-encryption.org/v1 ciphertext "), 3000)
	sum := put(t, s, content)
	if n, err := s.Stat(ctx, sum); err != nil || n != int64(len(content)) {
		t.Fatalf("Stat: %d, %v", n, err)
	}
	r, err := s.Open(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != int64(len(content)) {
		t.Fatalf("Size %d, want %d", r.Size(), len(content))
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	p := make([]byte, 100)
	if n, err := r.ReadAt(p, 5000); n != 100 || err != nil || !bytes.Equal(p, content[5000:5100]) {
		t.Fatalf("ReadAt: %d, %v", n, err)
	}
	if n, err := r.ReadAt(p, int64(len(content))-10); n != 10 || err != io.EOF {
		t.Fatalf("ReadAt at the end: %d, %v", n, err)
	}
	if _, err := r.Seek(-7, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if tail, _ := io.ReadAll(r); !bytes.Equal(tail, content[len(content)-7:]) {
		t.Fatalf("after Seek: %q", tail)
	}
	r.Close()

	// The same bytes again: Commit leaves the blob as it is.
	if again := put(t, s, content); again != sum {
		t.Fatal("same bytes, another sum")
	}

	// A wrong sum is refused, and nothing of it is left.
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("tampered"))
	if err := w.Commit(ctx, Sum(sha256.Sum256([]byte("original")))); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Commit with a wrong sum: %v", err)
	}
	if _, err := s.Stat(ctx, Sum(sha256.Sum256([]byte("original")))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused blob is there: %v", err)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Fatal("write after a failed Commit")
	}

	var seen []Sum
	if err := s.Walk(ctx, func(s Sum, size int64) error {
		seen = append(seen, s)
		return nil
	}); err != nil || len(seen) != 1 || seen[0] != sum {
		t.Fatalf("Walk: %v, %v", seen, err)
	}

	// Named files: written whole, replaced whole, never listed as blobs.
	if _, err := s.GetFile(ctx, "records.age"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetFile of a missing file: %v", err)
	}
	for _, v := range []string{"first version", "second"} {
		if err := s.PutFile(ctx, "records.age", strings.NewReader(v), int64(len(v))); err != nil {
			t.Fatal(err)
		}
		f, err := s.GetFile(ctx, "records.age")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if string(got) != v {
			t.Fatalf("GetFile: %q, want %q", got, v)
		}
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden", "UPPER", strings.Repeat("a", 65)} {
		if err := s.PutFile(ctx, bad, strings.NewReader("x"), 1); err == nil {
			t.Errorf("PutFile(%q) accepted", bad)
		}
		if _, err := s.GetFile(ctx, bad); err == nil {
			t.Errorf("GetFile(%q) accepted", bad)
		}
	}
	n := 0
	s.Walk(ctx, func(Sum, int64) error { n++; return nil })
	if n != 1 {
		t.Fatalf("Walk lists %d blobs with a file beside, want 1", n)
	}

	if err := s.Remove(ctx, sum); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, sum); err != nil {
		t.Fatalf("removing a removed blob: %v", err)
	}
	if _, err := s.Open(ctx, sum); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open after Remove: %v", err)
	}
	if _, err := s.Stat(ctx, sum); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat after Remove: %v", err)
	}
}

// TestDirRemoveOverwrites: a reader that had the blob open sees zeros
// after Remove, so the bytes were overwritten in place, not just unlinked
// (on this filesystem: see Dir.Remove).
func TestDirRemoveOverwrites(t *testing.T) {
	d, _ := NewDir(t.TempDir())
	content := bytes.Repeat([]byte{0xa5}, 3<<20+17)
	sum := put(t, d, content)
	r, err := d.Open(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := d.Remove(ctx, sum); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(content) || !bytes.Equal(got, make([]byte, len(content))) {
		t.Fatalf("the removed blob's bytes were not overwritten with zeros (%d bytes read)", len(got))
	}
}

func TestDirSweepAndResume(t *testing.T) {
	d, _ := NewDir(t.TempDir())
	a, _ := d.Create(ctx)
	a.Write([]byte("first half, "))
	if n, err := a.Sync(); n != 12 || err != nil {
		t.Fatalf("Sync: %d, %v", n, err)
	}
	b, _ := d.Create(ctx)
	b.Write([]byte("abandoned"))
	if n := pendingFiles(t, d); n != 2 {
		t.Fatalf("%d pending files, want 2", n)
	}
	// A restart: a's writer is resumed, b's swept.
	if err := d.SweepPending(ctx, func(id string) bool { return id == a.ID() }); err != nil {
		t.Fatal(err)
	}
	if n := pendingFiles(t, d); n != 1 {
		t.Fatalf("%d pending files after the sweep, want 1", n)
	}
	if _, err := d.Resume(ctx, b.ID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("resuming a swept writer: %v", err)
	}
	for _, id := range []string{"../../etc/passwd", "", strings.Repeat("g", 32)} {
		if _, err := d.Resume(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Resume(%q): %v", id, err)
		}
	}
	w, err := d.Resume(ctx, a.ID())
	if err != nil {
		t.Fatal(err)
	}
	if w.Size() != 12 {
		t.Fatalf("resumed at %d, want 12", w.Size())
	}
	w.Write([]byte("second half"))
	sum := Sum(sha256.Sum256([]byte("first half, second half")))
	if err := w.Commit(ctx, sum); err != nil {
		t.Fatal(err)
	}
	r, err := d.Open(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := io.ReadAll(r); string(got) != "first half, second half" {
		t.Fatalf("resumed blob reads %q", got)
	}
	if err := d.SweepPending(ctx, nil); err != nil || pendingFiles(t, d) != 0 {
		t.Fatalf("SweepPending(nil) left files: %v", err)
	}
}

func TestWalkIgnoresForeignFiles(t *testing.T) {
	d, _ := NewDir(t.TempDir())
	sum := put(t, d, []byte("x"))
	os.WriteFile(filepath.Join(d.Root(), "README"), []byte("not a blob"), 0o600)
	os.MkdirAll(filepath.Join(d.Root(), "ab"), 0o700)
	os.WriteFile(filepath.Join(d.Root(), "ab", "notes.txt"), nil, 0o600)
	// A well-formed name in the wrong fan-out directory is not a blob.
	os.WriteFile(filepath.Join(d.Root(), "ab", strings.Repeat("c", 64)), nil, 0o600)
	n := 0
	d.Walk(ctx, func(s Sum, _ int64) error {
		if s != sum {
			t.Errorf("Walk found %s", s)
		}
		n++
		return nil
	})
	if n != 1 {
		t.Fatalf("Walk found %d blobs, want 1", n)
	}
}

func TestOpenURL(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(ctx, "", dir)
	if err != nil || s.(*Dir).Root() != filepath.Join(dir, "blobs") {
		t.Fatalf("default: %v", err)
	}
	s, err = Open(ctx, "file://"+dir+"/elsewhere", dir)
	if err != nil || s.(*Dir).Root() != filepath.Join(dir, "elsewhere") {
		t.Fatalf("file URL: %v", err)
	}
	if s.URL() != "file://"+dir+"/elsewhere" {
		t.Errorf("URL() = %s", s.URL())
	}
	for _, bad := range []string{"file://host/x", "file:relative", "file:///x?y=1", "ftp://h/x", "::", "/just/a/path"} {
		if _, err := Open(ctx, bad, dir); err == nil {
			t.Errorf("Open(%q) accepted", bad)
		}
	}
	if got := Redact("s3://key:secret@bucket?endpoint=http://h:1"); strings.Contains(got, "secret") {
		t.Errorf("Redact left the secret: %s", got)
	}
}

func TestParseSum(t *testing.T) {
	want := Sum(sha256.Sum256(nil))
	if got, err := ParseSum(want.String()); err != nil || got != want {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "00", strings.Repeat("z", 64), want.String() + "00"} {
		if _, err := ParseSum(bad); err == nil {
			t.Errorf("ParseSum(%q) accepted", bad)
		}
	}
}
