package vault

import (
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/vault/audit"
)

// BeginRekey starts replacing a document's ciphertext with one encrypted
// under a new document key, after a revocation. Only a keeper may: the
// depositor, a custodian of the collection, or an admin holding a slot
// (Policy, document.rekey); a grantee may not replace the evidence. slots
// must hold a new key slot for exactly the current slot holders, each
// wrapped for its user's key, and the consent must cover every one of
// them (a holder it does not cover is revoked first). The old ciphertext
// and slots are replaced atomically when the upload commits, so a revoked
// user's copy of the old document key no longer opens what the vault
// serves.
func (v *Vault) BeginRekey(c Caller, id string, slots map[string][]byte) (*Upload, error) {
	return v.BeginRekeyFrom(c, id, slots, "")
}

// BeginRekeyFrom is BeginRekey with the new ciphertext in the complete
// resumable upload from (CreateUpload) of the caller's, when from is not
// empty.
func (v *Vault) BeginRekeyFrom(c Caller, id string, slots map[string][]byte, from string) (*Upload, error) {
	ev := v.event(c, "document.rekey")
	ev.Doc = id
	up, consume, giveBack, err := v.newUpload(c, id, "document.rekey", from)
	if err != nil {
		return nil, v.recordFailure(ev, err)
	}
	var pr pendingRekey
	err = v.db.Update(func(tx *bbolt.Tx) error {
		a, err := v.access(tx, c, ev.Action, id, "")
		if a != nil {
			ev.Collection = a.doc.Collection // refused or not
		}
		if err != nil {
			return err
		}
		if err := v.checkRekeySlots(tx, a.doc, slots); err != nil {
			return err
		}
		pr = pendingRekey{
			slots:      slots,
			generation: a.doc.Generation,
			hadPrivate: tx.Bucket(bucketPrivate).Get([]byte(id)) != nil,
		}
		if err := consume(tx); err != nil {
			return err
		}
		return up.start(tx, uploadRecord{Doc: id, Blob: up.w.ID(), Rekey: true, Started: v.opts.Now().UTC()})
	})
	if err != nil {
		giveBack()
		return nil, v.recordFailure(ev, err)
	}
	up.consumed()
	up.rekeyOf = &pr
	return up, nil
}

// checkRekeySlots verifies that slots re-wrap the document key for exactly
// the current slot holders, whom the consent covers, each for its key.
func (v *Vault) checkRekeySlots(tx *bbolt.Tx, d *docRecord, slots map[string][]byte) error {
	got := slices.Sorted(maps.Keys(slots))
	if !slices.Equal(got, d.SlotHolders) {
		return invalid("slots", "a rekey needs new key slots for exactly the current slot holders")
	}
	for _, id := range got {
		u, err := getUser(tx, id)
		if err != nil {
			return invalid("slots", "unknown user %q", id)
		}
		if !mayHold(u.Role, d.Consent) {
			return &ConsentError{Field: "slots", User: id, Role: u.Role}
		}
		if err := checkSlot("slots."+id, slots[id], u.Recipient); err != nil {
			return err
		}
	}
	return nil
}

func (u *Upload) commitRekey(sum [32]byte, private []byte) (*Document, error) {
	pr := u.rekeyOf
	var out Document
	var old blobstore.Sum
	var hadBlob bool
	err := u.v.update(u.c, u.action, func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc = u.doc
		if tx.Bucket(bucketUploads).Get([]byte(u.id)) == nil {
			return fmt.Errorf("vault: upload %s no longer exists", u.id)
		}
		a, err := u.v.access(tx, u.c, ev.Action, u.doc, "")
		if err != nil {
			return err
		}
		ev.Collection = a.doc.Collection
		d := a.doc
		if d.Generation != pr.generation {
			return ErrConflict // another rekey won the race
		}
		if err := u.v.checkRekeySlots(tx, d, pr.slots); err != nil {
			return err
		}
		if err := checkNewCiphertext(tx, sum); err != nil {
			return err
		}
		if d.Blob != "" { // layout 2: the chunks are in the file
			if err := deleteBucket(tx.Bucket(bucketBlobs), d.Blob); err != nil {
				return err
			}
		} else if old, hadBlob = recordSum(d.CipherSHA256); hadBlob {
			if err := putRef(tx, old, refStateReplaced, u.doc); err != nil {
				return err
			}
		}
		if err := putRef(tx, sum, refStateActive, u.doc); err != nil {
			return err
		}
		d.Blob, d.ChunkSize = "", 0
		d.Size = u.n
		d.CipherSHA256 = hex.EncodeToString(sum[:])
		d.Generation++
		if err := u.v.putSlots(tx, u.doc, pr.slots); err != nil {
			return err
		}
		if len(private) > 0 {
			if err := tx.Bucket(bucketPrivate).Put([]byte(u.doc), clone(private)); err != nil {
				return err
			}
		}
		if err := u.v.putDoc(tx, d); err != nil {
			return err
		}
		ev.Detail = map[string]string{"size": fmt.Sprint(u.n), "generation": fmt.Sprint(d.Generation), "cipher_sha256": d.CipherSHA256}
		out = d.Document
		return tx.Bucket(bucketUploads).Delete([]byte(u.id))
	})
	if err != nil {
		return nil, err
	}
	if hadBlob {
		// The old ciphertext goes as a shredded document's does; if this
		// fails, Open's sweep removes it.
		u.v.blobs.Remove(context.Background(), old)
	}
	return &out, nil
}
