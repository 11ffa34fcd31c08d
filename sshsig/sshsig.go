package sshsig

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// DepositNamespace is the namespace in which depositors sign deposit
// manifests. A signature made in one namespace never verifies in another,
// so a signature over a deposit cannot be passed off as, say, a git commit
// signature made with the same key, and the other way round.
const DepositNamespace = "amana-deposit"

// MaxSize is the largest armored signature accepted, in bytes. An Ed25519
// signature is about 300 bytes armored.
const MaxSize = 16 << 10

var (
	// ErrMalformed is wrapped by every error for input that is not an
	// SSH signature, public key or private key file.
	ErrMalformed = errors.New("sshsig: malformed")
	// ErrInvalid is wrapped by every error for a well-formed signature
	// that does not hold: another key, another namespace, another message,
	// or no user presence.
	ErrInvalid = errors.New("sshsig: signature does not verify")
)

const (
	magic      = "SSHSIG"
	version    = 1
	armorBegin = "-----BEGIN SSH SIGNATURE-----"
	armorEnd   = "-----END SSH SIGNATURE-----"
	// armorWidth is the line length of ssh-keygen's armor.
	armorWidth = 70
	// skUserPresent is the flag of a security key's signature that says
	// the user touched the key (PROTOCOL.u2f).
	skUserPresent = 0x01
)

// blob is an SSH signature after the magic preamble (PROTOCOL.sshsig).
type blob struct {
	Version   uint32
	PublicKey []byte
	Namespace string
	Reserved  []byte
	HashAlg   string
	Signature []byte
}

// signedData is what the key signs: the message is hashed, and the hash
// is bound to the namespace.
func signedData(namespace, hashAlg string, message []byte) ([]byte, error) {
	var h []byte
	switch hashAlg {
	case "sha512":
		s := sha512.Sum512(message)
		h = s[:]
	case "sha256":
		s := sha256.Sum256(message)
		h = s[:]
	default:
		return nil, fmt.Errorf("%w: hash algorithm %.20q (want sha512 or sha256)", ErrMalformed, hashAlg)
	}
	return append([]byte(magic), ssh.Marshal(struct {
		Namespace string
		Reserved  []byte
		HashAlg   string
		Hash      []byte
	}{namespace, nil, hashAlg, h})...), nil
}

// Sign signs message in namespace with signer, an Ed25519 or
// sk-ssh-ed25519 key, and returns the armored signature, as
// 'ssh-keygen -Y sign -n NAMESPACE' writes it.
func Sign(signer ssh.Signer, namespace string, message []byte) ([]byte, error) {
	if namespace == "" {
		return nil, errors.New("sshsig: empty namespace")
	}
	pub := signer.PublicKey()
	if err := checkKeyType(pub); err != nil {
		return nil, err
	}
	data, err := signedData(namespace, "sha512", message)
	if err != nil {
		return nil, err
	}
	sig, err := signer.Sign(rand.Reader, data)
	if err != nil {
		return nil, fmt.Errorf("sshsig: signing: %w", err)
	}
	raw := append([]byte(magic), ssh.Marshal(blob{
		Version:   version,
		PublicKey: pub.Marshal(),
		Namespace: namespace,
		HashAlg:   "sha512",
		Signature: ssh.Marshal(sig),
	})...)
	armored := armor(raw)
	// A signer that is not what it says (an agent, a token) is caught
	// here rather than in court.
	if err := Verify(pub, namespace, message, armored); err != nil {
		return nil, fmt.Errorf("sshsig: the signer made a signature that does not verify: %w", err)
	}
	return armored, nil
}

// Verify checks that armored is a signature by pub over message in
// namespace. pub is an Ed25519 or sk-ssh-ed25519 key.
func Verify(pub ssh.PublicKey, namespace string, message, armored []byte) error {
	if pub == nil {
		return errors.New("sshsig: no public key")
	}
	if err := checkKeyType(pub); err != nil {
		return err
	}
	raw, err := dearmor(armored)
	if err != nil {
		return err
	}
	b, err := parseBlob(raw)
	if err != nil {
		return err
	}
	if b.Namespace != namespace {
		return fmt.Errorf("%w: made in namespace %.40q, not %q", ErrInvalid, b.Namespace, namespace)
	}
	signer, err := ssh.ParsePublicKey(b.PublicKey)
	if err != nil {
		return fmt.Errorf("%w: the signature's public key: %v", ErrMalformed, err)
	}
	if !bytes.Equal(signer.Marshal(), pub.Marshal()) {
		return fmt.Errorf("%w: made by key %s, not %s", ErrInvalid, Fingerprint(signer), Fingerprint(pub))
	}
	var sig ssh.Signature
	if err := ssh.Unmarshal(b.Signature, &sig); err != nil {
		return fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	if sig.Format != pub.Type() {
		return fmt.Errorf("%w: a signature of type %.40q for a key of type %s", ErrInvalid, sig.Format, pub.Type())
	}
	switch pub.Type() {
	case ssh.KeyAlgoED25519:
		if len(sig.Rest) != 0 {
			return fmt.Errorf("%w: trailing data after the signature", ErrMalformed)
		}
	case ssh.KeyAlgoSKED25519:
		// flags (1 byte) and counter (4 bytes) follow the signature.
		if len(sig.Rest) != 5 {
			return fmt.Errorf("%w: a security key's signature without its flags and counter", ErrMalformed)
		}
		if sig.Rest[0]&skUserPresent == 0 {
			return fmt.Errorf("%w: the security key did not confirm user presence", ErrInvalid)
		}
	}
	data, err := signedData(namespace, b.HashAlg, message)
	if err != nil {
		return err
	}
	if err := pub.Verify(data, &sig); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

func parseBlob(raw []byte) (*blob, error) {
	if !bytes.HasPrefix(raw, []byte(magic)) {
		return nil, fmt.Errorf("%w: no SSHSIG preamble", ErrMalformed)
	}
	var b blob
	if err := ssh.Unmarshal(raw[len(magic):], &b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if b.Version != version {
		return nil, fmt.Errorf("%w: version %d (want %d)", ErrMalformed, b.Version, version)
	}
	return &b, nil
}

func armor(raw []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(raw)
	var b bytes.Buffer
	b.WriteString(armorBegin + "\n")
	for len(enc) > armorWidth {
		b.WriteString(enc[:armorWidth] + "\n")
		enc = enc[armorWidth:]
	}
	b.WriteString(enc + "\n" + armorEnd + "\n")
	return b.Bytes()
}

func dearmor(armored []byte) ([]byte, error) {
	if len(armored) > MaxSize {
		return nil, fmt.Errorf("%w: signature larger than %d bytes", ErrMalformed, MaxSize)
	}
	s := strings.TrimSpace(string(armored))
	body, ok := strings.CutPrefix(s, armorBegin)
	if ok {
		body, ok = strings.CutSuffix(body, armorEnd)
	}
	if !ok {
		return nil, fmt.Errorf("%w: not an armored SSH signature (%s … %s)", ErrMalformed, armorBegin, armorEnd)
	}
	body = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, body)
	raw, err := base64.StdEncoding.Strict().DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: armor: %v", ErrMalformed, err)
	}
	return raw, nil
}
