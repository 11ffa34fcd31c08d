package envelope

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/amana-vault/amana/manifest"
	"github.com/amana-vault/amana/recipient"
)

// This file is the document protocol: what a depositor's client seals and
// what a reader's client checks. docs/document-protocol.md describes it for
// other implementations; the vectors in testdata/vectors pin it.

// ErrIntegrity means a document decrypted but is not what was deposited: its
// ciphertext does not hash to the deposit record, or its plaintext does not
// hash to what the depositor sealed in the private metadata. Whatever was
// written must be discarded.
var ErrIntegrity = errors.New("envelope: integrity check failed")

// Fields the protocol adds to a document's private metadata (a JSON object):
// the plaintext's SHA-256 (hex) and size in bytes, and the nonce of the
// signed manifest's commitment to them (manifest.NonceField), sealed with
// the document key so that only readers learn them.
const (
	PlainSHA256Field = "plain_sha256"
	PlainSizeField   = "plain_size"
	NonceField       = manifest.NonceField
)

// A Deposit is a document being sealed: a fresh document key and one key
// slot per user. Its slots are known before any content is read, so a client
// can announce them before it streams the ciphertext.
type Deposit struct {
	// Key is the document key. Forget it after sealing: the slots are the
	// only copies that should survive.
	Key *DocKey
	// Slots holds one key slot per user, under the names given to NewDeposit.
	Slots map[string][]byte
}

// Sealed is what Deposit.Seal and Deposit.Rekey produce beside the
// ciphertext: its digests and the sealed private metadata.
type Sealed struct {
	Digest
	// Private is the private metadata, with the plaintext's hash, size and
	// commitment nonce added, as an age file encrypted to the document key.
	Private []byte
	// Commitment is the hiding commitment to the plaintext's hash and size
	// that goes into the deposit's signed manifest.
	Commitment string
}

// An Option changes how NewDeposit makes the document key.
type Option func(*options)

type options struct{ classic bool }

// Classic makes the document key X25519 instead of post-quantum hybrid.
func Classic() Option { return func(o *options) { o.classic = true } }

// ParseRecipients parses the recipient strings of users (user id → age
// recipient, as the server lists them) for NewDeposit. Errors name the user.
func ParseRecipients(users map[string]string) (map[string]age.Recipient, error) {
	out := make(map[string]age.Recipient, len(users))
	for _, id := range slices.Sorted(maps.Keys(users)) {
		r, err := recipient.Parse(users[id])
		if err != nil {
			return nil, fmt.Errorf("envelope: recipient of %s: %w", id, err)
		}
		out[id] = r
	}
	return out, nil
}

// NewDeposit makes a fresh document key (post-quantum hybrid unless opts
// include Classic) and wraps it for each of recipients (user id → recipient).
// Plugins run in the order of the user ids, so those that prompt do so
// predictably.
func NewDeposit(recipients map[string]age.Recipient, opts ...Option) (*Deposit, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if len(recipients) == 0 {
		return nil, errors.New("envelope: no recipients: nobody could ever open the document")
	}
	newKey := NewDocKey
	if o.classic {
		newKey = NewClassicDocKey
	}
	k, err := newKey()
	if err != nil {
		return nil, err
	}
	return DepositFor(k, recipients)
}

// DepositFor is NewDeposit with a document key that exists already (one
// recovered from a key slot, to go on with a deposit that was begun):
// new slots wrap k for recipients.
func DepositFor(k *DocKey, recipients map[string]age.Recipient) (*Deposit, error) {
	if len(recipients) == 0 {
		return nil, errors.New("envelope: no recipients: nobody could ever open the document")
	}
	d := &Deposit{Key: k, Slots: make(map[string][]byte, len(recipients))}
	for _, id := range slices.Sorted(maps.Keys(recipients)) {
		if recipients[id] == nil {
			return nil, fmt.Errorf("envelope: recipient of %s is nil", id)
		}
		slot, err := Wrap(k, recipients[id])
		if err != nil {
			return nil, fmt.Errorf("envelope: key slot for %s: %w", id, err)
		}
		d.Slots[id] = slot
	}
	return d, nil
}

