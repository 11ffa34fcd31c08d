package auditlog

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// These tests verify a log as a client verifies the server's: the leaves
// as served (possibly altered in transit), the server's newest checkpoint,
// and the server's consistency proofs. The vault's database, with stored
// hashes and a checkpoint history, is tested in vault/audit.

const (
	servedSize = 45 // events in the served log
	keptAt     = 30 // the auditor kept the checkpoint of this size
	changed    = 12 // the event altered in transit
)

func editLeaf(leaf []byte) []byte {
	return bytes.Replace(leaf, []byte("r.hassan"), []byte("x.nobody"), 1)
}

func TestVerifyServed(t *testing.T) {
	l := newMemLog(t, servedSize)
	for _, old := range [][]byte{nil, l.checkpoints[keptAt], l.checkpoints[1], l.latest(), l.checkpoints[0]} {
		for _, p := range []TreeProver{nil, l} {
			rep, err := Verify(l.source(l.leaves, p), old)
			if err != nil {
				t.Fatalf("Verify(old=%v, prover=%v): %v", old != nil, p != nil, err)
			}
			if rep.Size != servedSize || rep.Latest == nil || rep.Latest.Size != servedSize || rep.Root != rep.Latest.Root || rep.Root != l.root(servedSize) || rep.VerifierKey != l.vkey {
				t.Errorf("report = %+v", rep)
			}
			if (old == nil) != (rep.Old == nil) {
				t.Errorf("report.Old = %v with old=%v", rep.Old, old != nil)
			}
		}
	}
}

func TestVerifyEmpty(t *testing.T) {
	l := newMemLog(t, 0)
	rep, err := Verify(l.source(nil, nil), nil)
	if err != nil || rep.Size != 0 || rep.Root != emptyRoot || rep.Latest == nil || rep.Latest.Root != emptyRoot {
		t.Errorf("Verify empty = %+v, %v", rep, err)
	}
}

func TestVerifyServedTampered(t *testing.T) {
	const undetected = -1
	for _, tc := range []struct {
		name  string
		alter func(l *memLog, leaves [][]byte) [][]byte
		// The first seq Verify must name with the server's proofs, without
		// and with the auditor's checkpoint, and without proofs (located
		// only to what the checkpoints cover).
		seq, seqOld, seqNoProver int64
	}{
		{"edit an event", func(l *memLog, leaves [][]byte) [][]byte {
			leaves[changed] = editLeaf(leaves[changed])
			return leaves
		}, changed, changed, 0},
		{"edit an event after the auditor's checkpoint", func(l *memLog, leaves [][]byte) [][]byte {
			leaves[40] = editLeaf(leaves[40])
			return leaves
		}, 40, 40, 0},
		{"edit the last event", func(l *memLog, leaves [][]byte) [][]byte {
			leaves[servedSize-1] = editLeaf(leaves[servedSize-1])
			return leaves
		}, servedSize - 1, servedSize - 1, 0},
		{"drop an event", func(l *memLog, leaves [][]byte) [][]byte {
			return slices.Delete(leaves, changed, changed+1)
		}, changed, changed, changed},
		{"swap two events", func(l *memLog, leaves [][]byte) [][]byte {
			leaves[changed], leaves[20] = leaves[20], leaves[changed]
			return leaves
		}, changed, changed, changed},
		{"serve fewer events", func(l *memLog, leaves [][]byte) [][]byte {
			return leaves[:35]
		}, 35, 35, 0},
		{"serve garbage", func(l *memLog, leaves [][]byte) [][]byte {
			leaves[changed] = []byte("\x00{\"seq\":")
			return leaves
		}, changed, changed, changed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newMemLog(t, servedSize)
			for _, c := range []struct {
				old    []byte
				prover TreeProver
				want   int64
			}{{nil, l, tc.seq}, {l.checkpoints[keptAt], l, tc.seqOld}, {nil, nil, tc.seqNoProver}} {
				leaves := tc.alter(l, slices.Clone(l.leaves))
				rep, err := Verify(l.source(leaves, c.prover), c.old)
				if c.want == undetected {
					if err != nil {
						t.Errorf("Verify = %v, want success", err)
					}
					continue
				}
				var te *TamperError
				if !errors.As(err, &te) || te.Seq != c.want {
					t.Errorf("Verify(old=%v, prover=%v) = %v, want tampering from seq %d", c.old != nil, c.prover != nil, err, c.want)
				}
				if rep == nil {
					t.Errorf("no report with %v", err)
				}
			}
		})
	}
}

func TestVerifyRolledBack(t *testing.T) {
	// The server signs a checkpoint smaller than the one the auditor kept.
	l := newMemLog(t, servedSize)
	old := l.latest()
	short := newMemLog(t, keptAt)
	rep, err := Verify(short.source(short.leaves, short), old)
	var te *TamperError
	if !errors.As(err, &te) || te.Seq != keptAt {
		t.Fatalf("Verify = %v, want tampering from seq %d", err, keptAt)
	}
	if rep.Old == nil || rep.Old.Size != servedSize {
		t.Errorf("report = %+v", rep)
	}
}

