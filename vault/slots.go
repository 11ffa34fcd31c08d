package vault

import (
	"crypto/hmac"
	"crypto/sha256"

	"go.etcd.io/bbolt"
)

// Key slots are stored in slots/<document id>/<holder key>, where the
// holder key is slotKey(document, user): an HMAC-SHA256, under a key
// derived from the server key, of the document id and the user id. A
// seized file shows how many slots a document has, not whose they are, and
// the same user's slots look unrelated from one document to the next. Who
// holds a slot is in the document's sealed record (SlotHolders).

// slotKey is the key of user's key slot in the bucket of document doc.
func (v *Vault) slotKey(doc, user string) []byte {
	m := hmac.New(sha256.New, v.keys.slots)
	m.Write([]byte(doc))
	m.Write([]byte{0})
	m.Write([]byte(user))
	return m.Sum(nil)
}

// getSlot returns user's key slot for document doc, or nil.
func (v *Vault) getSlot(tx *bbolt.Tx, doc, user string) []byte {
	b := tx.Bucket(bucketSlots).Bucket([]byte(doc))
	if b == nil {
		return nil
	}
	return clone(b.Get(v.slotKey(doc, user)))
}

// putSlot stores user's key slot for document doc.
func (v *Vault) putSlot(tx *bbolt.Tx, doc, user string, slot []byte) error {
	b, err := tx.Bucket(bucketSlots).CreateBucketIfNotExists([]byte(doc))
	if err != nil {
		return err
	}
	return b.Put(v.slotKey(doc, user), clone(slot))
}

// deleteSlot removes user's key slot for document doc, if any.
func (v *Vault) deleteSlot(tx *bbolt.Tx, doc, user string) error {
	b := tx.Bucket(bucketSlots).Bucket([]byte(doc))
	if b == nil {
		return nil
	}
	return b.Delete(v.slotKey(doc, user))
}

// putSlots replaces a document's key slots, by user id.
func (v *Vault) putSlots(tx *bbolt.Tx, doc string, slots map[string][]byte) error {
	all := tx.Bucket(bucketSlots)
	if err := deleteBucket(all, doc); err != nil {
		return err
	}
	b, err := all.CreateBucket([]byte(doc))
	if err != nil {
		return err
	}
	for id, s := range slots {
		if err := b.Put(v.slotKey(doc, id), clone(s)); err != nil {
			return err
		}
	}
	return nil
}

// slotHolders returns the users holding a key slot for document doc, as
// the slots bucket says (the record's SlotHolders should say the same):
// each stored holder key is matched against the keys of the candidates
// first, then of every user. Keys that match no user are returned as
// unknown.
func (v *Vault) slotHolders(tx *bbolt.Tx, doc string, candidates []string) (holders []string, unknown int) {
	b := tx.Bucket(bucketSlots).Bucket([]byte(doc))
	if b == nil {
		return nil, 0
	}
	byKey := map[string]string{}
	for _, id := range candidates {
		byKey[string(v.slotKey(doc, id))] = id
	}
	var rest [][]byte
	b.ForEach(func(k, _ []byte) error {
		if id, ok := byKey[string(k)]; ok {
			holders = append(holders, id)
		} else {
			rest = append(rest, clone(k))
		}
		return nil
	})
	if len(rest) == 0 {
		return holders, 0
	}
	clear(byKey)
	tx.Bucket(bucketUsers).ForEach(func(k, _ []byte) error {
		byKey[string(v.slotKey(doc, string(k)))] = string(k)
		return nil
	})
	for _, k := range rest {
		if id, ok := byKey[string(k)]; ok {
			holders = append(holders, id)
		} else {
			unknown++
		}
	}
	return holders, unknown
}

// Openable reports, of the documents ids, those the caller may open now:
// those the policy lets it fetch its key slot for (document.keyslot) and
// for which it holds one. It tells the caller only about its own access,
// reads nothing else, and records no event: opening is audited when the
// slot is fetched. Unknown ids are not openable.
func (v *Vault) Openable(c Caller, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := v.db.View(func(tx *bbolt.Tx) error {
		if _, err := v.activeUser(tx, c.User); err != nil {
			return err
		}
		for _, id := range ids {
			a, err := v.access(tx, c, "document.keyslot", id, "")
			if err != nil {
				continue
			}
			if v.getSlot(tx, id, a.user.ID) != nil {
				out[id] = true
			}
		}
		return nil
	})
	return out, err
}

// OpenableIDs lists every document the caller may open now, as Openable
// decides, so that a search can be restricted to them. It records no
// event. The list is never nil.
func (v *Vault) OpenableIDs(c Caller) ([]string, error) {
	out := []string{}
	err := v.db.View(func(tx *bbolt.Tx) error {
		if _, err := v.activeUser(tx, c.User); err != nil {
			return err
		}
		cur := tx.Bucket(bucketSlots).Cursor()
		for k, val := cur.First(); k != nil; k, val = cur.Next() {
			if val != nil {
				continue // not a document's bucket
			}
			id := string(k)
			if a, err := v.access(tx, c, "document.keyslot", id, ""); err == nil && v.getSlot(tx, id, a.user.ID) != nil {
				out = append(out, id)
			}
		}
		return nil
	})
	return out, err
}
