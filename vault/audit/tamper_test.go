package audit

// These tests play an attacker who can rewrite the database file: they open
// it with bbolt and change the audit buckets directly, by name, using only
// public libraries (tlog, note) and none of this package's API, except where
// the attacker is also assumed to hold the signing key.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
)

const (
	tamperSize = 40 // events in the log, one signed transaction each
	auditorAt  = 30 // the auditor kept the checkpoint of this size
	victim     = 12 // the event the attacker goes after
)

func key8(i int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(i)) }

// raw reads every event's leaf data.
func raw(tx *bbolt.Tx) [][]byte {
	var out [][]byte
	tx.Bucket([]byte("audit.events")).ForEach(func(_, v []byte) error {
		out = append(out, append([]byte(nil), v...))
		return nil
	})
	return out
}

// rewrite replaces the events with leaves and recomputes every stored hash
// consistently, as an attacker who knows tlog would.
func rewrite(t *testing.T, tx *bbolt.Tx, leaves [][]byte) {
	t.Helper()
	for _, name := range []string{"audit.events", "audit.hashes"} {
		if err := tx.DeleteBucket([]byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	events, _ := tx.CreateBucket([]byte("audit.events"))
	hashes, _ := tx.CreateBucket([]byte("audit.hashes"))
	var stored []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for n, leaf := range leaves {
		hs, err := tlog.StoredHashes(int64(n), leaf, r)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		events.Put(key8(int64(n)), leaf)
	}
	for i, h := range stored {
		hashes.Put(key8(int64(i)), h[:])
	}
}

// treeRoot computes the tree hash of leaves with tlog, as the attacker would.
func treeRoot(leaves [][]byte) tlog.Hash {
	var stored []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for n, leaf := range leaves {
		hs, _ := tlog.StoredHashes(int64(n), leaf, r)
		stored = append(stored, hs...)
	}
	h, _ := tlog.TreeHash(int64(len(leaves)), r)
	return h
}

var seqField = regexp.MustCompile(`^\{"seq":\d+,`)

func renumber(leaves [][]byte) [][]byte {
	out := make([][]byte, len(leaves))
	for i, leaf := range leaves {
		out[i] = seqField.ReplaceAll(leaf, fmt.Appendf(nil, `{"seq":%d,`, i))
	}
	return out
}

func edit(leaf []byte) []byte {
	// Same length, so nothing but the content changes.
	return bytes.Replace(leaf, []byte("r.hassan"), []byte("x.nobody"), 1)
}

// dropCheckpointsAbove deletes the signed checkpoints above size, so that
// the genuine checkpoint of that size becomes the newest.
func dropCheckpointsAbove(tx *bbolt.Tx, size int64) {
	c := tx.Bucket([]byte("audit.checkpoints")).Cursor()
	for k, _ := c.Seek(key8(size + 1)); k != nil; k, _ = c.Seek(key8(size + 1)) {
		c.Delete()
	}
}

// truncate deletes the events from size on and their stored hashes.
func truncate(tx *bbolt.Tx, size int64) {
	for _, b := range []struct {
		name string
		from int64
	}{{"audit.events", size}, {"audit.hashes", tlog.StoredHashIndex(0, size)}} {
		c := tx.Bucket([]byte(b.name)).Cursor()
		for k, _ := c.Seek(key8(b.from)); k != nil; k, _ = c.Seek(key8(b.from)) {
			c.Delete()
		}
	}
}

func attackerSigner(t *testing.T) (note.Signer, string) {
	skey, vkey, err := note.GenerateKey(nil, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func signAs(t *testing.T, s note.Signer, size int, root tlog.Hash) []byte {
	msg, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", testOrigin, size, root)}, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestTamper(t *testing.T) {
	const undetected = -1
	for _, tc := range []struct {
		name   string
		attack func(t *testing.T, tx *bbolt.Tx, l *Log)
		// The first seq Verify must name, without and with the auditor's
		// earlier checkpoint; undetected means Verify passes.
		seq, seqOld int64
	}{
		{
			name: "edit an event's bytes",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				b := tx.Bucket([]byte("audit.events"))
				b.Put(key8(victim), edit(b.Get(key8(victim))))
			},
			seq: victim, seqOld: victim,
		},
		{
			name: "edit an event and recompute the stored hashes",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				leaves := raw(tx)
				leaves[victim] = edit(leaves[victim])
				rewrite(t, tx, leaves)
			},
			seq: victim, seqOld: victim,
		},
		{
			name: "edit, recompute and drop the checkpoint history after the edit",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				leaves := raw(tx)
				leaves[victim] = edit(leaves[victim])
				rewrite(t, tx, leaves)
				c := tx.Bucket([]byte("audit.checkpoints"))
				for i := int64(victim + 1); i < tamperSize; i++ {
					c.Delete(key8(i))
				}
			},
			seq: victim, seqOld: victim,
		},
		{
			name: "edit an event after the auditor's checkpoint and recompute",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				leaves := raw(tx)
				leaves[35] = edit(leaves[35])
				rewrite(t, tx, leaves)
			},
			seq: 35, seqOld: 35,
		},
		{
			name: "replace an event with garbage",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				leaves := raw(tx)
				leaves[victim] = []byte("\x00{\"seq\":")
				rewrite(t, tx, leaves)
			},
			seq: victim, seqOld: victim,
		},
		{
			name: "delete an event",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				tx.Bucket([]byte("audit.events")).Delete(key8(victim))
			},
			seq: victim, seqOld: victim,
		},
		{
			name: "delete an event, renumber and recompute",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				leaves := raw(tx)
				leaves = append(leaves[:victim], leaves[victim+1:]...)
				rewrite(t, tx, renumber(leaves))
			},
			seq: victim, seqOld: victim,
		},
		{
			name: "delete an event, renumber, recompute and roll back the checkpoint by one",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				leaves := raw(tx)
				leaves = append(leaves[:victim], leaves[victim+1:]...)
				rewrite(t, tx, renumber(leaves))
				dropCheckpointsAbove(tx, tamperSize-1)
			},
			seq: victim, seqOld: victim,
		},
		{
			name: "reorder two events",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				b := tx.Bucket([]byte("audit.events"))
				a, c := b.Get(key8(victim)), b.Get(key8(20))
				a, c = append([]byte(nil), a...), append([]byte(nil), c...)
				b.Put(key8(victim), c)
				b.Put(key8(20), a)
			},
			seq: victim, seqOld: victim,
		},
		{
			name: "reorder two events, renumber and recompute",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				leaves := raw(tx)
				leaves[victim], leaves[20] = leaves[20], leaves[victim]
				rewrite(t, tx, renumber(leaves))
			},
			seq: victim, seqOld: victim,
		},
		{
			name: "edit a stored hash",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				b := tx.Bucket([]byte("audit.hashes"))
				k := key8(tlog.StoredHashIndex(0, victim))
				h := append([]byte(nil), b.Get(k)...)
				h[0] ^= 1
				b.Put(k, h)
			},
			seq: victim, seqOld: victim,
		},
		{
			name: "truncate the log",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				truncate(tx, 35)
			},
			seq: 35, seqOld: 35,
		},
		{
			name: "delete tail events but leave their hashes",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				c := tx.Bucket([]byte("audit.events")).Cursor()
				for k, _ := c.Seek(key8(35)); k != nil; k, _ = c.Seek(key8(35)) {
					c.Delete()
				}
			},
			seq: 35, seqOld: 35,
		},
		{
			// Truncating back to a genuine earlier checkpoint leaves a
			// valid, shorter log: only an auditor's checkpoint reveals it.
			name: "truncate below the auditor's checkpoint and roll back the checkpoints",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				truncate(tx, 25)
				dropCheckpointsAbove(tx, 25)
			},
			seq: undetected, seqOld: 25,
		},
		{
			name: "truncate, roll back the checkpoints and regrow with forged events",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				leaves := raw(tx)[:25]
				for i := 25; i < tamperSize; i++ {
					leaves = append(leaves, fmt.Appendf(nil, `{"seq":%d,"time":"2018-03-02T09:00:00Z","actor":"admin","action":"auth.login","outcome":"ok"}`, i))
				}
				rewrite(t, tx, leaves)
				dropCheckpointsAbove(tx, 25)
			},
			seq: 25, seqOld: 25,
		},
		{
			name: "append forged events",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				leaves := raw(tx)
				leaves = append(leaves, []byte(`{"seq":40,"time":"2018-03-02T09:00:00Z","actor":"l.karim","action":"document.read","outcome":"ok"}`))
				rewrite(t, tx, leaves)
			},
			seq: tamperSize, seqOld: tamperSize,
		},
		{
			name: "a checkpoint signed by another key",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				leaves := raw(tx)
				leaves[victim] = edit(leaves[victim])
				rewrite(t, tx, leaves)
				s, _ := attackerSigner(t)
				tx.Bucket([]byte("audit.checkpoints")).Put(key8(tamperSize), signAs(t, s, tamperSize, treeRoot(leaves)))
			},
			seq: victim, seqOld: victim,
		},
		{
			name: "a new checkpoint signed by another key",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				leaves := append(raw(tx), []byte(`{"seq":40,"time":"2018-03-02T09:00:00Z","actor":"-","action":"x","outcome":"ok"}`))
				rewrite(t, tx, leaves)
				s, _ := attackerSigner(t)
				tx.Bucket([]byte("audit.checkpoints")).Put(key8(tamperSize+1), signAs(t, s, tamperSize+1, treeRoot(leaves)))
			},
			seq: tamperSize, seqOld: tamperSize,
		},
		{
			name: "delete every checkpoint",
			attack: func(t *testing.T, tx *bbolt.Tx, _ *Log) {
				dropCheckpointsAbove(tx, -1)
			},
			seq: 0, seqOld: auditorAt,
		},
		{
			// With the real signing key (a compromised server), history
			// can be rewritten and re-signed, but not below a checkpoint an
			// auditor kept.
			name: "rewrite and re-sign with the stolen signing key",
			attack: func(t *testing.T, tx *bbolt.Tx, l *Log) {
				leaves := raw(tx)
				leaves[victim] = edit(leaves[victim])
				rewrite(t, tx, leaves)
				dropCheckpointsAbove(tx, victim)
				if err := l.Sign(tx); err != nil {
					t.Fatal(err)
				}
			},
			seq: undetected, seqOld: victim,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, path, l := newLog(t, tamperSize)
			old := checkpointAt(t, db, auditorAt)
			db.Close()

			db = openPath(t, path)
			if err := db.Update(func(tx *bbolt.Tx) error {
				tc.attack(t, tx, l)
				return nil
			}); err != nil {
				t.Fatal(err)
			}

			for _, c := range []struct {
				old  []byte
				want int64
			}{{nil, tc.seq}, {old, tc.seqOld}} {
				rep, err := verifyDB(t, db, c.old)
				if c.want == undetected {
					if err != nil {
						t.Errorf("Verify(old=%v) = %v, want success (undetectable without the auditor's checkpoint)", c.old != nil, err)
					}
					continue
				}
				var te *auditlog.TamperError
				if !errors.As(err, &te) {
					t.Fatalf("Verify(old=%v) = %v, want *auditlog.TamperError", c.old != nil, err)
				}
				if te.Seq != c.want {
					t.Errorf("Verify(old=%v): seq %d, want %d: %v", c.old != nil, te.Seq, c.want, err)
				}
				if rep == nil || !strings.Contains(err.Error(), fmt.Sprintf("seq %d", te.Seq)) {
					t.Errorf("Verify(old=%v) = %+v, %v", c.old != nil, rep, err)
				}
				t.Logf("old=%v: %v", c.old != nil, err)
			}
		})
	}
}