// Seal streams src into dst as an age file encrypted to the document key and
// seals private (which may be nil) with the plaintext's SHA-256 and size and
// a fresh commitment nonce added. On error, dst may hold a partial file,
// which must be discarded.
func (d *Deposit) Seal(dst io.Writer, src io.Reader, private map[string]any) (*Sealed, error) {
	dg, err := Encrypt(dst, src, d.Key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 32)
	rand.Read(nonce)
	p := maps.Clone(private)
	if p == nil {
		p = map[string]any{}
	}
	p[NonceField] = hex.EncodeToString(nonce)
	return d.sealPrivate(dg, p)
}

// SealWriter is Seal for a caller that pushes the plaintext piece by
// piece (a browser reading a file slice by slice): the age file it writes
// to dst is made the same way. Its header is in dst once NewSealWriter
// returns, so the file's length is known before the plaintext is read
// (CipherSize).
type SealWriter struct {
	d             *Deposit
	w             io.WriteCloser
	plain, cipher *hasher
	private       map[string]any
	header        int64
}

// NewSealWriter starts sealing into dst; private is as for Seal. The file
// is age's: its header and payload nonce are made by age.Encrypt, the
// payload as age makes it (see NewResealWriter).
func (d *Deposit) NewSealWriter(dst io.Writer, private map[string]any) (*SealWriter, error) {
	var head bytes.Buffer
	if _, err := age.Encrypt(&head, d.Key.r); err != nil {
		return nil, fmt.Errorf("envelope: encrypting content: %w", err)
	}
	return d.NewResealWriter(dst, head.Bytes(), private)
}

// CipherSize is the length of the age file of size bytes of plaintext.
func (s *SealWriter) CipherSize(size int64) int64 {
	chunks := max(1, (size+chunkSize-1)/chunkSize)
	return s.header + size + chunks*chacha20poly1305.Overhead
}

// Write encrypts p. Ciphertext reaches dst in 64 KiB chunks.
func (s *SealWriter) Write(p []byte) (int, error) {
	s.plain.Write(p)
	return s.w.Write(p)
}

// Written returns the length and SHA-256 of the age file written so far:
// a client that uploads it as it goes keeps them to check, when it makes
// the file again with NewResealWriter, that it makes the same bytes.
func (s *SealWriter) Written() (int64, [32]byte) {
	sum, n := s.cipher.Peek()
	return n, sum
}

// Close ends the age file and seals the private metadata with the
// plaintext's digest and a fresh commitment nonce.
func (s *SealWriter) Close() (*Sealed, error) {
	defer s.plain.Close()
	defer s.cipher.Close()
	if err := s.w.Close(); err != nil {
		return nil, fmt.Errorf("envelope: encrypting content: %w", err)
	}
	var dg Digest
	dg.PlainSHA256, dg.PlainSize = s.plain.Sum()
	dg.CipherSHA256, dg.CipherSize = s.cipher.Sum()
	nonce := make([]byte, 32)
	rand.Read(nonce)
	p := s.private
	if p == nil {
		p = map[string]any{}
	}
	p[NonceField] = hex.EncodeToString(nonce)
	return s.d.sealPrivate(dg, p)
}

// Rekey re-encrypts the ciphertext src, encrypted to old, into dst under this
// deposit's new key, and reseals private (the document's private metadata as
// its readers decrypted it, commitment nonce included). The plaintext must
// hash to what private records and, when m is not nil, to the signed
// manifest's commitment: Rekey never launders content that is not what was
// deposited. On error dst must be discarded.
func (d *Deposit) Rekey(dst io.Writer, src io.Reader, old *DocKey, private map[string]any, m *manifest.Manifest) (*Sealed, error) {
	if old == nil {
		return nil, errors.New("envelope: Rekey needs the old document key")
	}
	dg, err := Reencrypt(dst, src, old, d.Key)
	if err != nil {
		return nil, err
	}
	if err := checkPlain(dg, private, m); err != nil {
		return nil, err
	}
	return d.sealPrivate(dg, private)
}

func (d *Deposit) sealPrivate(dg Digest, private map[string]any) (*Sealed, error) {
	p := maps.Clone(private)
	if p == nil {
		p = map[string]any{}
	}
	p[PlainSHA256Field] = hex.EncodeToString(dg.PlainSHA256[:])
	p[PlainSizeField] = dg.PlainSize
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("envelope: private metadata: %w", err)
	}
	sealed, err := SealPrivate(d.Key, b)
	if err != nil {
		return nil, err
	}
	nonce, _ := p[NonceField].(string)
	return &Sealed{Digest: dg, Private: sealed,
		Commitment: manifest.Commitment(nonce, hex.EncodeToString(dg.PlainSHA256[:]), dg.PlainSize)}, nil
}

