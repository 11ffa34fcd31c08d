package vault

import (
	"go.etcd.io/bbolt"
)

// PublicRecord returns what the search index may hold of document id: its
// record without access details, and false if it is not active (shredded
// or unknown). It is for the server's own indexer, not for callers, and is
// not audited: it reveals nothing beyond the index itself.
func (v *Vault) PublicRecord(id string) (*Document, bool, error) {
	var out *Document
	err := v.db.View(func(tx *bbolt.Tx) error {
		d, err := v.getDoc(tx, id)
		if err == ErrNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if d.State == DocActive {
			doc := d.Document
			out = &doc
		}
		return nil
	})
	return out, out != nil, err
}

// EachActive calls fn with every active document, in id order, for a full
// rebuild of the search index.
func (v *Vault) EachActive(fn func(*Document) error) error {
	return v.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDocs).ForEach(func(k, _ []byte) error {
			d, err := v.getDoc(tx, string(k))
			if err != nil {
				return err
			}
			if d.State != DocActive {
				return nil
			}
			doc := d.Document
			return fn(&doc)
		})
	})
}