func TestTamperReplacedVerifierKey(t *testing.T) {
	// An attacker who replaces the stored verifier key and re-signs with
	// their own key makes a log that verifies, but under a key that is not
	// the published one, and an auditor's checkpoint no longer verifies.
	db, path, l := newLog(t, tamperSize)
	old := checkpointAt(t, db, auditorAt)
	db.Close()
	db = openPath(t, path)
	s, vkey := attackerSigner(t)
	db.Update(func(tx *bbolt.Tx) error {
		leaves := raw(tx)
		leaves[victim] = edit(leaves[victim])
		rewrite(t, tx, leaves)
		tx.Bucket([]byte("audit.meta")).Put([]byte("verifier"), []byte(vkey))
		tx.Bucket([]byte("audit.checkpoints")).Put(key8(tamperSize), signAs(t, s, tamperSize, treeRoot(leaves)))
		return nil
	})
	rep, err := verifyDB(t, db, nil)
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	if rep.VerifierKey == l.VerifierKey() {
		t.Error("report does not show the replaced verifier key")
	}
	if _, err := verifyDB(t, db, old); !errors.Is(err, auditlog.ErrBadCheckpoint) {
		t.Errorf("Verify(old) = %v, want auditlog.ErrBadCheckpoint", err)
	}
}

