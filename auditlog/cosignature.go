package auditlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// Witnesses. A witness (C2SP tlog-witness) is an independent service that
// cosigns a checkpoint only if it is consistent with the largest one of the
// same log it cosigned before: a log that showed one tree to a witness
// cannot get a cosignature for a tree that rewrites it. A checkpoint
// cosigned by enough witnesses run by others is one that nobody, not even
// the log's operator, can later contradict without the witnesses noticing.
//
// Cosignatures are signature lines added to the checkpoint note, in the
// C2SP tlog-cosignature format (cosignature/v1): the witness's name, and
// base64 of its 4-byte key hash, an 8-byte big-endian Unix time, and the
// Ed25519 signature of
//
//	cosignature/v1
//	time <the time, decimal>
//	<the checkpoint's note text>
//
// A witness's verifier key is "name+hash+base64(0x04 || Ed25519 public
// key)", hash the first 4 bytes of SHA-256(name || "\n" || 0x04 || key).

// algCosignatureV1 is the signed-note algorithm byte of tlog-cosignature.
const algCosignatureV1 = 4

// ErrBadCosignature is returned (wrapped) when a checkpoint lacks the
// cosignatures asked for.
var ErrBadCosignature = errors.New("audit: checkpoint not cosigned")

// NewCosignatureVerifier returns the note verifier of a witness's
// cosignatures from its verifier key (C2SP tlog-cosignature, algorithm 4).
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	vkey = strings.TrimSpace(vkey)
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || !validName(name) || len(hash16) != 8 {
		return nil, fmt.Errorf("audit: malformed witness key %q", vkey)
	}
	hash, err1 := strconv.ParseUint(hash16, 16, 32)
	key, err2 := base64.StdEncoding.DecodeString(key64)
	if err1 != nil || err2 != nil || len(key) != 1+ed25519.PublicKeySize {
		return nil, fmt.Errorf("audit: malformed witness key %q", vkey)
	}
	if key[0] != algCosignatureV1 {
		return nil, fmt.Errorf("audit: witness key %q is not a cosignature/v1 key (algorithm %d, want %d)", vkey, key[0], algCosignatureV1)
	}
	h := sha256.Sum256(append([]byte(name+"\n"), key...))
	if uint32(hash) != binary.BigEndian.Uint32(h[:]) {
		return nil, fmt.Errorf("audit: witness key %q: its hash does not match", vkey)
	}
	return &cosigVerifier{name: name, hash: uint32(hash), key: ed25519.PublicKey(key[1:])}, nil
}

func validName(name string) bool {
	return name != "" && utf8.ValidString(name) && !strings.ContainsFunc(name, unicode.IsSpace) && !strings.Contains(name, "+")
}

type cosigVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }

func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > 1<<63-1 {
		return false
	}
	signed := fmt.Appendf(nil, "cosignature/v1\ntime %d\n%s", t, msg)
	return ed25519.Verify(v.key, signed, sig[8:])
}

// OpenCosigned opens a checkpoint note as OpenCheckpoint does, and also
// requires valid cosignatures by at least quorum of the witnesses whose
// verifier keys are given (all of them if quorum <= 0). It returns the
// checkpoint and the names of the witnesses whose cosignature it holds. A
// signature line that claims to be one of those keys but does not verify
// fails the whole note; lines of other keys are ignored.
func OpenCosigned(msg []byte, verifierKey string, witnesses []string, quorum int) (Checkpoint, []string, error) {
	c, err := OpenCheckpoint(msg, verifierKey)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if quorum <= 0 || quorum > len(witnesses) {
		quorum = len(witnesses)
	}
	if len(witnesses) == 0 {
		return c, nil, nil
	}
	seen := map[string]bool{}
	var vs []note.Verifier
	for _, w := range witnesses {
		v, err := NewCosignatureVerifier(w)
		if err != nil {
			return Checkpoint{}, nil, fmt.Errorf("%w: %w", ErrBadCosignature, err)
		}
		id := fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
		if seen[id] {
			continue
		}
		seen[id] = true
		vs = append(vs, v)
	}
	if quorum > len(vs) {
		quorum = len(vs)
	}
	n, err := note.Open(msg, note.VerifierList(vs...))
	var unverified *note.UnverifiedNoteError
	switch {
	case errors.As(err, &unverified):
		n = nil
	case err != nil:
		return Checkpoint{}, nil, fmt.Errorf("%w: %w", ErrBadCosignature, err)
	}
	var names []string
	if n != nil {
		for _, s := range n.Sigs {
			names = append(names, s.Name)
		}
	}
	if len(names) < quorum {
		return Checkpoint{}, names, fmt.Errorf("%w: %d of the %d witnesses asked for cosigned it, %d needed", ErrBadCosignature, len(names), len(vs), quorum)
	}
	return c, names, nil
}
