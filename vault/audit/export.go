package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// Files written by Export.
const (
	ExportEvents     = "events.jsonl" // one event per line: the leaf data, then "\n"
	ExportCheckpoint = "checkpoint"   // the newest signed checkpoint note
	ExportVerifier   = "verifier"     // the verifier key, then "\n"
)

// Export writes an independent copy of the log in tx to dir (created if
// needed): every event as one line of events.jsonl, the newest signed
// checkpoint and the verifier key. Any RFC 6962 implementation recomputes
// the checkpoint's root hash from the lines of events.jsonl without their
// newlines.
func Export(tx *bbolt.Tx, dir string) error {
	s, err := open(tx)
	if err != nil {
		return err
	}
	vkey, err := s.verifierKey()
	if err != nil {
		return err
	}
	latest, _, err := s.latest()
	if err != nil {
		return err
	}
	if latest == nil {
		return fmt.Errorf("audit: export: the log has no signed checkpoint")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	err = writeFile(filepath.Join(dir, ExportEvents), func(w io.Writer) error {
		return s.events.ForEach(func(_, leaf []byte) error {
			if _, err := w.Write(leaf); err != nil {
				return err
			}
			_, err := w.Write([]byte{'\n'})
			return err
		})
	})
	if err != nil {
		return err
	}
	err = writeFile(filepath.Join(dir, ExportCheckpoint), func(w io.Writer) error {
		_, err := w.Write(latest)
		return err
	})
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, ExportVerifier), func(w io.Writer) error {
		_, err := io.WriteString(w, vkey+"\n")
		return err
	})
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit: export: %s: %w", name, err)
	}
	return nil
}

// VerifyExport makes the checks of [Verify] on a directory written by
// [Export]: sequence numbers, the newest checkpoint's signature (with the
// exported verifier key) and root, and, if old is not nil, the tree of the
// earlier checkpoint's size and a consistency proof from it. An export has
// no stored hashes or checkpoint history, so a changed event is located
// only to the range the checkpoints cover.
func VerifyExport(dir string, old []byte) (*Report, error) {
	vkeyFile, err := os.ReadFile(filepath.Join(dir, ExportVerifier))
	if err != nil {
		return nil, fmt.Errorf("audit: verify export: %w", err)
	}
	latest, err := os.ReadFile(filepath.Join(dir, ExportCheckpoint))
	if err != nil {
		return nil, fmt.Errorf("audit: verify export: %w", err)
	}
	f, err := os.Open(filepath.Join(dir, ExportEvents))
	if err != nil {
		return nil, fmt.Errorf("audit: verify export: %w", err)
	}
	defer f.Close()

	// The consistency proof needs a few of the tree's inner hashes: find
	// out which with a dry run, then keep them as the scan goes by.
	var want map[int64]bool
	got := make(map[int64]tlog.Hash)
	if old != nil {
		oc, err := OpenCheckpoint(old, string(bytes.TrimSpace(vkeyFile)))
		lc, lerr := parseCheckpointBody(string(latest))
		if err == nil && lerr == nil && oc.Size >= 1 && oc.Size <= lc.Size {
			want = make(map[int64]bool)
			_, _ = tlog.ProveTree(lc.Size, oc.Size, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
				for _, i := range idx {
					want[i] = true
				}
				return make([]tlog.Hash, len(idx)), nil
			}))
		}
	}
	v := &verification{
		vkey:      string(bytes.TrimSpace(vkeyFile)),
		latest:    latest,
		latestKey: -1,
		leaves:    &lineLeaves{r: bufio.NewReaderSize(f, 1<<20)},
		emit: func(_, index int64, h tlog.Hash) error {
			if want[index] {
				got[index] = h
			}
			return nil
		},
		prove: func(oldSize, newSize int64) (tlog.TreeProof, error) {
			return tlog.ProveTree(newSize, oldSize, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
				out := make([]tlog.Hash, len(idx))
				for i, x := range idx {
					h, ok := got[x]
					if !ok {
						return nil, fmt.Errorf("hash %d not kept", x)
					}
					out[i] = h
				}
				return out, nil
			}))
		},
	}
	return v.run(old)
}

// lineLeaves reads events.jsonl: each line without its "\n" is one leaf.
type lineLeaves struct {
	r *bufio.Reader
	n int64
}

func (l *lineLeaves) next() (int64, []byte, error) {
	line, err := l.r.ReadBytes('\n')
	if errors.Is(err, io.EOF) {
		if len(line) == 0 {
			return 0, nil, nil
		}
		err = nil // last line without a newline
	}
	if err != nil {
		return 0, nil, fmt.Errorf("reading %s: %w", ExportEvents, err)
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	pos := l.n
	l.n++
	return pos, line, nil
}
