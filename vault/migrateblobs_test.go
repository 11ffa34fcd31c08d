package vault

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/internal/fakeclock"
	"github.com/amana-vault/amana/vault/audit"
)

// The vault in testdata/layout2 was written by the code of layout 2,
// before the blob store (testdata/layout2/generate.go.txt): four
// documents deposited by r.hassan, their ciphertext in chunks of 64 KiB
// in the vault file; "Testimony 3" was shredded.
const layout2Passphrase = "layout 2 test passphrase"

func layout2Plain(i int) []byte {
	size := []int{10, 200 << 10, 64 << 10, 1000}[i]
	return bytes.Repeat([]byte(fmt.Sprintf("fictional testimony %d. ", i)), size/10+1)[:size]
}

// openLayout2 copies the layout 2 vault into a new directory and opens it.
func openLayout2(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	gz, err := os.Open("testdata/layout2/vault.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(filepath.Join(dir, DBFile), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	out.Close()
	key, _ := os.ReadFile("testdata/layout2/r.hassan.key")
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(key)))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, clock: fakeclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)),
		r1: testUser{id: "r.hassan", identity: id}}
	if f.v, err = Open(dir, layout2Passphrase, testOptions(f.clock)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.v.Close() })
	return f
}

// layout2Docs returns the active documents' ids by their plaintext's number.
func layout2Docs(t *testing.T, f *fixture) map[int]string {
	t.Helper()
	ids := map[int]string{}
	err := f.v.EachActive(func(d *Document) error {
		var i int
		if _, err := fmt.Sscanf(d.Public.Title, "Testimony %d", &i); err != nil {
			return err
		}
		ids[i] = d.ID
		return nil
	})
	if err != nil || len(ids) != 3 {
		t.Fatalf("%d active documents (%v), want 3", len(ids), err)
	}
	return ids
}

func checkLayout2Reads(t *testing.T, f *fixture, ids map[int]string) {
	t.Helper()
	for i, id := range ids {
		got, err := f.readAs(f.r1, id)
		if err != nil || !bytes.Equal(got, layout2Plain(i)) {
			t.Fatalf("document %d (%s) reads back %d bytes, %v", i, id, len(got), err)
		}
	}
}

