package vault

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

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/internal/weedtest"
	"github.com/amana-vault/amana/recipient"
)

// depositCipher deposits ready ciphertext, with key slots for key.
func (f *fixture) depositCipher(t *testing.T, by testUser, key *envelope.DocKey, cipher []byte) (*Document, error) {
	t.Helper()
	req := sampleMeta()
	recips, err := f.v.CollectionRecipients(by.caller(), req.Collection)
	if err != nil {
		t.Fatal(err)
	}
	req.Slots = map[string][]byte{}
	for id, s := range recips {
		r, err := recipient.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		req.Slots[id], _ = envelope.Wrap(key, r)
	}
	up, err := f.v.BeginDeposit(by.caller(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write(cipher); err != nil {
		t.Fatal(err)
	}
	return up.Commit(sha256.Sum256(cipher), nil)
}

func (f *fixture) blobPath(t *testing.T, cipherSHA256 string) string {
	t.Helper()
	return filepath.Join(f.dir, "blobs", cipherSHA256[:2], cipherSHA256)
}

// TestBlobOnDisk: the ciphertext is a file named by its SHA-256 in
// DIR/blobs, byte for byte what the depositor sent, and not in the vault
// file.
func TestBlobOnDisk(t *testing.T) {
	f := newFixture(t)
	key, _ := envelope.NewDocKey()
	cipher := sealTo(t, key, bytes.Repeat([]byte("a fictional testimony "), 20000))
	doc, err := f.depositCipher(t, f.r1, key, cipher)
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(f.blobPath(t, doc.CipherSHA256))
	if err != nil || !bytes.Equal(onDisk, cipher) {
		t.Fatalf("blob file: %v", err)
	}
	db, _ := os.ReadFile(filepath.Join(f.dir, DBFile))
	if bytes.Contains(db, cipher[len(cipher)-4096:]) {
		t.Fatal("the ciphertext is in the vault file too")
	}
	if fi, _ := os.Stat(f.blobPath(t, doc.CipherSHA256)); fi.Mode().Perm() != 0o600 {
		t.Errorf("blob mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestSameCiphertextTwice: a second document with the ciphertext of
// another is refused (shredding one would destroy the other's), and the
// first keeps its blob; so is the ciphertext of a shredded document.
func TestSameCiphertextTwice(t *testing.T) {
	f := newFixture(t)
	key, _ := envelope.NewDocKey()
	cipher := sealTo(t, key, []byte("deposited once"))
	first, err := f.depositCipher(t, f.r1, key, cipher)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.depositCipher(t, f.r1, key, cipher); !isInvalid(err) || !strings.Contains(err.Error(), "already stored") {
		t.Fatalf("second deposit of the same ciphertext: %v", err)
	}
	if got, err := f.readAs(f.r1, first.ID); err != nil || string(got) != "deposited once" {
		t.Fatalf("the first document after the refusal: %q, %v", got, err)
	}
	if err := f.v.Shred(f.admin.caller(), first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.blobPath(t, first.CipherSHA256)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("shredded document's blob: %v", err)
	}
	if _, err := f.depositCipher(t, f.r1, key, cipher); !isInvalid(err) {
		t.Fatalf("deposit of a shredded document's ciphertext: %v", err)
	}
	if n, pending := storeBlobs(t, f.v); n != 0 || pending != 0 {
		t.Fatalf("%d blobs, %d pending after the refusal", n, pending)
	}
	if err := f.v.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestSweepAfterCrashBetweenBlobAndRecord: a blob committed for an upload
// whose record never committed is removed at the next Open, and so is the
// blob of a shredded document that survived its shred; a blob the vault
// never knew of is left alone, and Check reports it.
func TestSweepAfterCrashBetweenBlobAndRecord(t *testing.T) {
	f := newFixture(t)
	key, _ := envelope.NewDocKey()
	kept, _ := f.deposit(t, f.r1, sampleMeta(), []byte("kept"), nil)

	// The blob is written and committed, then the process dies.
	req := sampleMeta()
	recips, _ := f.v.CollectionRecipients(f.r1.caller(), req.Collection)
	req.Slots = map[string][]byte{}
	for id, s := range recips {
		r, _ := recipient.Parse(s)
		req.Slots[id], _ = envelope.Wrap(key, r)
	}
	up, err := f.v.BeginDeposit(f.r1.caller(), req)
	if err != nil {
		t.Fatal(err)
	}
	cipher := sealTo(t, key, []byte("never acknowledged"))
	up.Write(cipher)
	if err := up.finish(sha256.Sum256(cipher), nil, false); err != nil {
		t.Fatal(err)
	}
	leftover := blobstore.Sum(sha256.Sum256(cipher))
	if _, err := os.Stat(f.blobPath(t, leftover.String())); err != nil {
		t.Fatalf("the blob was not committed; the test proves nothing: %v", err)
	}

	// A shredded document whose blob survived (a crash after the shred's
	// commit): put a copy back.
	gone, _ := f.deposit(t, f.r1, sampleMeta(), []byte("shredded"), nil)
	saved, _ := os.ReadFile(f.blobPath(t, gone.CipherSHA256))
	if err := f.v.Shred(f.admin.caller(), gone.ID); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(f.blobPath(t, gone.CipherSHA256), saved, 0o600)

	// And a blob of nobody's: another vault's, or deposited after the
	// backup this file came from.
	foreign := []byte("not this vault's")
	w, _ := f.v.blobs.Create(context.Background())
	w.Write(foreign)
	if err := w.Commit(context.Background(), sha256.Sum256(foreign)); err != nil {
		t.Fatal(err)
	}

	f.reopen(t)
	if _, err := os.Stat(f.blobPath(t, leftover.String())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the leftover blob survived the sweep: %v", err)
	}
	if _, err := os.Stat(f.blobPath(t, gone.CipherSHA256)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the shredded document's blob survived the sweep: %v", err)
	}
	if _, err := f.v.blobs.Stat(context.Background(), sha256.Sum256(foreign)); err != nil {
		t.Errorf("the sweep removed a blob it did not know: %v", err)
	}
	if got, err := f.readAs(f.r1, kept.ID); err != nil || string(got) != "kept" {
		t.Fatalf("the other document after the sweep: %q, %v", got, err)
	}
	if err := f.v.Check(); err == nil || !strings.Contains(err.Error(), "1 blobs in the blob store are no active document's") {
		t.Fatalf("Check with a foreign blob: %v", err)
	}
	f.v.blobs.Remove(context.Background(), sha256.Sum256(foreign))
	if err := f.v.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestMissingOrDamagedBlob: a record whose blob is gone or of the wrong
// size is reported by Check and refused by OpenContent, never served.
func TestMissingOrDamagedBlob(t *testing.T) {
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("evidence"), nil)
	path := f.blobPath(t, doc.CipherSHA256)
	orig, _ := os.ReadFile(path)
	os.WriteFile(path, orig[:len(orig)-1], 0o600)
	if err := f.v.Check(); err == nil || !strings.Contains(err.Error(), "its record says") {
		t.Fatalf("Check with a truncated blob: %v", err)
	}
	if _, err := f.v.OpenContent(f.r1.caller(), doc.ID); err == nil {
		t.Fatal("a truncated blob was served")
	}
	os.Remove(path)
	if err := f.v.Check(); err == nil || !strings.Contains(err.Error(), "missing from the blob store") {
		t.Fatalf("Check with a missing blob: %v", err)
	}
	if _, err := f.v.OpenContent(f.r1.caller(), doc.ID); err == nil {
		t.Fatal("OpenContent of a missing blob succeeded")
	}
}

// TestContentRanges: Content reads any range of the blob.
func TestContentRanges(t *testing.T) {
	f := newFixture(t)
	key, _ := envelope.NewDocKey()
	cipher := sealTo(t, key, bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 50000))
	doc, err := f.depositCipher(t, f.r1, key, cipher)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.v.OpenContent(f.r1.caller(), doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := make([]byte, 1000)
	if n, err := c.ReadAt(p, 12345); n != 1000 || err != nil || !bytes.Equal(p, cipher[12345:13345]) {
		t.Fatalf("ReadAt: %d, %v", n, err)
	}
	if n, err := c.ReadAt(p, int64(len(cipher))-3); n != 3 || err != io.EOF {
		t.Fatalf("ReadAt past the end: %d, %v", n, err)
	}
	c.Seek(100, io.SeekStart)
	all, _ := io.ReadAll(c)
	if !bytes.Equal(all, cipher[100:]) {
		t.Fatal("Seek and read")
	}
}

// TestS3Backend: deposit, read, rekey, shred and the sweep with the blob
// store in SeaweedFS; the bucket holds only ciphertext, named by its hash.
func TestS3Backend(t *testing.T) {
	w := weedtest.Start(t)
	f := newFixtureIn(t, w.URL("evidence/org-a"))
	if got := f.v.BlobStoreURL(); !strings.HasPrefix(got, "s3://evidence/org-a?endpoint=") {
		t.Fatalf("BlobStoreURL %s", got)
	}
	content := bytes.Repeat([]byte("a fictional statement, kept abroad. "), 300000) // > 8 MiB: multipart
	doc, key := f.deposit(t, f.r1, sampleMeta(), content, nil)
	if got, err := f.readAs(f.r1, doc.ID); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read back: %v", err)
	}
	small, _ := f.deposit(t, f.r1, sampleMeta(), []byte("short"), nil)
	if n, pending := storeBlobs(t, f.v); n != 2 || pending != 0 {
		t.Fatalf("%d blobs, %d pending, want 2 and 0", n, pending)
	}
	if _, err := f.depositCipher(t, f.r1, key, mustReadAll(t, f, f.r1, doc.ID, false)); !isInvalid(err) {
		t.Fatalf("the same ciphertext again: %v", err)
	}

	// The vault reopens on the recorded store.
	f.reopen(t)
	if err := f.v.Check(); err != nil {
		t.Fatal(err)
	}

	// A blob left by a crash between blob and record is swept.
	req := sampleMeta()
	recips, _ := f.v.CollectionRecipients(f.r1.caller(), req.Collection)
	req.Slots = map[string][]byte{}
	k2, _ := envelope.NewDocKey()
	for id, s := range recips {
		r, _ := recipient.Parse(s)
		req.Slots[id], _ = envelope.Wrap(k2, r)
	}
	up, err := f.v.BeginDeposit(f.r1.caller(), req)
	if err != nil {
		t.Fatal(err)
	}
	cipher := sealTo(t, k2, []byte("never acknowledged"))
	up.Write(cipher)
	if err := up.finish(sha256.Sum256(cipher), nil, false); err != nil {
		t.Fatal(err)
	}
	f.reopen(t)
	if n, pending := storeBlobs(t, f.v); n != 2 || pending != 0 {
		t.Fatalf("after the sweep: %d blobs, %d pending, want 2 and 0", n, pending)
	}

	if err := f.v.Shred(f.admin.caller(), small.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.blobs.Stat(context.Background(), mustSum(t, small.CipherSHA256)); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("shredded blob: %v", err)
	}
	if err := f.v.Check(); err != nil {
		t.Fatal(err)
	}
}

func mustSum(t *testing.T, h string) blobstore.Sum {
	t.Helper()
	s, err := blobstore.ParseSum(h)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLeftoverLandingLate: with a remote store, a blob write in flight
// when the process died can land after the next start's sweep. The vault
// remembers the hash the upload declared, removes the blob at the start
// after it lands, and lets the same bytes be deposited again.
func TestLeftoverLandingLate(t *testing.T) {
	f := newFixture(t)
	key, _ := envelope.NewDocKey()
	req := sampleMeta()
	recips, _ := f.v.CollectionRecipients(f.r1.caller(), req.Collection)
	req.Slots = map[string][]byte{}
	for id, s := range recips {
		r, _ := recipient.Parse(s)
		req.Slots[id], _ = envelope.Wrap(key, r)
	}
	up, err := f.v.BeginDeposit(f.r1.caller(), req)
	if err != nil {
		t.Fatal(err)
	}
	cipher := sealTo(t, key, []byte("in flight at the crash"))
	up.Write(cipher)
	sum := blobstore.Sum(sha256.Sum256(cipher))
	// The upload record names the hash; the blob has not landed yet.
	up.w = &lateWriter{up.w}
	if err := up.finish(sum, nil, false); err == nil {
		t.Fatal("the blob was committed; the test proves nothing")
	}
	f.reopen(t)

	// Now the write lands.
	w, _ := f.v.blobs.Create(context.Background())
	w.Write(cipher)
	if err := w.Commit(context.Background(), sum); err != nil {
		t.Fatal(err)
	}
	if err := f.v.Check(); err != nil {
		t.Fatalf("Check with a late leftover: %v", err)
	}
	f.reopen(t)
	if _, err := f.v.blobs.Stat(context.Background(), sum); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("the late leftover survived the next start: %v", err)
	}
	// The same bytes may be deposited again.
	doc, err := f.depositCipher(t, f.r1, key, cipher)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.readAs(f.r1, doc.ID); err != nil || string(got) != "in flight at the crash" {
		t.Fatalf("redeposit: %q, %v", got, err)
	}
	f.reopen(t)
	if err := f.v.Check(); err != nil {
		t.Fatal(err)
	}
}

// lateWriter fails Commit as a connection lost mid-request would, without
// aborting: the store may still receive the blob.
type lateWriter struct{ blobstore.Writer }

func (w *lateWriter) Commit(context.Context, blobstore.Sum) error {
	return errors.New("connection lost")
}
