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
// events.jsonl without its newline is exactly a leaf of the tree. Every
// file is written under a temporary name and renamed into place by
// Commit, so an export that fails before it leaves an earlier one in the
// directory as it was.
type ExportWriter struct {
	dir  string
	f    *os.File
	w    *bufio.Writer
	n    int64
	temp []string // files to remove unless renamed
}

// CreateExport starts an export in dir, creating it if needed.
func CreateExport(dir string) (*ExportWriter, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: export: %w", err)
	}
	f, err := os.CreateTemp(dir, ".events-*")
	if err != nil {
		return nil, fmt.Errorf("audit: export: %w", err)
	}
	return &ExportWriter{dir: dir, f: f, w: bufio.NewWriterSize(f, 1<<20), temp: []string{f.Name()}}, nil
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

// Commit writes the checkpoint and the verifier key, syncs every file to
// disk and puts them in place, the events last. It returns the number of
// events.
func (x *ExportWriter) Commit(checkpoint []byte, verifierKey string) (int64, error) {
	defer x.Abort()
	err := x.w.Flush()
	if err == nil {
		err = x.f.Sync()
	}
	if err == nil {
		err = x.f.Close()
	}
	var cp, vk string
	if err == nil {
		cp, err = x.writeTemp(checkpoint)
	}
	if err == nil {
		vk, err = x.writeTemp([]byte(verifierKey + "\n"))
	}
	for _, r := range [][2]string{{cp, ExportCheckpoint}, {vk, ExportVerifier}, {x.f.Name(), ExportEvents}} {
		if err == nil {
			err = os.Rename(r[0], filepath.Join(x.dir, r[1]))
		}
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
	for _, name := range x.temp {
		os.Remove(name)
	}
}

func (x *ExportWriter) writeTemp(b []byte) (string, error) {
	f, err := os.CreateTemp(x.dir, ".export-*")
	if err != nil {
		return "", err
	}
	x.temp = append(x.temp, f.Name())
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
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
