package vault

import (
	"context"
	"encoding/hex"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/blobstore"
)

// The refs bucket maps each document's ciphertext SHA-256 (32 bytes) to a
// state byte and the document's id. The blob store is addressed by the
// same hash, so the vault tells from it which blobs a record names, at
// Open's sweep, without unsealing records; and it refuses a second
// document with the same ciphertext, whose shred would destroy the first.
const (
	refStateActive   = 'a' // the ciphertext of an active document
	refStateShredded = 's' // the ciphertext of a shredded document: not stored again
	refStateReplaced = 'r' // a document's ciphertext before a rekey: not stored again
	// A blob written for an upload that a crash stopped before its record
	// committed. Against a remote store the write may still land after the
	// next start's sweep (a request in flight when the process died), so
	// the hash is remembered until a sweep has found and removed the blob.
	// It may be deposited again (a client retrying the same bytes).
	refStateLeftover = 'l'
)

func putRef(tx *bbolt.Tx, sum [32]byte, state byte, doc string) error {
	return tx.Bucket(bucketRefs).Put(clone(sum[:]), append([]byte{state}, doc...))
}

// refOf returns the state and document of a ciphertext hash, ok false if no
// document has it.
func refOf(tx *bbolt.Tx, sum [32]byte) (state byte, doc string, ok bool) {
	v := tx.Bucket(bucketRefs).Get(sum[:])
	if len(v) == 0 {
		return 0, "", false
	}
	return v[0], string(v[1:]), true
}

// refState returns the state of the ciphertext sum, 0 if no record names it.
func refState(refs *bbolt.Bucket, sum blobstore.Sum) byte {
	if refs == nil {
		return 0
	}
	if v := refs.Get(sum[:]); len(v) > 0 {
		return v[0]
	}
	return 0
}

// refActive reports whether an active document's record names the blob.
func refActive(refs *bbolt.Bucket, sum blobstore.Sum) bool {
	if refs == nil {
		return false
	}
	v := refs.Get(sum[:])
	return len(v) > 0 && v[0] == refStateActive
}

// sumOf decodes a record's hex ciphertext hash.
func recordSum(h string) (blobstore.Sum, bool) {
	var s blobstore.Sum
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != len(s) {
		return s, false
	}
	return blobstore.Sum(b), true
}

// dropBlob removes a blob that a failed commit wrote, unless an active
// document's record names it (the same ciphertext deposited twice: the
// second deposit is refused, the first keeps its blob).
func (v *Vault) dropBlob(sum blobstore.Sum) {
	var keep bool
	v.db.View(func(tx *bbolt.Tx) error {
		keep = refActive(tx.Bucket(bucketRefs), sum)
		return nil
	})
	if !keep {
		// A blob left by a failure here is an orphan: Open's sweep
		// removes it.
		v.blobs.Remove(context.Background(), sum)
	}
}
