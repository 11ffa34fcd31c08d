package auditlog

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"slices"

	"golang.org/x/mod/sumdb/tlog"
)

// scan reads every leaf once. It checks positions and the sequence numbers
// inside the leaves, checks or keeps the tree's hashes, and returns the
// tree hash at each size in marks that it reached, the number of events
// that passed, and the first problem found; err is an error reading the
// source.
//
// Hashing and decoding the leaves, most of the work, runs on all CPUs in
// batches; reading the source, building the tree and comparing stored
// hashes stay on this goroutine, in order, so results do not depend on
// scheduling and the source is used by one goroutine only.
func (v *verification) scan(marks []int64) (roots map[int64]tlog.Hash, n int64, bad *TamperError, err error) {
	roots = make(map[int64]tlog.Hash, len(marks)+1)
	slices.Sort(marks)
	var t tree
	defer func() { roots[t.n] = t.root() }() // for the report, even after a problem
	emit := func(index int64, h tlog.Hash) error {
		if v.src.Hashes != nil {
			if err := v.checkStored(t.n, index, h); err != nil {
				return err
			}
		}
		switch {
		case v.keepAll:
			v.all = append(v.all, h)
		case v.want[index]:
			v.kept[index] = h
		}
		return nil
	}
	mark := func() {
		for len(marks) > 0 && marks[0] <= t.n {
			if marks[0] == t.n {
				roots[t.n] = t.root()
			}
			marks = marks[1:]
		}
	}
	split := func(err error) (*TamperError, error) {
		if te, ok := err.(*TamperError); ok {
			return te, nil
		}
		return nil, err
	}

	workers := runtime.GOMAXPROCS(0)
	work := make(chan *leafBatch, 2*workers)
	defer close(work)
	for range workers {
		go func() {
			for b := range work {
				b.compute()
			}
		}()
	}
	var queue []*leafBatch
	defer func() {
		// Leaves may point into the storage's memory: do not return while
		// a worker could still be reading them.
		for _, b := range queue {
			<-b.done
		}
	}()
	exhausted := false
	for {
		for !exhausted && len(queue) < 2*workers {
			b := readBatch(v.src.Leaves)
			if b.err != nil || len(b.leaves) < scanBatch {
				exhausted = true
			}
			work <- b
			queue = append(queue, b)
		}
		if len(queue) == 0 {
			break
		}
		b := queue[0]
		queue = queue[1:]
		<-b.done
		for i := range b.leaves {
			mark()
			if b.pos[i] != t.n {
				if b.pos[i] > t.n {
					return roots, t.n, tamper(t.n, "event %d is missing (next stored event is %d): events were removed", t.n, b.pos[i]), nil
				}
				return roots, t.n, tamper(t.n, "event %d is stored at an invalid position", t.n), nil
			}
			if err := b.errs[i]; err != nil {
				return roots, t.n, &TamperError{Seq: t.n, Reason: fmt.Sprintf("event %d: %v", t.n, err), Err: err}, nil
			}
			if b.seqs[i] != t.n {
				return roots, t.n, tamper(t.n, "event %d records seq %d: events were reordered or rewritten", t.n, b.seqs[i]), nil
			}
			if err := t.add(b.hashes[i], emit); err != nil {
				bad, err := split(err)
				return roots, t.n, bad, err
			}
		}
		if b.err != nil {
			return roots, t.n, nil, fmt.Errorf("audit: verify: reading event %d: %w", t.n, b.err)
		}
	}
	mark()
	if v.src.Hashes != nil {
		if err := v.storedEnd(t.n); err != nil {
			bad, err := split(err)
			return roots, t.n, bad, err
		}
	}
	return roots, t.n, nil, nil
}

// checkStored compares the next stored hash with h, the hash at index that
// event seq completes.
func (v *verification) checkStored(seq, index int64, h tlog.Hash) error {
	i, stored, err := v.src.Hashes.NextHash()
	switch {
	case err == io.EOF:
		return tamper(seq, "stored hash %d is missing", index)
	case err != nil:
		return fmt.Errorf("audit: verify: reading stored hash %d: %w", index, err)
	case i != index:
		return tamper(seq, "stored hash %d is missing (found index %d)", index, i)
	case !bytes.Equal(stored, h[:]):
		return tamper(seq, "stored hash %d (tree level %d, completed by event %d) does not match the events", index, index-tlog.StoredHashIndex(0, seq), seq)
	}
	return nil
}

// storedEnd checks that no stored hash follows those of the n events.
func (v *verification) storedEnd(n int64) error {
	i, _, err := v.src.Hashes.NextHash()
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		return fmt.Errorf("audit: verify: reading stored hashes: %w", err)
	}
	return tamper(n, "stored hashes continue past the last event (index %d): events were removed", i)
}

const scanBatch = 2048

// A leafBatch is a run of consecutive leaves and what compute found in them.
type leafBatch struct {
	pos    []int64
	leaves [][]byte
	err    error // from the source, after the leaves
	hashes []tlog.Hash
	seqs   []int64
	errs   []error
	done   chan struct{}
}

func readBatch(src LeafReader) *leafBatch {
	b := &leafBatch{done: make(chan struct{})}
	for len(b.leaves) < scanBatch {
		pos, leaf, err := src.ReadLeaf()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.err = err
			break
		}
		if leaf == nil {
			leaf = []byte{}
		}
		b.pos = append(b.pos, pos)
		b.leaves = append(b.leaves, leaf)
	}
	return b
}

func (b *leafBatch) compute() {
	b.hashes = make([]tlog.Hash, len(b.leaves))
	b.seqs = make([]int64, len(b.leaves))
	b.errs = make([]error, len(b.leaves))
	for i, leaf := range b.leaves {
		b.hashes[i] = tlog.RecordHash(leaf)
		b.seqs[i], b.errs[i] = leafSeq(leaf)
	}
	close(b.done)
}
