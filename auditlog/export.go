package auditlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The files of an export directory.
const (
	ExportEvents     = "events.jsonl" // one event a line: its leaf data, then "\n"
	ExportCheckpoint = "checkpoint"   // the newest signed checkpoint note
	ExportVerifier   = "verifier"     // the verifier key, then "\n"
)

// An ExportWriter writes an export directory: an independent copy of the
// log that any RFC 6962 implementation can check, since each line of
// events.jsonl without its newline is exactly a leaf of the tree. Events go
// to a temporary file; nothing replaces an earlier export in the directory
// until Commit.
type ExportWriter struct {
	dir string
	f   *os.File
	w   *bufio.Writer
	n   int64
}

// CreateExport starts an export in dir, creating it if needed.
func CreateExport(dir string) (*ExportWriter, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: export: %w", err)
	}
	f, err := os.CreateTemp(dir, ".events-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("audit: export: %w", err)
	}
	return &ExportWriter{dir: dir, f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

// WriteLeaf appends the next event's leaf data as one line.
func (x *ExportWriter) WriteLeaf(leaf []byte) error {
	if bytes.IndexByte(leaf, '\n') >= 0 {
		return fmt.Errorf("audit: export: event %d contains a newline; it cannot be one line of %s", x.n, ExportEvents)
	}
	x.w.Write(leaf)
	if err := x.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	x.n++
	return nil
}

// Commit writes the checkpoint and the verifier key, then puts the events
// in place, each file synced to disk. It returns the number of events.
func (x *ExportWriter) Commit(checkpoint []byte, verifierKey string) (int64, error) {
	defer x.Abort()
	err := x.w.Flush()
	if err == nil {
		err = x.f.Sync()
	}
	if err == nil {
		err = x.f.Close()
	}
	if err == nil {
		err = writeSynced(filepath.Join(x.dir, ExportCheckpoint), checkpoint)
	}
	if err == nil {
		err = writeSynced(filepath.Join(x.dir, ExportVerifier), []byte(verifierKey+"\n"))
	}
	if err == nil {
		err = os.Rename(x.f.Name(), filepath.Join(x.dir, ExportEvents))
	}
	if err != nil {
		return 0, fmt.Errorf("audit: export: %w", err)
	}
	return x.n, nil
}

// Abort removes what an uncommitted export wrote. After Commit it does
// nothing.
func (x *ExportWriter) Abort() {
	x.f.Close()
	os.Remove(x.f.Name())
}

func writeSynced(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// VerifyExport makes the checks of [Verify] on an export directory:
// sequence numbers, the checkpoint's signature (with the exported verifier
// key) and root, and, if old is not nil, the tree of the earlier
// checkpoint's size and a consistency proof from it. An export has no
// stored hashes or checkpoint history, so a changed event is located only
// to the range the checkpoints cover. Compare [Report.VerifierKey] with
// the key the vault's custodians published.
func VerifyExport(dir string, old []byte) (*Report, error) {
	vkey, err := os.ReadFile(filepath.Join(dir, ExportVerifier))
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
	return Verify(&Source{
		VerifierKey: string(bytes.TrimSpace(vkey)),
		Checkpoint:  latest,
		Leaves:      &lineLeaves{r: bufio.NewReaderSize(f, 1<<20)},
	}, old)
}

// lineLeaves reads events.jsonl: each line without its "\n" is one leaf.
type lineLeaves struct {
	r *bufio.Reader
	n int64
}

func (l *lineLeaves) ReadLeaf() (int64, []byte, error) {
	line, err := l.r.ReadBytes('\n')
	if errors.Is(err, io.EOF) {
		if len(line) == 0 {
			return 0, nil, io.EOF
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
