package auditlog

import (
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestCheckInclusion(t *testing.T) {
	l := newMemLog(t, servedSize)
	for _, size := range []int64{1, 2, 7, 32, servedSize} {
		c, err := OpenCheckpoint(l.checkpoints[size], l.vkey)
		if err != nil {
			t.Fatal(err)
		}
		for seq := int64(0); seq < size; seq++ {
			p, err := tlog.ProveRecord(size, seq, l.hashes)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckInclusion(c, seq, l.leaves[seq], p); err != nil {
				t.Errorf("event %d in %d: %v", seq, size, err)
			}
			if err := CheckInclusion(c, seq, editLeaf(l.leaves[seq]), p); err == nil {
				t.Errorf("edited event %d in %d included", seq, size)
			}
			if size > 1 {
				if err := CheckInclusion(c, (seq+1)%size, l.leaves[seq], p); err == nil {
					t.Errorf("event %d included as %d", seq, (seq+1)%size)
				}
			}
		}
	}
}

func TestCheckConsistency(t *testing.T) {
	l := newMemLog(t, servedSize)
	cp := func(n int64) Checkpoint {
		c, err := OpenCheckpoint(l.checkpoints[n], l.vkey)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	proof := func(o, n int64) tlog.TreeProof {
		p, err := l.ProveTree(o, n)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range [][2]int64{{1, 2}, {7, servedSize}, {keptAt, servedSize}, {32, servedSize}} {
		if err := CheckConsistency(cp(c[0]), cp(c[1]), proof(c[0], c[1])); err != nil {
			t.Errorf("%d -> %d: %v", c[0], c[1], err)
		}
		if err := CheckConsistency(cp(c[1]), cp(c[0]), proof(c[0], c[1])); err == nil {
			t.Errorf("%d -> %d: a shrunk log is consistent", c[1], c[0])
		}
		if err := CheckConsistency(cp(c[0]), cp(c[1]), proof(c[0], c[1])[1:]); err == nil {
			t.Errorf("%d -> %d: a shortened proof checks", c[0], c[1])
		}
	}
	if err := CheckConsistency(cp(0), cp(servedSize), nil); err != nil {
		t.Errorf("from the empty log: %v", err)
	}
	if err := CheckConsistency(cp(keptAt), cp(keptAt), nil); err != nil {
		t.Errorf("same checkpoint: %v", err)
	}
	// The same size with another root: the log was rewritten.
	rewritten := cp(keptAt)
	rewritten.Root = l.root(keptAt - 1)
	if err := CheckConsistency(cp(keptAt), rewritten, nil); err == nil {
		t.Error("two roots of one size are consistent")
	}
	other := cp(servedSize)
	other.Origin = "other.log"
	if err := CheckConsistency(cp(keptAt), other, proof(keptAt, servedSize)); err == nil {
		t.Error("checkpoints of two logs are consistent")
	}
}
