package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"filippo.io/age"
)

// TestSealWriter pushes plaintext in uneven pieces: the file has the length
// CipherSize predicted when only the header existed, opens to the same
// plaintext with the same digests and private metadata as Seal's.
func TestSealWriter(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3*64<<10 + 17} {
		plain := bytes.Repeat([]byte("fictional field recording "), size/26+1)[:size]
		d, err := NewDeposit(map[string]age.Recipient{"r.hassan": id.Recipient()})
		if err != nil {
			t.Fatal(err)
		}
		var ct bytes.Buffer
		sw, err := d.NewSealWriter(&ct, map[string]any{"file_name": "interview.m4a"})
		if err != nil {
			t.Fatal(err)
		}
		want := sw.CipherSize(int64(size))
		if int64(ct.Len()) == 0 || int64(ct.Len()) > want {
			t.Fatalf("%d: %d bytes before any plaintext", size, ct.Len())
		}
		for rest := plain; len(rest) > 0; {
			n := min(len(rest), 40000)
			if _, err := sw.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		s, err := sw.Close()
		if err != nil {
			t.Fatal(err)
		}
		if int64(ct.Len()) != want || s.CipherSize != want {
			t.Fatalf("%d: file of %d bytes, digest says %d, predicted %d", size, ct.Len(), s.CipherSize, want)
		}
		if sha256.Sum256(ct.Bytes()) != s.CipherSHA256 || sha256.Sum256(plain) != s.PlainSHA256 {
			t.Fatalf("%d: digests differ", size)
		}
		var out bytes.Buffer
		opened, err := Open(&out, bytes.NewReader(ct.Bytes()), d.Key, s.Private, hex.EncodeToString(s.CipherSHA256[:]), nil)
		if err != nil {
			t.Fatalf("%d: %v", size, err)
		}
		if !bytes.Equal(out.Bytes(), plain) || opened.Private["file_name"] != "interview.m4a" {
			t.Fatalf("%d: opened something else", size)
		}
	}
}