func TestConsistencyProofAfterTamper(t *testing.T) {
	// The auditor holds checkpoints taken before the attack. After an event
	// below them is rewritten (stored hashes recomputed), no consistency
	// proof the server can produce connects the auditor's checkpoint to the
	// newest one, whether that is the genuine one or one re-signed for the
	// rewritten tree.
	db, path, l := newLog(t, tamperSize)
	oldC, _ := auditlog.OpenCheckpoint(checkpointAt(t, db, auditorAt), l.VerifierKey())
	latestC, _ := auditlog.OpenCheckpoint(latestOf(t, db), l.VerifierKey())
	db.View(func(tx *bbolt.Tx) error {
		p, err := ConsistencyProof(tx, auditorAt, tamperSize)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(p, tamperSize, latestC.Root, auditorAt, oldC.Root); err != nil {
			t.Fatalf("before the attack: %v", err)
		}
		return nil
	})
	db.Close()
	db = openPath(t, path)
	var newRoot tlog.Hash
	db.Update(func(tx *bbolt.Tx) error {
		leaves := raw(tx)
		leaves[victim] = edit(leaves[victim])
		rewrite(t, tx, leaves)
		newRoot = treeRoot(leaves)
		return nil
	})
	db.View(func(tx *bbolt.Tx) error {
		p, err := ConsistencyProof(tx, auditorAt, tamperSize)
		if err != nil {
			t.Fatal(err)
		}
		for _, root := range []tlog.Hash{latestC.Root, newRoot} {
			if err := tlog.CheckTree(p, tamperSize, root, auditorAt, oldC.Root); err == nil {
				t.Errorf("consistency proof from the auditor's checkpoint checks after the attack (root %v)", root)
			}
		}
		// Inclusion proofs of the edited event fail against the auditor's root.
		leaves, _ := Events(tx, victim, 1)
		ip, _ := InclusionProof(tx, victim, auditorAt)
		if tlog.CheckRecord(ip, auditorAt, oldC.Root, victim, tlog.RecordHash(leaves[0])) == nil {
			t.Error("inclusion proof of the edited event checks against the auditor's checkpoint")
		}
		return nil
	})
}

