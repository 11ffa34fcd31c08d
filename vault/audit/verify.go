package audit

import (
	"bytes"
	"fmt"
	"runtime"
	"sort"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// A TamperError reports that the log does not match its signed checkpoints
// or its own stored hashes. Every event before Seq was verified; the log
// cannot be trusted from Seq on.
type TamperError struct {
	Seq    int64
	Reason string
	Err    error // underlying cause, if any
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("audit: log tampered from seq %d: %s", e.Seq, e.Reason)
}

func (e *TamperError) Unwrap() error { return e.Err }

func tamper(seq int64, format string, args ...any) *TamperError {
	return &TamperError{Seq: seq, Reason: fmt.Sprintf(format, args...)}
}

// A Report describes a verified log (or, next to a *TamperError, what was
// found before the log stopped matching).
type Report struct {
	Size        int64       // events checked
	Root        tlog.Hash   // tree hash recomputed from those events
	Latest      *Checkpoint // newest signed checkpoint, if it verified
	Old         *Checkpoint // the earlier checkpoint given to Verify, if any
	VerifierKey string      // key used to check signatures (compare with the published one)
}

// Verify checks the audit log in tx without any secret:
//
//   - events are stored under consecutive sequence numbers 0..n-1 and each
//     one records its own sequence number (catches deletion and reordering);
//   - every stored tree hash equals the one recomputed from the events
//     (so proofs served from them are sound);
//   - the newest stored checkpoint is signed by the stored verifier key and
//     its tree hash equals the one recomputed from exactly n events;
//   - if old (an earlier checkpoint the auditor kept) is not nil, it is
//     signed by the same key, the tree of its size recomputed from the
//     stored events has its hash, and a consistency proof from it to the
//     newest checkpoint checks: the log only grew.
//
// Without old, someone who can write the database can truncate the log back
// to one of its earlier signed checkpoints undetected; with old, they cannot
// remove or change anything old covers. A failed check is a *TamperError
// naming the first sequence number that cannot be trusted, returned with a
// Report of what was recomputed. An old checkpoint that does not verify is
// an error wrapping ErrBadCheckpoint.
//
// Verify reads the log once, in order, and keeps O(log n) hashes in memory.
func Verify(tx *bbolt.Tx, old []byte) (*Report, error) {
	s, err := open(tx)
	if err != nil {
		return nil, err
	}
	vkey, err := s.verifierKey()
	if err != nil {
		return nil, err
	}
	latest, latestKey, err := s.latest()
	if err != nil {
		return nil, &TamperError{Seq: 0, Reason: err.Error(), Err: err}
	}
	hc := &hashCheck{c: s.hashes.Cursor()}
	v := &verification{
		vkey:      vkey,
		latest:    latest,
		latestKey: latestKey,
		leaves:    &cursorLeaves{c: s.events.Cursor()},
		emit:      hc.check,
		finish:    hc.finish,
		prove: func(oldSize, newSize int64) (tlog.TreeProof, error) {
			return tlog.ProveTree(newSize, oldSize, s)
		},
		localize: func(lo, hi, verified int64) (int64, int64) {
			return localize(s, vkey, lo, hi, verified)
		},
	}
	return v.run(old)
}

// A leafSource yields the stored leaves in order, with the position the
// storage gives each (a key or a line number); leaf is nil at the end.
type leafSource interface {
	next() (pos int64, leaf []byte, err error)
}

type cursorLeaves struct {
	c       *bbolt.Cursor
	started bool
}

func (l *cursorLeaves) next() (int64, []byte, error) {
	var k, v []byte
	if !l.started {
		k, v = l.c.First()
		l.started = true
	} else {
		k, v = l.c.Next()
	}
	if k == nil {
		return 0, nil, nil
	}
	pos, ok := btoi(k)
	if !ok {
		pos = -1
	}
	if v == nil {
		v = []byte{} // a nested bucket: not an event, but not the end either
	}
	return pos, v, nil
}

// hashCheck compares the hashes a tree emits with the hashes bucket, which
// holds them at consecutive indexes.
type hashCheck struct {
	c       *bbolt.Cursor
	started bool
}

func (h *hashCheck) step() ([]byte, []byte) {
	if !h.started {
		h.started = true
		return h.c.First()
	}
	return h.c.Next()
}

func (h *hashCheck) check(seq, index int64, want tlog.Hash) error {
	k, v := h.step()
	if k == nil {
		return tamper(seq, "stored hash %d is missing", index)
	}
	if i, ok := btoi(k); !ok || i != index {
		return tamper(seq, "stored hash %d is missing (found key %x)", index, k)
	}
	if !bytes.Equal(v, want[:]) {
		return tamper(seq, "stored hash %d (tree level %d, completed by event %d) does not match the events", index, index-tlog.StoredHashIndex(0, seq), seq)
	}
	return nil
}

func (h *hashCheck) finish(n int64) error {
	if k, _ := h.step(); k != nil {
		return tamper(n, "stored hashes continue past the last event (key %x): events were removed", k)
	}
	return nil
}

// A verification is the check shared by Verify and VerifyExport.
type verification struct {
	vkey      string
	latest    []byte // newest checkpoint, nil if none
	latestKey int64  // size it is stored under, or -1 if not applicable
	leaves    leafSource
	emit      func(seq, index int64, h tlog.Hash) error // stored hash check, may be nil
	finish    func(n int64) error                       // after the last leaf, may be nil
	prove     func(oldSize, newSize int64) (tlog.TreeProof, error)
	// localize narrows down a root mismatch at size hi, given that [0, lo)
	// is trusted and stored hashes were checked for the first verified
	// events; it returns the trusted prefix and the first size that fails.
	localize func(lo, hi, verified int64) (good, bad int64)
}

func (v *verification) run(oldMsg []byte) (*Report, error) {
	rep := &Report{VerifierKey: v.vkey}
	var old *Checkpoint
	if oldMsg != nil {
		c, err := OpenCheckpoint(oldMsg, v.vkey)
		if err != nil {
			return nil, fmt.Errorf("audit: verify: earlier checkpoint does not verify with the log's key %s: %w", v.vkey, err)
		}
		old = &c
		rep.Old = old
	}

	var problems []*TamperError
	var latest *Checkpoint
	var latestErr error
	if v.latest != nil {
		c, err := OpenCheckpoint(v.latest, v.vkey)
		switch {
		case err != nil:
			latestErr = err
		case v.latestKey >= 0 && c.Size != v.latestKey:
			latestErr = fmt.Errorf("%w: stored as size %d but says %d", ErrBadCheckpoint, v.latestKey, c.Size)
		default:
			latest = &c
			rep.Latest = latest
		}
	}

	// One pass over the events, taking the tree hash at the sizes we need.
	var marks []int64
	if old != nil {
		marks = append(marks, old.Size)
	}
	if latest != nil {
		marks = append(marks, latest.Size)
	}
	roots, n, scanErr := v.scan(marks)
	rep.Size = n
	if r, ok := roots[n]; ok {
		rep.Root = r
	}
	done := scanErr == nil
	if scanErr != nil {
		problems = append(problems, scanErr)
	}

	// vouched narrows down where the events stop matching signed
	// checkpoints, when the log's history of checkpoints allows: events
	// before good are vouched for, and the tree of size bad is not.
	latestMatches := false
	if latest != nil {
		r, ok := roots[latest.Size]
		latestMatches = ok && r == latest.Root
	}
	vouched := func(lo, hi int64) (good, bad int64) {
		good, bad = lo, hi
		if v.localize != nil && hi > lo+1 {
			good, bad = v.localize(lo, hi, n)
		}
		// A matching newest checkpoint vouches for every event it covers.
		if latestMatches && latest.Size > good && latest.Size < hi {
			good = latest.Size
		}
		if bad <= good {
			bad = hi
		}
		return good, bad
	}

	// checkRoot compares a signed checkpoint with the recomputed tree.
	checkRoot := func(c *Checkpoint, what string, lo int64) bool {
		r, ok := roots[c.Size]
		if !ok {
			if done {
				good, _ := vouched(lo, n+1)
				problems = append(problems, tamper(good, "the log has %d events but the %s checkpoint covers %d: events were removed (signed checkpoints vouch for the events before seq %d)", n, what, c.Size, good))
			}
			return false
		}
		if r == c.Root {
			return true
		}
		good, bad := vouched(lo, c.Size)
		problems = append(problems, tamper(good, "the tree of size %d does not match the %s checkpoint: an event in [%d, %d) was changed, removed or reordered", c.Size, what, good, bad))
		return false
	}

	trusted := int64(0) // events proven by a signed checkpoint
	oldOK := false
	if old != nil {
		oldOK = checkRoot(old, "earlier", 0)
		if oldOK {
			trusted = old.Size
		}
	}
	switch {
	case latestErr != nil:
		good, _ := vouched(trusted, n+1)
		problems = append(problems, &TamperError{Seq: good, Reason: "newest stored checkpoint rejected: " + latestErr.Error(), Err: latestErr})
	case latest == nil:
		if done && n > trusted {
			problems = append(problems, tamper(trusted, "the log has %d events but no signed checkpoint", n))
		}
	default:
		lo := int64(0)
		if oldOK && old.Size <= latest.Size {
			lo = old.Size
		}
		latestOK := checkRoot(latest, "newest", lo)
		if old != nil && old.Size > latest.Size {
			problems = append(problems, tamper(latest.Size, "the newest stored checkpoint (size %d) is older than the earlier checkpoint (size %d): the log was rolled back", latest.Size, old.Size))
		}
		if done && n > latest.Size {
			problems = append(problems, tamper(latest.Size, "the log has %d events but the newest signed checkpoint covers %d: events from seq %d on are not signed", n, latest.Size, latest.Size))
		}
		if oldOK && latestOK && old.Size >= 1 && old.Size <= latest.Size {
			p, err := v.prove(old.Size, latest.Size)
			if err == nil {
				err = tlog.CheckTree(p, latest.Size, latest.Root, old.Size, old.Root)
			}
			if err != nil {
				problems = append(problems, &TamperError{Seq: old.Size, Reason: fmt.Sprintf("consistency proof from size %d to %d fails: %v", old.Size, latest.Size, err), Err: err})
			}
		}
	}

	if len(problems) == 0 {
		return rep, nil
	}
	first := problems[0]
	for _, p := range problems[1:] {
		if p.Seq < first.Seq {
			first = p
		}
	}
	return rep, first
}

// scan reads every leaf once. It checks positions and the sequence numbers
// inside the leaves, emits the tree's hashes for checking, and returns the
// tree hash at each size in marks that it reached, the number of events
// that passed, and the first problem found.
//
// Hashing and decoding the leaves, most of the work, runs on all CPUs in
// batches; reading the source, building the tree and comparing stored
// hashes stay on this goroutine, in order, so results do not depend on
// scheduling and the bbolt transaction is used by one goroutine only.
func (v *verification) scan(marks []int64) (map[int64]tlog.Hash, int64, *TamperError) {
	roots := make(map[int64]tlog.Hash, len(marks)+1)
	sort.Slice(marks, func(i, j int) bool { return marks[i] < marks[j] })
	var t tree
	defer func() { roots[t.n] = t.root() }() // for the report, even after a problem
	var emit func(int64, tlog.Hash) error
	if v.emit != nil {
		emit = func(index int64, h tlog.Hash) error { return v.emit(t.n, index, h) }
	}
	mark := func() {
		for len(marks) > 0 && marks[0] <= t.n {
			if marks[0] == t.n {
				roots[t.n] = t.root()
			}
			marks = marks[1:]
		}
	}
	asTamper := func(err error) *TamperError {
		if te, ok := err.(*TamperError); ok {
			return te
		}
		return &TamperError{Seq: t.n, Reason: err.Error(), Err: err}
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
		// Leaves may point into the transaction's memory map: do not return
		// while a worker could still be reading them.
		for _, b := range queue {
			<-b.done
		}
	}()
	exhausted := false
	for {
		for !exhausted && len(queue) < 2*workers {
			b := readBatch(v.leaves)
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
					return roots, t.n, tamper(t.n, "event %d is missing (next stored event is %d): events were removed", t.n, b.pos[i])
				}
				return roots, t.n, tamper(t.n, "event %d is stored at an invalid position", t.n)
			}
			if err := b.errs[i]; err != nil {
				return roots, t.n, &TamperError{Seq: t.n, Reason: fmt.Sprintf("event %d: %v", t.n, err), Err: err}
			}
			if b.seqs[i] != t.n {
				return roots, t.n, tamper(t.n, "event %d records seq %d: events were reordered or rewritten", t.n, b.seqs[i])
			}
			if err := t.add(b.hashes[i], emit); err != nil {
				return roots, t.n, asTamper(err)
			}
		}
		if b.err != nil {
			return roots, t.n, asTamper(b.err)
		}
	}
	mark()
	if v.finish != nil {
		if err := v.finish(t.n); err != nil {
			return roots, t.n, asTamper(err)
		}
	}
	return roots, t.n, nil
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

