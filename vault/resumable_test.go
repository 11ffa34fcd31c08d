package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/internal/weedtest"
	"github.com/amana-vault/amana/recipient"
)

// sealFor seals content for the depositor and the custodians of req's
// collection and returns the slots, the ciphertext and its hash.
func (f *fixture) sealFor(t *testing.T, by testUser, req DepositRequest, content []byte) (map[string][]byte, []byte, [32]byte) {
	t.Helper()
	recips, err := f.v.CollectionRecipients(by.caller(), req.Collection, req.Consent.Scopes...)
	if err != nil {
		t.Fatal(err)
	}
	key, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	slots := map[string][]byte{}
	for id, s := range recips {
		r, err := recipient.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if slots[id], err = envelope.Wrap(key, r); err != nil {
			t.Fatal(err)
		}
	}
	var ct bytes.Buffer
	sealed, err := envelope.Encrypt(&ct, bytes.NewReader(content), key)
	if err != nil {
		t.Fatal(err)
	}
	return slots, ct.Bytes(), sealed.CipherSHA256
}

func (f *fixture) pending(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(f.dir, "blobs", "pending"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestResumableUploadSurvivesRestart: half an upload, a restart of the
// vault, the other half, then a deposit that names it.
func TestResumableUploadSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	content := bytes.Repeat([]byte("A fictional recording, resumed. "), 20000)
	req := sampleMeta()
	slots, ct, sum := f.sealFor(t, f.r1, req, content)
	req.Slots = slots

	up, err := f.v.CreateUpload(f.r1.caller(), int64(len(ct)), "filetype YXVkaW8vbXA0")
	if err != nil {
		t.Fatal(err)
	}
	half := int64(len(ct) / 2)
	if n, err := f.v.WriteUpload(f.r1.caller(), up.ID, 0, bytes.NewReader(ct[:half]), nil); err != nil || n != half {
		t.Fatalf("first half: %d, %v", n, err)
	}
	f.reopen(t)
	got, err := f.v.Upload(f.r1.caller(), up.ID)
	if err != nil || got.Offset != half || got.Metadata != "filetype YXVkaW8vbXA0" {
		t.Fatalf("after a restart: %+v, %v", got, err)
	}
	// Not complete yet: a deposit naming it is refused and leaves it.
	req.Upload = up.ID
	if _, err := f.v.BeginDeposit(f.r1.caller(), req); !errors.Is(err, ErrConflict) {
		t.Fatalf("deposit of an incomplete upload: %v", err)
	}
	var off *OffsetError
	if _, err := f.v.WriteUpload(f.r1.caller(), up.ID, 0, bytes.NewReader(ct), nil); !errors.As(err, &off) || off.Offset != half {
		t.Fatalf("write at the wrong offset: %v", err)
	}
	if _, err := f.v.WriteUpload(f.r2.caller(), up.ID, half, bytes.NewReader(ct[half:]), nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user's write: %v", err)
	}
	if n, err := f.v.WriteUpload(f.r1.caller(), up.ID, half, bytes.NewReader(ct[half:]), nil); err != nil || n != int64(len(ct)) {
		t.Fatalf("second half: %d, %v", n, err)
	}
	// Another user cannot deposit with it.
	other := req
	other.ID = ""
	var inv *InvalidError
	if _, err := f.v.BeginDeposit(f.r2.caller(), other); !errors.As(err, &inv) || inv.Field != "upload" {
		t.Fatalf("another user's deposit of the upload: %v", err)
	}
	dep, err := f.v.BeginDeposit(f.r1.caller(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dep.Write([]byte("more")); err == nil {
		t.Fatal("wrote to a deposit whose content is an upload")
	}
	doc, err := dep.Commit(sum, nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Size != int64(len(ct)) {
		t.Fatalf("size %d", doc.Size)
	}
	key, err := f.v.KeySlot(f.r1.caller(), doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envelope.OpenSlot(key, f.r1.identity); err != nil {
		t.Fatal(err)
	}
	plain, err := f.readAs(f.r1, doc.ID)
	if err != nil || !bytes.Equal(plain, content) {
		t.Fatalf("read back: %v", err)
	}
	if _, err := f.v.Upload(f.r1.caller(), up.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the deposit left its upload: %v", err)
	}
	if n := f.pending(t); n != 0 {
		t.Fatalf("%d pending blobs after the deposit", n)
	}
}

// TestResumableUploadWrongHash: a complete upload whose ciphertext is not
// what the deposit declares is refused, and nothing stays.
func TestResumableUploadWrongHash(t *testing.T) {
	f := newFixture(t)
	req := sampleMeta()
	slots, ct, sum := f.sealFor(t, f.r1, req, []byte("A short fictional note."))
	req.Slots = slots
	up, err := f.v.CreateUpload(f.r1.caller(), int64(len(ct)), "")
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(ct)
	tampered[len(tampered)-1] ^= 1
	if _, err := f.v.WriteUpload(f.r1.caller(), up.ID, 0, bytes.NewReader(tampered), nil); err != nil {
		t.Fatal(err)
	}
	req.Upload = up.ID
	dep, err := f.v.BeginDeposit(f.r1.caller(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dep.Commit(sum, nil); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("commit of tampered ciphertext: %v", err)
	}
	if n := f.pending(t); n != 0 {
		t.Fatalf("%d pending blobs after the refusal", n)
	}
	// Not an age file at all: refused before anything is consumed.
	up, err = f.v.CreateUpload(f.r1.caller(), 64, "")
	if err != nil {
		t.Fatal(err)
	}
	f.v.WriteUpload(f.r1.caller(), up.ID, 0, bytes.NewReader(make([]byte, 64)), nil)
	req.Upload = up.ID
	if _, err := f.v.BeginDeposit(f.r1.caller(), req); !isInvalid(err) {
		t.Fatalf("deposit of zeros: %v", err)
	}
	if _, err := f.v.Upload(f.r1.caller(), up.ID); err != nil {
		t.Fatalf("a refused deposit consumed the upload: %v", err)
	}
}

// TestResumableUploadExpiresAcrossRestart: an upload abandoned past its
// expiry is gone after a restart, bytes and all.
func TestResumableUploadExpiresAcrossRestart(t *testing.T) {
	f := newFixture(t)
	up, err := f.v.CreateUpload(f.r1.caller(), 100, "")
	if err != nil {
		t.Fatal(err)
	}
	f.v.WriteUpload(f.r1.caller(), up.ID, 0, bytes.NewReader(make([]byte, 40)), nil)
	f.reopen(t)
	if n := f.pending(t); n != 1 {
		t.Fatalf("%d pending blobs after a restart, want the upload's", n)
	}
	f.clock.Add(DefaultUploadExpiry + time.Minute)
	f.reopen(t)
	if n := f.pending(t); n != 0 {
		t.Fatalf("%d pending blobs after expiry", n)
	}
	if _, err := f.v.Upload(f.r1.caller(), up.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired upload: %v", err)
	}
	var expired bool
	for _, ev := range f.eventsFrom(t, 0) {
		if ev.Action == "upload.expire" && ev.Target == up.ID {
			expired = true
		}
	}
	if !expired {
		t.Fatal("no upload.expire event")
	}
}

// TestS3ResumableUploadSurvivesRestart: with the blob store in SeaweedFS,
// an upload acknowledges whole parts only, until its last byte, which is
// acknowledged with the tail still in memory. A restart (the writer and
// its buffer lost) falls back to the parts the store holds, both half-way
// and after the last byte; the rest is sent again from there and the
// deposit reads back whole.
func TestS3ResumableUploadSurvivesRestart(t *testing.T) {
	w := weedtest.Start(t)
	f := newFixtureIn(t, w.URL("evidence/resume"))
	content := bytes.Repeat([]byte("A fictional recording, resumed abroad. "), 600000) // two 8 MiB parts and a tail
	req := sampleMeta()
	slots, ct, sum := f.sealFor(t, f.r1, req, content)
	req.Slots = slots
	c := f.r1.caller()
	const part = 8 << 20
	up, err := f.v.CreateUpload(c, int64(len(ct)), "")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.v.WriteUpload(c, up.ID, 0, bytes.NewReader(ct[:part+part/2]), nil); err != nil || n != part {
		t.Fatalf("a part and a half: offset %d, %v; want %d", n, err, part)
	}
	f.reopen(t)
	if got, err := f.v.Upload(c, up.ID); err != nil || got.Offset != part {
		t.Fatalf("after a restart half-way: %+v, %v", got, err)
	}
	if n, err := f.v.WriteUpload(c, up.ID, part, bytes.NewReader(ct[part:]), nil); err != nil || n != int64(len(ct)) {
		t.Fatalf("the rest: offset %d, %v", n, err)
	}

	// A restart after the last byte: the tail was in memory only.
	f.reopen(t)
	req.Upload = up.ID
	if _, err := f.v.BeginDeposit(c, req); !errors.Is(err, ErrConflict) {
		t.Fatalf("deposit of an upload whose tail was lost: %v", err)
	}
	got, err := f.v.Upload(c, up.ID)
	if err != nil || got.Offset != 2*part {
		t.Fatalf("after a restart at the end: %+v, %v; want offset %d", got, err, 2*part)
	}
	if n, err := f.v.WriteUpload(c, up.ID, got.Offset, bytes.NewReader(ct[got.Offset:]), nil); err != nil || n != int64(len(ct)) {
		t.Fatalf("the tail again: offset %d, %v", n, err)
	}
	dep, err := f.v.BeginDeposit(c, req)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := dep.Commit(sum, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := f.readAs(f.r1, doc.ID); err != nil || !bytes.Equal(plain, content) {
		t.Fatalf("read back: %v", err)
	}
	if n, pending := storeBlobs(t, f.v); n != 1 || pending != 0 {
		t.Fatalf("%d blobs, %d pending, want 1 and 0", n, pending)
	}
}
