package search

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
)

// Purging deleted documents from disk
//
// Deleting a document from a Bleve (scorch) index only marks it deleted:
// its terms and stored fields stay in the segment files until a merge
// rewrites them, which may be never. After a deletion, purge rewrites every
// segment file into one that holds only live documents, and returns once
// the old files are gone from the directory.
//
// While a segment the index uses holds a deleted document, purge forces a
// merge of all segments into one; scorch merges only two segments or more,
// so if there is one, purge first indexes purgeID, an empty document no
// query can match (every query is restricted to collections, and it has
// none), which makes a second. Until no segment file the index no longer
// uses is left on disk, it writes an internal key, so that scorch persists
// a new snapshot and removes the files no snapshot refers to any more (a
// search still running on an old snapshot keeps its files until it ends).
//
// The cost is a rewrite of the whole index, about a quarter of the time
// indexing it takes (BenchmarkDelete: 0.6–1.2 s for 10,000 documents,
// 3–8 s for 100,000, on 2 shared cores). Shreds are rare, but a shred's request
// should not wait that long, nor the deposits behind it: Delete leaves
// the purge to a goroutine (purger), which runs one purge for all the
// deletes made meanwhile and retries a failed one. A process that stops before a
// purge has finished leaves the deleted documents in the files; Open finds
// them (needsPurge) and purges them before it returns.

// purgeID is the empty document that lets a single segment be merged.
const purgeID = "\x00purge"

// purgeKey is the internal key written to have old files removed.
var purgeKey = []byte("amana.purge")

// purgeTimeout bounds a purge; past it the purge fails and the deletion
// is purged again by the next Delete or Open.
const purgeTimeout = 5 * time.Minute

// purgeRetry is the wait before a failed purge is tried again.
const purgeRetry = 30 * time.Second

// purger runs the purges that Delete asks for, one at a time.
type purger struct {
	bi   bleve.Index
	dir  string
	wake chan struct{} // capacity 1: a purge is wanted
	quit chan struct{} // closed by stop
	done chan struct{} // closed when run returns

	mu        sync.Mutex
	requested uint64 // purges asked for
	finished  uint64 // of those, how many a finished purge covered
	err       error  // of the last purge
	stopOnce  sync.Once
}

func startPurger(bi bleve.Index, dir string) *purger {
	p := &purger{bi: bi, dir: dir, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// request asks for a purge of what is deleted now, and returns at once.
func (p *purger) request() {
	p.mu.Lock()
	p.requested++
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default: // one is already wanted; it will cover this one
	}
}

// stop waits for the purge in progress, and for one more if a Delete asked
// for it meanwhile (once; a failure is left to the next Open), then stops.
func (p *purger) stop() {
	p.stopOnce.Do(func() { close(p.quit) })
	<-p.done
}

func (p *purger) run() {
	defer close(p.done)
	for {
		select {
		case <-p.wake:
		case <-p.quit:
			select {
			case <-p.wake:
				p.once()
			default:
			}
			return
		}
		for p.once() != nil {
			select {
			case <-time.After(purgeRetry):
			case <-p.quit:
				return
			}
		}
	}
}

// once runs one purge covering every request made before it starts.
func (p *purger) once() error {
	p.mu.Lock()
	covers := p.requested
	p.mu.Unlock()
	err := purge(p.bi, p.dir)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
	if err == nil {
		p.finished = max(p.finished, covers)
	}
	return err
}

// state returns how many purges were asked for and finished, and the last
// purge's error.
func (p *purger) state() (requested, finished uint64, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requested, p.finished, p.err
}

// purge rewrites the index so that no file holds a deleted document; dir
// is the index's store directory. The caller owns bi until it returns.
func purge(bi bleve.Index, dir string) error {
	s, err := scorchOf(bi)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(purgeTimeout)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	wait := time.Millisecond
	for n := 0; ; n++ {
		st, err := inspect(s, dir)
		if err != nil {
			return err
		}
		if st.clean() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("search: purge: after %s, %d segments still hold deleted documents and %d unused segment files are on disk", purgeTimeout, st.dirty, st.stale)
		}
		if st.dirty > 0 {
			if st.segments < 2 {
				// Scorch merges two segments or more: add one.
				if err := bi.Index(purgeID, map[string]any{}); err != nil {
					return fmt.Errorf("search: purge: %w", err)
				}
			}
			mo := mergeplan.SingleSegmentMergePlanOptions
			if err := s.ForceMerge(ctx, &mo); err != nil {
				return fmt.Errorf("search: purge: merge: %w", err)
			}
		}
		// A new snapshot has scorch remove the files none refers to.
		if err := bi.SetInternal(purgeKey, fmt.Appendf(nil, "%d", n)); err != nil {
			return fmt.Errorf("search: purge: %w", err)
		}
		if st, err = inspect(s, dir); err != nil || st.clean() {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// needsPurge reports whether a segment of the index holds a deleted
// document, or a segment file is on disk that the index no longer uses.
func needsPurge(bi bleve.Index, dir string) (bool, error) {
	s, err := scorchOf(bi)
	if err != nil {
		return false, err
	}
	st, err := inspect(s, dir)
	return !st.clean(), err
}

func scorchOf(bi bleve.Index) (*scorch.Scorch, error) {
	adv, err := bi.Advanced()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil, fmt.Errorf("search: index is %T, not scorch", adv)
	}
	return s, nil
}

// segmentState is what a purge looks at: how many segments the index uses,
// how many of them hold deleted documents, and how many segment files on
// disk it no longer uses.
type segmentState struct{ segments, dirty, stale int }

func (st segmentState) clean() bool { return st.dirty == 0 && st.stale == 0 }

func inspect(s *scorch.Scorch, dir string) (segmentState, error) {
	var st segmentState
	r, err := s.Reader()
	if err != nil {
		return st, fmt.Errorf("search: %w", err)
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return st, fmt.Errorf("search: snapshot is %T", r)
	}
	live := map[string]bool{}
	for _, seg := range snap.Segments() {
		st.segments++
		if d := seg.Deleted(); d != nil && !d.IsEmpty() {
			st.dirty++
		}
		live[segmentFile(seg.Id())] = true
	}
	onDisk, err := segmentFiles(dir)
	if err != nil {
		return st, err
	}
	for f := range onDisk {
		if !live[f] {
			st.stale++
		}
	}
	return st, nil
}

// segmentFile is the name scorch gives the file of segment id.
func segmentFile(id uint64) string { return fmt.Sprintf("%012x.zap", id) }

// segmentFiles lists the segment files in the store directory dir.
func segmentFiles(dir string) (map[string]bool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("search: purge: %w", err)
	}
	files := map[string]bool{}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".zap") {
			files[e.Name()] = true
		}
	}
	return files, nil
}
