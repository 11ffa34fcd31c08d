package envelope

import (
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// Digest describes a document's plaintext and ciphertext: the SHA-256 and
// size of each. The ciphertext digest covers the whole age file, header
// included, so it identifies exactly what the server stores.
type Digest struct {
	PlainSHA256, CipherSHA256 [32]byte
	PlainSize, CipherSize     int64
}

// copyBufferSize matches age's 64 KiB chunks, so each write to the age
// writer fills exactly one chunk.
const copyBufferSize = 64 << 10

// Encrypt streams src into dst as an age file encrypted to k and returns the
// digests of what it read and wrote. It is Seal for a client that made the
// key and its slots first, for example to announce a deposit before streaming
// it. On error, dst may have received a partial age file, which must be
// discarded.
func Encrypt(dst io.Writer, src io.Reader, k *DocKey) (Digest, error) {
	if k == nil {
		return Digest{}, errors.New("envelope: Encrypt needs a document key")
	}
	plain, cipher := newHasher(), newHasher()
	defer plain.Close()
	defer cipher.Close()
	w, err := age.Encrypt(io.MultiWriter(dst, cipher), k.r)
	if err != nil {
		return Digest{}, fmt.Errorf("envelope: encrypting content: %w", err)
	}
	buf := make([]byte, copyBufferSize)
	if _, err := io.CopyBuffer(w, io.TeeReader(src, plain), buf); err != nil {
		return Digest{}, fmt.Errorf("envelope: encrypting content: %w", err)
	}
	if err := w.Close(); err != nil {
		return Digest{}, fmt.Errorf("envelope: encrypting content: %w", err)
	}
	var d Digest
	d.PlainSHA256, d.PlainSize = plain.Sum()
	d.CipherSHA256, d.CipherSize = cipher.Sum()
	return d, nil
}

// Decrypt streams the plaintext of the age file src, encrypted to k, into dst
// and returns the digests of both.
//
// age releases only authenticated 64 KiB chunks, but truncation is detected
// only at the end: if Decrypt returns an error, dst may have received part of
// the plaintext, which must be discarded. A wrong key gives ErrWrongIdentity;
// damaged, truncated or extended ciphertext gives ErrMalformed; errors of src
// and dst are returned wrapped as they are.
func Decrypt(dst io.Writer, src io.Reader, k *DocKey) (Digest, error) {
	if k == nil {
		return Digest{}, errors.New("envelope: Decrypt needs a document key")
	}
	plain, cipher := newHasher(), newHasher()
	defer plain.Close()
	defer cipher.Close()
	sr := &errReader{r: src}
	r, err := age.Decrypt(io.TeeReader(sr, cipher), k.id)
	if err != nil {
		return Digest{}, decryptError("content", err, sr)
	}
	dw := &errWriter{w: dst}
	buf := make([]byte, copyBufferSize)
	if _, err := io.CopyBuffer(io.MultiWriter(dw, plain), r, buf); err != nil {
		if dw.err != nil {
			return Digest{}, fmt.Errorf("envelope: writing plaintext: %w", dw.err)
		}
		return Digest{}, decryptError("content", err, sr)
	}
	var d Digest
	d.PlainSHA256, d.PlainSize = plain.Sum()
	d.CipherSHA256, d.CipherSize = cipher.Sum()
	return d, nil
}

// Reencrypt streams the age file src, encrypted to old, into dst encrypted to
// next instead, and returns the digests of the plaintext and of the new
// ciphertext. next must be a different key: re-encrypting to the same key
// would not revoke anyone. Errors classify as in Decrypt; on error dst must
// be discarded.
func Reencrypt(dst io.Writer, src io.Reader, old, next *DocKey) (Digest, error) {
	if old == nil || next == nil {
		return Digest{}, errors.New("envelope: Reencrypt needs the old and the next document key")
	}
	if old.s == next.s {
		return Digest{}, errors.New("envelope: Reencrypt to the same document key would revoke nobody")
	}
	sr := &errReader{r: src}
	r, err := age.Decrypt(sr, old.id)
	if err != nil {
		return Digest{}, decryptError("content", err, sr)
	}
	return Encrypt(dst, &rekeyReader{r: r, src: sr}, next)
}

// rekeyReader classifies errors of the decrypting reader as Decrypt does,
// before Encrypt wraps them.
type rekeyReader struct {
	r   io.Reader
	src *errReader
}

func (r *rekeyReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = decryptError("content", err, r.src)
	}
	return n, err
}
