package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func TestCheckpointFormat(t *testing.T) {
	s, vkey := testSigner(t, "vault")
	root := tlog.RecordHash([]byte("x"))
	msg, err := SignCheckpoint(Checkpoint{Origin: testOrigin, Size: 5, Root: root}, s)
	if err != nil {
		t.Fatal(err)
	}
	wantBody := fmt.Sprintf("%s\n5\n%s\n", testOrigin, base64.StdEncoding.EncodeToString(root[:]))
	if !strings.HasPrefix(string(msg), wantBody+"\n— "+testOrigin+" ") {
		t.Fatalf("checkpoint =\n%s\nwant body\n%s", msg, wantBody)
	}

	// An independent reader of C2SP checkpoints.
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	cp, ext, _, err := log.ParseCheckpoint(msg, testOrigin, v)
	if err != nil {
		t.Fatalf("formats/log.ParseCheckpoint: %v", err)
	}
	if cp.Origin != testOrigin || cp.Size != 5 || !bytes.Equal(cp.Hash, root[:]) || len(ext) != 0 {
		t.Errorf("ParseCheckpoint = %+v, %q", cp, ext)
	}

	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open: %v", err)
	}
	if n.Text != wantBody || len(n.Sigs) != 1 {
		t.Errorf("note.Open = %+v", n)
	}

	c, err := OpenCheckpoint(msg, vkey+"\n")
	if err != nil || c != (Checkpoint{Origin: testOrigin, Size: 5, Root: root}) {
		t.Errorf("OpenCheckpoint = %+v, %v", c, err)
	}

	// Another key's verifier rejects it.
	_, other := testSigner(t, "other")
	if _, err := OpenCheckpoint(msg, other); !errors.Is(err, ErrBadCheckpoint) {
		t.Errorf("OpenCheckpoint with another key = %v", err)
	}
	ov, _ := note.NewVerifier(other)
	if _, _, _, err := log.ParseCheckpoint(msg, testOrigin, ov); err == nil {
		t.Error("ParseCheckpoint accepted another key")
	}

	// A signer for another log does not sign this one's checkpoints.
	s2, _, _ := NewSigner("other.origin", testKey("vault"))
	if _, err := SignCheckpoint(Checkpoint{Origin: testOrigin, Size: 5, Root: root}, s2); err == nil {
		t.Error("SignCheckpoint with another origin's signer succeeded")
	}
}

func TestNewSigner(t *testing.T) {
	key := testKey("vault")
	for _, tc := range []struct {
		origin string
		key    ed25519.PrivateKey
	}{
		{"", key}, {"has space", key}, {"a+b", key}, {"\xff", key}, {"ok", key[:32]},
	} {
		if _, _, err := NewSigner(tc.origin, tc.key); err == nil {
			t.Errorf("NewSigner(%q, %d-byte key) succeeded", tc.origin, len(tc.key))
		}
	}
	_, vkey := testSigner(t, "vault")
	want, _ := note.NewEd25519VerifierKey(testOrigin, key.Public().(ed25519.PublicKey))
	if vkey != want {
		t.Errorf("verifier key = %s, want %s", vkey, want)
	}
	// A key whose public half is damaged still signs verifiable notes.
	bad := append(ed25519.PrivateKey(nil), key...)
	bad[40] ^= 1
	s, vkey2, err := NewSigner(testOrigin, bad)
	if err != nil || vkey2 != want {
		t.Fatalf("NewSigner(damaged public half) = %s, %v", vkey2, err)
	}
	msg, _ := SignCheckpoint(Checkpoint{Origin: testOrigin, Size: 1}, s)
	if _, err := OpenCheckpoint(msg, want); err != nil {
		t.Errorf("signature of a damaged key: %v", err)
	}
}

func TestOpenCheckpointRejects(t *testing.T) {
	s, vkey := testSigner(t, "vault")
	sign := func(text string) []byte {
		msg, err := note.Sign(&note.Note{Text: text}, s)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	if _, err := OpenCheckpoint(sign(testOrigin+"\n3\n"+root+"\nextension line\n"), vkey); err != nil {
		t.Errorf("extension line rejected: %v", err)
	}
	for _, text := range []string{
		"other.origin\n3\n" + root + "\n",
		testOrigin + "\n-3\n" + root + "\n",
		testOrigin + "\n03\n" + root + "\n",
		testOrigin + "\n3\n" + root[:10] + "\n",
		testOrigin + "\n3\n",
	} {
		if _, err := OpenCheckpoint(sign(text), vkey); !errors.Is(err, ErrBadCheckpoint) {
			t.Errorf("OpenCheckpoint(%q) = %v", text, err)
		}
	}
	for _, msg := range []string{"", "\n\n", "garbage", testOrigin + "\n3\n" + root + "\n\n— " + testOrigin + " AAAA\n"} {
		if _, err := OpenCheckpoint([]byte(msg), vkey); !errors.Is(err, ErrBadCheckpoint) {
			t.Errorf("OpenCheckpoint(%q) = %v", msg, err)
		}
	}
	if _, err := OpenCheckpoint(sign(testOrigin+"\n3\n"+root+"\n"), "not a key"); !errors.Is(err, ErrBadCheckpoint) {
		t.Errorf("bad verifier key: %v", err)
	}
}
