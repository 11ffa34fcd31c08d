package inbrowser

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a verified audit checkpoint: the log's size and tree hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// OpenCheckpoint checks that msg is a checkpoint note (C2SP
// tlog-checkpoint) signed by verifierKey, whose origin is the key's name.
func OpenCheckpoint(msg []byte, verifierKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("verifier key: %w", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return Checkpoint{}, fmt.Errorf("checkpoint is not signed by %s", v.Name())
		}
		return Checkpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return Checkpoint{}, errors.New("checkpoint: want origin, size and root lines")
	}
	if lines[0] != v.Name() {
		return Checkpoint{}, fmt.Errorf("checkpoint origin %q is not the key name %q", lines[0], v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint: malformed size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: malformed root hash %q", lines[2])
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: root}, nil
}

// CheckConsistency checks that the log at checkpoint older is a prefix of
// the log at newer, with the consistency proof from older.Size to
// newer.Size. A log that shrank, or changed at the same size, fails.
func CheckConsistency(older, newer Checkpoint, proof tlog.TreeProof) error {
	switch {
	case older.Origin != newer.Origin:
		return fmt.Errorf("checkpoints of different logs (%q, %q)", older.Origin, newer.Origin)
	case newer.Size < older.Size:
		return fmt.Errorf("the log shrank from %d to %d events", older.Size, newer.Size)
	case newer.Size == older.Size:
		if newer.Root != older.Root {
			return fmt.Errorf("the log of %d events changed since this browser last saw it", older.Size)
		}
		return nil
	case older.Size == 0:
		return nil
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fmt.Errorf("the log of %d events is not a prefix of the log of %d events: %w", older.Size, newer.Size, err)
	}
	return nil
}

// TreeRoot computes the Merkle tree hash of the given leaves (events as
// the API returns them), to compare with a checkpoint.
func TreeRoot(leaves [][]byte) (tlog.Hash, error) {
	var m memHashes
	for i, l := range leaves {
		hs, err := tlog.StoredHashes(int64(i), l, &m)
		if err != nil {
			return tlog.Hash{}, err
		}
		m = append(m, hs...)
	}
	if len(leaves) == 0 {
		return tlog.Hash{}, nil
	}
	return tlog.TreeHash(int64(len(leaves)), &m)
}

type memHashes []tlog.Hash

func (m *memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(*m)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = (*m)[x]
	}
	return out, nil
}
