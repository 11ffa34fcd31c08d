package vault

import (
	"encoding/json"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/vault/audit"
)

// Collections are stored like documents: the record (name, members,
// custodians) sealed under the server key and bound to the collection id,
// which is the bucket key. Collection ids name case files (kirkuk-2018),
// not people.

func (v *Vault) putCollection(tx *bbolt.Tx, col *Collection) error {
	data, err := json.Marshal(col)
	if err != nil {
		return err
	}
	sealed, err := v.keys.seal(data, "collection:"+col.ID)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketCollections).Put([]byte(col.ID), sealed)
}

func (v *Vault) getCollection(tx *bbolt.Tx, id string) (*Collection, error) {
	sealed := tx.Bucket(bucketCollections).Get([]byte(id))
	if sealed == nil {
		return nil, ErrNotFound
	}
	return v.openCollection(id, sealed)
}

func (v *Vault) openCollection(id string, sealed []byte) (*Collection, error) {
	data, err := v.keys.open(sealed, "collection:"+id)
	if err != nil {
		return nil, fmt.Errorf("vault: collection %s: %w", id, err)
	}
	var col Collection
	if err := json.Unmarshal(data, &col); err != nil {
		return nil, err
	}
	return &col, nil
}

// eachCollection calls fn with every collection, in id order.
func (v *Vault) eachCollection(tx *bbolt.Tx, fn func(*Collection) error) error {
	return tx.Bucket(bucketCollections).ForEach(func(k, sealed []byte) error {
		col, err := v.openCollection(string(k), sealed)
		if err != nil {
			return err
		}
		return fn(col)
	})
}

