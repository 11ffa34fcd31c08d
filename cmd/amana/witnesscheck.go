package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/auditlog"
)

// witnessCheck is the --witness and --quorum flags of audit verify and
// verify-bundle: the witnesses whose cosignatures a checkpoint must carry.
type witnessCheck struct {
	keys   []string
	quorum int
}

func (w *witnessCheck) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&w.keys, "witness", nil, "a witness's verifier key: the checkpoint must carry its cosignature (repeatable)")
	cmd.Flags().IntVar(&w.quorum, "quorum", 0, "how many of the --witness keys must have cosigned (default: all)")
}

func (w *witnessCheck) check() error {
	for _, k := range w.keys {
		if _, err := auditlog.NewCosignatureVerifier(k); err != nil {
			return usageError("--witness: %v", err)
		}
	}
	if w.quorum < 0 || w.quorum > len(w.keys) {
		return usageError("--quorum %d: give between 1 and the number of --witness keys (%d)", w.quorum, len(w.keys))
	}
	return nil
}

// Split views. A server that shows one auditor one history and another a
// different one, or rolls back to an earlier signed state, is caught by
// keeping the largest checkpoint one has verified and requiring every
// later one to be consistent with it. The CLI keeps it in the config
// directory, one file per log verifier key; with witnesses, only a
// checkpoint they cosigned is kept, so the witnesses vouch that others saw
// the same.

// seenPath is where the largest checkpoint verified for the log of vkey is
// kept.
func seenPath(vkey string) (string, error) {
	d, err := configDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(vkey))
	return filepath.Join(d, "checkpoints", hex.EncodeToString(sum[:8])), nil
}

// loadSeen returns the largest checkpoint kept for the log of vkey, or nil.
// A kept file that does not verify under vkey is an error: someone changed
// it.
func loadSeen(vkey string) ([]byte, *auditlog.Checkpoint, error) {
	p, err := seenPath(vkey)
	if err != nil {
		return nil, nil, err
	}
	b, err := readSmallFile(p, 64<<10)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := auditlog.OpenCheckpoint(b, vkey)
	if err != nil {
		return nil, nil, fmt.Errorf("the checkpoint kept in %s: %w", p, err)
	}
	return b, &c, nil
}

// keepSeen keeps note as the largest checkpoint seen for the log of vkey,
// unless a larger one is kept already.
func keepSeen(vkey string, note []byte) error {
	c, err := auditlog.OpenCheckpoint(note, vkey)
	if err != nil {
		return err
	}
	_, old, err := loadSeen(vkey)
	if err != nil {
		return err
	}
	if old != nil && old.Size >= c.Size {
		return nil
	}
	p, err := seenPath(vkey)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, note, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}
