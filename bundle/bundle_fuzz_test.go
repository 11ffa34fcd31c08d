package bundle_test

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/amana-vault/amana/bundle"
)

// fzBundle is a real court bundle and what a verified bundle must then
// state: the fuzzer cannot forge the checkpoint's signature, so anything
// Verify accepts under the real key describes this document.
type fzBundle struct {
	zip                   []byte
	vkey                  string
	doc, cipherSum, plain string
	files                 map[string][]byte
	names                 []string // in zip order
}

// newFzBundle makes a real bundle (makeBundle) and splits it into files.
func newFzBundle(tb testing.TB) *fzBundle {
	tb.Helper()
	m := makeBundle(tb)
	b := &fzBundle{zip: m.zip, vkey: m.vkey, doc: m.doc, cipherSum: m.cipherSum, plain: m.plain, files: map[string][]byte{}}
	zr, err := zip.NewReader(bytes.NewReader(b.zip), int64(len(b.zip)))
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		b.files[f.Name] = data
		b.names = append(b.names, f.Name)
	}
	if _, err := bundle.Verify(bytes.NewReader(b.zip), int64(len(b.zip)), b.vkey); err != nil {
		tb.Fatalf("the real bundle does not verify: %v", err)
	}
	return b
}

// with returns the bundle rebuilt with some files replaced (nil: removed).
func (b *fzBundle) with(repl map[string][]byte) []byte {
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, name := range b.names {
		data := b.files[name]
		if r, ok := repl[name]; ok {
			if r == nil {
				continue
			}
			data = r
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		w.Write(data)
	}
	zw.Close()
	return out.Bytes()
}

// check verifies zb with the real key and with the bundle's own key.
// Failures must name the bundle; whatever is accepted under the real key
// must be this document with its real content and ciphertext.
func (b *fzBundle) check(t *testing.T, zb []byte) {
	rep, err := bundle.Verify(bytes.NewReader(zb), int64(len(zb)), b.vkey)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "bundle: ") {
			t.Fatalf("error does not say what failed: %v", err)
		}
	} else {
		m := rep.Manifest
		if m.Document != b.doc || m.CipherSHA256 != b.cipherSum || m.PlainSHA256 != b.plain || rep.Events < 1 || rep.VerifierFromZip || rep.VerifierKey != b.vkey {
			t.Fatalf("accepted a bundle that is not the real document: %+v", rep)
		}
	}
	rep, err = bundle.Verify(bytes.NewReader(zb), int64(len(zb)), "")
	if err == nil && (!rep.VerifierFromZip || rep.Events < 1) {
		t.Fatalf("accepted with the zip's own key: %+v", rep)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "bundle: ") {
		t.Fatalf("error does not say what failed: %v", err)
	}
}

// FuzzBundleVerify runs bundle.Verify on fuzzed zip bytes, seeded with a
// real bundle: it never panics, names what failed, and accepts under the
// real verifier key only the real document.
func FuzzBundleVerify(f *testing.F) {
	b := newFzBundle(f)
	f.Add(b.zip)
	f.Add(b.zip[:len(b.zip)/2])
	f.Add(b.with(map[string][]byte{bundle.FileCheckpoint: nil}))
	f.Add(b.with(map[string][]byte{bundle.FileManifest: []byte(`{"format":"amana-bundle/1","file_name":"../x"}`)}))
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("not a zip"))
	f.Fuzz(func(t *testing.T, zb []byte) {
		b.check(t, zb)
	})
}

// FuzzBundleEntries fuzzes the parsed files of a bundle (manifest, custody
// trail, proofs, checkpoint, verifier) inside a well-formed zip, so that
// the fuzzer reaches Verify's checks past the zip layer.
func FuzzBundleEntries(f *testing.F) {
	b := newFzBundle(f)
	names := []string{bundle.FileManifest, bundle.FileCustody, bundle.FileProofs, bundle.FileCheckpoint, bundle.FileVerifier}
	orig := make([][]byte, len(names))
	for i, n := range names {
		orig[i] = b.files[n]
	}
	f.Add(orig[0], orig[1], orig[2], orig[3], orig[4])
	lines := bytes.SplitAfter(orig[1], []byte("\n"))
	f.Add(orig[0], bytes.Join(lines[1:], nil), orig[2], orig[3], orig[4])
	f.Add(bytes.Replace(orig[0], []byte(`"format": "amana-bundle/1"`), []byte(`"format": "amana-bundle/2"`), 1), orig[1], orig[2], orig[3], orig[4])
	f.Add(orig[0], orig[1], []byte(`[{"seq":0,"proof":null}]`), orig[3], orig[4])
	f.Add(orig[0], orig[1], orig[2], []byte("amana.local/vault\n1\nAAAA\n\n— amana.local/vault AAAA\n"), orig[4])
	f.Fuzz(func(t *testing.T, manifest, custody, proofs, checkpoint, verifier []byte) {
		b.check(t, b.with(map[string][]byte{
			bundle.FileManifest: manifest, bundle.FileCustody: custody, bundle.FileProofs: proofs,
			bundle.FileCheckpoint: checkpoint, bundle.FileVerifier: verifier,
		}))
	})
}
