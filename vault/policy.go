package vault

import (
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/bbolt"
)

// Policy is who may do what in the vault, as one table. Authorize and
// AuthorizeRole read it, and every permission the vault checks comes from
// it: no permission is decided anywhere else, in the vault or over HTTP.
//
// An action is named as in the audit log. A row gives, for an action and the
// caller's relation to its object, the decision for each role:
//
//   - allow: the action goes ahead;
//   - deny: ErrForbidden (HTTP 403): the caller may know the object exists
//     but may not do this;
//   - hide: ErrNotFound (HTTP 404): the caller may not know the object
//     exists, so the answer is the one for an id that was never issued.
//
// The relations, from the caller's point of view:
//
//   - none: not a member of the object's collection, not the user itself; the
//     only relation of actions on no particular object (creating a user,
//     reading the audit log), which the role alone decides;
//   - member: a member or custodian of the collection, without a key slot for
//     the document; for a user, someone who shares a collection with it;
//   - self: the user is the caller; for a revocation, the key slot is the
//     caller's own;
//   - former: holds a key slot for the document but has left its collection;
//   - holder: a member holding a key slot that the document's consent covers
//     for its role, granted to it (neither depositor nor custodian);
//   - uncovered: a member holding a key slot that the consent does not cover
//     for its role, whoever it is (a vault written before this rule held
//     such slots for custodians and depositors);
//   - depositor: deposited the document, is a member and holds its slot,
//     covered by the consent;
//   - custodian: a custodian of the document's collection holding its slot,
//     covered by the consent;
//   - shredded: the document was shredded: only its audit trail remains.
//
// A relation takes the first of these that applies: shredded; none or former
// for a non-member; member without a slot; for a holder the consent does
// not cover, self (revoking its own slot) or uncovered; depositor;
// custodian; self; then holder. Consent decides coverage: admins may hold a
// key slot whatever the consent, researchers if it covers research,
// lawyers if it covers legal_proceedings, auditors never. Nobody holds a
// slot the consent does not cover, whether by deposit, custody, grant or
// rekey: the vault refuses such slots (ConsentError), and CheckConsent
// reports those that a vault written before this rule still holds.
//
// The keepers of a document, who may rekey it (replace its ciphertext), are
// its depositor and the custodians of its collection, and admins holding a
// slot; a grantee may read and grant, never replace the evidence.
//
// An access request (document.request) is made by a member without a key
// slot whose role the consent covers: one who could be granted. Only the
// keepers see a document's pending requests (document.requests); to anyone
// else the requests of a document are not found, as for a document that
// does not exist.
//
// A relation an action does not list is denied. Where a role has one
// decision for every relation an action lists, the role alone decides,
// before the object is looked up: a lawyer depositing into a collection
// that does not exist is refused as one depositing into one that does, and
// an auditor asking for any document's key slot is told it does not exist.
// Otherwise an object that does not exist is not found, whoever asks.
//
// Step-up (a TOTP code less than five minutes old to manage users, create
// or change a collection, grant, revoke, shred, rekey, check the vault or
// take a backup) is not in the table: the HTTP layer asks for it by
// endpoint, whatever the role.
const Policy = `
action                 relation   admin  researcher  lawyer  auditor

user.create            none       allow  deny        deny    deny
user.list              none       allow  deny        deny    deny
user.update            none       allow  deny        deny    deny
user.read              self       allow  allow       allow   allow
user.read              none       allow  deny        deny    deny
user.recipient         member     allow  allow       allow   allow
user.recipient         none       allow  hide        hide    hide
user.keys              none       allow  allow       allow   allow

collection.create      none       allow  deny        deny    deny
collection.update      none       allow  deny        deny    deny
collection.list        member     allow  allow       allow   allow
collection.list        none       allow  hide        hide    hide
collection.recipients  member     allow  allow       allow   allow
collection.recipients  none       allow  hide        hide    hide

search                 member     allow  allow       allow   deny
search                 none       allow  hide        hide    deny
stats                  member     allow  allow       allow   deny
stats                  none       allow  hide        hide    deny

document.deposit       member     deny   allow       deny    deny
document.deposit       none       deny   hide        deny    deny

upload.create          none       allow  allow       allow   deny

document.read          none       allow  hide        hide    hide
document.read          former     allow  hide        hide    hide
document.read          member     allow  allow       allow   hide
document.read          holder     allow  allow       allow   hide
document.read          uncovered  allow  allow       allow   hide
document.read          depositor  allow  allow       allow   hide
document.read          custodian  allow  allow       allow   hide
document.read          shredded   hide   hide        hide    hide

document.manifest      none       allow  hide        hide    hide
document.manifest      former     allow  hide        hide    hide
document.manifest      member     allow  allow       allow   hide
document.manifest      holder     allow  allow       allow   hide
document.manifest      uncovered  allow  allow       allow   hide
document.manifest      depositor  allow  allow       allow   hide
document.manifest      custodian  allow  allow       allow   hide
document.manifest      shredded   hide   hide        hide    hide

document.keyslot       none       deny   hide        hide    hide
document.keyslot       former     allow  hide        hide    hide
document.keyslot       member     deny   deny        deny    hide
document.keyslot       holder     allow  allow       allow   hide
document.keyslot       uncovered  deny   deny        deny    hide
document.keyslot       depositor  allow  allow       allow   hide
document.keyslot       custodian  allow  allow       allow   hide
document.keyslot       shredded   hide   hide        hide    hide

document.download      none       deny   hide        hide    hide
document.download      former     allow  hide        hide    hide
document.download      member     deny   deny        deny    hide
document.download      holder     allow  allow       allow   hide
document.download      uncovered  deny   deny        deny    hide
document.download      depositor  allow  allow       allow   hide
document.download      custodian  allow  allow       allow   hide
document.download      shredded   hide   hide        hide    hide

document.private       none       deny   hide        hide    hide
document.private       former     allow  hide        hide    hide
document.private       member     deny   deny        deny    hide
document.private       holder     allow  allow       allow   hide
document.private       uncovered  deny   deny        deny    hide
document.private       depositor  allow  allow       allow   hide
document.private       custodian  allow  allow       allow   hide
document.private       shredded   hide   hide        hide    hide

document.custody       none       allow  hide        hide    allow
document.custody       former     allow  hide        hide    allow
document.custody       member     allow  deny        deny    allow
document.custody       holder     allow  allow       allow   allow
document.custody       uncovered  allow  deny        deny    allow
document.custody       depositor  allow  allow       allow   allow
document.custody       custodian  allow  allow       allow   allow
document.custody       shredded   allow  hide        hide    allow

document.grant         none       deny   hide        hide    hide
document.grant         former     allow  hide        hide    hide
document.grant         member     deny   deny        deny    hide
document.grant         holder     allow  allow       allow   hide
document.grant         uncovered  deny   deny        deny    hide
document.grant         depositor  allow  allow       allow   hide
document.grant         custodian  allow  allow       allow   hide
document.grant         shredded   hide   hide        hide    hide

document.revoke        none       allow  hide        hide    hide
document.revoke        former     allow  hide        hide    hide
document.revoke        member     allow  deny        deny    hide
document.revoke        holder     allow  deny        deny    hide
document.revoke        uncovered  allow  deny        deny    hide
document.revoke        self       allow  allow       allow   hide
document.revoke        depositor  allow  allow       allow   hide
document.revoke        custodian  allow  allow       allow   hide
document.revoke        shredded   hide   hide        hide    hide

document.shred         none       allow  hide        hide    hide
document.shred         former     allow  hide        hide    hide
document.shred         member     allow  deny        deny    hide
document.shred         holder     allow  deny        deny    hide
document.shred         uncovered  allow  deny        deny    hide
document.shred         depositor  allow  deny        deny    hide
document.shred         custodian  allow  deny        deny    hide
document.shred         shredded   hide   hide        hide    hide

document.rekey         none       deny   hide        hide    hide
document.rekey         former     allow  hide        hide    hide
document.rekey         member     deny   deny        deny    hide
document.rekey         holder     allow  deny        deny    hide
document.rekey         uncovered  deny   deny        deny    hide
document.rekey         depositor  allow  allow       allow   hide
document.rekey         custodian  allow  allow       allow   hide
document.rekey         shredded   hide   hide        hide    hide

document.request       none       deny   hide        hide    hide
document.request       former     deny   hide        hide    hide
document.request       member     allow  allow       allow   hide
document.request       holder     deny   deny        deny    hide
document.request       uncovered  deny   deny        deny    hide
document.request       depositor  deny   deny        deny    hide
document.request       custodian  deny   deny        deny    hide
document.request       shredded   hide   hide        hide    hide

document.requests      none       hide   hide        hide    hide
document.requests      former     allow  hide        hide    hide
document.requests      member     hide   hide        hide    hide
document.requests      holder     allow  hide        hide    hide
document.requests      uncovered  hide   hide        hide    hide
document.requests      depositor  allow  allow       allow   hide
document.requests      custodian  allow  allow       allow   hide
document.requests      shredded   hide   hide        hide    hide

audit.read             none       allow  deny        deny    allow
audit.checkpoint       none       allow  deny        deny    allow
audit.proof            none       allow  deny        deny    allow
audit.hmac             none       allow  deny        deny    deny
vault.backup           none       allow  deny        deny    deny
vault.check            none       allow  deny        deny    deny
`

