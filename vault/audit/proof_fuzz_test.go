package audit_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/vault/audit"
)

// proofLog is a real audit log in bbolt and, computed independently from
// its exported leaves, the tree hash of every prefix.
type proofLog struct {
	db     *bbolt.DB
	leaves [][]byte
	hashes []tlog.Hash // stored hashes of the in-memory tree
	roots  []tlog.Hash // roots[n]: tree hash of the first n leaves
	vkey   string
}

const proofLogSize = 45 // not a power of two: proofs of every shape

func (p *proofLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = p.hashes[x]
	}
	return out, nil
}

func newProofLog(tb testing.TB) *proofLog {
	tb.Helper()
	db, err := bbolt.Open(filepath.Join(tb.TempDir(), "audit.db"), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	db.NoSync = true
	tb.Cleanup(func() { db.Close() })
	seed := sha256.Sum256([]byte("proof fuzz signing key"))
	hk := sha256.Sum256([]byte("proof fuzz hmac key"))
	l, err := audit.New("amana.test/proofs", hk[:], ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		tb.Fatal(err)
	}
	p := &proofLog{db: db, vkey: l.VerifierKey()}
	err = db.Update(func(tx *bbolt.Tx) error {
		if err := l.Init(tx); err != nil {
			return err
		}
		for i := range proofLogSize {
			e := &audit.Event{Time: time.Date(2018, 3, 2, 9, 0, i, 0, time.UTC), Actor: "r.hassan",
				Action: "document.download", Doc: "doc" + string(rune('a'+i%26)), Outcome: auditlog.OutcomeOK}
			if err := l.Append(tx, e); err != nil {
				return err
			}
		}
		return l.Sign(tx)
	})
	if err != nil {
		tb.Fatal(err)
	}
	var cpMsg []byte
	err = db.View(func(tx *bbolt.Tx) error {
		var err error
		if p.leaves, err = audit.Events(tx, 0, proofLogSize+10); err != nil {
			return err
		}
		cpMsg, err = audit.LatestCheckpoint(tx)
		return err
	})
	if err != nil || len(p.leaves) != proofLogSize {
		tb.Fatalf("reading the log: %v (%d events)", err, len(p.leaves))
	}
	p.roots = []tlog.Hash{{}}
	for i, leaf := range p.leaves {
		hs, err := tlog.StoredHashes(int64(i), leaf, p)
		if err != nil {
			tb.Fatal(err)
		}
		p.hashes = append(p.hashes, hs...)
		root, err := tlog.TreeHash(int64(i+1), p)
		if err != nil {
			tb.Fatal(err)
		}
		p.roots = append(p.roots, root)
	}
	cp, err := auditlog.OpenCheckpoint(cpMsg, p.vkey)
	if err != nil || cp.Size != proofLogSize || cp.Root != p.roots[proofLogSize] {
		tb.Fatalf("signed checkpoint %+v, %v does not match the recomputed root", cp, err)
	}
	return p
}

// root returns the real tree hash for size or, when the log has no tree of
// that size, a hash no tree has. (A real root of another size would not do:
// a proof can honestly show that a larger tree whose root happens to be,
// say, roots[45] contains the first leaves; the check cannot know the size
// was never signed. Signed checkpoints bind the size.)
func (p *proofLog) root(size int64) tlog.Hash {
	if size >= 1 && size <= proofLogSize {
		return p.roots[size]
	}
	return tlog.Hash(sha256.Sum256([]byte(fmt.Sprintf("no tree of size %d", size))))
}

func (p *proofLog) leafHash(seq int64) tlog.Hash {
	if seq >= 0 && seq < proofLogSize {
		return tlog.RecordHash(p.leaves[seq])
	}
	return tlog.RecordHash([]byte(`{"seq":0}`))
}

// decodeProof decodes a proof answer as the client does.
func decodeProof(b []byte) ([]tlog.Hash, error) {
	var out struct {
		Proof []tlog.Hash `json:"proof"`
	}
	err := json.Unmarshal(b, &out)
	return out.Proof, err
}

func proofJSON(p []tlog.Hash) []byte {
	b, _ := json.Marshal(map[string]any{"proof": p})
	return b
}

// alter returns p with one bit changed, chosen by k, or a changed length.
func alter(p []tlog.Hash, k uint16) []tlog.Hash {
	q := slices.Clone(p)
	switch {
	case len(q) == 0 || k%7 == 0:
		return append(q, tlog.Hash{byte(k)})
	case k%7 == 1:
		return q[:len(q)-1]
	case k%7 == 2 && len(q) > 1:
		q[0], q[len(q)-1] = q[len(q)-1], q[0]
		if q[0] == q[len(q)-1] {
			q[0][0] ^= 1
		}
		return q
	}
	i := int(k) % len(q)
	q[i][int(k>>4)%32] ^= 1 << (k % 8)
	return q
}

// FuzzInclusionProof checks inclusion proofs, decoded from JSON as the
// client receives them, against the real roots of a real log. Whatever the
// proof and indices, checking never panics, accepts only the one true
// proof of a real event in a real tree, and rejects every alteration of a
// true proof.
func FuzzInclusionProof(f *testing.F) {
	pl := newProofLog(f)
	for _, c := range [][2]int64{{0, 1}, {0, 45}, {44, 45}, {17, 32}, {31, 33}, {5, 6}} {
		p, err := tlog.ProveRecord(c[1], c[0], pl)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(proofJSON(p), c[0], c[1], uint16(c[0]*31+c[1]))
	}
	f.Add([]byte(`{"proof":[]}`), int64(0), int64(0), uint16(0))
	f.Add([]byte(`{"proof":null}`), int64(-1), int64(45), uint16(1))
	f.Add([]byte(`{"proof":["AAAA"]}`), int64(3), int64(1<<62), uint16(2))
	f.Add([]byte(`{"proof":["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]}`), int64(0), int64(2), uint16(3))

	f.Fuzz(func(t *testing.T, b []byte, seq, size int64, k uint16) {
		// A true proof, altered, never checks.
		if seq >= 0 && size >= 1 && seq < size && size <= proofLogSize {
			good, err := tlog.ProveRecord(size, seq, pl)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(good, size, pl.roots[size], seq, pl.leafHash(seq)); err != nil {
				t.Fatalf("true proof of %d in %d rejected: %v", seq, size, err)
			}
			if bad := alter(good, k); tlog.CheckRecord(bad, size, pl.roots[size], seq, pl.leafHash(seq)) == nil {
				t.Fatalf("altered proof of %d in %d accepted", seq, size)
			}
			if tlog.CheckRecord(good, size, pl.roots[size], seq, pl.leafHash((seq+1)%size)) == nil && size > 1 {
				t.Fatalf("proof of %d in %d accepted for another event", seq, size)
			}
		}
		proof, err := decodeProof(b)
		if err != nil {
			return
		}
		if tlog.CheckRecord(proof, size, pl.root(size), seq, pl.leafHash(seq)) != nil {
			return
		}
		if seq < 0 || size < 1 || seq >= size || size > proofLogSize {
			t.Fatalf("accepted a proof of event %d in a tree of size %d", seq, size)
		}
		good, _ := tlog.ProveRecord(size, seq, pl)
		if !slices.Equal(proof, good) {
			t.Fatalf("accepted a proof that is not the true one: %v", proof)
		}
		var served tlog.RecordProof
		pl.db.View(func(tx *bbolt.Tx) error {
			served, err = audit.InclusionProof(tx, seq, size)
			return err
		})
		if err != nil || !slices.Equal(served, good) {
			t.Fatalf("the log serves %v, %v; the true proof is %v", served, err, good)
		}
	})
}

// FuzzConsistencyProof does the same for consistency proofs between two
// tree sizes: only the true proof between two real trees checks, and
// every alteration of it is rejected.
func FuzzConsistencyProof(f *testing.F) {
	pl := newProofLog(f)
	for _, c := range [][2]int64{{1, 45}, {32, 45}, {44, 45}, {45, 45}, {3, 7}, {16, 32}} {
		p, err := tlog.ProveTree(c[1], c[0], pl)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(proofJSON(p), c[0], c[1], uint16(c[0]*31+c[1]))
	}
	f.Add([]byte(`{"proof":[]}`), int64(0), int64(45), uint16(0))
	f.Add([]byte(`{"proof":["AAAA"]}`), int64(45), int64(1), uint16(1))
	f.Add([]byte(`{"proof":[]}`), int64(1<<62), int64(1<<62), uint16(2))

	f.Fuzz(func(t *testing.T, b []byte, oldSize, newSize int64, k uint16) {
		if oldSize >= 1 && oldSize <= newSize && newSize <= proofLogSize {
			good, err := tlog.ProveTree(newSize, oldSize, pl)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckTree(good, newSize, pl.roots[newSize], oldSize, pl.roots[oldSize]); err != nil {
				t.Fatalf("true proof %d→%d rejected: %v", oldSize, newSize, err)
			}
			if bad := alter(good, k); tlog.CheckTree(bad, newSize, pl.roots[newSize], oldSize, pl.roots[oldSize]) == nil {
				t.Fatalf("altered proof %d→%d accepted", oldSize, newSize)
			}
			if oldSize < newSize && tlog.CheckTree(good, newSize, pl.roots[newSize], oldSize, pl.roots[newSize]) == nil {
				t.Fatalf("proof %d→%d accepted with another old root", oldSize, newSize)
			}
		}
		proof, err := decodeProof(b)
		if err != nil {
			return
		}
		if tlog.CheckTree(proof, newSize, pl.root(newSize), oldSize, pl.root(oldSize)) != nil {
			return
		}
		if oldSize < 1 || oldSize > newSize || newSize > proofLogSize {
			if oldSize == newSize && len(proof) == 0 {
				return // a tree is consistent with itself: nothing was proved
			}
			t.Fatalf("accepted a proof from size %d to %d", oldSize, newSize)
		}
		good, _ := tlog.ProveTree(newSize, oldSize, pl)
		if !slices.Equal(proof, good) {
			t.Fatalf("accepted a proof that is not the true one: %v", proof)
		}
		if oldSize == newSize {
			return
		}
		var served tlog.TreeProof
		pl.db.View(func(tx *bbolt.Tx) error {
			served, err = audit.ConsistencyProof(tx, oldSize, newSize)
			return err
		})
		if err != nil || !slices.Equal(served, good) {
			t.Fatalf("the log serves %v, %v; the true proof is %v", served, err, good)
		}
	})
}
