package client

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestTailReader reads a spool while it is written: a reader gets only
// what was written, waits for more, and ends with the sealer's error or
// at its end.
func TestTailReader(t *testing.T) {
	sp, err := createSpool(t.TempDir(), spoolState{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.f.Close()
	data := bytes.Repeat([]byte("ciphertext "), 100) // 1100 bytes
	sp.Write(data[:100])

	r := sp.section(0, int64(len(data)))
	buf := make([]byte, 4096)
	n, err := r.Read(buf)
	if n != 100 || err != nil || !bytes.Equal(buf[:n], data[:100]) {
		t.Fatalf("first read: %d, %v", n, err)
	}
	// The next read waits for the writer.
	got := make(chan []byte)
	go func() {
		n, err := r.Read(buf)
		if err != nil {
			t.Error(err)
		}
		got <- buf[:n]
	}()
	sp.Write(data[100:150])
	if b := <-got; !bytes.Equal(b, data[100:150]) {
		t.Fatalf("second read: %q", b)
	}
	// A section ends where it was asked to, before what follows.
	sp.Write(data[150:])
	mid, err := io.ReadAll(sp.section(120, 1000))
	if err != nil || !bytes.Equal(mid, data[120:1000]) {
		t.Fatalf("section: %d bytes, %v", len(mid), err)
	}

	// The sealer's error ends every reader, even with bytes left to read.
	boom := errors.New("the input could not be read")
	sp.finish(boom)
	if _, err := sp.section(0, int64(len(data))).Read(buf); err != boom {
		t.Fatalf("after the sealer failed: %v", err)
	}
}

// TestTailReaderShort: a sealer that stopped without an error but short
// of the section's end gives io.ErrUnexpectedEOF, not a short body.
func TestTailReaderShort(t *testing.T) {
	sp, err := createSpool(t.TempDir(), spoolState{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.f.Close()
	sp.Write([]byte("age-encryption.org/v1\n"))
	sp.finish(nil)
	b, err := io.ReadAll(sp.section(0, 100))
	if err != io.ErrUnexpectedEOF || string(b) != "age-encryption.org/v1\n" {
		t.Fatalf("%q, %v", b, err)
	}
}