// Relation is how a caller stands to the object of an action; Policy
// describes each.
type Relation string

// Relations, in the order in which a document's are tried (an uncovered
// caller revoking its own slot is self).
const (
	RelShredded  Relation = "shredded"
	RelNone      Relation = "none"
	RelFormer    Relation = "former"
	RelMember    Relation = "member"
	RelDepositor Relation = "depositor"
	RelCustodian Relation = "custodian"
	RelSelf      Relation = "self"
	RelUncovered Relation = "uncovered"
	RelHolder    Relation = "holder"
)

var relations = []Relation{RelShredded, RelNone, RelFormer, RelMember, RelUncovered, RelDepositor, RelCustodian, RelSelf, RelHolder}

// slotScopes is the consent scope under which each role may hold a key
// slot granted to it; "" is any consent. Auditors hold no key slot.
var slotScopes = map[string]string{
	RoleAdmin:      "",
	RoleResearcher: ScopeResearch,
	RoleLawyer:     ScopeLegalProceedings,
}

// mayHoldSlots reports whether users of role may hold key slots at all.
func mayHoldSlots(role string) bool {
	_, ok := slotScopes[role]
	return ok
}

// mayHold reports whether a user of role may hold a key slot for a
// document with this consent: by deposit, custody, grant or rekey alike.
func mayHold(role string, consent Consent) bool {
	scope, ok := slotScopes[role]
	return ok && (scope == "" || consent.Covers(scope))
}