// WrapFor wraps the document key k for one user given by its recipient
// string: the key slot a grant sends.
func WrapFor(k *DocKey, user, rcpt string) ([]byte, error) {
	r, err := recipient.Parse(rcpt)
	if err != nil {
		return nil, fmt.Errorf("envelope: recipient of %s: %w", user, err)
	}
	return Wrap(k, r)
}

// OpenPrivateMeta decrypts a document's sealed private metadata and parses
// it as a JSON object. Empty input means the document has none (nil, nil).
func OpenPrivateMeta(k *DocKey, sealed []byte) (map[string]any, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	b, err := OpenPrivate(k, sealed)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: private metadata is not a JSON object", ErrMalformed)
	}
	return m, nil
}

// Opened is what Open verified.
type Opened struct {
	Digest
	// Private is the document's private metadata, protocol fields included.
	Private map[string]any
}

// Open decrypts the ciphertext src with the document key into dst and checks
// it: the ciphertext must hash to cipherSHA256 (hex, from the deposit record),
// the plaintext to the hash and size the depositor sealed in the private
// metadata (sealedPrivate, which every deposit carries) and, when m is not
// nil, to the commitment of the deposit's signed manifest (which the caller
// has verified: its signature, and its fields against the record). A wrong
// key gives ErrWrongIdentity, damaged ciphertext ErrMalformed, a mismatch
// ErrIntegrity; on any error dst may hold unverified plaintext, which must be
// discarded.
func Open(dst io.Writer, src io.Reader, k *DocKey, sealedPrivate []byte, cipherSHA256 string, m *manifest.Manifest) (*Opened, error) {
	want, err := hex.DecodeString(cipherSHA256)
	if err != nil || len(want) != 32 {
		return nil, fmt.Errorf("%w: the deposit record's ciphertext SHA-256 is not a SHA-256", ErrIntegrity)
	}
	private, err := OpenPrivateMeta(k, sealedPrivate)
	if err != nil {
		return nil, err
	}
	if private == nil {
		return nil, fmt.Errorf("%w: the document has no sealed plaintext hash", ErrIntegrity)
	}
	dg, err := Decrypt(dst, src, k)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(dg.CipherSHA256[:], want) != 1 {
		return nil, fmt.Errorf("%w: ciphertext SHA-256 %x, the deposit recorded %s", ErrIntegrity, dg.CipherSHA256, cipherSHA256)
	}
	if err := checkPlain(dg, private, m); err != nil {
		return nil, err
	}
	return &Opened{Digest: dg, Private: private}, nil
}

// checkPlain compares a plaintext's digest with the hash and size sealed in
// private metadata, and with the commitment of m if it is not nil.
func checkPlain(dg Digest, private map[string]any, m *manifest.Manifest) error {
	if m != nil {
		nonce, _ := private[NonceField].(string)
		if err := m.CheckPlaintext(nonce, dg.PlainSHA256, dg.PlainSize); err != nil {
			return fmt.Errorf("%w: %w", ErrIntegrity, err)
		}
	}
	want, _ := private[PlainSHA256Field].(string)
	if want == "" {
		return fmt.Errorf("%w: the private metadata records no plaintext SHA-256", ErrIntegrity)
	}
	if got := hex.EncodeToString(dg.PlainSHA256[:]); got != want {
		return fmt.Errorf("%w: plaintext SHA-256 %s, the depositor recorded %s", ErrIntegrity, got, want)
	}
	if size, ok := private[PlainSizeField]; ok && fmt.Sprint(size) != fmt.Sprint(dg.PlainSize) {
		return fmt.Errorf("%w: plaintext is %d bytes, the depositor recorded %v", ErrIntegrity, dg.PlainSize, size)
	}
	return nil
}

// ErrorCode names the protocol's failures for other languages (the web
// interface, the vectors): "wrong_identity", "malformed", "integrity", "ok"
// for nil, and "error" for anything else (I/O, a plugin).
func ErrorCode(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrWrongIdentity):
		return "wrong_identity"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrIntegrity):
		return "integrity"
	}
	return "error"
}
