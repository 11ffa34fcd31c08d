package audit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
)

// Buckets owned by this package. Keys in the first three are 8-byte
// big-endian integers, so cursors walk them in log order.
var (
	bucketEvents      = []byte("audit.events")      // seq -> leaf data (event JSON)
	bucketHashes      = []byte("audit.hashes")      // tlog stored hash index -> 32-byte hash
	bucketCheckpoints = []byte("audit.checkpoints") // size -> signed checkpoint note
	bucketMeta        = []byte("audit.meta")        // see keyVerifier
	keyVerifier       = []byte("verifier")          // public note verifier key
)

// ErrNotInitialized is returned (wrapped) when the database has no audit
// log, or only part of one.
var ErrNotInitialized = errors.New("audit: log not initialized")

func itob(i int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	return b[:]
}

func btoi(b []byte) (int64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	i := int64(binary.BigEndian.Uint64(b))
	return i, i >= 0
}

// store is the audit log's view of one bbolt transaction. For the
// verifier it is an auditlog.HashStore and an auditlog.CheckpointStore.
type store struct {
	events, hashes, checkpoints, meta *bbolt.Bucket
	next                              *cursor // NextHash's position
}

func open(tx *bbolt.Tx) (*store, error) {
	s := &store{
		events:      tx.Bucket(bucketEvents),
		hashes:      tx.Bucket(bucketHashes),
		checkpoints: tx.Bucket(bucketCheckpoints),
		meta:        tx.Bucket(bucketMeta),
	}
	if s.events == nil || s.hashes == nil || s.checkpoints == nil || s.meta == nil {
		return nil, ErrNotInitialized
	}
	if tx.Writable() {
		// Keys only ever grow: fill pages instead of leaving half of each empty.
		s.events.FillPercent = 1
		s.hashes.FillPercent = 1
		s.checkpoints.FillPercent = 1
	}
	return s, nil
}

func (s *store) size() (int64, error) {
	k, _ := s.events.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	seq, ok := btoi(k)
	if !ok {
		return 0, fmt.Errorf("audit: malformed event key %x", k)
	}
	return seq + 1, nil
}

func (s *store) verifierKey() (string, error) {
	v := s.meta.Get(keyVerifier)
	if v == nil {
		return "", fmt.Errorf("%w: no verifier key", ErrNotInitialized)
	}
	return string(v), nil
}

// latest returns the newest signed checkpoint and the size it is stored
// under, or nil if there is none.
func (s *store) latest() ([]byte, int64, error) {
	k, v := s.checkpoints.Cursor().Last()
	if k == nil {
		return nil, 0, nil
	}
	size, ok := btoi(k)
	if !ok {
		return nil, 0, fmt.Errorf("audit: malformed checkpoint key %x", k)
	}
	return v, size, nil
}

// ReadHashes implements tlog.HashReader over the hashes bucket.
func (s *store) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		v := s.hashes.Get(itob(idx))
		if len(v) != tlog.HashSize {
			return nil, fmt.Errorf("audit: stored hash %d missing or malformed", idx)
		}
		copy(out[i][:], v)
	}
	return out, nil
}

// NextHash implements auditlog.HashStore: the hashes bucket in key order.
func (s *store) NextHash() (int64, []byte, error) {
	if s.next == nil {
		s.next = &cursor{c: s.hashes.Cursor()}
	}
	return s.next.read()
}

// A cursor reads a bucket keyed by 8-byte integers in key order, with the
// integer of each key (-1 if it is malformed), and io.EOF at the end.
type cursor struct {
	c       *bbolt.Cursor
	started bool
}

func (c *cursor) read() (int64, []byte, error) {
	var k, v []byte
	if !c.started {
		k, v = c.c.First()
		c.started = true
	} else {
		k, v = c.c.Next()
	}
	if k == nil {
		return 0, nil, io.EOF
	}
	i, ok := btoi(k)
	if !ok {
		i = -1
	}
	if v == nil {
		v = []byte{} // a nested bucket: no value, but not the end either
	}
	return i, v, nil
}