func readBatch(src leafSource) *leafBatch {
	b := &leafBatch{done: make(chan struct{})}
	for len(b.leaves) < scanBatch {
		pos, leaf, err := src.next()
		if err != nil {
			b.err = err
			break
		}
		if leaf == nil {
			break
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

// localize uses the stored checkpoint history to narrow down where the tree
// stops matching: it finds the largest stored checkpoint size in (lo, hi)
// whose signature verifies and whose tree hash matches the stored hashes
// (which scan verified for the first verified events), assuming, as holds for
// a log signed by one honest key, that every checkpoint below a tampered
// event matches and every one above it does not.
func localize(s *store, vkey string, lo, hi, verified int64) (good, bad int64) {
	var sizes []int64
	c := s.checkpoints.Cursor()
	for k, _ := c.Seek(itob(lo + 1)); k != nil; k, _ = c.Next() {
		size, ok := btoi(k)
		if !ok || size >= hi || size > verified {
			break
		}
		sizes = append(sizes, size)
	}
	matches := func(size int64) bool {
		cp, err := OpenCheckpoint(s.checkpoints.Get(itob(size)), vkey)
		if err != nil || cp.Size != size {
			return false
		}
		root, err := tlog.TreeHash(size, s)
		return err == nil && root == cp.Root
	}
	i := sort.Search(len(sizes), func(i int) bool { return !matches(sizes[i]) })
	good, bad = lo, hi
	if i > 0 {
		good = sizes[i-1]
	}
	if i < len(sizes) {
		bad = sizes[i]
	}
	return good, bad
}
