package vault

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/internal/fakeclock"
	"github.com/amana-vault/amana/internal/weedtest"
	"github.com/amana-vault/amana/vault/audit"
)

// The crash test re-executes the test binary as a child that deposits in a
// loop and is killed with SIGKILL at a random moment.
const crashChildEnv = "AMANA_VAULT_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashContent is the plaintext of the n-th deposit: the parent can
// recompute it to check what the child acknowledged.
func crashContent(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, 1+r.IntN(200<<10))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func crashChild(dir string) {
	clock := fakeclock.New(time.Now())
	v, err := Open(filepath.Join(dir, "vault"), testPassphrase, testOptions(clock))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	f := &fixture{v: v, r1: testUser{id: "r.hassan", role: RoleResearcher}}
	out := bufio.NewWriter(os.Stdout)
	start, _ := strconv.ParseUint(os.Getenv("AMANA_CRASH_SEED"), 10, 64)
	for seed := start; ; seed++ {
		content := crashContent(seed)
		doc, _, err := f.tryDeposit(f.r1, sampleMeta(), content, []byte(`{"seed":`+strconv.FormatUint(seed, 10)+`}`))
		if err != nil {
			fmt.Fprintln(os.Stderr, "deposit:", err)
			os.Exit(3)
		}
		// Acknowledge only after Commit returned: this is the promise.
		fmt.Fprintf(out, "ok %s %d\n", doc.ID, seed)
		out.Flush()
	}
}

func TestCrashMidDeposit(t *testing.T) { crashMidDeposit(t, "") }

// TestCrashMidDepositS3: the same, with the blob store in SeaweedFS.
func TestCrashMidDepositS3(t *testing.T) {
	w := weedtest.Start(t)
	crashMidDeposit(t, w.URL("crash"))
}

func crashMidDeposit(t *testing.T, blobStore string) {
	cycles := 12
	if testing.Short() {
		cycles = 4
	}
	if s := os.Getenv("AMANA_CRASH_CYCLES"); s != "" {
		cycles, _ = strconv.Atoi(s)
	}
	dir := t.TempDir()
	admin, _ := age.GenerateX25519Identity()
	r1, _ := age.GenerateX25519Identity()
	clock := fakeclock.New(time.Now())
	opts := testOptions(clock)
	opts.BlobStore = blobStore
	v, _, err := Create(filepath.Join(dir, "vault"), testPassphrase, NewUser{ID: "admin", Recipient: admin.Recipient().String()}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ac := Caller{User: "admin"}
	if _, _, err := v.AddUser(ac, NewUser{ID: "r.hassan", Role: RoleResearcher, Recipient: r1.Recipient().String()}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.CreateCollection(ac, Collection{ID: "kirkuk-2018", Members: []string{"r.hassan"}}); err != nil {
		t.Fatal(err)
	}
	v.Close()

	acked := map[string]uint64{} // doc id -> seed
	var nextSeed uint64 = 1
	var lastLog int64
	var lastCheckpoint []byte
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	killedMidUpload := 0
	for cycle := 0; cycle < cycles; cycle++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, "AMANA_CRASH_SEED="+strconv.FormatUint(nextSeed, 10))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if stderr.Len() > 0 {
			t.Fatalf("child failed: %s", stderr.String())
		}
		for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
			var id string
			var seed uint64
			if _, err := fmt.Sscanf(line, "ok %s %d", &id, &seed); err == nil {
				acked[id] = seed
				nextSeed = max(nextSeed, seed+1)
			}
		}
		nextSeed += 1000 // a deposit that committed without its ack uses seeds we skip

		// Before reopening, look at the raw file: was an upload in flight?
		db, err := bbolt.Open(filepath.Join(dir, "vault", DBFile), 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		db.View(func(tx *bbolt.Tx) error {
			if tx.Bucket(bucketUploads).Stats().KeyN > 0 {
				killedMidUpload++
			}
			return nil
		})
		db.Close()

		v, err := Open(filepath.Join(dir, "vault"), testPassphrase, testOptions(clock))
		if err != nil {
			t.Fatalf("cycle %d: open after kill: %v", cycle, err)
		}
		if err := v.Check(); err != nil {
			t.Fatalf("cycle %d: bbolt check: %v", cycle, err)
		}
		f := &fixture{v: v, r1: testUser{id: "r.hassan", identity: r1}}
		n := checkAllDocuments(t, f, acked)
		size := f.logSize(t)
		if size < lastLog {
			t.Fatalf("cycle %d: audit log shrank from %d to %d", cycle, lastLog, size)
		}
		lastLog = size
		// The log verifies, including its newest events (every commit is
		// signed), and is consistent with the checkpoint of the last cycle.
		err = v.db.View(func(tx *bbolt.Tx) error {
			if _, err := audit.Verify(tx, lastCheckpoint); err != nil {
				return err
			}
			lastCheckpoint, err = audit.LatestCheckpoint(tx)
			return err
		})
		if err != nil {
			t.Fatalf("cycle %d: audit log after kill: %v", cycle, err)
		}
		v.Close()
		t.Logf("cycle %d: %d documents (%d acknowledged)", cycle, n, len(acked))
	}
	if len(acked) == 0 {
		t.Fatal("no deposit was acknowledged: the test proves nothing")
	}
	t.Logf("%d cycles, %d acknowledged deposits, killed %d times with an upload in flight", cycles, len(acked), killedMidUpload)
}

