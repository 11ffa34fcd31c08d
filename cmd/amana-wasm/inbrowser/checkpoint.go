package inbrowser

import (
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
)

// The page checks the audit log with package auditlog, the verifier the
// command line uses: these are the functions the WebAssembly module
// exports for it.

// Checkpoint is a verified audit checkpoint: the log's size and tree hash.
type Checkpoint = auditlog.Checkpoint

// OpenCheckpoint checks that msg is a checkpoint note (C2SP
// tlog-checkpoint) signed by verifierKey, whose origin is the key's name.
func OpenCheckpoint(msg []byte, verifierKey string) (Checkpoint, error) {
	return auditlog.OpenCheckpoint(msg, verifierKey)
}

// OpenCosigned is OpenCheckpoint for a reader who also names witnesses
// (their verifier keys): the note must carry valid cosignatures of at
// least quorum of them (all of them if quorum <= 0). It returns the names
// of the witnesses that cosigned.
func OpenCosigned(msg []byte, verifierKey string, witnesses []string, quorum int) (Checkpoint, []string, error) {
	return auditlog.OpenCosigned(msg, verifierKey, witnesses, quorum)
}

// CheckConsistency checks that the log at checkpoint older is a prefix of
// the log at newer, with the consistency proof from older.Size to
// newer.Size. A log that shrank, or changed at the same size, fails.
func CheckConsistency(older, newer Checkpoint, proof tlog.TreeProof) error {
	return auditlog.CheckConsistency(older, newer, proof)
}

// TreeRoot computes the Merkle tree hash of the given leaves (events as
// the API returns them), to compare with a checkpoint.
func TreeRoot(leaves [][]byte) (tlog.Hash, error) {
	return auditlog.TreeRoot(leaves), nil
}