// Sizes implements auditlog.CheckpointStore.
func (s *store) Sizes(lo, hi int64) ([]int64, error) {
	var out []int64
	c := s.checkpoints.Cursor()
	for k, _ := c.Seek(itob(max(lo+1, 0))); k != nil; k, _ = c.Next() {
		size, ok := btoi(k)
		if !ok || size >= hi {
			break
		}
		out = append(out, size)
	}
	return out, nil
}

// At implements auditlog.CheckpointStore.
func (s *store) At(size int64) ([]byte, error) {
	if size < 0 {
		return nil, nil
	}
	return s.checkpoints.Get(itob(size)), nil
}

// Init creates the audit log's buckets in tx and records the public verifier
// key of l, so that offline tools can verify the log without any secret.
// Call it once, when the vault is created; calling it again with the same
// Log does nothing. Init fails if the log was created with another key.
func (l *Log) Init(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketEvents, bucketHashes, bucketCheckpoints, bucketMeta} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("audit: init: %w", err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if old := meta.Get(keyVerifier); old != nil {
		if string(old) != l.vkey {
			return fmt.Errorf("audit: init: log already signed by %s, not %s", old, l.vkey)
		}
		return nil
	}
	if err := meta.Put(keyVerifier, []byte(l.vkey)); err != nil {
		return fmt.Errorf("audit: init: %w", err)
	}
	return l.Sign(tx)
}

// Append adds e to the log in tx, assigning e.Seq and, if it is zero,
// e.Time. It refuses (with auditlog.ErrInvalidEvent) an event without an
// action or outcome, or with a Hashed value that is not an HMAC. It stores the event's leaf data and the tree hashes that tlog
// stores for it. Call it in the same write transaction as the action it
// records, and call [Log.Sign] before that transaction commits. If Append
// fails, the transaction must not commit.
func (l *Log) Append(tx *bbolt.Tx, e *Event) error {
	s, err := open(tx)
	if err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return err
	}
	n, err := s.size()
	if err != nil {
		return err
	}
	e.Seq = n
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	leaf, err := e.Leaf()
	if err != nil {
		return err
	}
	if len(leaf) > auditlog.MaxEntrySize {
		// Every event must fit a tlog-tiles entry bundle.
		return fmt.Errorf("%w: event of %d bytes, more than %d", auditlog.ErrInvalidEvent, len(leaf), auditlog.MaxEntrySize)
	}
	hashes, err := tlog.StoredHashes(n, leaf, s)
	if err != nil {
		return fmt.Errorf("audit: append %d: %w", n, err)
	}
	if err := s.events.Put(itob(n), leaf); err != nil {
		return fmt.Errorf("audit: append %d: %w", n, err)
	}
	idx := tlog.StoredHashIndex(0, n)
	for i := range hashes {
		if err := s.hashes.Put(itob(idx+int64(i)), hashes[i][:]); err != nil {
			return fmt.Errorf("audit: append %d: %w", n, err)
		}
	}
	return nil
}

// Sign signs a checkpoint for the current size of the log and stores it as
// the latest one, keeping earlier checkpoints (one per size) as a history.
// Call it at the end of every write transaction that appended; it does
// nothing if the latest checkpoint already covers the log.
func (l *Log) Sign(tx *bbolt.Tx) error {
	s, err := open(tx)
	if err != nil {
		return err
	}
	vkey, err := s.verifierKey()
	if err != nil {
		return err
	}
	if vkey != l.vkey {
		return fmt.Errorf("audit: sign: log is verified by %s, not by this key (%s)", vkey, l.vkey)
	}
	n, err := s.size()
	if err != nil {
		return err
	}
	msg, last, err := s.latest()
	if err != nil {
		return err
	}
	if msg != nil {
		if last == n {
			return nil
		}
		if last > n {
			return fmt.Errorf("audit: sign: log has %d events but was signed at size %d", n, last)
		}
	}
	root, err := tlog.TreeHash(n, s)
	if err != nil {
		return fmt.Errorf("audit: sign: %w", err)
	}
	signed, err := auditlog.SignCheckpoint(auditlog.Checkpoint{Origin: l.origin, Size: n, Root: root}, l.signer)
	if err != nil {
		return err
	}
	if err := s.checkpoints.Put(itob(n), signed); err != nil {
		return fmt.Errorf("audit: sign: %w", err)
	}
	return nil
}

