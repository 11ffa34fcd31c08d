package vault

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/recipient"
)

// stanzaCollector is an identity that never matches: age's own header
// parser hands it every recipient stanza of a file.
type stanzaCollector struct{ stanzas *[]*age.Stanza }

func (c stanzaCollector) Unwrap(s []*age.Stanza) ([]byte, error) {
	*c.stanzas = s
	return nil, age.ErrIncorrectIdentity
}

// stanzas parses the header of an age file, with age itself, and returns
// its recipient stanzas. The server cannot decrypt anything, but it can
// refuse what is not an age file, and key slots wrapped for the wrong key.
func stanzas(b []byte) ([]*age.Stanza, error) {
	var out []*age.Stanza
	_, err := age.Decrypt(bytes.NewReader(b), stanzaCollector{&out})
	var nm *age.NoIdentityMatchError
	if !errors.As(err, &nm) {
		return nil, errors.New("not an age file")
	}
	return out, nil
}

// stanzaTypes returns the type of each recipient stanza of an age file.
func stanzaTypes(b []byte) ([]string, error) {
	ss, err := stanzas(b)
	if err != nil {
		return nil, err
	}
	types := make([]string, len(ss))
	for i, s := range ss {
		types[i] = s.Type
	}
	return types, nil
}

// stanzaFor maps a recipient kind to the stanza type its key slots carry.
// Plugin recipients define their own stanzas, so they are not checked.
var stanzaFor = map[string]string{
	"x25519":      "X25519",
	"pq":          "mlkem768x25519",
	"ssh-ed25519": "ssh-ed25519",
	"ssh-rsa":     "ssh-rsa",
}

// Sizes in the stanzas age writes: an X25519 share, the hybrid KEM's
// ciphertext (ML-KEM-768's 1088 bytes and an X25519 share), and a wrapped
// file key (16 bytes and a 16-byte tag).
const (
	x25519ShareSize = 32
	hybridEncSize   = 1088 + 32
	wrappedKeySize  = 16 + 16
	sshTagSize      = 4
)

// checkSlot validates a key slot wrapped for the user with recipient r: an
// age file of at most MaxSlot bytes whose one recipient stanza is of the
// type and shape that r's kind of key takes, and, for SSH keys, whose tag
// names r's key. Whether the stanza really opens with r's identity only
// its holder can tell; this is what the server can check.
func checkSlot(field string, slot []byte, r string) error {
	if len(slot) == 0 {
		return invalid(field, "empty key slot")
	}
	if len(slot) > MaxSlot {
		return &InvalidError{Field: field, Reason: "key slot larger than 16 KiB"}
	}
	ss, err := stanzas(slot)
	if err != nil {
		// age's parse errors quote the input: never echo it.
		return invalid(field, "not an age file (malformed header)")
	}
	if len(ss) == 0 {
		return invalid(field, "age header has no recipient stanza")
	}
	kind, err := recipient.Kind(r)
	if err != nil {
		return invalid(field, "recipient: %v", err)
	}
	want, ok := stanzaFor[kind]
	if !ok {
		return nil
	}
	for _, s := range ss {
		if s.Type != want {
			return invalid(field, "key slot is not wrapped for the user's %s key", kind)
		}
	}
	if len(ss) != 1 {
		return invalid(field, "key slot is wrapped for %d keys; it must be for the user's key only", len(ss))
	}
	if !stanzaShaped(ss[0], kind, r) {
		return invalid(field, "key slot is not wrapped for the user's %s key (malformed or for another key)", kind)
	}
	return nil
}

// stanzaShaped reports whether s has the arguments and body that age
// writes for a recipient of kind, and for SSH keys the tag of r's key.
func stanzaShaped(s *age.Stanza, kind, r string) bool {
	size := func(arg string, n int) bool {
		b, err := base64.RawStdEncoding.Strict().DecodeString(arg)
		return err == nil && len(b) == n
	}
	switch kind {
	case "x25519":
		return len(s.Args) == 1 && size(s.Args[0], x25519ShareSize) && len(s.Body) == wrappedKeySize
	case "pq":
		return len(s.Args) == 1 && size(s.Args[0], hybridEncSize) && len(s.Body) == wrappedKeySize
	case "ssh-ed25519", "ssh-rsa":
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(r))
		if err != nil {
			return false
		}
		h := sha256.Sum256(pk.Marshal())
		tag := base64.RawStdEncoding.EncodeToString(h[:sshTagSize])
		if kind == "ssh-ed25519" {
			return len(s.Args) == 2 && s.Args[0] == tag && size(s.Args[1], x25519ShareSize) && len(s.Body) == wrappedKeySize
		}
		ck, ok := pk.(ssh.CryptoPublicKey)
		if !ok {
			return false
		}
		rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
		return ok && len(s.Args) == 1 && s.Args[0] == tag && len(s.Body) == rk.Size()
	}
	return false
}

// checkDocFile validates content or private metadata: an age file encrypted
// to exactly one document key.
func checkDocFile(field string, b []byte) error {
	types, err := stanzaTypes(b)
	if err != nil {
		return invalid(field, "not an age file (malformed header)")
	}
	if len(types) != 1 || (types[0] != "X25519" && types[0] != "mlkem768x25519") {
		return invalid(field, "must be encrypted to exactly one document key")
	}
	return nil
}
