package audit

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/formats/log"
	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"

	"github.com/amana-vault/amana/auditlog"
)

// mth is the RFC 6962 Merkle Tree Hash, written from §2.1 with nothing but
// SHA-256, to check that exports stand on their own.
func mth(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		h := sha256.Sum256(append([]byte{0}, leaves[0]...))
		return h[:]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	h := sha256.Sum256(append(append([]byte{1}, mth(leaves[:k])...), mth(leaves[k:])...))
	return h[:]
}

func exportLog(t *testing.T, db *bbolt.DB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "export")
	if err := db.View(func(tx *bbolt.Tx) error { return Export(tx, dir) }); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readLines(t *testing.T, dir string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, auditlog.ExportEvents))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Fatalf("%s does not end with a newline", auditlog.ExportEvents)
	}
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

func writeLines(t *testing.T, dir string, lines [][]byte) {
	t.Helper()
	data := append(bytes.Join(lines, []byte("\n")), '\n')
	if err := os.WriteFile(filepath.Join(dir, auditlog.ExportEvents), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestExportIndependentRoot(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 8, 33} {
		db, _, l := newLog(t, n)
		dir := exportLog(t, db)

		vkey, err := os.ReadFile(filepath.Join(dir, auditlog.ExportVerifier))
		if err != nil || string(vkey) != l.VerifierKey()+"\n" {
			t.Fatalf("verifier file = %q, %v", vkey, err)
		}
		msg, err := os.ReadFile(filepath.Join(dir, auditlog.ExportCheckpoint))
		if err != nil {
			t.Fatal(err)
		}
		v, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
		if err != nil {
			t.Fatal(err)
		}
		cp, _, _, err := log.ParseCheckpoint(msg, testOrigin, v)
		if err != nil {
			t.Fatal(err)
		}
		lines := readLines(t, dir)
		if len(lines) != n || cp.Size != uint64(n) {
			t.Fatalf("%d lines, checkpoint size %d, want %d", len(lines), cp.Size, n)
		}
		if got := mth(lines); !bytes.Equal(got, cp.Hash) {
			t.Errorf("n=%d: RFC 6962 root of events.jsonl %x, checkpoint %x", n, got, cp.Hash)
		}
		db.View(func(tx *bbolt.Tx) error {
			stored, _ := Events(tx, 0, 0)
			for i := range stored {
				if !bytes.Equal(stored[i], lines[i]) {
					t.Errorf("line %d differs from the stored leaf", i)
				}
			}
			return nil
		})
		rep, err := auditlog.VerifyExport(dir, nil)
		if err != nil || rep.Size != int64(n) {
			t.Errorf("VerifyExport = %+v, %v", rep, err)
		}
	}
}

func TestVerifyExport(t *testing.T) {
	db, _, _ := newLog(t, tamperSize)
	old := checkpointAt(t, db, auditorAt)
	for _, o := range [][]byte{nil, old, checkpointAt(t, db, 1), latestOf(t, db)} {
		if rep, err := auditlog.VerifyExport(exportLog(t, db), o); err != nil || rep.Size != tamperSize {
			t.Errorf("VerifyExport = %+v, %v", rep, err)
		}
	}

	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
		seq    int64 // without, and with, the auditor's checkpoint
		seqOld int64
		badOld bool // the old checkpoint itself is rejected
	}{
		{"edit a line", func(t *testing.T, dir string) {
			lines := readLines(t, dir)
			lines[victim] = edit(lines[victim])
			writeLines(t, dir, lines)
		}, 0, 0, false},
		{"edit a line after the auditor's checkpoint", func(t *testing.T, dir string) {
			lines := readLines(t, dir)
			lines[35] = edit(lines[35])
			writeLines(t, dir, lines)
		}, 0, auditorAt, false},
		{"add a carriage return", func(t *testing.T, dir string) {
			lines := readLines(t, dir)
			lines[victim] = append(lines[victim], '\r')
			writeLines(t, dir, lines)
		}, 0, 0, false},
		{"delete a line", func(t *testing.T, dir string) {
			lines := readLines(t, dir)
			writeLines(t, dir, append(lines[:victim], lines[victim+1:]...))
		}, victim, victim, false},
		{"swap two lines", func(t *testing.T, dir string) {
			lines := readLines(t, dir)
			lines[victim], lines[20] = lines[20], lines[victim]
			writeLines(t, dir, lines)
		}, victim, victim, false},
		{"delete a line and renumber", func(t *testing.T, dir string) {
			lines := readLines(t, dir)
			writeLines(t, dir, renumber(append(lines[:victim], lines[victim+1:]...)))
		}, 0, 0, false},
		{"truncate and replace the checkpoint with an earlier one", func(t *testing.T, dir string) {
			db2, _, _ := newLog(t, 25)
			writeLines(t, dir, readLines(t, dir)[:25])
			os.WriteFile(filepath.Join(dir, auditlog.ExportCheckpoint), latestOf(t, db2), 0o600)
		}, -1, 25, false},
		{"checkpoint signed by another key", func(t *testing.T, dir string) {
			s, _ := attackerSigner(t)
			os.WriteFile(filepath.Join(dir, auditlog.ExportCheckpoint), signAs(t, s, tamperSize, treeRoot(readLines(t, dir))), 0o600)
		}, 0, auditorAt, false},
		{"verifier replaced", func(t *testing.T, dir string) {
			s, vkey := attackerSigner(t)
			os.WriteFile(filepath.Join(dir, auditlog.ExportVerifier), []byte(vkey+"\n"), 0o600)
			os.WriteFile(filepath.Join(dir, auditlog.ExportCheckpoint), signAs(t, s, tamperSize, treeRoot(readLines(t, dir))), 0o600)
		}, -1, 0, true},
		{"empty line", func(t *testing.T, dir string) {
			lines := readLines(t, dir)
			writeLines(t, dir, append(lines[:victim:victim], append([][]byte{{}}, lines[victim:]...)...))
		}, victim, victim, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := exportLog(t, db)
			tc.change(t, dir)
			for _, c := range []struct {
				old  []byte
				want int64
				bad  bool
			}{{nil, tc.seq, false}, {old, tc.seqOld, tc.badOld}} {
				_, err := auditlog.VerifyExport(dir, c.old)
				if c.bad {
					if !errors.Is(err, auditlog.ErrBadCheckpoint) {
						t.Errorf("auditlog.VerifyExport(old=%v) = %v, want auditlog.ErrBadCheckpoint", c.old != nil, err)
					}
					continue
				}
				if c.want < 0 {
					if err != nil {
						t.Errorf("auditlog.VerifyExport(old=%v) = %v, want success", c.old != nil, err)
					}
					continue
				}
				var te *auditlog.TamperError
				if !errors.As(err, &te) || te.Seq != c.want {
					t.Errorf("auditlog.VerifyExport(old=%v) = %v, want tampering from seq %d", c.old != nil, err, c.want)
				}
			}
		})
	}

	// A last line without its newline is the same log.
	dir := exportLog(t, db)
	name := filepath.Join(dir, auditlog.ExportEvents)
	data, _ := os.ReadFile(name)
	os.WriteFile(name, bytes.TrimSuffix(data, []byte("\n")), 0o600)
	if _, err := auditlog.VerifyExport(dir, old); err != nil {
		t.Errorf("without the final newline: %v", err)
	}
}

func TestVerifyExportMissingFiles(t *testing.T) {
	db, _, _ := newLog(t, 3)
	for _, f := range []string{auditlog.ExportEvents, auditlog.ExportCheckpoint, auditlog.ExportVerifier} {
		dir := exportLog(t, db)
		os.Remove(filepath.Join(dir, f))
		if _, err := auditlog.VerifyExport(dir, nil); err == nil {
			t.Errorf("VerifyExport without %s succeeded", f)
		}
	}
}
