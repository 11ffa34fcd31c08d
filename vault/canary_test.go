package vault

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// TestCanary deposits content, private metadata, names of persons and
// public metadata carrying unique markers, then scans every byte of the
// data directory and of a hot backup: none may appear. Public metadata is
// readable only in the search index, never in the vault file.
func TestCanary(t *testing.T) {
	f := newFixture(t)
	markers := [][]byte{
		[]byte("CANARYCONTENT7Q2X"),
		[]byte("CANARYPRIVATE9W4Z"),
		[]byte("Canarypersonname Qadirova"),
		[]byte("CANARYPUBLICTITLE3M"),
	}
	content := bytes.Repeat(append(markers[0], '\n'), 5000)
	private := []byte(`{"notes":"` + string(markers[1]) + `","persons":["` + string(markers[2]) + `"]}`)
	req := sampleMeta()
	req.Public.Title = "Interview " + string(markers[3])
	doc, _ := f.deposit(t, f.r1, req, content, private)

	// Search texts and client addresses are kept only as keyed hashes.
	queryMarker, addrMarker := "canaryquerywords ZX81", "203.0.113.77"
	markers = append(markers, []byte(queryMarker), []byte(addrMarker))
	c := f.r1.caller()
	c.Addr = addrMarker
	if err := f.v.RecordSearch(c, queryMarker, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.KeySlot(c, doc.ID); err != nil {
		t.Fatal(err)
	}

	// The TOTP secrets must not be stored in the clear either.
	for _, u := range []testUser{f.admin, f.r1, f.lawyer} {
		parsed, err := url.Parse(u.totpURL)
		if err != nil {
			t.Fatal(err)
		}
		secret := parsed.Query().Get("secret")
		if len(secret) < 16 {
			t.Fatalf("no secret in %s's TOTP URL", u.id)
		}
		markers = append(markers, []byte(secret))
	}
	// Sanity: the vault can still give the content back to its holder.
	if got, err := f.readAs(f.r1, doc.ID); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read back: %v", err)
	}

	backup := filepath.Join(t.TempDir(), "backup.db")
	bf, err := os.Create(backup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.Backup(f.admin.caller(), bf); err != nil {
		t.Fatal(err)
	}
	bf.Close()
	if err := f.v.Close(); err != nil {
		t.Fatal(err)
	}

	if found := scanDir(t, f.dir, markers); len(found) > 0 {
		t.Errorf("plaintext found in the data directory: %v", found)
	}
	if found := scanDir(t, filepath.Dir(backup), markers); len(found) > 0 {
		t.Errorf("plaintext found in the backup: %v", found)
	}
	// The scan itself works: a file with a marker is caught.
	probe := filepath.Join(t.TempDir(), "probe")
	os.WriteFile(probe, append([]byte("xx"), markers[2]...), 0o600)
	if found := scanDir(t, filepath.Dir(probe), markers); len(found) != 1 {
		t.Fatalf("scanDir missed a planted marker: %v", found)
	}
	v, err := Open(f.dir, testPassphrase, testOptions(f.clock))
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
}

func TestBackupRestores(t *testing.T) {
	f := newFixture(t)
	content := []byte("kept in the backup")
	doc, _ := f.deposit(t, f.r1, sampleMeta(), content, nil)
	if _, err := f.v.Backup(f.r1.caller(), new(bytes.Buffer)); err == nil {
		t.Fatal("a researcher made a backup")
	}
	var buf bytes.Buffer
	f.expectEvent(t, f.admin.id, "vault.backup", "ok", func() {
		if _, err := f.v.Backup(f.admin.caller(), &buf); err != nil {
			t.Fatal(err)
		}
	})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, DBFile), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, "wrong", testOptions(f.clock)); err == nil {
		t.Fatal("backup opened with a wrong passphrase")
	}
	restored, err := Open(dir, testPassphrase, testOptions(f.clock))
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if err := restored.Check(); err != nil {
		t.Fatal(err)
	}
	g := &fixture{v: restored, r1: f.r1}
	if got, err := g.readAs(f.r1, doc.ID); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read from restored backup: %v", err)
	}
}
