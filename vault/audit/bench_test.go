package audit

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/auditlog"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bigDir != "" {
		os.RemoveAll(bigDir)
	}
	os.Exit(code)
}

// benchEvent is a typical audited search: a hashed query and client.
func benchEvent(l *Log, i int) *Event {
	return &Event{
		Time:      testTime.Add(time.Duration(i) * time.Millisecond),
		Actor:     "l.karim",
		Action:    "search",
		Outcome:   auditlog.OutcomeOK,
		RequestID: "01J8ZQ4M6W2H3K5N7P9R" + strconv.Itoa(i),
		Hashed:    map[string]string{"query": l.HMAC("detention " + strconv.Itoa(i)), "client": l.HMAC("198.51.100.7")},
		Detail:    map[string]string{"hits": "17"},
	}
}

// openSynced opens a fresh database that fsyncs every commit.
func openSynced(b *testing.B) (*bbolt.DB, *Log) {
	b.Helper()
	db := openPath(b, filepath.Join(b.TempDir(), "vault.db"))
	l := newTestLog(b, "vault")
	if err := db.Update(l.Init); err != nil {
		b.Fatal(err)
	}
	return db, l
}

func reportRate(b *testing.B, events int) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkAppend(b *testing.B) {
	b.Run("tx-per-event", func(b *testing.B) {
		// One fsync'd write transaction per event, as a lone audited request.
		db, l := openSynced(b)
		b.ResetTimer()
		for i := range b.N {
			err := db.Update(func(tx *bbolt.Tx) error {
				if err := l.Append(tx, benchEvent(l, i)); err != nil {
					return err
				}
				return l.Sign(tx)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, b.N)
	})
	b.Run("1000-per-tx", func(b *testing.B) {
		db, l := openSynced(b)
		b.ResetTimer()
		for i := 0; i < b.N; i += 1000 {
			err := db.Update(func(tx *bbolt.Tx) error {
				for j := i; j < i+1000 && j < b.N; j++ {
					if err := l.Append(tx, benchEvent(l, j)); err != nil {
						return err
					}
				}
				return l.Sign(tx)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, b.N)
	})
	b.Run("db.Batch-parallel", func(b *testing.B) {
		// Concurrent audited requests, each Append+Sign in db.Batch, which
		// bbolt groups into shared fsync'd transactions.
		db, l := openSynced(b)
		var next atomic.Int64
		b.SetParallelism(32)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				e := benchEvent(l, int(next.Add(1)))
				err := db.Batch(func(tx *bbolt.Tx) error {
					if err := l.Append(tx, e); err != nil {
						return err
					}
					return l.Sign(tx)
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, b.N)
	})
	b.Run("in-memory-tx", func(b *testing.B) {
		// The package's own cost, without fsync: one long transaction.
		db, _ := openDB(b)
		l := newTestLog(b, "vault")
		db.Update(l.Init)
		tx, err := db.Begin(true)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback()
		b.ResetTimer()
		for i := range b.N {
			if err := l.Append(tx, benchEvent(l, i)); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, b.N)
	})
	b.Run("Sign", func(b *testing.B) {
		// Sign after each Append: a checkpoint per size.
		db, _ := openDB(b)
		l := newTestLog(b, "vault")
		db.Update(l.Init)
		tx, err := db.Begin(true)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback()
		b.ResetTimer()
		for i := range b.N {
			if err := l.Append(tx, benchEvent(l, i)); err != nil {
				b.Fatal(err)
			}
			if err := l.Sign(tx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var (
	bigOnce sync.Once
	bigDir  string // holds vault.db and export/, removed by TestMain
	bigN    = 1_000_000
	bigErr  error
)

// bigLog builds, once per test binary, a log of bigN events (env
// AUDIT_BENCH_EVENTS overrides) in large transactions, and an export of it.
func bigLog(b *testing.B) (path, exportDir string) {
	bigOnce.Do(func() {
		if s := os.Getenv("AUDIT_BENCH_EVENTS"); s != "" {
			bigN, _ = strconv.Atoi(s)
		}
		bigDir, bigErr = os.MkdirTemp("", "audit-bench-")
		if bigErr != nil {
			return
		}
		start := time.Now()
		db, err := bbolt.Open(filepath.Join(bigDir, "vault.db"), 0o600, nil)
		if err != nil {
			bigErr = err
			return
		}
		defer db.Close()
		db.NoSync = true
		l := newTestLog(b, "vault")
		if bigErr = db.Update(l.Init); bigErr != nil {
			return
		}
		const perTx = 50_000
		for i := 0; i < bigN && bigErr == nil; i += perTx {
			bigErr = db.Update(func(tx *bbolt.Tx) error {
				for j := i; j < i+perTx && j < bigN; j++ {
					if err := l.Append(tx, benchEvent(l, j)); err != nil {
						return err
					}
				}
				return l.Sign(tx)
			})
		}
		if bigErr == nil {
			bigErr = db.View(func(tx *bbolt.Tx) error { return Export(tx, filepath.Join(bigDir, "export")) })
		}
		fi, _ := os.Stat(filepath.Join(bigDir, "vault.db"))
		b.Logf("built %d events in %v (%d MiB database)", bigN, time.Since(start).Round(time.Millisecond), fi.Size()>>20)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return filepath.Join(bigDir, "vault.db"), filepath.Join(bigDir, "export")
}

func BenchmarkVerify(b *testing.B) {
	path, exportDir := bigLog(b)
	b.Run(fmt.Sprintf("db/%d", bigN), func(b *testing.B) {
		db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		b.ResetTimer()
		for range b.N {
			err := db.View(func(tx *bbolt.Tx) error {
				rep, err := Verify(tx, nil)
				if err == nil && rep.Size != int64(bigN) {
					err = fmt.Errorf("verified %d events", rep.Size)
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, b.N*bigN)
	})
	b.Run(fmt.Sprintf("export/%d", bigN), func(b *testing.B) {
		for range b.N {
			if _, err := auditlog.VerifyExport(exportDir, nil); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, b.N*bigN)
	})
}

func BenchmarkProof(b *testing.B) {
	path, _ := bigLog(b)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	size := int64(bigN)
	rng := rand.New(rand.NewPCG(1, 2))
	b.Run("inclusion", func(b *testing.B) {
		hashes := 0
		db.View(func(tx *bbolt.Tx) error {
			for range b.N {
				p, err := InclusionProof(tx, rng.Int64N(size), size)
				if err != nil {
					b.Fatal(err)
				}
				hashes += len(p)
			}
			return nil
		})
		b.ReportMetric(float64(hashes)/float64(b.N), "hashes/proof")
		b.ReportMetric(float64(hashes*32)/float64(b.N), "bytes/proof")
	})
	b.Run("consistency", func(b *testing.B) {
		hashes := 0
		db.View(func(tx *bbolt.Tx) error {
			for range b.N {
				p, err := ConsistencyProof(tx, 1+rng.Int64N(size-1), size)
				if err != nil {
					b.Fatal(err)
				}
				hashes += len(p)
			}
			return nil
		})
		b.ReportMetric(float64(hashes)/float64(b.N), "hashes/proof")
		b.ReportMetric(float64(hashes*32)/float64(b.N), "bytes/proof")
	})
}
