package vault

import (
	"encoding/json"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"
)

// Layouts of the vault file, named by meta/version:
//
//	"1"  key slots under slots/<document>/<user id>; collection records
//	     (name, members, custodians) in clear
//	"2"  key slots under slots/<document>/<slotKey(document, user)>;
//	     collection records sealed like document records; ciphertext in
//	     the file, in chunks under blobs/<blob id>/<chunk index>
//	"3"  new ciphertext in the blob store (blobstore), named by its
//	     SHA-256, which the refs bucket maps to its document; documents
//	     of layout 2 keep their chunks in the file until
//	     'amana migrate-blobs' moves them (MigrateBlobs)
//
// Open migrates a vault of an older layout once, each step in one
// transaction with a vault.migrate audit event. Pages the old layout used are freed, not
// overwritten: bbolt reuses them as the vault grows (see README, "Deleted
// data on disk").
const (
	layoutClearHolders = "1"
	layoutChunks       = "2"
)

// migrate brings a vault of layout from to formatVersion.
func (v *Vault) migrate(from string) error {
	switch from {
	case formatVersion:
		return nil
	case layoutClearHolders:
		if err := v.migrateSealed(); err != nil {
			return err
		}
		fallthrough
	case layoutChunks:
		return v.migrateRefs()
	}
	return fmt.Errorf("vault: unsupported format version %q", from)
}

// migrateRefs brings layout 2 to 3: it fills the refs bucket from the
// documents' records.
func (v *Vault) migrateRefs() error {
	return v.commit.do(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if string(meta.Get(keyVersion)) != layoutChunks {
			return nil
		}
		if _, err := tx.CreateBucketIfNotExists(bucketRefs); err != nil {
			return err
		}
		var ids []string
		err := tx.Bucket(bucketDocs).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
		if err != nil {
			return err
		}
		n := 0
		for _, id := range ids {
			d, err := v.getDoc(tx, id)
			if err != nil {
				return fmt.Errorf("document %s: %w", id, err)
			}
			sum, ok := recordSum(d.CipherSHA256)
			if !ok {
				continue
			}
			state := byte(refStateActive)
			if d.State != DocActive {
				state = refStateShredded
			}
			if err := putRef(tx, sum, state, id); err != nil {
				return err
			}
			n++
		}
		ev := v.event(Caller{}, "vault.migrate")
		ev.Outcome = outcomeOK
		ev.Detail = map[string]string{"from": layoutChunks, "to": "3", "documents": strconv.Itoa(n)}
		if err := v.appendEvent(tx, ev); err != nil {
			return err
		}
		return meta.Put(keyVersion, []byte("3"))
	})
}

// migrateSealed brings layout 1 to 2.
func (v *Vault) migrateSealed() error {
	return v.commit.do(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if string(meta.Get(keyVersion)) != layoutClearHolders {
			return nil
		}
		var cols []*Collection
		err := tx.Bucket(bucketCollections).ForEach(func(k, data []byte) error {
			var col Collection
			if err := json.Unmarshal(data, &col); err != nil {
				return fmt.Errorf("collection %s: %w", k, err)
			}
			col.ID = string(k)
			cols = append(cols, &col)
			return nil
		})
		if err != nil {
			return err
		}
		for _, col := range cols {
			if err := v.putCollection(tx, col); err != nil {
				return err
			}
		}
		all := tx.Bucket(bucketSlots)
		var docs []string
		err = all.ForEach(func(k, val []byte) error {
			if val == nil { // a document's bucket
				docs = append(docs, string(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		n := 0
		for _, doc := range docs {
			slots := map[string][]byte{}
			err := all.Bucket([]byte(doc)).ForEach(func(user, slot []byte) error {
				slots[string(user)] = clone(slot)
				return nil
			})
			if err != nil {
				return err
			}
			if err := v.putSlots(tx, doc, slots); err != nil {
				return err
			}
			n += len(slots)
		}
		ev := v.event(Caller{}, "vault.migrate")
		ev.Outcome = outcomeOK
		ev.Detail = map[string]string{
			"from": layoutClearHolders, "to": layoutChunks,
			"collections": strconv.Itoa(len(cols)), "slots": strconv.Itoa(n),
		}
		if err := v.appendEvent(tx, ev); err != nil {
			return err
		}
		return meta.Put(keyVersion, []byte(layoutChunks))
	})
}
