package vault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/envelope"
)

// grantTo wraps by's document key for to and grants it.
func grantTo(t testing.TB, f *fixture, doc string, by, to testUser) {
	t.Helper()
	slot, err := f.v.KeySlot(by.caller(), doc)
	if err != nil {
		t.Fatal(err)
	}
	key, err := envelope.OpenSlot(slot, by.identity)
	if err != nil {
		t.Fatal(err)
	}
	r, err := recipientOfString(to.recipient)
	if err != nil {
		t.Fatal(err)
	}
	s, err := envelope.Wrap(key, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.v.Grant(by.caller(), doc, to.id, s); err != nil {
		t.Fatal(err)
	}
}

// toLayout1 rewrites an open vault's file in layout 1, as the vault wrote
// it before key slots and collections were sealed: collection records in
// clear JSON, key slots under their holders' user ids.
func toLayout1(t testing.TB, v *Vault) {
	t.Helper()
	err := v.db.Update(func(tx *bbolt.Tx) error {
		var cols []*Collection
		if err := v.eachCollection(tx, func(col *Collection) error {
			cols = append(cols, col)
			return nil
		}); err != nil {
			return err
		}
		for _, col := range cols {
			data, err := json.Marshal(col)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketCollections).Put([]byte(col.ID), data); err != nil {
				return err
			}
		}
		var docs []string
		tx.Bucket(bucketSlots).ForEach(func(k, _ []byte) error {
			docs = append(docs, string(k))
			return nil
		})
		for _, id := range docs {
			d, err := v.getDoc(tx, id)
			if err != nil {
				return err
			}
			slots := map[string][]byte{}
			for _, u := range d.SlotHolders {
				if slots[u] = v.getSlot(tx, id, u); slots[u] == nil {
					return fmt.Errorf("no slot of %s for %s", u, id)
				}
			}
			all := tx.Bucket(bucketSlots)
			if err := all.DeleteBucket([]byte(id)); err != nil {
				return err
			}
			b, err := all.CreateBucket([]byte(id))
			if err != nil {
				return err
			}
			for u, s := range slots {
				if err := b.Put([]byte(u), s); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketMeta).Put(keyVersion, []byte(layoutClearHolders))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// vaultState is what the vault answers about who holds what and who is a
// member of what.
func vaultState(t testing.TB, f *fixture, docs []string) string {
	t.Helper()
	var out bytes.Buffer
	cols, err := f.v.ListCollections(f.admin.caller())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		fmt.Fprintf(&out, "collection %s %q members %v custodians %v\n", c.ID, c.Name, c.Members, c.Custodians)
	}
	for _, id := range docs {
		d, err := f.v.GetDocument(f.admin.caller(), id)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "document %s holders %v\n", id, d.SlotHolders)
		for _, u := range []testUser{f.admin, f.r1, f.r2, f.lawyer, f.r3} {
			slot, err := f.v.KeySlot(u.caller(), id)
			fmt.Fprintf(&out, "  slot of %s: %d bytes, %v\n", u.id, len(slot), err)
		}
	}
	rep, err := f.v.CheckConsent(f.admin.caller())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "check: %d documents, %v\n", rep.Documents, rep.Violations)
	return out.String()
}

// TestMigrateClearHolders opens a vault written in layout 1 (key slots
// under user ids, collections in clear): Open migrates it once, in one
// transaction with its audit event, and the vault answers exactly as
// before.
func TestMigrateClearHolders(t *testing.T) {
	f := newFixture(t)
	var docs []string
	for i := range 3 {
		doc, _ := f.deposit(t, f.r1, sampleMeta(), fmt.Appendf(nil, "content %d", i), nil)
		docs = append(docs, doc.ID)
	}
	grantTo(t, f, docs[0], f.r1, f.lawyer)
	grantTo(t, f, docs[1], f.r1, f.r2)
	if _, err := f.v.UpdateCollection(f.admin.caller(), "kirkuk-2018", CollectionUpdate{AddCustodians: []string{f.r2.id}}); err != nil {
		t.Fatal(err)
	}
	before := vaultState(t, f, docs)

	toLayout1(t, f.v)
	size := f.logSize(t)
	if err := f.v.Close(); err != nil {
		t.Fatal(err)
	}
	// The file is in the old layout.
	raw := rawBuckets(t, f.dir)
	if !slices.Contains(raw["slots/"+docs[0]], f.lawyer.id) || !json.Valid([]byte(raw["collections:kirkuk-2018"][0])) {
		t.Fatalf("not layout 1: %v", raw)
	}

	v, err := Open(f.dir, testPassphrase, testOptions(f.clock))
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	if after := vaultState(t, f, docs); after != before {
		t.Fatalf("after migration the vault answers\n%s\nbefore\n%s", after, before)
	}
	// One vault.migrate event, first after the old log.
	evs := f.eventsFrom(t, size)
	if len(evs) == 0 || evs[0].Action != "vault.migrate" || evs[0].Detail["slots"] != "8" || evs[0].Detail["collections"] != "2" {
		t.Fatalf("first event after opening: %+v", *evs[0])
	}
	// Then the step to layout 3, which names every document's ciphertext.
	if len(evs) < 2 || evs[1].Action != "vault.migrate" || evs[1].Detail["to"] != "3" || evs[1].Detail["documents"] != fmt.Sprint(len(docs)) {
		t.Fatalf("second event after opening: %+v", evs[1:])
	}
	migrated := f.logSize(t)
	// The file is in the new layout: slot keys are keyed hashes, the
	// collection records sealed.
	if err := f.v.Close(); err != nil {
		t.Fatal(err)
	}
	raw = rawBuckets(t, f.dir)
	for _, id := range docs {
		for _, k := range raw["slots/"+id] {
			if len(k) != 32 {
				t.Errorf("slot key %q of %s is not a hash", k, id)
			}
		}
	}
	if v := raw["collections:kirkuk-2018"]; len(v) != 1 || json.Valid([]byte(v[0])) {
		t.Errorf("collection record not sealed: %q", v)
	}
	// Once only: opening again migrates nothing.
	if f.v, err = Open(f.dir, testPassphrase, testOptions(f.clock)); err != nil {
		t.Fatal(err)
	}
	for _, ev := range f.eventsFrom(t, migrated) {
		if ev.Action == "vault.migrate" {
			t.Errorf("migrated twice: %+v", ev)
		}
	}
	if after := vaultState(t, f, docs); after != before {
		t.Fatalf("after reopening the vault answers\n%s\nbefore\n%s", after, before)
	}
	// And it keeps working: grants, revocations, reads.
	grantTo(t, f, docs[2], f.r1, f.lawyer)
	if got, err := f.readAs(f.lawyer, docs[2]); err != nil || string(got) != "content 2" {
		t.Fatalf("read after grant: %q, %v", got, err)
	}
	if err := f.v.Revoke(f.r1.caller(), docs[1], f.r2.id); err == nil {
		t.Fatal("revoked a custodian's slot")
	}
	if err := f.v.Revoke(f.admin.caller(), docs[0], f.lawyer.id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.KeySlot(f.lawyer.caller(), docs[0]); err == nil {
		t.Fatal("revoked slot still served")
	}
}

// rawBuckets reads the closed vault file as someone without the passphrase
// would: "slots/<doc>" lists the keys of a document's key slots,
// "collections:<id>" the stored collection record.
func rawBuckets(t testing.TB, dir string) map[string][]string {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(dir, DBFile), 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]string{}
	err = db.View(func(tx *bbolt.Tx) error {
		tx.Bucket(bucketSlots).ForEach(func(doc, _ []byte) error {
			return tx.Bucket(bucketSlots).Bucket(doc).ForEach(func(k, _ []byte) error {
				out["slots/"+string(doc)] = append(out["slots/"+string(doc)], string(k))
				return nil
			})
		})
		return tx.Bucket(bucketCollections).ForEach(func(k, v []byte) error {
			out["collections:"+string(k)] = []string{string(v)}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