// lyingProver answers every proof with hashes that prove nothing.
type lyingProver struct{ calls int }

func (p *lyingProver) ProveTree(oldSize, newSize int64) (tlog.TreeProof, error) {
	p.calls++
	return tlog.TreeProof{tlog.RecordHash([]byte("lie"))}, nil
}

func TestVerifyLyingProver(t *testing.T) {
	// A server that lies in its proofs can make verification fail, or
	// locate a change earlier than it is, but never later.
	l := newMemLog(t, servedSize)
	leaves := slices.Clone(l.leaves)
	leaves[changed] = editLeaf(leaves[changed])
	p := &lyingProver{}
	_, err := Verify(l.source(leaves, p), nil)
	var te *TamperError
	if !errors.As(err, &te) || te.Seq > changed {
		t.Fatalf("Verify = %v, want tampering from seq <= %d", err, changed)
	}
	if p.calls == 0 {
		t.Error("the prover was not asked")
	}
	// Honest events, lying proofs of consistency with the auditor's checkpoint.
	_, err = Verify(l.source(l.leaves, &lyingProver{}), l.checkpoints[keptAt])
	if !errors.As(err, &te) || te.Seq != keptAt {
		t.Fatalf("Verify with a lying consistency proof = %v, want tampering from seq %d", err, keptAt)
	}
}

var errNetwork = errors.New("connection reset")

type failingProver struct{}

func (failingProver) ProveTree(oldSize, newSize int64) (tlog.TreeProof, error) {
	return nil, errNetwork
}

type failingLeaves struct {
	sliceLeaves
	after int
}

func (f *failingLeaves) ReadLeaf() (int64, []byte, error) {
	if f.n == f.after {
		return 0, nil, errNetwork
	}
	return f.sliceLeaves.ReadLeaf()
}

func TestVerifySourceErrors(t *testing.T) {
	// Errors reading the source say nothing about the log: they are
	// returned as they are, never as tampering.
	l := newMemLog(t, servedSize)
	src := l.source(nil, nil)
	src.Leaves = &failingLeaves{sliceLeaves: sliceLeaves{leaves: l.leaves}, after: 20}
	_, err := Verify(src, nil)
	var te *TamperError
	if !errors.Is(err, errNetwork) || errors.As(err, &te) {
		t.Errorf("Verify with a failing reader = %v", err)
	}

	leaves := slices.Clone(l.leaves)
	leaves[changed] = editLeaf(leaves[changed])
	if _, err := Verify(l.source(leaves, failingProver{}), nil); !errors.Is(err, errNetwork) || errors.As(err, &te) {
		t.Errorf("Verify with a failing prover, bisecting = %v", err)
	}
	if _, err := Verify(l.source(l.leaves, failingProver{}), l.checkpoints[keptAt]); !errors.Is(err, errNetwork) || errors.As(err, &te) {
		t.Errorf("Verify with a failing prover, proving consistency = %v", err)
	}
}

func TestVerifyCheckpoints(t *testing.T) {
	l := newMemLog(t, servedSize)
	other := newMemLog(t, 0)
	other.signer, other.vkey = testSigner(t, "other")

	// An earlier checkpoint under another key is not a tamper error: it is
	// the wrong checkpoint, or the wrong key.
	if _, err := Verify(l.source(l.leaves, nil), signedAs(t, other, l, keptAt)); !errors.Is(err, ErrBadCheckpoint) {
		t.Errorf("old checkpoint of another key: %v", err)
	}
	// A newest checkpoint under another key vouches for nothing.
	withLatest := func(msg []byte) *Source {
		src := l.source(l.leaves, nil)
		src.Checkpoint = msg
		return src
	}
	forged := signedAs(t, other, l, servedSize)
	var te *TamperError
	if _, err := Verify(withLatest(forged), nil); !errors.As(err, &te) || te.Seq != 0 || !errors.Is(err, ErrBadCheckpoint) {
		t.Errorf("newest checkpoint of another key: %v", err)
	}
	if _, err := Verify(withLatest(forged), l.checkpoints[keptAt]); !errors.As(err, &te) || te.Seq != keptAt {
		t.Errorf("newest checkpoint of another key, with the auditor's: %v", err)
	}
	// No checkpoint at all.
	if _, err := Verify(withLatest(nil), nil); !errors.As(err, &te) || te.Seq != 0 {
		t.Errorf("no checkpoint: %v", err)
	}
	// More events than the newest checkpoint signs.
	if _, err := Verify(withLatest(l.checkpoints[40]), nil); !errors.As(err, &te) || te.Seq != 40 {
		t.Errorf("unsigned events: %v", err)
	}
}

// signedAs signs the tree of l's first n events with signer s's key.
func signedAs(t *testing.T, s, l *memLog, n int64) []byte {
	t.Helper()
	msg, err := SignCheckpoint(Checkpoint{Origin: testOrigin, Size: n, Root: l.root(n)}, s.signer)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}
