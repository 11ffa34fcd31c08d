package vault

import (
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/vault/audit"
)

// Violation is a key slot that the consent rule forbids: held, for an
// active document, by a user whose role the document's consent does not
// cover. Only a vault written before the rule holds such slots (Policy); the fix is
// to revoke the slot and rekey the document (revoke --rekey), or to shred
// the document.
type Violation struct {
	Doc        string   `json:"doc"`
	Collection string   `json:"collection"`
	User       string   `json:"user"` // "" for a slot stored for no user of the vault
	Role       string   `json:"role"` // "" for a user the vault does not know
	As         string   `json:"as"`   // how the user came to hold it: depositor, custodian or holder
	Scopes     []string `json:"scopes"`
}

// How a violating slot's holder stands to the document.
const (
	AsDepositor = "depositor"
	AsCustodian = "custodian"
	AsHolder    = "holder" // a grant, or an extra slot at deposit
)

// ConsentReport is the result of CheckConsent.
type ConsentReport struct {
	Documents  int         `json:"documents"` // active documents checked
	Violations []Violation `json:"violations"`
}

// CheckConsent reports every key slot of an active document held by a
// user whose role the document's consent does not cover (admins only), as
// the record lists its holders and as the slots themselves are stored. It
// changes nothing.
func (v *Vault) CheckConsent(c Caller) (*ConsentReport, error) {
	var out ConsentReport
	err := v.update(c, "vault.check", func(tx *bbolt.Tx, ev *audit.Event) error {
		out = ConsentReport{Violations: []Violation{}}
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		users := map[string]*User{}
		userOf := func(id string) *User {
			u, ok := users[id]
			if !ok {
				u, _ = getUser(tx, id)
				users[id] = u
			}
			return u
		}
		cols := map[string]*Collection{}
		err := tx.Bucket(bucketDocs).ForEach(func(k, _ []byte) error {
			d, err := v.getDoc(tx, string(k))
			if err != nil {
				return fmt.Errorf("vault: document %s: %w", k, err)
			}
			if d.State != DocActive {
				return nil
			}
			out.Documents++
			col, ok := cols[d.Collection]
			if !ok {
				col, _ = v.getCollection(tx, d.Collection)
				cols[d.Collection] = col
			}
			stored, unknown := v.slotHolders(tx, d.ID, d.SlotHolders)
			holders := slices.Concat(d.SlotHolders, stored)
			for range unknown { // a slot whose holder is no user of the vault
				out.Violations = append(out.Violations, Violation{
					Doc: d.ID, Collection: d.Collection, As: AsHolder, Scopes: slices.Clone(d.Consent.Scopes),
				})
			}
			slices.Sort(holders)
			for _, id := range slices.Compact(holders) {
				role := ""
				if u := userOf(id); u != nil {
					role = u.Role
				}
				if mayHold(role, d.Consent) {
					continue
				}
				as := AsHolder
				switch {
				case id == d.Depositor:
					as = AsDepositor
				case col != nil && slices.Contains(col.Custodians, id):
					as = AsCustodian
				}
				out.Violations = append(out.Violations, Violation{
					Doc: d.ID, Collection: d.Collection, User: id, Role: role, As: as, Scopes: slices.Clone(d.Consent.Scopes),
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		ev.Detail = map[string]string{"documents": fmt.Sprint(out.Documents), "violations": fmt.Sprint(len(out.Violations))}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