type policyKey struct {
	action string
	rel    Relation
	role   string
}

// policyTable is Policy parsed: a decision (nil, ErrForbidden or
// ErrNotFound) for each row and role; policyRelations lists the relations
// of each action, in table order.
var policyTable, policyRelations = parsePolicy(Policy)

// parsePolicy reads the table. The table is part of the program, not
// input: a malformed table stops the program from starting.
func parsePolicy(text string) (map[policyKey]error, map[string][]Relation) {
	decisions := map[string]error{"allow": nil, "deny": ErrForbidden, "hide": ErrNotFound}
	table := map[policyKey]error{}
	rels := map[string][]Relation{}
	var header []string
	for i, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if header == nil {
			header = f
			if len(f) != 2+len(roles) || f[0] != "action" || f[1] != "relation" || !slices.Equal(f[2:], roles) {
				panic(fmt.Sprintf("vault: policy line %d: header must be action, relation and the roles %v", i, roles))
			}
			continue
		}
		if len(f) != len(header) {
			panic(fmt.Sprintf("vault: policy line %d: %d fields, want %d", i, len(f), len(header)))
		}
		action, rel := f[0], Relation(f[1])
		if !slices.Contains(relations, rel) || slices.Contains(rels[action], rel) {
			panic(fmt.Sprintf("vault: policy line %d: unknown or repeated relation %q", i, rel))
		}
		rels[action] = append(rels[action], rel)
		for j, word := range f[2:] {
			d, ok := decisions[word]
			if !ok {
				panic(fmt.Sprintf("vault: policy line %d: unknown decision %q", i, word))
			}
			table[policyKey{action, rel, header[2+j]}] = d
		}
	}
	return table, rels
}

// Authorize decides, from Policy, whether a user of role may perform action
// on an object to which it stands in relation rel: nil if it may,
// ErrForbidden or ErrNotFound if not. Anything the table does not list is
// ErrForbidden.
func Authorize(role, action string, rel Relation) error {
	d, ok := policyTable[policyKey{action, rel, role}]
	if !ok {
		return ErrForbidden
	}
	return d
}

