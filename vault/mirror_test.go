package vault

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/internal/weedtest"
	"github.com/amana-vault/amana/vault/audit"
)

func TestMirrorAndRestoreDir(t *testing.T) {
	to, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mirrorAndRestore(t, "", to)
	// Nothing in the mirror reads as the vault: no user id, no title, no
	// plaintext, anywhere in its files.
	filepath.WalkDir(to.Root(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, s := range []string{"r.hassan", "l.custodian", "checkpoint detentions", "mirrored evidence", "kirkuk"} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("the mirror's %s contains %q", p, s)
			}
		}
		return nil
	})
}

func TestMirrorAndRestoreS3(t *testing.T) {
	w := weedtest.Start(t)
	to, err := blobstore.Init(context.Background(), w.URL("mirror-abroad"), "")
	if err != nil {
		t.Fatal(err)
	}
	mirrorAndRestore(t, w.URL("evidence"), to)
}

func mirrorAndRestore(t *testing.T, blobStore string, to blobstore.Store) {
	ctx := context.Background()
	f := newFixtureIn(t, blobStore)
	kept, _ := f.deposit(t, f.r1, sampleMeta(), []byte("mirrored evidence, kept"), nil)
	gone, _ := f.deposit(t, f.r1, sampleMeta(), []byte("mirrored evidence, shredded later"), nil)
	var checkpoint []byte
	f.v.db.View(func(tx *bbolt.Tx) (err error) { checkpoint, err = audit.LatestCheckpoint(tx); return })

	rep, err := f.v.Mirror(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Documents != 2 || rep.Copied != 2 || rep.Removed != 0 {
		t.Fatalf("first round: %+v", rep)
	}
	if rep, err = f.v.Mirror(ctx, to); err != nil || rep.Copied != 0 || rep.Removed != 0 {
		t.Fatalf("second round, nothing changed: %+v, %v", rep, err)
	}
	// A shred reaches the mirror; a new deposit too.
	if err := f.v.Shred(f.admin.caller(), gone.ID); err != nil {
		t.Fatal(err)
	}
	added, _ := f.deposit(t, f.r2, sampleMeta(), []byte("mirrored evidence, deposited later"), nil)
	if rep, err = f.v.Mirror(ctx, to); err != nil || rep.Copied != 1 || rep.Removed != 1 || rep.Documents != 2 {
		t.Fatalf("after a shred and a deposit: %+v, %v", rep, err)
	}
	if _, err := to.Stat(ctx, mustSum(t, gone.CipherSHA256)); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("the shredded document's blob is still mirrored: %v", err)
	}

	// The vault is lost. Restore needs the passphrase.
	dir := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, to, dir, "not the passphrase", ""); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("restore with a wrong passphrase: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, DBFile)); err == nil {
		t.Fatal("a failed restore left a vault file")
	}
	res, err := Restore(ctx, to, dir, testPassphrase, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Documents != 2 {
		t.Fatalf("restored %+v", res)
	}
	if _, err := Restore(ctx, to, dir, testPassphrase, ""); err == nil {
		t.Fatal("restored over an existing vault")
	}
	f.v.Close()
	g := &fixture{dir: dir, clock: f.clock, r1: f.r1, r2: f.r2, admin: f.admin}
	if g.v, err = Open(dir, testPassphrase, testOptions(f.clock)); err != nil {
		t.Fatal(err)
	}
	defer g.v.Close()
	if got := g.v.BlobStoreURL(); got != "file://"+filepath.Join(dir, "blobs") {
		t.Errorf("restored vault's blob store: %s", got)
	}
	for _, c := range []struct {
		u    testUser
		id   string
		want string
	}{{f.r1, kept.ID, "mirrored evidence, kept"}, {f.r2, added.ID, "mirrored evidence, deposited later"}} {
		if got, err := g.readAs(c.u, c.id); err != nil || string(got) != c.want {
			t.Fatalf("restored %s: %q, %v", c.id, got, err)
		}
	}
	if _, err := g.v.GetDocument(f.admin.caller(), gone.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the shredded document after restore: %v", err)
	}
	// The restored log is the same log: consistent with the checkpoint an
	// auditor took before the loss.
	if err := g.v.db.View(func(tx *bbolt.Tx) error { _, err := audit.Verify(tx, checkpoint); return err }); err != nil {
		t.Fatalf("audit log after restore: %v", err)
	}
	if err := g.v.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreRefusesTamperedMirror: a blob changed on the mirror is
// refused at restore, by its hash.
func TestRestoreRefusesTamperedMirror(t *testing.T) {
	ctx := context.Background()
	to, _ := blobstore.NewDir(t.TempDir())
	f := newFixture(t)
	doc, _ := f.deposit(t, f.r1, sampleMeta(), []byte("evidence"), nil)
	if _, err := f.v.Mirror(ctx, to); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(to.Root(), doc.CipherSHA256[:2], doc.CipherSHA256)
	b, _ := os.ReadFile(p)
	b[len(b)-1] ^= 1
	os.WriteFile(p, b, 0o600)
	rdir := filepath.Join(t.TempDir(), "r")
	_, err := Restore(ctx, to, rdir, testPassphrase, "")
	if !errors.Is(err, blobstore.ErrMismatch) || !strings.Contains(err.Error(), doc.ID) {
		t.Fatalf("restore from a tampered mirror: %v", err)
	}
	if _, err := os.Stat(filepath.Join(rdir, DBFile)); err == nil {
		t.Fatal("a failed restore left a vault to serve")
	}
	if _, err := os.Stat(filepath.Join(rdir, DBFile+".incomplete")); err != nil {
		t.Fatalf("a failed restore left no incomplete file: %v", err)
	}
	// And records swapped for another vault's are refused.
	other := newFixture(t)
	to2, _ := blobstore.NewDir(t.TempDir())
	if _, err := other.v.Mirror(ctx, to2); err != nil {
		t.Fatal(err)
	}
	rec, _ := os.ReadFile(filepath.Join(to2.Root(), "files", mirrorRecords))
	os.WriteFile(filepath.Join(to.Root(), "files", mirrorRecords), rec, 0o600)
	if _, err := Restore(ctx, to, filepath.Join(t.TempDir(), "r2"), testPassphrase, ""); err == nil {
		t.Fatal("restored another vault's records")
	}
}
