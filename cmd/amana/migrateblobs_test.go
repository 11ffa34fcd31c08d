package main

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amana-vault/amana/vault"
)

// TestMigrateBlobsCommand runs 'amana migrate-blobs' on a vault written by
// the layout before the blob store (vault/testdata/layout2): every
// document's ciphertext ends in DIR/blobs under its SHA-256, the file
// shrinks, and 'amana check' passes. A wrong passphrase changes nothing.
func TestMigrateBlobsCommand(t *testing.T) {
	data := t.TempDir()
	gz, err := os.Open("../../vault/testdata/layout2/vault.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, vault.DBFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	pass := []string{"AMANA_PASSPHRASE=layout 2 test passphrase"}

	r := runEnv(t, home, []string{"AMANA_PASSPHRASE=not the passphrase"}, "migrate-blobs", "--data", data)
	if r.code != 1 || !strings.Contains(r.stderr, "passphrase") {
		t.Fatalf("wrong passphrase: exit %d, %s", r.code, r.stderr)
	}
	if r := run(t, home, "migrate-blobs"); r.code != 2 {
		t.Fatalf("without --data: exit %d", r.code)
	}

	r = runEnv(t, home, pass, "migrate-blobs", "--data", data, "--json")
	if r.code != 0 {
		t.Fatalf("migrate-blobs: exit %d, %s", r.code, r.stderr)
	}
	var out struct {
		Moved  int   `json:"moved"`
		Before int64 `json:"file_bytes_before"`
		After  int64 `json:"file_bytes_after"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Moved != 3 || out.After >= out.Before {
		t.Fatalf("migrate-blobs printed %s (%v)", r.stdout, err)
	}
	var blobs []string
	filepath.WalkDir(filepath.Join(data, "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			blobs = append(blobs, filepath.Base(p))
		}
		return nil
	})
	if len(blobs) != 3 {
		t.Fatalf("blobs after the migration: %v", blobs)
	}

	// Again: nothing to move.
	r = runEnv(t, home, pass, "migrate-blobs", "--data", data, "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"moved": 0`) {
		t.Fatalf("second run: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}

	v, err := vault.Open(data, "layout 2 test passphrase", vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.Check(); err != nil {
		t.Fatal(err)
	}
	n := 0
	v.EachActive(func(d *vault.Document) error {
		for _, b := range blobs {
			if b == d.CipherSHA256 {
				n++
			}
		}
		return nil
	})
	if n != 3 {
		t.Fatalf("%d of 3 documents have their blob", n)
	}
}
