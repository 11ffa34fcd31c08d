package auditlog

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// writeExport exports l's first n events with the checkpoint of that size.
func writeExport(t *testing.T, l *memLog, dir string, n int) {
	t.Helper()
	x, err := CreateExport(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, leaf := range l.leaves[:n] {
		if err := x.WriteLeaf(leaf); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := x.Commit(l.checkpoints[n], l.vkey); err != nil || got != int64(n) {
		t.Fatalf("Commit = %d, %v", got, err)
	}
}

func TestExportLayout(t *testing.T) {
	l := newMemLog(t, 7)
	dir := filepath.Join(t.TempDir(), "export")
	writeExport(t, l, dir, 7)
	events, _ := os.ReadFile(filepath.Join(dir, ExportEvents))
	if want := append(bytes.Join(l.leaves, []byte("\n")), '\n'); !bytes.Equal(events, want) {
		t.Errorf("%s =\n%s\nwant\n%s", ExportEvents, events, want)
	}
	if cp, _ := os.ReadFile(filepath.Join(dir, ExportCheckpoint)); !bytes.Equal(cp, l.latest()) {
		t.Errorf("%s = %q", ExportCheckpoint, cp)
	}
	if vk, _ := os.ReadFile(filepath.Join(dir, ExportVerifier)); string(vk) != l.vkey+"\n" {
		t.Errorf("%s = %q", ExportVerifier, vk)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("export holds %d files, want 3", len(entries))
	}
	if rep, err := VerifyExport(dir, l.checkpoints[3]); err != nil || rep.Size != 7 || rep.Old.Size != 3 {
		t.Errorf("VerifyExport = %+v, %v", rep, err)
	}
}

func TestExportAbortKeepsEarlierExport(t *testing.T) {
	l := newMemLog(t, 9)
	dir := t.TempDir()
	writeExport(t, l, dir, 5)
	before, _ := os.ReadFile(filepath.Join(dir, ExportEvents))

	x, err := CreateExport(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, leaf := range l.leaves {
		x.WriteLeaf(leaf)
	}
	if err := x.WriteLeaf([]byte("{\"seq\":9}\n{\"seq\":10}")); err == nil {
		t.Error("a leaf with a newline was written")
	}
	x.Abort()
	after, _ := os.ReadFile(filepath.Join(dir, ExportEvents))
	entries, _ := os.ReadDir(dir)
	if !bytes.Equal(before, after) || len(entries) != 3 {
		t.Errorf("an aborted export changed the directory: %d files", len(entries))
	}
	if rep, err := VerifyExport(dir, nil); err != nil || rep.Size != 5 {
		t.Errorf("VerifyExport after an aborted export = %+v, %v", rep, err)
	}
}

func TestVerifyExportChanged(t *testing.T) {
	l := newMemLog(t, servedSize)
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
		seq    int64 // without, and with, the auditor's checkpoint; -1: passes
		seqOld int64
		badOld bool // the auditor's checkpoint itself is rejected
	}{
		{"edit a line", func(t *testing.T, dir string) {
			editLine(t, dir, changed, editLeaf)
		}, 0, 0, false},
		{"edit a line after the auditor's checkpoint", func(t *testing.T, dir string) {
			editLine(t, dir, 40, editLeaf)
		}, 0, keptAt, false},
		{"add a carriage return", func(t *testing.T, dir string) {
			editLine(t, dir, changed, func(b []byte) []byte { return append(b, '\r') })
		}, 0, 0, false},
		{"truncate and replace the checkpoint with an earlier one", func(t *testing.T, dir string) {
			writeExport(t, l, dir, 25)
		}, -1, 25, false},
		{"verifier and checkpoint replaced", func(t *testing.T, dir string) {
			other := newMemLog(t, 0)
			other.signer, other.vkey = testSigner(t, "other")
			os.WriteFile(filepath.Join(dir, ExportVerifier), []byte(other.vkey+"\n"), 0o600)
			os.WriteFile(filepath.Join(dir, ExportCheckpoint), signedAs(t, other, l, servedSize), 0o600)
		}, -1, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeExport(t, l, dir, servedSize)
			tc.change(t, dir)
			for _, c := range []struct {
				old  []byte
				want int64
				bad  bool
			}{{nil, tc.seq, false}, {l.checkpoints[keptAt], tc.seqOld, tc.badOld}} {
				_, err := VerifyExport(dir, c.old)
				var te *TamperError
				switch {
				case c.bad:
					if !errors.Is(err, ErrBadCheckpoint) || errors.As(err, &te) {
						t.Errorf("VerifyExport(old=%v) = %v, want ErrBadCheckpoint", c.old != nil, err)
					}
				case c.want < 0:
					if err != nil {
						t.Errorf("VerifyExport(old=%v) = %v, want success", c.old != nil, err)
					}
				default:
					if !errors.As(err, &te) || te.Seq != c.want {
						t.Errorf("VerifyExport(old=%v) = %v, want tampering from seq %d", c.old != nil, err, c.want)
					}
				}
			}
		})
	}
}

func editLine(t *testing.T, dir string, i int, f func([]byte) []byte) {
	t.Helper()
	name := filepath.Join(dir, ExportEvents)
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	lines[i] = f(lines[i])
	if err := os.WriteFile(name, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyExportMissingFiles(t *testing.T) {
	l := newMemLog(t, 3)
	for _, f := range []string{ExportEvents, ExportCheckpoint, ExportVerifier} {
		dir := t.TempDir()
		writeExport(t, l, dir, 3)
		os.Remove(filepath.Join(dir, f))
		if _, err := VerifyExport(dir, nil); err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("VerifyExport without %s = %v", f, err)
		}
	}
}

// TestExportVector checks the export that docs/audit-log.md shows, byte for
// byte: a fresh vault's log of one event.
func TestExportVector(t *testing.T) {
	const dir = "testdata/export"
	rep, err := VerifyExport(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	const vkey = "amana.local/vault+0cd67875+AYR5D0gUbT+G/+rl0JoPlAGDP5WPDBDyFus96eVHaZ3/"
	if rep.Size != 1 || rep.VerifierKey != vkey || rep.Root.String() != "7eXsXc1nWYpd0/2PazI9nAJDy2ZeJOKTIKbSXwgRLSk=" {
		t.Errorf("report = %+v", rep)
	}
	leaf, _ := os.ReadFile(filepath.Join(dir, ExportEvents))
	leaf = bytes.TrimSuffix(leaf, []byte("\n"))
	if TreeRoot([][]byte{leaf}) != tlog.RecordHash(leaf) || rep.Root != tlog.RecordHash(leaf) {
		t.Error("the root of one event is not its record hash")
	}
	e, err := ParseEvent(leaf)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := e.Leaf(); !bytes.Equal(again, leaf) {
		t.Errorf("the vector's event encodes as %s", again)
	}
	doc, err := os.ReadFile("../docs/audit-log.md")
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := os.ReadFile(filepath.Join(dir, ExportCheckpoint))
	for _, want := range [][]byte{leaf, []byte(vkey), bytes.SplitN(cp, []byte("\n\n"), 2)[0], bytes.TrimSpace(bytes.SplitN(cp, []byte("\n\n"), 2)[1])} {
		if !bytes.Contains(doc, want) {
			t.Errorf("docs/audit-log.md does not show %q", want)
		}
	}
}