// checkPeople verifies that every id names an existing user; custodians
// must also be able to hold key slots (auditors never do).
func checkPeople(tx *bbolt.Tx, field string, ids []string, custodians bool) ([]string, error) {
	if len(ids) > MaxMembers {
		return nil, invalid(field, "more than %d users", MaxMembers)
	}
	for _, id := range ids {
		u, err := getUser(tx, id)
		if err != nil {
			return nil, invalid(field, "unknown user %q", id)
		}
		if custodians && !mayHoldSlots(u.Role) {
			return nil, invalid(field, "auditor %q cannot be a custodian", id)
		}
	}
	out := append([]string{}, ids...)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// CreateCollection creates a collection (admins only). With no custodians,
// the creating admin is the custodian.
func (v *Vault) CreateCollection(c Caller, col Collection) (*Collection, error) {
	var out Collection
	err := v.update(c, "collection.create", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Collection = col.ID
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		if err := checkID("id", col.ID); err != nil {
			return err
		}
		if col.Name == "" {
			col.Name = col.ID
		}
		if err := checkText("name", col.Name, MaxName, true, false); err != nil {
			return err
		}
		if tx.Bucket(bucketCollections).Get([]byte(col.ID)) != nil {
			return ErrExists
		}
		custodians := col.Custodians
		if len(custodians) == 0 {
			custodians = []string{c.User}
		}
		n := Collection{ID: col.ID, Name: col.Name, CreatedAt: v.opts.Now().UTC(), CreatedBy: c.User}
		var err error
		if n.Custodians, err = checkPeople(tx, "custodians", custodians, true); err != nil {
			return err
		}
		if n.Members, err = checkPeople(tx, "members", col.Members, false); err != nil {
			return err
		}
		if err := v.putCollection(tx, &n); err != nil {
			return err
		}
		out = n
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CollectionUpdate adds and removes members and custodians.
type CollectionUpdate struct {
	AddMembers, RemoveMembers       []string
	AddCustodians, RemoveCustodians []string
}

// UpdateCollection changes membership (admins only). A collection keeps at
// least one custodian. Removing someone does not remove key slots they
// already hold, but they lose access with their membership.
func (v *Vault) UpdateCollection(c Caller, id string, up CollectionUpdate) (*Collection, error) {
	var out Collection
	err := v.update(c, "collection.update", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Collection = id
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		col, err := v.getCollection(tx, id)
		if err != nil {
			return err
		}
		add, err := checkPeople(tx, "members", up.AddMembers, false)
		if err != nil {
			return err
		}
		addC, err := checkPeople(tx, "custodians", up.AddCustodians, true)
		if err != nil {
			return err
		}
		col.Members = setOp(col.Members, add, up.RemoveMembers)
		col.Custodians = setOp(col.Custodians, addC, up.RemoveCustodians)
		if len(col.Custodians) == 0 {
			return &InvalidError{Field: "custodians", Reason: "a collection needs at least one custodian"}
		}
		if err := v.putCollection(tx, col); err != nil {
			return err
		}
		out = *col
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func setOp(set, add, remove []string) []string {
	out := slices.Concat(set, add)
	out = slices.DeleteFunc(out, func(s string) bool { return slices.Contains(remove, s) })
	slices.Sort(out)
	return slices.Compact(out)
}

// ListCollections returns the collections the caller may see.
func (v *Vault) ListCollections(c Caller) ([]Collection, error) {
	var out []Collection
	err := v.update(c, "collection.list", func(tx *bbolt.Tx, ev *audit.Event) error {
		out = out[:0]
		u, err := v.activeUser(tx, c.User)
		if err != nil {
			return err
		}
		shows, err := listFilter(u, ev.Action)
		if err != nil {
			return err
		}
		return v.eachCollection(tx, func(col *Collection) error {
			if shows(col) {
				out = append(out, *col)
			}
			return nil
		})
	})
	return out, err
}

// CollectionRecipients returns the age recipients a depositor must seal a
// new document to, by user id: the caller's own and every active
// custodian's. Given the scopes of the deposit's consent, it returns only
// those whose role the consent covers, which are exactly the key slots
// the deposit must carry: the vault refuses a slot for anyone else. (A
// scope the vault does not know covers nobody; the deposit refuses it.)
// Without scopes it returns all of them, as a client that predates the
// consent rule asks.
func (v *Vault) CollectionRecipients(c Caller, id string, consentScopes ...string) (map[string]string, error) {
	out := map[string]string{}
	err := v.update(c, "collection.recipients", func(tx *bbolt.Tx, ev *audit.Event) error {
		clear(out)
		ev.Collection = id
		u, err := v.activeUser(tx, c.User)
		if err != nil {
			return err
		}
		col, err := v.collectionFor(tx, u, ev.Action, id)
		if err != nil {
			return err
		}
		if consentScopes != nil {
			for _, hid := range requiredHolders(tx, u, col, Consent{Scopes: consentScopes}) {
				if hu, err := getUser(tx, hid); err == nil {
					out[hid] = hu.Recipient
				}
			}
			return nil
		}
		for _, cid := range append([]string{u.ID}, col.Custodians...) {
			cu, err := getUser(tx, cid)
			if err != nil || cu.State == StateDisabled {
				continue
			}
			out[cid] = cu.Recipient
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UserRecipient returns the age recipient of a fellow member of one of the
// caller's collections, so the caller can wrap a key slot for a grant.
func (v *Vault) UserRecipient(c Caller, id string) (string, error) {
	r, _, err := v.UserKeys(c, id)
	return r, err
}

// UserKeys returns the public keys of a fellow member of one of the
// caller's collections: its age recipient, and its signing key ("" when
// none is registered), which checks the manifests of its deposits.
func (v *Vault) UserKeys(c Caller, id string) (recipient, signingKey string, err error) {
	err = v.update(c, "user.recipient", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Target = id
		me, err := v.activeUser(tx, c.User)
		if err != nil {
			return err
		}
		u, err := getUser(tx, id)
		if err != nil {
			return ErrNotFound
		}
		rel := RelNone
		if v.shareCollection(tx, me.ID, u.ID) {
			rel = RelMember
		}
		if err := Authorize(me.Role, ev.Action, rel); err != nil {
			return err
		}
		recipient, signingKey = u.Recipient, u.SigningKey
		return nil
	})
	return recipient, signingKey, err
}

func (v *Vault) shareCollection(tx *bbolt.Tx, a, b string) bool {
	found := false
	v.eachCollection(tx, func(col *Collection) error {
		if col.HasMember(a) && col.HasMember(b) {
			found = true
		}
		return nil
	})
	return found
}
