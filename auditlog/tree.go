package auditlog

import (
	"crypto/sha256"

	"golang.org/x/mod/sumdb/tlog"
)

// emptyRoot is the RFC 6962 hash of the empty tree: SHA-256 of the empty string.
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// A tree computes the RFC 6962 Merkle tree of a log in one pass over its
// record hashes, keeping only the roots of the complete subtrees (at most
// 1 + log₂ n hashes). Adding record n produces exactly the hashes that
// tlog.StoredHashes(n, …) returns, at consecutive stored hash indexes, so a
// verifier can compare them with stored hashes without random reads.
type tree struct {
	n     int64       // records added
	next  int64       // tlog.StoredHashIndex(0, n): where record n's hashes go
	stack []tlog.Hash // complete subtrees, leftmost (largest) first
}

// add appends the record hash h. For every hash that tlog would store for
// this record it calls emit (if not nil) with the stored hash index, in
// increasing index order. An error from emit stops add, leaves the tree as
// it was, and is returned.
func (t *tree) add(h tlog.Hash, emit func(index int64, h tlog.Hash) error) error {
	index := t.next
	if emit != nil {
		if err := emit(index, h); err != nil {
			return err
		}
	}
	// Each trailing 1 bit of n completes a subtree with its left neighbour.
	top := len(t.stack)
	for m := t.n; m&1 == 1; m >>= 1 {
		top--
		h = tlog.NodeHash(t.stack[top], h)
		index++
		if emit != nil {
			if err := emit(index, h); err != nil {
				return err
			}
		}
	}
	t.stack = append(t.stack[:top], h)
	t.next = index + 1
	t.n++
	return nil
}

// root returns the tree hash of the records added so far, as tlog.TreeHash
// would compute it.
func (t *tree) root() tlog.Hash {
	if len(t.stack) == 0 {
		return emptyRoot
	}
	h := t.stack[len(t.stack)-1]
	for i := len(t.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(t.stack[i], h)
	}
	return h
}

// TreeRoot returns the RFC 6962 tree hash of leaves (for none, SHA-256 of
// the empty string), to compare with a checkpoint's root.
func TreeRoot(leaves [][]byte) tlog.Hash {
	var t tree
	for _, l := range leaves {
		t.add(tlog.RecordHash(l), nil)
	}
	return t.root()
}

// memHashes holds the stored hashes of a tree in memory, in tlog's layout.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m)) {
			return nil, errHashNotKept(x)
		}
		out[i] = m[x]
	}
	return out, nil
}