// Size returns the number of events in the log.
func Size(tx *bbolt.Tx) (int64, error) {
	s, err := open(tx)
	if err != nil {
		return 0, err
	}
	return s.size()
}

// StoredVerifierKey returns the public verifier key recorded by Init.
// Auditors should compare it with the key they were given when the vault
// was created: anyone who can write the database can replace it.
func StoredVerifierKey(tx *bbolt.Tx) (string, error) {
	s, err := open(tx)
	if err != nil {
		return "", err
	}
	return s.verifierKey()
}

// Events returns the leaf data of up to limit events starting at seq start
// (all of them if limit <= 0). The slices are copies, valid after tx ends.
// Use auditlog.ParseEvent to decode them.
func Events(tx *bbolt.Tx, start int64, limit int) ([][]byte, error) {
	s, err := open(tx)
	if err != nil {
		return nil, err
	}
	if start < 0 {
		return nil, fmt.Errorf("audit: negative start %d", start)
	}
	var out [][]byte
	c := s.events.Cursor()
	for k, v := c.Seek(itob(start)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		out = append(out, append([]byte(nil), v...))
	}
	return out, nil
}

// LatestCheckpoint returns the newest signed checkpoint note, or nil if the
// log has never been signed.
func LatestCheckpoint(tx *bbolt.Tx) ([]byte, error) {
	s, err := open(tx)
	if err != nil {
		return nil, err
	}
	msg, _, err := s.latest()
	if msg == nil || err != nil {
		return nil, err
	}
	return append([]byte(nil), msg...), nil
}

// CheckpointAt returns the signed checkpoint for the given size, or nil if
// none was signed at exactly that size.
func CheckpointAt(tx *bbolt.Tx, size int64) ([]byte, error) {
	s, err := open(tx)
	if err != nil {
		return nil, err
	}
	if size < 0 {
		return nil, fmt.Errorf("audit: negative size %d", size)
	}
	if msg := s.checkpoints.Get(itob(size)); msg != nil {
		return append([]byte(nil), msg...), nil
	}
	return nil, nil
}

// InclusionProof returns the proof that event seq is in the tree of the
// given size. Anyone can check it against a checkpoint of that size with
// auditlog.CheckInclusion (tlog.CheckRecord of the event's record hash).
func InclusionProof(tx *bbolt.Tx, seq, size int64) (tlog.RecordProof, error) {
	s, err := open(tx)
	if err != nil {
		return nil, err
	}
	n, err := s.size()
	if err != nil {
		return nil, err
	}
	if seq < 0 || seq >= size || size > n {
		return nil, fmt.Errorf("audit: no inclusion proof for event %d in a tree of size %d (log size %d)", seq, size, n)
	}
	p, err := tlog.ProveRecord(size, seq, s)
	if err != nil {
		return nil, fmt.Errorf("audit: inclusion proof: %w", err)
	}
	return p, nil
}

// ConsistencyProof returns the proof that the tree of size newSize contains
// the tree of size oldSize as a prefix. Anyone can check it against two
// checkpoints with auditlog.CheckConsistency (tlog.CheckTree).
func ConsistencyProof(tx *bbolt.Tx, oldSize, newSize int64) (tlog.TreeProof, error) {
	s, err := open(tx)
	if err != nil {
		return nil, err
	}
	n, err := s.size()
	if err != nil {
		return nil, err
	}
	if oldSize < 1 || oldSize > newSize || newSize > n {
		return nil, fmt.Errorf("audit: no consistency proof from size %d to %d (log size %d)", oldSize, newSize, n)
	}
	p, err := tlog.ProveTree(newSize, oldSize, s)
	if err != nil {
		return nil, fmt.Errorf("audit: consistency proof: %w", err)
	}
	return p, nil
}
