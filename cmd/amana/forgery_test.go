package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A custodian (a keeper: it may rekey) replaces a deposit's content with a
// rekey whose private metadata is re-sealed to match. The depositor's
// command line refuses it: get writes nothing, show and export fail, each
// with one line naming the mismatch.
func TestKeeperForgeryRefusedByCLI(t *testing.T) {
	e := newEnv(t)
	e.createCollection()
	e.login("r.hassan")
	id := strings.Trim(string(e.deposit("r.hassan", []byte("the interview as deposited\n"))["id"]), `"`)

	e.srv.ForgeContent("l.custodian", id, []byte("an interview that never took place\n"), map[string]any{"file_name": "interview-07.txt"})

	out := filepath.Join(t.TempDir(), "copy.txt")
	for _, args := range [][]string{
		{"get", id, "-o", out},
		{"show", id},
		{"export", id, "-o", filepath.Join(t.TempDir(), "bundle.zip")},
	} {
		r := e.run("r.hassan", args...)
		if r.code != 1 || !strings.Contains(r.stderr, "not what r.hassan deposited") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("amana %s: exit %d, stderr %q; want 1 and one line naming the mismatch", args[0], r.code, r.stderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("get left %s behind (%v)", out, err)
	}
	if m, _ := filepath.Glob(out + "*"); len(m) != 0 {
		t.Errorf("get left %v behind", m)
	}
}
