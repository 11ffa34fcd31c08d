package auditlog

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
)

// cosign adds a cosignature line by a torchwood witness to a signed note.
func cosign(t *testing.T, msg []byte, w *torchwood.CosignatureSigner) []byte {
	t.Helper()
	n, err := note.Open(msg, note.VerifierList(w.Verifier()))
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		t.Fatalf("open: %v", err)
	}
	n = unverified.Note
	signed, err := note.Sign(&note.Note{Text: n.Text}, w)
	if err != nil {
		t.Fatal(err)
	}
	_, line, _ := strings.Cut(string(signed), "\n\n")
	return append(append([]byte(nil), msg...), line...)
}

func newWitness(t *testing.T, name string) *torchwood.CosignatureSigner {
	t.Helper()
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	w, err := torchwood.NewCosignatureSigner(name, k)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestOpenCosigned(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	s, vkey, err := NewSigner("example.org/log", key)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := SignCheckpoint(Checkpoint{Origin: "example.org/log", Size: 3, Root: emptyRoot}, s)
	if err != nil {
		t.Fatal(err)
	}
	w1, w2, w3 := newWitness(t, "example.org/w1"), newWitness(t, "example.org/w2"), newWitness(t, "example.org/w3")
	k1, k2, k3 := w1.Verifier().String(), w2.Verifier().String(), w3.Verifier().String()
	both := cosign(t, cosign(t, msg, w1), w2)

	if _, names, err := OpenCosigned(both, vkey, []string{k1, k2}, 0); err != nil || len(names) != 2 {
		t.Fatalf("two of two: %v %v", names, err)
	}
	if _, _, err := OpenCosigned(both, vkey, []string{k1, k2, k3}, 0); !errors.Is(err, ErrBadCosignature) {
		t.Fatalf("two of three, all needed: %v", err)
	}
	if _, _, err := OpenCosigned(both, vkey, []string{k1, k2, k3}, 2); err != nil {
		t.Fatalf("two of three, two needed: %v", err)
	}
	if _, _, err := OpenCosigned(msg, vkey, []string{k1}, 1); !errors.Is(err, ErrBadCosignature) {
		t.Fatalf("no cosignature: %v", err)
	}
	if _, _, err := OpenCosigned(msg, vkey, nil, 0); err != nil {
		t.Fatalf("no witnesses asked for: %v", err)
	}
	// A cosignature of another checkpoint does not count.
	other, _ := SignCheckpoint(Checkpoint{Origin: "example.org/log", Size: 4, Root: emptyRoot}, s)
	_, line, _ := strings.Cut(string(cosign(t, other, w1)), "\n\n")
	_, otherLine, _ := strings.Cut(line, "\n")
	forged := append(append([]byte(nil), msg...), otherLine...)
	if _, _, err := OpenCosigned(forged, vkey, []string{k1}, 1); !errors.Is(err, ErrBadCosignature) {
		t.Fatalf("a moved cosignature: %v", err)
	}
	// The log's own signature is still required.
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	_, otherVkey, _ := NewSigner("example.org/log", otherKey)
	if _, _, err := OpenCosigned(both, otherVkey, []string{k1, k2}, 0); !errors.Is(err, ErrBadCheckpoint) {
		t.Fatalf("another log key: %v", err)
	}
	// Keys that are not cosignature/v1 keys are refused.
	for _, bad := range []string{vkey, "", "example.org/w1+00000000+BA==", k1[:len(k1)-2] + "AA", strings.Replace(k1, "+", "+0", 1)} {
		if _, err := NewCosignatureVerifier(bad); err == nil {
			t.Errorf("NewCosignatureVerifier(%q) succeeded", bad)
		}
	}
}
