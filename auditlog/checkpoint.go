package auditlog

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrBadCheckpoint is returned (wrapped) when a checkpoint is malformed or
// is not signed by the expected key.
var ErrBadCheckpoint = errors.New("audit: checkpoint rejected")

// A Checkpoint is the signed statement of a log's size and tree hash, in the
// C2SP tlog-checkpoint format: the note text is "origin\nsize\nbase64(root)\n".
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Text returns the note text of c, the part its signature covers.
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, c.Root)
}

// OpenCheckpoint checks that msg is a checkpoint note signed by the key
// verifierKey ("name+hash+base64", as [NewSigner] returns it; surrounding
// white space is ignored) and returns its contents. The checkpoint's origin
// must be the key's name. Extension lines after the root hash are allowed
// and ignored.
func OpenCheckpoint(msg []byte, verifierKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: verifier key: %w", ErrBadCheckpoint, err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return Checkpoint{}, fmt.Errorf("%w: not signed by %s+%08x", ErrBadCheckpoint, v.Name(), v.KeyHash())
		}
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("%w: origin %q is not the key name %q", ErrBadCheckpoint, c.Origin, v.Name())
	}
	return c, nil
}

func parseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return Checkpoint{}, fmt.Errorf("%w: want origin, size and root lines", ErrBadCheckpoint)
	}
	origin, sizeText, rootText := lines[0], lines[1], lines[2]
	if origin == "" {
		return Checkpoint{}, fmt.Errorf("%w: empty origin", ErrBadCheckpoint)
	}
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != sizeText {
		return Checkpoint{}, fmt.Errorf("%w: malformed size %q", ErrBadCheckpoint, sizeText)
	}
	root, err := tlog.ParseHash(rootText)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: malformed root hash %q", ErrBadCheckpoint, rootText)
	}
	return Checkpoint{Origin: origin, Size: size, Root: root}, nil
}

// SignCheckpoint returns c as a note signed by s, whose name must be c's
// origin.
func SignCheckpoint(c Checkpoint, s note.Signer) ([]byte, error) {
	if s.Name() != c.Origin {
		return nil, fmt.Errorf("audit: sign: checkpoint of %q with the key of %q", c.Origin, s.Name())
	}
	msg, err := note.Sign(&note.Note{Text: c.Text()}, s)
	if err != nil {
		return nil, fmt.Errorf("audit: sign: %w", err)
	}
	return msg, nil
}

// NewSigner returns a note signer for the checkpoints of the log named
// origin, with an Ed25519 private key, and its public verifier key
// ("origin+hash+base64"), which is all anyone needs to check them. origin
// is also the key's name, so it must be a valid note key name: non-empty
// UTF-8 without spaces or '+'. (x/mod's note.NewSigner takes only the
// "PRIVATE+KEY+…" string form; this takes the key itself.)
func NewSigner(origin string, key ed25519.PrivateKey) (note.Signer, string, error) {
	if origin == "" || !utf8.ValidString(origin) || strings.ContainsFunc(origin, unicode.IsSpace) || strings.Contains(origin, "+") {
		return nil, "", fmt.Errorf("audit: invalid origin %q: want non-empty UTF-8 without spaces or '+'", origin)
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, "", errors.New("audit: signing key is not an Ed25519 private key")
	}
	// Rederive from the seed so a key whose public half was damaged cannot
	// produce signatures that nothing verifies.
	key = ed25519.NewKeyFromSeed(key.Seed())
	vkey, err := note.NewEd25519VerifierKey(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, "", fmt.Errorf("audit: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, "", fmt.Errorf("audit: %w", err)
	}
	return &signer{name: origin, hash: v.KeyHash(), key: key}, vkey, nil
}

// signer is a note.Signer for an Ed25519 key held in memory.
type signer struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

func (s *signer) Name() string                    { return s.name }
func (s *signer) KeyHash() uint32                 { return s.hash }
func (s *signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }
