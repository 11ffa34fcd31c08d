package vault

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/vault/audit"
)

// docRecord is a document as stored: sealed under the server key, so a
// seized disk shows neither the public metadata nor who holds access (key
// slots are stored under keyed hashes of their holders: see slotKey).
type docRecord struct {
	Document
	// Layout 2 kept the ciphertext in the file, in chunks: Blob names
	// their bucket. Empty: the ciphertext is the blob store's blob named
	// by CipherSHA256. 'amana migrate-blobs' moves old documents' chunks.
	Blob      string `json:"blob,omitempty"`
	ChunkSize int    `json:"chunk_size,omitempty"` // bytes per chunk, layout 2
	// Requests are the access requests made for the document (requests.go),
	// sealed with it: a seized file does not show who asked for what.
	Requests []requestRecord `json:"requests,omitempty"`
}

func (v *Vault) getDoc(tx *bbolt.Tx, id string) (*docRecord, error) {
	sealed := tx.Bucket(bucketDocs).Get([]byte(id))
	if sealed == nil {
		return nil, ErrNotFound
	}
	data, err := v.keys.open(sealed, "doc:"+id)
	if err != nil {
		return nil, err
	}
	var d docRecord
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

func (v *Vault) putDoc(tx *bbolt.Tx, d *docRecord) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	sealed, err := v.keys.seal(data, "doc:"+d.ID)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketDocs).Put([]byte(d.ID), sealed)
}

// Index operations written to the outbox.
const (
	OutboxPut    = "put"
	OutboxDelete = "delete"
)

// OutboxEntry is a pending change to the search index, written in the same
// transaction as the vault change it mirrors.
type OutboxEntry struct {
	Seq uint64 `json:"-"`
	Doc string `json:"doc"`
	Op  string `json:"op"`
}

func addOutbox(tx *bbolt.Tx, doc, op string) error {
	b := tx.Bucket(bucketOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	data, _ := json.Marshal(OutboxEntry{Doc: doc, Op: op})
	return b.Put(be64(seq), data)
}

// docAccess is what the vault knows about a caller and a document.
type docAccess struct {
	user *User
	col  *Collection
	doc  *docRecord
}

// GetDocument returns a document's public metadata, consent and custody
// summary to anyone who may see it.
func (v *Vault) GetDocument(c Caller, id string) (*Document, error) {
	var out Document
	err := v.update(c, "document.read", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc = id
		a, err := v.access(tx, c, ev.Action, id, "")
		if err != nil {
			return err
		}
		ev.Collection = a.doc.Collection
		out = a.doc.Document
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// KeySlot returns the caller's own key slot for a document: an age file
// whose plaintext is the document's age identity.
func (v *Vault) KeySlot(c Caller, id string) ([]byte, error) {
	var out []byte
	err := v.update(c, "document.keyslot", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc = id
		a, err := v.access(tx, c, ev.Action, id, "")
		if err != nil {
			return err
		}
		ev.Collection = a.doc.Collection
		out = v.getSlot(tx, id, a.user.ID)
		if out == nil {
			return ErrForbidden
		}
		return nil
	})
	return out, err
}

// Private returns a document's encrypted private metadata (an age file
// encrypted to the document key), or nil if it has none.
func (v *Vault) Private(c Caller, id string) ([]byte, error) {
	var out []byte
	err := v.update(c, "document.private", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc = id
		a, err := v.access(tx, c, ev.Action, id, "")
		if err != nil {
			return err
		}
		ev.Collection = a.doc.Collection
		out = clone(tx.Bucket(bucketPrivate).Get([]byte(id)))
		return nil
	})
	return out, err
}

// Grant adds a key slot for grantee, wrapped by the caller on its own
// machine from its own slot. The grantee must be an active member of the
// collection whose role the document's consent covers; auditors never
// receive slots.
func (v *Vault) Grant(c Caller, id, grantee string, slot []byte) error {
	return v.update(c, "document.grant", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc, ev.Target = id, grantee
		a, err := v.access(tx, c, ev.Action, id, "")
		if err != nil {
			return err
		}
		ev.Collection = a.doc.Collection
		g, err := getUser(tx, grantee)
		if err != nil || g.State != StateActive || !a.col.HasMember(grantee) {
			return invalid("user", "not an active member of collection %s", a.col.ID)
		}
		if a.doc.HoldsSlot(grantee) {
			return ErrExists
		}
		if !mayHold(g.Role, a.doc.Consent) {
			return &ConsentError{Field: "user", User: grantee, Role: g.Role}
		}
		if err := checkSlot("slot", slot, g.Recipient); err != nil {
			return err
		}
		if err := v.putSlot(tx, id, grantee, slot); err != nil {
			return err
		}
		a.doc.SlotHolders = append(a.doc.SlotHolders, grantee)
		slices.Sort(a.doc.SlotHolders)
		a.doc.dropRequest(grantee) // the grant satisfies it
		return v.putDoc(tx, a.doc)
	})
}

// Revoke removes a user's key slot. Admins may revoke any slot; the
// depositor and the custodians may revoke others' slots; any other slot
// holder only its own. Custodians' slots (unless the consent does not
// cover the custodian, which only a vault written before that rule holds)
// and the last remaining slot cannot be removed. Revoking
// does not change the ciphertext: follow with a rekey so that a copy of the
// old document key no longer decrypts it.
func (v *Vault) Revoke(c Caller, id, user string) error {
	return v.update(c, "document.revoke", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc, ev.Target = id, user
		a, err := v.access(tx, c, ev.Action, id, user)
		if a != nil {
			ev.Collection = a.doc.Collection // refused or not
		}
		if err != nil {
			return err
		}
		if !a.doc.HoldsSlot(user) {
			return ErrNotFound
		}
		if slices.Contains(a.col.Custodians, user) {
			if t, err := getUser(tx, user); err != nil || mayHold(t.Role, a.doc.Consent) {
				return &InvalidError{Field: "user", Reason: "custodians always hold a key slot"}
			}
		}
		if len(a.doc.SlotHolders) == 1 {
			return ErrConflict
		}
		if err := v.deleteSlot(tx, id, user); err != nil {
			return err
		}
		a.doc.SlotHolders = slices.DeleteFunc(a.doc.SlotHolders, func(s string) bool { return s == user })
		return v.putDoc(tx, a.doc)
	})
}

// Shred destroys a document after consent is withdrawn (admins only): the
// ciphertext, private metadata and every key slot are deleted and the
// document leaves the search index. A tombstone with the ciphertext hash
// remains, with the audit trail.
//
// The ciphertext's blob is removed (overwritten first where the store can:
// see blobstore.Dir.Remove) once the tombstone is committed; if that
// fails, the next Open's sweep removes it, as no active record names it.
func (v *Vault) Shred(c Caller, id string) error {
	var blob blobstore.Sum
	var hasBlob bool
	err := v.update(c, "document.shred", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc = id
		a, err := v.access(tx, c, ev.Action, id, "")
		if a != nil {
			ev.Collection = a.doc.Collection // refused or not
		}
		if err != nil {
			return err
		}
		if a.doc.Blob != "" { // layout 2: the chunks are in the file
			if err := deleteBucket(tx.Bucket(bucketBlobs), a.doc.Blob); err != nil {
				return err
			}
		} else if blob, hasBlob = recordSum(a.doc.CipherSHA256); hasBlob {
			if err := putRef(tx, blob, refStateShredded, id); err != nil {
				return err
			}
		}
		if err := deleteBucket(tx.Bucket(bucketSlots), id); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPrivate).Delete([]byte(id)); err != nil {
			return err
		}
		d := a.doc
		tomb := &docRecord{Document: Document{
			ID:           d.ID,
			Collection:   d.Collection,
			Kind:         d.Kind,
			Depositor:    d.Depositor,
			DepositedAt:  d.DepositedAt,
			Size:         d.Size,
			CipherSHA256: d.CipherSHA256,
			State:        DocShredded,
			ShreddedAt:   v.opts.Now().UTC(),
			Generation:   d.Generation,
		}}
		if err := v.putDoc(tx, tomb); err != nil {
			return err
		}
		return addOutbox(tx, id, OutboxDelete)
	})
	if err != nil || !hasBlob {
		return err
	}
	if err := v.blobs.Remove(context.Background(), blob); err != nil {
		return fmt.Errorf("vault: document %s is shredded, but removing its ciphertext failed (the next start retries): %w", id, err)
	}
	return nil
}

func deleteBucket(parent *bbolt.Bucket, name string) error {
	if name == "" {
		return nil
	}
	err := parent.DeleteBucket([]byte(name))
	if err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		return err
	}
	return nil
}

// Outbox returns up to limit pending index changes with sequence numbers
// greater than after, oldest first.
func (v *Vault) Outbox(after uint64, limit int) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := v.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, val := c.Seek(be64(after + 1)); k != nil && len(out) < limit; k, val = c.Next() {
			var e OutboxEntry
			if err := json.Unmarshal(val, &e); err != nil {
				return err
			}
			e.Seq = binary.BigEndian.Uint64(k)
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// AckOutbox deletes index changes up to and including seq, once the index
// has applied them.
func (v *Vault) AckOutbox(seq uint64) error {
	return v.db.Update(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= seq; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}
