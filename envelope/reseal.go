package envelope

import (
	"bytes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// An age file is its header, a 16-byte payload nonce and the payload: the
// plaintext in 64 KiB chunks, each sealed with ChaCha20-Poly1305 under
// HKDF-SHA-256(file key, salt nonce, info "payload"), the 12-byte nonce of
// chunk i being i as an 11-byte big-endian number and a last-chunk flag
// byte. Everything random is in the header and the nonce, so whoever holds
// them and the file key makes the same payload from the same plaintext.
// A client that lost its place in an upload (a page reloaded) uses this to
// make again the bytes the server already holds, and go on from there.

const (
	payloadNonceSize = 16
	chunkSize        = 64 << 10
)

// NewResealWriter is NewSealWriter for an age file that was started
// before: head is its header and payload nonce, exactly as NewSealWriter
// (or age.Encrypt) wrote them, for d's document key. The file it writes to dst is head
// followed by the same payload, byte for byte, as the first one for the
// same plaintext, so the parts a server already holds need not be sent
// again. The plaintext must be the same as the first time: a different
// one would be sealed under the same keys and nonces, so a caller checks
// what it made against what it had sent (SealWriter.Written).
//
// A head that does not open with d's key gives ErrWrongIdentity; one that
// is not an age header and nonce, or whose header was modified, gives
// ErrMalformed.
func (d *Deposit) NewResealWriter(dst io.Writer, head []byte, private map[string]any) (*SealWriter, error) {
	if d.Key == nil {
		return nil, errors.New("envelope: NewResealWriter needs the document key")
	}
	hdr, err := age.ExtractHeader(bytes.NewReader(head))
	if err == nil && (len(head) != len(hdr)+payloadNonceSize || !bytes.Equal(head[:len(hdr)], hdr)) {
		err = errors.New("not an age header and payload nonce")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: age file head: %v", ErrMalformed, err)
	}
	fileKey, err := age.DecryptHeader(hdr, d.Key.id)
	if err != nil {
		return nil, decryptError("age header", err, nil)
	}
	key := make([]byte, chacha20poly1305.KeySize)
	io.ReadFull(hkdf.New(sha256.New, fileKey, head[len(hdr):], []byte("payload")), key)
	aead, _ := chacha20poly1305.New(key)
	clear(fileKey)
	clear(key)
	s := &SealWriter{d: d, plain: newHasher(), cipher: newHasher(), private: maps.Clone(private), header: int64(len(head))}
	w := io.MultiWriter(dst, s.cipher)
	s.w = &streamWriter{aead: aead, dst: w, buf: make([]byte, 0, chunkSize+chacha20poly1305.Overhead)}
	if _, err := w.Write(head); err != nil {
		s.plain.Close()
		s.cipher.Close()
		return nil, fmt.Errorf("envelope: encrypting content: %w", err)
	}
	return s, nil
}

// streamWriter is age's payload writer (the STREAM construction of
// filippo.io/age's internal/stream), and like it flushes a full chunk only
// when more plaintext follows, since the last chunk's nonce is flagged.
type streamWriter struct {
	aead  cipher.AEAD
	dst   io.Writer
	buf   []byte
	chunk uint64
	err   error
}

func (w *streamWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	for len(p) > 0 {
		if len(w.buf) == chunkSize {
			if w.err = w.flush(false); w.err != nil {
				return 0, w.err
			}
		}
		m := min(len(p), chunkSize-len(w.buf))
		w.buf = append(w.buf, p[:m]...)
		p = p[m:]
	}
	return n, nil
}

func (w *streamWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.flush(true)
	if w.err == nil {
		w.err = errors.New("envelope: the age file is closed")
		return nil
	}
	return w.err
}

func (w *streamWriter) flush(last bool) error {
	var nonce [chacha20poly1305.NonceSize]byte
	binary.BigEndian.PutUint64(nonce[3:11], w.chunk)
	if last {
		nonce[11] = 1
	}
	ct := w.aead.Seal(w.buf[:0], nonce[:], w.buf, nil)
	w.chunk++
	_, err := w.dst.Write(ct)
	clear(ct)
	w.buf = w.buf[:0]
	return err
}