func TestMigrateBlobs(t *testing.T) {
	f := openLayout2(t)
	ids := layout2Docs(t, f)
	// Opened, the vault is in layout 3 and still reads the chunks.
	checkLayout2Reads(t, f, ids)
	if err := f.v.Check(); err != nil {
		t.Fatal(err)
	}
	legacy, err := f.v.LegacyBlobs()
	if err != nil || len(legacy) != 3 {
		t.Fatalf("LegacyBlobs: %v, %v", legacy, err)
	}
	// New deposits go to the blob store meanwhile.
	fresh, _ := f.deposit(t, f.r1, sampleMeta(), []byte("deposited after the upgrade"), nil)
	if n, _ := storeBlobs(t, f.v); n != 1 {
		t.Fatalf("%d blobs after a deposit, want 1", n)
	}

	// Interrupted after one document, then after a blob was written but
	// before its record moved (as a crash would leave it).
	if n, err := f.v.migrateBlob(ids[1]); err != nil || n != 206507 {
		t.Fatalf("migrateBlob: %d, %v", n, err)
	}
	c, err := f.v.OpenContent(f.r1.caller(), ids[2])
	if err != nil {
		t.Fatal(err)
	}
	w, _ := f.v.blobs.Create(context.Background())
	io.Copy(w, c)
	sum, _ := blobstore.ParseSum(c.SHA256)
	if err := w.Commit(context.Background(), sum); err != nil {
		t.Fatal(err)
	}
	f.v.Close()
	if f.v, err = Open(f.dir, layout2Passphrase, testOptions(f.clock)); err != nil {
		t.Fatal(err)
	}
	if n, _ := storeBlobs(t, f.v); n != 3 {
		t.Fatalf("the sweep removed a blob of a document being moved: %d blobs, want 3", n)
	}

	size := f.logSize(t)
	var seen []string
	moved, err := f.v.MigrateBlobs(func(id string, done, total int) { seen = append(seen, id) })
	if err != nil || moved != 2 || len(seen) != 2 {
		t.Fatalf("MigrateBlobs: %d moved, %v, progress %v", moved, err, seen)
	}
	evs := f.eventsFrom(t, size)
	if len(evs) != 1 || evs[0].Action != "vault.migrate" || evs[0].Detail["blobs"] != "2" {
		t.Fatalf("audit events of the migration: %+v", evs)
	}
	if again, err := f.v.MigrateBlobs(nil); again != 0 || err != nil {
		t.Fatalf("second run: %d, %v", again, err)
	}
	f.v.db.View(func(tx *bbolt.Tx) error {
		if n := tx.Bucket(bucketBlobs).Stats().BucketN - 1; n != 0 {
			t.Errorf("%d chunk buckets left in the file", n)
		}
		return nil
	})
	if n, _ := storeBlobs(t, f.v); n != 4 {
		t.Fatalf("%d blobs, want 4", n)
	}
	checkLayout2Reads(t, f, ids)
	if got, err := f.readAs(f.r1, fresh.ID); err != nil || string(got) != "deposited after the upgrade" {
		t.Fatalf("fresh deposit: %q, %v", got, err)
	}
	if err := f.v.Check(); err != nil {
		t.Fatal(err)
	}

	// Compacted, the file shrinks and still opens, verified.
	var cp []byte
	f.v.db.View(func(tx *bbolt.Tx) (err error) { cp, err = audit.LatestCheckpoint(tx); return })
	if err := f.v.Close(); err != nil {
		t.Fatal(err)
	}
	before, after, err := Compact(f.dir, testOptions(f.clock))
	if err != nil {
		t.Fatal(err)
	}
	if after >= before {
		t.Errorf("compaction went from %d to %d bytes", before, after)
	}
	if f.v, err = Open(f.dir, layout2Passphrase, testOptions(f.clock)); err != nil {
		t.Fatal(err)
	}
	if err := f.v.db.View(func(tx *bbolt.Tx) error { _, err := audit.Verify(tx, cp); return err }); err != nil {
		t.Fatalf("audit log after compaction: %v", err)
	}
	checkLayout2Reads(t, f, ids)
	if err := f.v.Check(); err != nil {
		t.Fatal(err)
	}
	t.Logf("compacted %d → %d bytes", before, after)
}

// TestMigrateBlobsRefusesDamage: a document whose chunks do not hash to
// its record stays in the file, with nothing written for it, and the
// migration stops there.
func TestMigrateBlobsRefusesDamage(t *testing.T) {
	f := openLayout2(t)
	ids := layout2Docs(t, f)
	err := f.v.db.Update(func(tx *bbolt.Tx) error {
		d, err := f.v.getDoc(tx, ids[1])
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketBlobs).Bucket([]byte(d.Blob))
		c := clone(b.Get(be64(2)))
		c[100] ^= 1
		return b.Put(be64(2), c)
	})
	if err != nil {
		t.Fatal(err)
	}
	moved, err := f.v.MigrateBlobs(nil)
	if moved != 2 || err == nil || !strings.Contains(err.Error(), ids[1]+": its chunks do not hash") {
		t.Fatalf("MigrateBlobs over a damaged chunk: %d moved, %v", moved, err)
	}
	if moved, err := f.v.MigrateBlobs(nil); moved != 0 || err == nil {
		t.Fatalf("again: %d moved, %v", moved, err)
	}
	legacy, _ := f.v.LegacyBlobs()
	if len(legacy) != 1 || legacy[0] != ids[1] {
		t.Fatalf("left in the file: %v, want the damaged %s", legacy, ids[1])
	}
	if _, pending := storeBlobs(t, f.v); pending != 0 {
		t.Fatalf("%d pending blobs left by the refused move", pending)
	}
}