// AuthorizeRole decides what the role alone decides, before the object of
// action is looked up. If Policy gives role one decision for every relation
// action lists, decided is true and err is that decision; otherwise the
// relation decides, and decided is false.
func AuthorizeRole(role, action string) (decided bool, err error) {
	rels := policyRelations[action]
	if len(rels) == 0 {
		return true, ErrForbidden
	}
	first := Authorize(role, action, rels[0])
	for _, rel := range rels[1:] {
		if Authorize(role, action, rel) != first {
			return false, nil
		}
	}
	return true, first
}

// may decides whether the caller, an active user, may perform action, an
// action on no particular object.
func (v *Vault) may(tx *bbolt.Tx, c Caller, action string) error {
	u, err := v.activeUser(tx, c.User)
	if err != nil {
		return err
	}
	return Authorize(u.Role, action, RelNone)
}

// collectionRelation is u's relation to col.
func collectionRelation(u *User, col *Collection) Relation {
	if col.HasMember(u.ID) {
		return RelMember
	}
	return RelNone
}

// collectionFor loads collection id for action by u: refused from the role
// alone, not found, or decided by u's relation to it.
func (v *Vault) collectionFor(tx *bbolt.Tx, u *User, action, id string) (*Collection, error) {
	decided, err := AuthorizeRole(u.Role, action)
	if err != nil {
		return nil, err
	}
	col, err := v.getCollection(tx, id)
	if err != nil {
		return nil, err
	}
	if !decided {
		if err := Authorize(u.Role, action, collectionRelation(u, col)); err != nil {
			return nil, err
		}
	}
	return col, nil
}

// listFilter returns which collections a listing for action (collections,
// search, statistics) shows u: all of them when the role alone allows it,
// an error when the role alone refuses it, and otherwise those to which u's
// relation is allowed.
func listFilter(u *User, action string) (func(*Collection) bool, error) {
	decided, err := AuthorizeRole(u.Role, action)
	if err != nil {
		return nil, err
	}
	return func(col *Collection) bool {
		return decided || Authorize(u.Role, action, collectionRelation(u, col)) == nil
	}, nil
}

// relation is the relation of a.user to a.doc; target is the user whose
// key slot a revocation removes, and "" for every other action.
func (a *docAccess) relation(target string) Relation {
	u, d := a.user, a.doc
	switch {
	case d.State != DocActive:
		return RelShredded
	case !a.col.HasMember(u.ID) && d.HoldsSlot(u.ID):
		return RelFormer
	case !a.col.HasMember(u.ID):
		return RelNone
	case !d.HoldsSlot(u.ID):
		return RelMember
	case !mayHold(u.Role, d.Consent) && target == u.ID:
		return RelSelf
	case !mayHold(u.Role, d.Consent):
		return RelUncovered
	case u.ID == d.Depositor:
		return RelDepositor
	case slices.Contains(a.col.Custodians, u.ID):
		return RelCustodian
	case target == u.ID:
		return RelSelf
	}
	return RelHolder
}

// access loads document id for action by the caller and decides it: from
// the caller's role alone where Policy lets it, from its relation to the
// document otherwise. A document that does not exist is ErrNotFound unless
// the role alone refuses the action. target is as for relation. With
// ErrForbidden from the relation, the document is returned too: the caller
// may know it exists.
func (v *Vault) access(tx *bbolt.Tx, c Caller, action, id, target string) (*docAccess, error) {
	u, err := v.activeUser(tx, c.User)
	if err != nil {
		return nil, err
	}
	decided, err := AuthorizeRole(u.Role, action)
	if err != nil {
		return nil, err
	}
	d, err := v.getDoc(tx, id)
	if err != nil {
		return nil, ErrNotFound
	}
	col, err := v.getCollection(tx, d.Collection)
	if err != nil {
		return nil, ErrNotFound
	}
	a := &docAccess{user: u, col: col, doc: d}
	if !decided {
		switch err := Authorize(u.Role, action, a.relation(target)); err {
		case nil:
		case ErrForbidden:
			return a, err
		default:
			return nil, err
		}
	}
	return a, nil
}