func TestVerifyNeverPanics(t *testing.T) {
	// Garbage in every bucket: errors, not panics.
	for _, bucket := range []string{"audit.events", "audit.hashes", "audit.checkpoints", "audit.meta"} {
		for _, kv := range [][2]string{
			{"", ""}, {"x", "y"}, {"\x00\x00\x00\x00\x00\x00\x00\x05", "{}"},
			{"\xff\xff\xff\xff\xff\xff\xff\xff", "null"}, {"verifier", "garbage"},
		} {
			t.Run(fmt.Sprintf("%s/%q", bucket, kv[0]), func(t *testing.T) {
				db, path, _ := newLog(t, 5)
				db.Close()
				db = openPath(t, path)
				db.Update(func(tx *bbolt.Tx) error {
					b := tx.Bucket([]byte(bucket))
					if kv[0] == "" {
						b.CreateBucket([]byte("nested"))
						return nil
					}
					return b.Put([]byte(kv[0]), []byte(kv[1]))
				})
				if _, err := verifyDB(t, db, nil); err == nil && bucket != "audit.meta" {
					t.Errorf("Verify accepted garbage")
				}
				db.View(func(tx *bbolt.Tx) error {
					Size(tx)
					LatestCheckpoint(tx)
					InclusionProof(tx, 2, 5)
					ConsistencyProof(tx, 2, 5)
					Export(tx, t.TempDir())
					return nil
				})
			})
		}
	}
}

func TestTamperInnerHash(t *testing.T) {
	// Event 13 completes a level-1 subtree (events 12 and 13). An edited
	// inner hash names event 13, even for an auditor whose checkpoint
	// ends exactly there.
	db, path, l := newLog(t, tamperSize)
	old := checkpointAt(t, db, 13)
	db.Close()
	db = openPath(t, path)
	db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("audit.hashes"))
		k := key8(tlog.StoredHashIndex(1, 6))
		h := append([]byte(nil), b.Get(k)...)
		h[31] ^= 0x80
		return b.Put(k, h)
	})
	oldC, _ := auditlog.OpenCheckpoint(old, l.VerifierKey())
	for _, o := range [][]byte{nil, old} {
		rep, err := verifyDB(t, db, o)
		var te *auditlog.TamperError
		if !errors.As(err, &te) || te.Seq != 13 {
			t.Fatalf("Verify = %v, want tampering from seq 13", err)
		}
		if rep.Size != 13 || rep.Root != oldC.Root {
			t.Errorf("report: size %d root %v, want 13 %v", rep.Size, rep.Root, oldC.Root)
		}
	}
}
