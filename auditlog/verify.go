package auditlog

import (
	"bytes"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// A LeafReader reads a log's leaves in order, from the first: rows of a
// database, lines of an export, pages of the API.
type LeafReader interface {
	// ReadLeaf returns the next leaf and the index at which the storage
	// holds it (-1 if the storage's own key for it is malformed), and
	// io.EOF after the last one. The leaf must stay valid until the
	// verification returns.
	ReadLeaf() (index int64, leaf []byte, err error)
}

// A HashStore is a storage's copy of the tree's hashes, at the indexes
// tlog.StoredHashIndex gives them, as tlog.StoredHashes computes them. The
// verifier compares every one with the hash it recomputes from the events,
// in one pass in index order with NextHash, so that proofs served from
// them are sound; it reads the checked ones at random (ReadHashes) to
// locate a change and to prove consistency.
type HashStore interface {
	tlog.HashReader
	// NextHash returns the stored hashes in increasing index order, one a
	// call, from the first, with their index (-1 if the storage's own key
	// is malformed), and io.EOF after the last one.
	NextHash() (index int64, h []byte, err error)
}

// A CheckpointStore is a storage's history of signed checkpoints, filed by
// the size they sign. It lets the verifier locate a change more closely
// than the newest checkpoint alone allows.
type CheckpointStore interface {
	// Sizes returns, in increasing order, the sizes strictly between lo and
	// hi under which a checkpoint is filed.
	Sizes(lo, hi int64) ([]int64, error)
	// At returns the checkpoint filed under size, or nil if there is none.
	At(size int64) ([]byte, error)
}

// A TreeProver serves consistency proofs, as the log's server does:
// proofs that the tree of oldSize events is a prefix of the tree of
// newSize events. Its proofs are checked, never trusted; an error from it
// stops the verification and is returned (wrapped), not as tampering.
type TreeProver interface {
	ProveTree(oldSize, newSize int64) (tlog.TreeProof, error)
}

// A Source is a copy of an audit log to verify: a database, an export, or
// what a server serves. Leaves is required; the other stores are optional
// and make the verification stricter (Hashes) or locate a change more
// closely (Checkpoints, Prover).
type Source struct {
	VerifierKey string // the key checkpoints must be signed with
	Checkpoint  []byte // the newest signed checkpoint note, nil if none
	Leaves      LeafReader

	// Hashes, if set, are compared with the tree recomputed from Leaves;
	// they then answer proofs and locate a change with Checkpoints.
	Hashes HashStore
	// Checkpoints, if set with Hashes, locates a changed event between two
	// of the signed checkpoints of the log's history, and Checkpoint must
	// be filed under the size it signs.
	Checkpoints CheckpointStore
	// Prover, if set, proves the earlier checkpoint's consistency with the
	// newest, and without Hashes and Checkpoints locates a changed event
	// by bisection with its proofs. The verifier then keeps every tree
	// hash in memory (64 bytes an event) instead of O(log n) of them.
	Prover TreeProver
}

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

type errHashNotKept int64

func (x errHashNotKept) Error() string { return fmt.Sprintf("hash %d not kept", int64(x)) }

// Verify checks a copy of the audit log without any secret:
//
//   - the leaves are held at consecutive indexes 0..n-1 and each one
//     records its own sequence number (catches deletion and reordering);
//   - with src.Hashes, every stored tree hash equals the one recomputed
//     from the events (so proofs served from them are sound);
//   - the newest checkpoint is signed by src.VerifierKey and its tree hash
//     equals the one recomputed from exactly n events;
//   - if old (an earlier checkpoint the auditor kept) is not nil, it is
//     signed by the same key, the tree of its size recomputed from the
//     events has its hash, and a consistency proof from it to the newest
//     checkpoint checks: the log only grew.
//
// Without old, someone who can rewrite the copy can truncate the log back
// to one of its earlier signed checkpoints undetected; with old, they
// cannot remove or change anything old covers. A failed check is a
// *TamperError naming the first sequence number that cannot be trusted,
// returned with a Report of what was recomputed. An old checkpoint that
// does not verify is an error wrapping ErrBadCheckpoint. Errors reading
// the source, or from its Prover, are returned wrapped, never as a
// *TamperError: they say nothing about the log.
//
// Verify reads the leaves once, in order, and without a Prover keeps
// O(log n) hashes in memory.
func Verify(src *Source, old []byte) (*Report, error) {
	v := &verification{src: src}
	return v.run(old)
}

// A verification is one run of Verify.
type verification struct {
	src    *Source
	latest *Checkpoint // newest checkpoint, once it verified

	keepAll bool                // keep every hash in all (to bisect with Prover)
	all     memHashes           // every hash recomputed, if keepAll
	want    map[int64]bool      // else the hashes the consistency proof needs
	kept    map[int64]tlog.Hash // and those of them seen so far
}

func (v *verification) run(oldMsg []byte) (*Report, error) {
	src := v.src
	v.keepAll = src.Prover != nil && src.Hashes == nil
	rep := &Report{VerifierKey: src.VerifierKey}
	var old *Checkpoint
	if oldMsg != nil {
		c, err := OpenCheckpoint(oldMsg, src.VerifierKey)
		if err != nil {
			return nil, fmt.Errorf("audit: verify: earlier checkpoint does not verify with the log's key %s: %w", src.VerifierKey, err)
		}
		old = &c
		rep.Old = old
	}

	var problems []*TamperError
	var latestErr error
	if src.Checkpoint != nil {
		c, err := OpenCheckpoint(src.Checkpoint, src.VerifierKey)
		if err == nil && src.Checkpoints != nil {
			filed, ferr := src.Checkpoints.At(c.Size)
			if ferr != nil {
				return rep, fmt.Errorf("audit: verify: %w", ferr)
			}
			if !bytes.Equal(filed, src.Checkpoint) {
				err = fmt.Errorf("%w: it signs size %d but is not the checkpoint filed under that size", ErrBadCheckpoint, c.Size)
			}
		}
		if err != nil {
			latestErr = err
		} else {
			v.latest = &c
			rep.Latest = v.latest
		}
	}
	latest := v.latest

	// The consistency proof needs a few of the tree's inner hashes: when no
	// store can answer for them, find out which with a dry run and keep
	// them as the scan goes by.
	if old != nil && latest != nil && old.Size >= 1 && old.Size <= latest.Size && src.Prover == nil && src.Hashes == nil {
		v.want, v.kept = map[int64]bool{}, map[int64]tlog.Hash{}
		_, _ = tlog.ProveTree(latest.Size, old.Size, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			for _, i := range idx {
				v.want[i] = true
			}
			return make([]tlog.Hash, len(idx)), nil
		}))
	}

	// One pass over the events, taking the tree hash at the sizes we need.
	var marks []int64
	if old != nil {
		marks = append(marks, old.Size)
	}
	if latest != nil {
		marks = append(marks, latest.Size)
	}
	roots, n, scanErr, err := v.scan(marks)
	rep.Size = n
	if r, ok := roots[n]; ok {
		rep.Root = r
	}
	if err != nil {
		return rep, err
	}
	done := scanErr == nil
	if scanErr != nil {
		problems = append(problems, scanErr)
	}

	// vouched narrows down where the events stop matching a signed tree
	// (target, if known), when the source allows: events before good are
	// vouched for, and the tree of size bad is not.
	latestMatches := false
	if latest != nil {
		r, ok := roots[latest.Size]
		latestMatches = ok && r == latest.Root
	}
	vouched := func(lo, hi int64, target *Checkpoint) (good, bad int64, err error) {
		good, bad = lo, hi
		if hi > lo+1 {
			if good, bad, err = v.localize(lo, hi, n, target); err != nil {
				return 0, 0, err
			}
		}
		// A matching newest checkpoint vouches for every event it covers.
		if latestMatches && latest.Size > good && latest.Size < hi {
			good = latest.Size
		}
		if bad <= good {
			bad = hi
		}
		return good, bad, nil
	}

	// checkRoot compares a signed checkpoint with the recomputed tree.
	checkRoot := func(c *Checkpoint, what string, lo int64) (bool, error) {
		r, ok := roots[c.Size]
		if !ok {
			if done {
				good, _, err := vouched(lo, n+1, c)
				if err != nil {
					return false, err
				}
				problems = append(problems, tamper(good, "the log has %d events but the %s checkpoint covers %d: events were removed (signed checkpoints vouch for the events before seq %d)", n, what, c.Size, good))
			}
			return false, nil
		}
		if r == c.Root {
			return true, nil
		}
		good, bad, err := vouched(lo, c.Size, c)
		if err != nil {
			return false, err
		}
		problems = append(problems, tamper(good, "the tree of size %d does not match the %s checkpoint: an event in [%d, %d) was changed, removed or reordered", c.Size, what, good, bad))
		return false, nil
	}

	trusted := int64(0) // events proven by a signed checkpoint
	oldOK := false
	if old != nil {
		if oldOK, err = checkRoot(old, "earlier", 0); err != nil {
			return rep, err
		}
		if oldOK {
			trusted = old.Size
		}
	}
	switch {
	case latestErr != nil:
		good, _, err := vouched(trusted, n+1, nil)
		if err != nil {
			return rep, err
		}
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
		latestOK, err := checkRoot(latest, "newest", lo)
		if err != nil {
			return rep, err
		}
		if old != nil && old.Size > latest.Size {
			problems = append(problems, tamper(latest.Size, "the newest stored checkpoint (size %d) is older than the earlier checkpoint (size %d): the log was rolled back", latest.Size, old.Size))
		}
		if done && n > latest.Size {
			problems = append(problems, tamper(latest.Size, "the log has %d events but the newest signed checkpoint covers %d: events from seq %d on are not signed", n, latest.Size, latest.Size))
		}
		if oldOK && latestOK && old.Size >= 1 && old.Size <= latest.Size {
			p, err := v.proveTree(old.Size, latest.Size)
			if err != nil {
				return rep, fmt.Errorf("audit: verify: consistency proof from size %d to %d: %w", old.Size, latest.Size, err)
			}
			if err := tlog.CheckTree(p, latest.Size, latest.Root, old.Size, old.Root); err != nil {
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

// proveTree returns the consistency proof from oldSize to newSize: the
// source's, or one computed from the hashes the scan kept.
func (v *verification) proveTree(oldSize, newSize int64) (tlog.TreeProof, error) {
	switch {
	case v.src.Prover != nil:
		return v.src.Prover.ProveTree(oldSize, newSize)
	case v.src.Hashes != nil:
		return tlog.ProveTree(newSize, oldSize, v.src.Hashes)
	}
	return tlog.ProveTree(newSize, oldSize, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			h, ok := v.kept[x]
			if !ok {
				return nil, errHashNotKept(x)
			}
			out[i] = h
		}
		return out, nil
	}))
}

