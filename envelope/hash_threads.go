//go:build !js

package envelope

import (
	"crypto/sha256"
	"hash"
)

// hasher computes the SHA-256 and length of what is written to it on its own
// goroutine. Seal and Decrypt hash both the plaintext and the ciphertext;
// done inline that would cost twice as much CPU as the encryption itself, but
// overlapped with it on a second core it is nearly free. Memory is bounded by
// hashBuffers buffers of hashBufferSize bytes.
type hasher struct {
	work, free chan []byte
	done       chan struct{}
	h          hash.Hash
	n          int64
	closed     bool
}

const (
	hashBuffers    = 4
	hashBufferSize = 128 << 10
)

func newHasher() *hasher {
	hs := &hasher{
		work: make(chan []byte, hashBuffers),
		free: make(chan []byte, hashBuffers),
		done: make(chan struct{}),
		h:    sha256.New(),
	}
	for range hashBuffers {
		hs.free <- make([]byte, hashBufferSize)
	}
	go func() {
		defer close(hs.done)
		for b := range hs.work {
			hs.h.Write(b)
			hs.n += int64(len(b))
			hs.free <- b[:cap(b)]
		}
	}()
	return hs
}

// Write copies p and queues it for hashing. It never fails.
func (hs *hasher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		b := <-hs.free
		m := copy(b, p)
		hs.work <- b[:m]
		p = p[m:]
	}
	return n, nil
}

// Close stops the hashing goroutine. It is safe to call more than once.
func (hs *hasher) Close() {
	if !hs.closed {
		hs.closed = true
		close(hs.work)
		<-hs.done
	}
}

// Peek waits until everything written so far is hashed and returns its
// digest and length; hs goes on.
func (hs *hasher) Peek() (sum [32]byte, n int64) {
	// The hashing goroutine returns each buffer once it is hashed: holding
	// them all means it is idle.
	var held [hashBuffers][]byte
	for i := range held {
		held[i] = <-hs.free
	}
	hs.h.Sum(sum[:0])
	n = hs.n
	for _, b := range held {
		hs.free <- b
	}
	return sum, n
}

// Sum closes hs and returns the digest and length of everything written.
func (hs *hasher) Sum() (sum [32]byte, n int64) {
	hs.Close()
	hs.h.Sum(sum[:0])
	return sum, hs.n
}
