package auditlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const testOrigin = "amana.test/audit"

var testTime = time.Date(2018, 3, 2, 9, 0, 0, 0, time.UTC)

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("signing key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func testHMACKey(name string) []byte {
	k := sha256.Sum256([]byte("hmac key " + name))
	return k[:]
}

func testSigner(t testing.TB, name string) (note.Signer, string) {
	t.Helper()
	s, vkey, err := NewSigner(testOrigin, testKey(name))
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

// memLog is an audit log kept in memory, as a server other than the vault
// could keep it: the leaves, tlog's stored hashes, and a checkpoint
// signed at every size.
type memLog struct {
	leaves      [][]byte
	hashes      memHashes
	checkpoints [][]byte // checkpoints[n]: signed at size n
	signer      note.Signer
	vkey        string
}

func newMemLog(t testing.TB, n int) *memLog {
	t.Helper()
	s, vkey := testSigner(t, "vault")
	l := &memLog{signer: s, vkey: vkey}
	l.sign(t)
	for range n {
		l.add(t)
	}
	return l
}

func testEvent(i int) *Event {
	return &Event{
		Seq:       int64(i),
		Time:      testTime.Add(time.Duration(i) * time.Second),
		Actor:     "r.hassan",
		Action:    "document.deposit",
		Doc:       fmt.Sprintf("d%06d", i),
		Outcome:   OutcomeOK,
		RequestID: fmt.Sprintf("req-%d", i),
		Detail:    map[string]string{"size": fmt.Sprint(1000 + i)},
	}
}

// add appends the next test event and signs the new size.
func (l *memLog) add(t testing.TB) {
	t.Helper()
	l.appendEvent(t, testEvent(len(l.leaves)))
}

// appendEvent appends e (its Seq set to the next) and signs the new size.
func (l *memLog) appendEvent(t testing.TB, e *Event) {
	t.Helper()
	n := int64(len(l.leaves))
	e.Seq = n
	leaf, err := e.Leaf()
	if err != nil {
		t.Fatal(err)
	}
	hs, err := tlog.StoredHashes(n, leaf, l.hashes)
	if err != nil {
		t.Fatal(err)
	}
	l.hashes = append(l.hashes, hs...)
	l.leaves = append(l.leaves, leaf)
	l.sign(t)
}

func (l *memLog) sign(t testing.TB) {
	t.Helper()
	n := int64(len(l.leaves))
	root, err := tlog.TreeHash(n, l.hashes)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := SignCheckpoint(Checkpoint{Origin: testOrigin, Size: n, Root: root}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	l.checkpoints = append(l.checkpoints, msg)
}

func (l *memLog) latest() []byte { return l.checkpoints[len(l.checkpoints)-1] }

func (l *memLog) root(n int64) tlog.Hash {
	h, err := tlog.TreeHash(n, l.hashes)
	if err != nil {
		panic(err)
	}
	return h
}

// ProveTree serves consistency proofs from the log's own hashes, as its
// server would.
func (l *memLog) ProveTree(oldSize, newSize int64) (tlog.TreeProof, error) {
	return tlog.ProveTree(newSize, oldSize, l.hashes)
}

// sliceLeaves reads leaves from memory, at consecutive indexes.
type sliceLeaves struct {
	leaves [][]byte
	n      int
}

func (s *sliceLeaves) ReadLeaf() (int64, []byte, error) {
	if s.n >= len(s.leaves) {
		return 0, nil, io.EOF
	}
	s.n++
	return int64(s.n - 1), s.leaves[s.n-1], nil
}

// source is l as a server serves it: leaves (which the caller may have
// altered in transit), the newest checkpoint, and the server's proofs.
func (l *memLog) source(leaves [][]byte, prover TreeProver) *Source {
	return &Source{VerifierKey: l.vkey, Checkpoint: l.latest(), Leaves: &sliceLeaves{leaves: leaves}, Prover: prover}
}
