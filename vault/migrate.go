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
//	     collection records sealed like document records
//
// Open migrates a vault of layout 1 once, in one transaction, with a
// vault.migrate audit event. Pages the old layout used are freed, not
// overwritten: bbolt reuses them as the vault grows (see README, "Deleted
// data on disk").
const layoutClearHolders = "1"

// migrate brings a vault of layout from to formatVersion.
func (v *Vault) migrate(from string) error {
	if from == formatVersion {
		return nil
	}
	if from != layoutClearHolders {
		return fmt.Errorf("vault: unsupported format version %q", from)
	}
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
			"from": from, "to": formatVersion,
			"collections": strconv.Itoa(len(cols)), "slots": strconv.Itoa(n),
		}
		if err := v.appendEvent(tx, ev); err != nil {
			return err
		}
		return meta.Put(keyVersion, []byte(formatVersion))
	})
}
