package inbrowser

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/amana-vault/amana/bundle/layout"
)

// The module's zip is read back by archive/zip, which bundle.Verify uses:
// names (a UTF-8 one too), contents, order, times and CRCs; a Slice is
// one of the parts as it is, not a copy.
func TestWriteZip(t *testing.T) {
	when := time.Date(2026, 3, 4, 5, 6, 8, 0, time.UTC)
	big := bytes.Repeat([]byte("fictional statement "), 5000)
	var custody bytes.Buffer
	custody.WriteString("{\"seq\":1}\n")
	entries := []layout.Entry{
		{Name: "README.txt", R: strings.NewReader("read me\n"), Modified: when},
		{Name: "content/شهادة.txt", R: NewSlice(big), Modified: when},
		{Name: "empty", R: NewSlice(nil), Modified: when},
		{Name: "custody.jsonl", R: &custody, Modified: when},
	}
	want := map[string][]byte{"README.txt": []byte("read me\n"), "content/شهادة.txt": big, "empty": {}, "custody.jsonl": []byte("{\"seq\":1}\n")}
	parts, err := writeZip(entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 || &parts[1][0] != &big[0] || len(parts[1]) != len(big) {
		t.Errorf("the content is not passed on as its own part: %d parts", len(parts))
	}
	buf := bytes.NewBuffer(bytes.Join(parts, nil))
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(entries) {
		t.Fatalf("%d files, want %d", len(zr.File), len(entries))
	}
	for i, f := range zr.File {
		if f.Name != entries[i].Name {
			t.Errorf("file %d is %q, want %q", i, f.Name, entries[i].Name)
		}
		if !f.Modified.Equal(when) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, when)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc) // checks the CRC at the end
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if !bytes.Equal(got, want[f.Name]) {
			t.Errorf("%s: %d bytes, want %d", f.Name, len(got), len(want[f.Name]))
		}
	}

	// A flipped byte of content fails its CRC.
	bad := bytes.Clone(buf.Bytes())
	i := bytes.Index(bad, []byte("fictional"))
	bad[i] ^= 1
	zr, err = zip.NewReader(bytes.NewReader(bad), int64(len(bad)))
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := zr.File[1].Open()
	if _, err := io.ReadAll(rc); !errors.Is(err, zip.ErrChecksum) {
		t.Errorf("tampered content read with %v, want a checksum error", err)
	}

	// A name that is not UTF-8 is refused.
	if _, err := writeZip([]layout.Entry{{Name: "a\xff", R: strings.NewReader("")}}); err == nil {
		t.Error("a name that is not UTF-8 was written")
	}
}

// ExportBundle refuses what bundle.Verify would refuse, before opening
// anything: content over MaxExport, a custody trail under another
// verifier key, or none at all. The whole path, through bundle.Verify, is
// TestBrowserExportBundle in httpapi/web.
func TestExportBundleRefuses(t *testing.T) {
	var k Keyring
	if _, err := k.ExportBundle(Export{Content: make([]byte, MaxExport+1)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize content: %v", err)
	}
	rec := []byte(`{"id":"d1","cipher_sha256":"00"}`)
	for name, c := range map[string]string{
		"malformed":      `{"events":`,
		"other verifier": `{"events":[],"proofs":[],"checkpoint":"","verifier":"other+1+AQ"}`,
		"no events":      `{"events":[],"proofs":[],"checkpoint":"","verifier":"v+1+AQ"}`,
	} {
		if _, err := k.ExportBundle(Export{Record: rec, Custody: []byte(c), Verifier: "v+1+AQ"}); err == nil {
			t.Errorf("%s: a bundle was made", name)
		}
	}
	if _, err := k.ExportBundle(Export{Record: rec, Custody: []byte(`{}`)}); err == nil {
		t.Error("no verifier key: a bundle was made")
	}
}
