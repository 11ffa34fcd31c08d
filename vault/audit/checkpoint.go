package audit

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"strings"

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

// body returns the note text of c.
func (c Checkpoint) body() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, c.Root)
}

// OpenCheckpoint checks that msg is a checkpoint note signed by the key
// verifierKey ("name+hash+base64", the form returned by [Log.VerifierKey])
// and returns its contents. The checkpoint's origin must be the key's name.
// Extension lines after the root hash are allowed and ignored.
func OpenCheckpoint(msg []byte, verifierKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
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
	c, err := parseCheckpointBody(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("%w: origin %q is not the key name %q", ErrBadCheckpoint, c.Origin, v.Name())
	}
	return c, nil
}

func parseCheckpointBody(text string) (Checkpoint, error) {
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

// signer is a note.Signer for an Ed25519 key held in memory. x/mod's
// note.NewSigner only accepts the "PRIVATE+KEY+…" string form; the vault
// hands us the key itself, derived from its sealed server key.
type signer struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

func (s *signer) Name() string                    { return s.name }
func (s *signer) KeyHash() uint32                 { return s.hash }
func (s *signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }
