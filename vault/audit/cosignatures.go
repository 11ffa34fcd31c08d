package audit

import (
	"bytes"
	"encoding/base64"
	"fmt"

	"go.etcd.io/bbolt"
)

// bucketCosignatures maps a checkpoint's size (8-byte big-endian) to the
// cosignature lines witnesses returned for the checkpoint of that size,
// one "— name base64\n" line each. It is created by the first
// cosignature, so vaults made before witnesses have none.
var bucketCosignatures = []byte("audit.cosignatures")

// AddCosignature records a witness's signature line for the checkpoint
// of the given size, which must have been signed, unless the checkpoint
// already holds a line of the same key (name and key hash). The caller
// checks the cosignature before: this only stores it.
func AddCosignature(tx *bbolt.Tx, size int64, line []byte) error {
	s, err := open(tx)
	if err != nil {
		return err
	}
	if s.checkpoints.Get(itob(size)) == nil {
		return fmt.Errorf("audit: no checkpoint of size %d to add a cosignature to", size)
	}
	id, ok := sigKeyID(line)
	if !ok || line[len(line)-1] != '\n' || bytes.Count(line, []byte("\n")) != 1 {
		return fmt.Errorf("audit: malformed signature line %q", line)
	}
	b, err := tx.CreateBucketIfNotExists(bucketCosignatures)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	old := b.Get(itob(size))
	for _, l := range bytes.SplitAfter(old, []byte("\n")) {
		if have, ok := sigKeyID(l); ok && have == id {
			return nil
		}
	}
	return b.Put(itob(size), append(append([]byte(nil), old...), line...))
}

// sigKeyID returns the name and the key hash (the first 4 bytes of the
// base64 signature, as 8 characters) of a signature line.
func sigKeyID(line []byte) (string, bool) {
	f := bytes.Fields(line)
	if len(f) != 3 || string(f[0]) != "—" {
		return "", false
	}
	sig, err := base64.StdEncoding.DecodeString(string(f[2]))
	if err != nil || len(sig) < 5 {
		return "", false
	}
	return fmt.Sprintf("%s+%x", f[1], sig[:4]), true
}

// Cosigned returns the checkpoint of the given size with the cosignature
// lines stored for it appended, or nil if none was signed at that size.
func Cosigned(tx *bbolt.Tx, size int64) ([]byte, error) {
	msg, err := CheckpointAt(tx, size)
	if msg == nil || err != nil {
		return nil, err
	}
	if b := tx.Bucket(bucketCosignatures); b != nil {
		msg = append(msg, b.Get(itob(size))...)
	}
	return msg, nil
}

// CosignedSizes returns the sizes of the checkpoints that hold at least
// one cosignature, largest first, at most limit of them.
func CosignedSizes(tx *bbolt.Tx, limit int) []int64 {
	b := tx.Bucket(bucketCosignatures)
	if b == nil {
		return nil
	}
	var out []int64
	c := b.Cursor()
	for k, _ := c.Last(); k != nil && len(out) < limit; k, _ = c.Prev() {
		if size, ok := btoi(k); ok {
			out = append(out, size)
		}
	}
	return out
}
