package vault

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"slices"
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
	// The backup holds the records; the ciphertext is in the blob store,
	// copied beside it.
	if err := os.CopyFS(filepath.Join(dir, "blobs"), os.DirFS(filepath.Join(f.dir, "blobs"))); err != nil {
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

// TestCanaryHolders plants distinctive user ids, a collection name and its
// members, makes the users hold key slots (by deposit and by grant), then
// scans every byte of the vault file and of a hot backup. The collection's
// name may appear nowhere. A user id may appear only where the vault keeps
// its users and its audit trail by design: the user's own record, the
// index of the audit events that bind its keys, and audit events naming
// it as actor or target (auditors must be able to read who did what).
// Never as a key slot's key, in a collection's members, or anywhere else.
// The vault still answers who holds what.
func TestCanaryHolders(t *testing.T) {
	f := newFixture(t)
	holder := newX25519(t, "r.qzcanaryholder", RoleResearcher)
	member := newPQ(t, "a.qzcanarymember", RoleLawyer)
	for _, u := range []testUser{holder, member} {
		if _, _, err := f.v.AddUser(f.admin.caller(), NewUser{ID: u.id, Role: u.role, Recipient: u.recipient}); err != nil {
			t.Fatal(err)
		}
	}
	const name = "Canary Case File Xq7"
	if _, err := f.v.CreateCollection(f.admin.caller(), Collection{ID: "canary-case", Name: name, Members: []string{holder.id, member.id}}); err != nil {
		t.Fatal(err)
	}
	req := sampleMeta()
	req.Collection = "canary-case"
	doc, _ := f.deposit(t, holder, req, []byte("held"), nil)
	grantTo(t, f, doc.ID, holder, member)
	// Also a member of an existing collection, without a slot.
	if _, err := f.v.UpdateCollection(f.admin.caller(), "kirkuk-2018", CollectionUpdate{AddMembers: []string{member.id}}); err != nil {
		t.Fatal(err)
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
	for _, path := range []string{filepath.Join(f.dir, DBFile), backup} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(name)) {
			t.Errorf("%s holds the collection's name", path)
		}
		for _, id := range []string{holder.id, member.id} {
			n, stray := userIDOccurrences(data, id)
			if n == 0 {
				t.Fatalf("%s never found in %s: the scan proves nothing", id, path)
			}
			for _, s := range stray {
				t.Errorf("%s: user id %s outside the user's record and the audit trail: %q", filepath.Base(path), id, s)
			}
		}
	}

	v, err := Open(f.dir, testPassphrase, testOptions(f.clock))
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	d, err := f.v.GetDocument(f.admin.caller(), doc.ID)
	if err != nil || !slices.Contains(d.SlotHolders, holder.id) || !slices.Contains(d.SlotHolders, member.id) {
		t.Fatalf("holders: %v, %v", d, err)
	}
	if got, err := f.readAs(member, doc.ID); err != nil || string(got) != "held" {
		t.Fatalf("the grantee reads: %q, %v", got, err)
	}
	cols, err := f.v.ListCollections(member.caller())
	if err != nil || len(cols) != 2 || cols[0].ID != "canary-case" || cols[0].Name != name || !slices.Equal(cols[0].Members, []string{member.id, holder.id}) {
		t.Fatalf("the member's collections: %+v, %v", cols, err)
	}
}

// userIDOccurrences counts id in data and returns, with some context, the
// occurrences that are not in one of the places a vault names its users:
// the user's record (its key, "id" and "name"), the key-binding index
// (id "/" sequence) and audit events ("actor", "target", and the request
// id "req-ID" that the test callers carry).
func userIDOccurrences(data []byte, id string) (n int, stray []string) {
	m := []byte(id)
	for i := 0; ; {
		j := bytes.Index(data[i:], m)
		if j < 0 {
			return n, stray
		}
		p := i + j
		i = p + 1
		n++
		before, after := data[max(0, p-32):p], data[p+len(m):]
		ok := bytes.HasPrefix(after, []byte(`{"id":"`+id+`"`)) || bytes.HasPrefix(after, []byte("/"))
		for _, field := range []string{`"actor":"`, `"target":"`, `"id":"`, `"name":"`, `"request_id":"req-`} {
			ok = ok || bytes.HasSuffix(before, []byte(field))
		}
		if !ok {
			stray = append(stray, string(data[max(0, p-40):min(len(data), p+len(m)+40)]))
		}
	}
}
