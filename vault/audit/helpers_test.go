package audit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/auditlog"
)

const testOrigin = "amana.test/audit"

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("signing key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func testHMACKey(name string) []byte {
	k := sha256.Sum256([]byte("hmac key " + name))
	return k[:]
}

func newTestLog(t testing.TB, name string) *Log {
	t.Helper()
	l, err := New(testOrigin, testHMACKey(name), testKey(name))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// openDB opens a fresh bbolt file in a temporary directory. Tests do not
// need fsync; benchmarks that measure it turn it back on.
func openDB(t testing.TB) (*bbolt.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vault.db")
	db := openPath(t, path)
	db.NoSync = true
	return db, path
}

func openPath(t testing.TB, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var testTime = time.Date(2018, 3, 2, 9, 0, 0, 0, time.UTC)

func testEvent(i int) *Event {
	return &Event{
		Time:      testTime.Add(time.Duration(i) * time.Second),
		Actor:     "r.hassan",
		Action:    "document.deposit",
		Doc:       fmt.Sprintf("d%06d", i),
		Outcome:   auditlog.OutcomeOK,
		RequestID: fmt.Sprintf("req-%d", i),
		Detail:    map[string]string{"size": fmt.Sprint(1000 + i)},
	}
}

// newLog creates a log of n events, one signed write transaction each, so
// that there is a checkpoint for every size.
func newLog(t testing.TB, n int) (*bbolt.DB, string, *Log) {
	t.Helper()
	db, path := openDB(t)
	l := newTestLog(t, "vault")
	if err := db.Update(l.Init); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, db, l, 0, n, 1)
	return db, path, l
}

// appendEvents appends events first..first+n-1, perTx of them per signed
// write transaction.
func appendEvents(t testing.TB, db *bbolt.DB, l *Log, first, n, perTx int) {
	t.Helper()
	for i := 0; i < n; i += perTx {
		err := db.Update(func(tx *bbolt.Tx) error {
			for j := i; j < i+perTx && j < n; j++ {
				if err := l.Append(tx, testEvent(first+j)); err != nil {
					return err
				}
			}
			return l.Sign(tx)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func latestOf(t testing.TB, db *bbolt.DB) []byte {
	t.Helper()
	var msg []byte
	if err := db.View(func(tx *bbolt.Tx) (err error) {
		msg, err = LatestCheckpoint(tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return msg
}

func checkpointAt(t testing.TB, db *bbolt.DB, size int64) []byte {
	t.Helper()
	var msg []byte
	if err := db.View(func(tx *bbolt.Tx) (err error) {
		msg, err = CheckpointAt(tx, size)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if msg == nil {
		t.Fatalf("no checkpoint at size %d", size)
	}
	return msg
}

func verifyDB(t testing.TB, db *bbolt.DB, old []byte) (rep *auditlog.Report, err error) {
	t.Helper()
	if verr := db.View(func(tx *bbolt.Tx) error {
		rep, err = Verify(tx, old)
		return nil
	}); verr != nil {
		t.Fatal(verr)
	}
	return rep, err
}
