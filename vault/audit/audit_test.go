package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
)

func TestAppendAssignsSeqAndTime(t *testing.T) {
	db, _ := openDB(t)
	l := newTestLog(t, "vault")
	if err := db.Update(l.Init); err != nil {
		t.Fatal(err)
	}
	local := time.FixedZone("AST", 3*3600)
	given := time.Date(2018, 3, 2, 12, 0, 0, 0, local)
	events := []*Event{
		{Actor: "-", Action: "auth.login", Outcome: auditlog.OutcomeDenied},
		{Time: given, Actor: "admin", Action: "user.create", Target: "l.karim", Outcome: auditlog.OutcomeOK},
	}
	before := time.Now()
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, e := range events {
			e.Seq = 42 // ignored
			if err := l.Append(tx, e); err != nil {
				return err
			}
		}
		return l.Sign(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range events {
		if e.Seq != int64(i) {
			t.Errorf("event %d: Seq = %d", i, e.Seq)
		}
		if e.Time.Location() != time.UTC {
			t.Errorf("event %d: time %v is not UTC", i, e.Time)
		}
	}
	if e := events[0]; e.Time.Before(before.Add(-time.Second)) || e.Time.After(time.Now()) {
		t.Errorf("zero time set to %v", e.Time)
	}
	if !events[1].Time.Equal(given) {
		t.Errorf("given time changed to %v", events[1].Time)
	}

	db.View(func(tx *bbolt.Tx) error {
		leaves, err := Events(tx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(leaves) != 2 {
			t.Fatalf("Events = %d leaves", len(leaves))
		}
		for i, leaf := range leaves {
			if bytes.ContainsAny(leaf, "\n\r") || !json1Line(leaf) {
				t.Errorf("leaf %d is not one line of compact JSON: %q", i, leaf)
			}
			e, err := auditlog.ParseEvent(leaf)
			if err != nil {
				t.Fatal(err)
			}
			if e.Seq != int64(i) || e.Action != events[i].Action || !e.Time.Equal(events[i].Time) {
				t.Errorf("leaf %d decodes to %+v", i, e)
			}
		}
		if !strings.HasPrefix(string(leaves[1]), `{"seq":1,"time":"2018-03-02T09:00:00Z","actor":"admin","action":"user.create","target":"l.karim","outcome":"ok"}`) {
			t.Errorf("leaf 1 = %s", leaves[1])
		}
		if leaves, _ := Events(tx, 1, 5); len(leaves) != 1 {
			t.Errorf("Events(1, 5) = %d leaves", len(leaves))
		}
		if n, err := Size(tx); n != 2 || err != nil {
			t.Errorf("Size = %d, %v", n, err)
		}
		return nil
	})
}

func json1Line(b []byte) bool {
	var buf bytes.Buffer
	return json.Compact(&buf, b) == nil && bytes.Equal(buf.Bytes(), b)
}

func TestAppendRejects(t *testing.T) {
	db, _ := openDB(t)
	l := newTestLog(t, "vault")
	if err := db.Update(l.Init); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		e    Event
	}{
		{"no action", Event{Actor: "a", Outcome: auditlog.OutcomeOK}},
		{"no outcome", Event{Actor: "a", Action: "search"}},
		{"plaintext hashed value", Event{Actor: "a", Action: "search", Outcome: auditlog.OutcomeOK, Hashed: map[string]string{"query": "Nadia Murad"}}},
		{"short hmac", Event{Actor: "a", Action: "search", Outcome: auditlog.OutcomeOK, Hashed: map[string]string{"query": "hmac-sha256:abcd"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Update(func(tx *bbolt.Tx) error { return l.Append(tx, &tc.e) })
			if !errors.Is(err, auditlog.ErrInvalidEvent) {
				t.Errorf("Append = %v, want auditlog.ErrInvalidEvent", err)
			}
		})
	}
	db.View(func(tx *bbolt.Tx) error {
		if n, _ := Size(tx); n != 0 {
			t.Errorf("rejected events were stored: size %d", n)
		}
		return nil
	})
}

func TestNotInitialized(t *testing.T) {
	db, _ := openDB(t)
	l := newTestLog(t, "vault")
	err := db.Update(func(tx *bbolt.Tx) error { return l.Append(tx, testEvent(0)) })
	if !errors.Is(err, ErrNotInitialized) {
		t.Errorf("Append = %v, want ErrNotInitialized", err)
	}
	db.View(func(tx *bbolt.Tx) error {
		if _, err := Verify(tx, nil); !errors.Is(err, ErrNotInitialized) {
			t.Errorf("Verify = %v, want ErrNotInitialized", err)
		}
		return nil
	})
}

func TestInitAndSignKeys(t *testing.T) {
	db, _, _ := newLog(t, 3)
	l := newTestLog(t, "vault")
	other := newTestLog(t, "other")
	if err := db.Update(l.Init); err != nil {
		t.Errorf("Init again with the same key: %v", err)
	}
	if err := db.Update(other.Init); err == nil {
		t.Error("Init with another key succeeded")
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		if err := other.Append(tx, testEvent(3)); err != nil {
			return err
		}
		return other.Sign(tx)
	})
	if err == nil {
		t.Error("Sign with another key succeeded")
	}
	if _, err := verifyDB(t, db, nil); err != nil {
		t.Errorf("Verify after refused writes: %v", err)
	}
}

func TestNew(t *testing.T) {
	key := testKey("vault")
	for _, tc := range []struct {
		origin string
		hmac   []byte
		key    ed25519.PrivateKey
	}{
		{"", testHMACKey("x"), key},
		{"has space", testHMACKey("x"), key},
		{"a+b", testHMACKey("x"), key},
		{"ok", make([]byte, 16), key},
		{"ok", testHMACKey("x"), key[:32]},
	} {
		if _, err := New(tc.origin, tc.hmac, tc.key); err == nil {
			t.Errorf("New(%q, %d-byte HMAC key, %d-byte signing key) succeeded", tc.origin, len(tc.hmac), len(tc.key))
		}
	}
	l := newTestLog(t, "vault")
	want, _ := note.NewEd25519VerifierKey(testOrigin, key.Public().(ed25519.PublicKey))
	if l.VerifierKey() != want {
		t.Errorf("VerifierKey = %s, want %s", l.VerifierKey(), want)
	}
}

func TestStoredCheckpoints(t *testing.T) {
	// The newest checkpoint signs the tree of the stored hashes, in the
	// format auditlog defines (its tests read it with independent C2SP
	// readers), under the log's key only.
	db, _, l := newLog(t, 5)
	msg := latestOf(t, db)
	var root tlog.Hash
	db.View(func(tx *bbolt.Tx) error {
		s, _ := open(tx)
		root, _ = tlog.TreeHash(5, s)
		return nil
	})
	v, err := note.NewVerifier(l.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	want := auditlog.Checkpoint{Origin: testOrigin, Size: 5, Root: root}
	if err != nil || n.Text != want.Text() || len(n.Sigs) != 1 {
		t.Errorf("note.Open = %+v, %v; want the text %q", n, err, want.Text())
	}
	c, err := auditlog.OpenCheckpoint(msg, l.VerifierKey())
	if err != nil || c != want {
		t.Errorf("OpenCheckpoint = %+v, %v", c, err)
	}
	other := newTestLog(t, "other")
	if _, err := auditlog.OpenCheckpoint(msg, other.VerifierKey()); !errors.Is(err, auditlog.ErrBadCheckpoint) {
		t.Errorf("OpenCheckpoint with another key = %v", err)
	}

	// History: one checkpoint per signed size, the empty log's included.
	for size := int64(0); size <= 5; size++ {
		c, err := auditlog.OpenCheckpoint(checkpointAt(t, db, size), l.VerifierKey())
		if err != nil || c.Size != size {
			t.Errorf("checkpoint %d: %+v, %v", size, c, err)
		}
	}
}

func TestSignUnchangedIsNoop(t *testing.T) {
	db, _, l := newLog(t, 4)
	before := latestOf(t, db)
	var count int
	for range 3 {
		if err := db.Update(l.Sign); err != nil {
			t.Fatal(err)
		}
	}
	db.View(func(tx *bbolt.Tx) error {
		count = tx.Bucket(bucketCheckpoints).Stats().KeyN
		return nil
	})
	if count != 5 || !bytes.Equal(before, latestOf(t, db)) {
		t.Errorf("after unchanged Sign calls: %d checkpoints, latest changed: %v", count, !bytes.Equal(before, latestOf(t, db)))
	}
}

func TestProofs(t *testing.T) {
	const n = 37
	db, _, l := newLog(t, n)
	db.View(func(tx *bbolt.Tx) error {
		leaves, err := Events(tx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		roots := make([]tlog.Hash, n+1)
		for size := int64(1); size <= n; size++ {
			msg, _ := CheckpointAt(tx, size)
			c, err := auditlog.OpenCheckpoint(msg, l.VerifierKey())
			if err != nil {
				t.Fatal(err)
			}
			roots[size] = c.Root
		}
		for size := int64(1); size <= n; size++ {
			for seq := int64(0); seq < size; seq++ {
				p, err := InclusionProof(tx, seq, size)
				if err != nil {
					t.Fatal(err)
				}
				if err := tlog.CheckRecord(p, size, roots[size], seq, tlog.RecordHash(leaves[seq])); err != nil {
					t.Fatalf("inclusion of %d in %d: %v", seq, size, err)
				}
				other := leaves[(seq+1)%size]
				if size > 1 && tlog.CheckRecord(p, size, roots[size], seq, tlog.RecordHash(other)) == nil {
					t.Fatalf("inclusion proof of %d in %d accepts another event", seq, size)
				}
			}
			for old := int64(1); old <= size; old++ {
				p, err := ConsistencyProof(tx, old, size)
				if err != nil {
					t.Fatal(err)
				}
				if err := tlog.CheckTree(p, size, roots[size], old, roots[old]); err != nil {
					t.Fatalf("consistency %d -> %d: %v", old, size, err)
				}
			}
		}
		for _, c := range [][2]int64{{-1, 5}, {5, 5}, {0, n + 1}} {
			if _, err := InclusionProof(tx, c[0], c[1]); err == nil {
				t.Errorf("InclusionProof(%d, %d) succeeded", c[0], c[1])
			}
		}
		for _, c := range [][2]int64{{0, 5}, {6, 5}, {1, n + 1}} {
			if _, err := ConsistencyProof(tx, c[0], c[1]); err == nil {
				t.Errorf("ConsistencyProof(%d, %d) succeeded", c[0], c[1])
			}
		}
		return nil
	})
}

func TestVerifyGood(t *testing.T) {
	db, _, l := newLog(t, 50)
	// Also a batched transaction of many events.
	appendEvents(t, db, l, 50, 300, 100)
	old := checkpointAt(t, db, 20)
	for _, o := range [][]byte{nil, old, latestOf(t, db), checkpointAt(t, db, 0)} {
		rep, err := verifyDB(t, db, o)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if rep.Size != 350 || rep.Latest == nil || rep.Latest.Size != 350 || rep.Root != rep.Latest.Root || rep.VerifierKey != l.VerifierKey() {
			t.Errorf("report = %+v", rep)
		}
	}
}

func TestVerifyEmpty(t *testing.T) {
	db, _, l := newLog(t, 0)
	rep, err := verifyDB(t, db, nil)
	if err != nil || rep.Size != 0 || rep.Root != tlog.Hash(sha256.Sum256(nil)) {
		t.Errorf("Verify empty = %+v, %v", rep, err)
	}
	c, err := auditlog.OpenCheckpoint(latestOf(t, db), l.VerifierKey())
	if err != nil || c.Size != 0 || c.Root != tlog.Hash(sha256.Sum256(nil)) {
		t.Errorf("empty checkpoint %+v, %v", c, err)
	}
}

func TestConcurrentBatch(t *testing.T) {
	db, _ := openDB(t)
	l := newTestLog(t, "vault")
	if err := db.Update(l.Init); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 25
	errc := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range each {
				e := testEvent(w*each + i)
				errc <- db.Batch(func(tx *bbolt.Tx) error {
					if err := l.Append(tx, e); err != nil {
						return err
					}
					return l.Sign(tx)
				})
			}
		}()
	}
	for range workers * each {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	rep, err := verifyDB(t, db, nil)
	if err != nil || rep.Size != workers*each {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}