// prefixes returns what holds the hashes of the first verified events,
// checked or recomputed, or nil.
func (v *verification) prefixes() tlog.HashReader {
	switch {
	case v.src.Hashes != nil:
		return v.src.Hashes
	case v.keepAll:
		return v.all
	}
	return nil
}

// localize narrows down a root mismatch at size hi, given that [0, lo) is
// trusted and that the first verified events were checked; it returns the
// largest size it can vouch for and the first size it finds failing. With
// a checkpoint history it finds the largest filed checkpoint size in (lo,
// hi) whose signature verifies and whose tree hash matches, assuming, as
// holds for a log signed by one honest key, that every checkpoint below a
// tampered event matches and every one above it does not. Otherwise, with
// a prover and a signed target tree of at most the newest checkpoint's
// size, it bisects for the largest prefix that a consistency proof shows
// to be a prefix of the target: a lying prover cannot move the answer past
// a changed event, since the proofs are checked against the signed root.
func (v *verification) localize(lo, hi, verified int64, target *Checkpoint) (good, bad int64, err error) {
	hashes := v.prefixes()
	if hashes == nil {
		return lo, hi, nil
	}
	root := func(k int64) (tlog.Hash, error) { return tlog.TreeHash(k, hashes) }
	var sizes []int64 // the candidates, in increasing order; nil: all of (lo, top)
	var matches func(size int64) (bool, error)
	top := min(hi, verified+1)
	switch {
	case v.src.Checkpoints != nil:
		all, err := v.src.Checkpoints.Sizes(lo, hi)
		if err != nil {
			return 0, 0, fmt.Errorf("audit: verify: %w", err)
		}
		for _, s := range all {
			if s > lo && s < top {
				sizes = append(sizes, s)
			}
		}
		if len(sizes) == 0 {
			return lo, hi, nil
		}
		matches = func(size int64) (bool, error) {
			msg, err := v.src.Checkpoints.At(size)
			if err != nil || msg == nil {
				return false, err
			}
			cp, err := OpenCheckpoint(msg, v.src.VerifierKey)
			if err != nil || cp.Size != size {
				return false, nil
			}
			r, err := root(size)
			return err == nil && r == cp.Root, nil
		}
	case v.src.Prover != nil && target != nil && v.latest != nil && target.Size <= v.latest.Size:
		matches = func(k int64) (bool, error) {
			r, err := root(k)
			if err != nil {
				return false, nil
			}
			if k == target.Size {
				return r == target.Root, nil
			}
			p, err := v.src.Prover.ProveTree(k, target.Size)
			if err != nil {
				return false, fmt.Errorf("audit: verify: consistency proof from size %d to %d: %w", k, target.Size, err)
			}
			return tlog.CheckTree(p, target.Size, target.Root, k, r) == nil, nil
		}
	default:
		return lo, hi, nil
	}

	// Bisect over the candidates: the first i of them match.
	count := int64(len(sizes))
	at := func(i int64) int64 { return sizes[i] }
	if sizes == nil {
		count = max(top-lo-1, 0)
		at = func(i int64) int64 { return lo + 1 + i }
	}
	i, j := int64(0), count // candidates before i match; from j on they do not
	for i < j {
		mid := i + (j-i)/2
		ok, err := matches(at(mid))
		if err != nil {
			return 0, 0, err
		}
		if ok {
			i = mid + 1
		} else {
			j = mid
		}
	}
	good, bad = lo, hi
	if i > 0 {
		good = at(i - 1)
	}
	if i < count {
		bad = at(i)
	}
	return good, bad, nil
}