// checkAllDocuments verifies that every visible document is complete (its
// ciphertext hashes to its record and decrypts), that nothing of an
// unfinished upload is left, and that every acknowledged deposit is there.
func checkAllDocuments(t *testing.T, f *fixture, acked map[string]uint64) int {
	t.Helper()
	var ids []string
	f.v.db.View(func(tx *bbolt.Tx) error {
		if n := tx.Bucket(bucketUploads).Stats().KeyN; n != 0 {
			t.Errorf("%d unfinished uploads after open", n)
		}
		docs := tx.Bucket(bucketDocs).Stats().KeyN
		blobs, pending := storeBlobs(t, f.v)
		// A write in flight at the kill may land after the sweep (S3): a
		// known leftover, removed at the next start, not an orphan.
		late := 0
		f.v.blobs.Walk(context.Background(), func(s blobstore.Sum, _ int64) error {
			if refState(tx.Bucket(bucketRefs), s) == refStateLeftover {
				late++
			}
			return nil
		})
		if blobs-late != docs || pending != 0 {
			t.Errorf("%d blobs (%d known leftovers) and %d pending for %d documents: leftovers of a crash", blobs, late, pending, docs)
		}
		return tx.Bucket(bucketDocs).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	for _, id := range ids {
		c, err := f.v.OpenContent(f.r1.caller(), id)
		if err != nil {
			t.Fatalf("document %s: %v", id, err)
		}
		defer c.Close()
		h := sha256.New()
		var plain bytes.Buffer
		slot, err := f.v.KeySlot(f.r1.caller(), id)
		if err != nil {
			t.Fatal(err)
		}
		key, err := envelope.OpenSlot(slot, f.r1.identity)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := envelope.Decrypt(&plain, io.TeeReader(c, h), key); err != nil {
			t.Fatalf("document %s does not decrypt: %v", id, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != c.SHA256 {
			t.Fatalf("document %s: ciphertext hash %s, record says %s", id, got, c.SHA256)
		}
		if seed, ok := acked[id]; ok && !bytes.Equal(plain.Bytes(), crashContent(seed)) {
			t.Fatalf("acknowledged document %s (seed %d) reads back different", id, seed)
		}
	}
	for id := range acked {
		if _, err := f.v.GetDocument(f.r1.caller(), id); err != nil {
			t.Fatalf("acknowledged document %s lost: %v", id, err)
		}
	}
	return len(ids)
}
