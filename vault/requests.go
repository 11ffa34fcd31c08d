package vault

import (
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/vault/audit"
)

// An access request asks the keepers of a document (its depositor, the
// custodians of its collection, admins holding a slot) for a key slot. It
// carries no free text: a reason typed into a box is where a survivor's
// name or a place would end up, outside the encrypted private metadata.
// Whoever asks and why is settled between people; the vault records only
// who asked, for which document and when.
//
// A request is kept in the document's sealed record, so a seized file does
// not show who asked for what, and is recorded in the audit log as
// document.request with the requester as its target. It is pending while
// the requester is an active member of the collection, holds no slot and
// is covered by the consent; a grant to the requester removes it, and a
// shred removes the document's requests with everything else.
//
// A keeper may decline a request. The declined request stays in the record
// for DeclineHold: it is no longer listed to the keepers, the requester
// sees that it was declined and when, and asking again before the hold
// ends is refused (DeclinedError), so that a decision is not worn down by
// asking again and again, nor by leaving the collection and coming back. A
// keeper may still grant at any time, which ends it. Declines that stand
// count towards MaxRequests.

// MaxRequests bounds the pending requests of one document; asking again
// for a document one has asked for adds nothing.
const MaxRequests = 200

// DeclineHold is how long a declined request stands: until it ends, the
// requester may not ask again for the same document.
const DeclineHold = 30 * 24 * time.Hour

// requestRecord is a request as stored in a document's record.
type requestRecord struct {
	User string    `json:"user"`
	Time time.Time `json:"time"`
	// Declined is when a keeper declined the request; zero while it is
	// pending.
	Declined time.Time `json:"declined,omitzero"`
}

// AccessRequest is a request for a key slot: pending, or declined and
// standing until AskAgainAt.
type AccessRequest struct {
	Document    string    `json:"document"`
	Collection  string    `json:"collection"`
	User        string    `json:"user"`
	Role        string    `json:"role"`
	RequestedAt time.Time `json:"requested_at"`
	// DeclinedAt and AskAgainAt are set for a declined request: when a
	// keeper declined it, and when its requester may ask again.
	DeclinedAt *time.Time `json:"declined_at,omitempty"`
	AskAgainAt *time.Time `json:"ask_again_at,omitempty"`
}

// DeclinedError is returned to a requester who asks again for a document
// before the hold of a declined request ends.
type DeclinedError struct {
	DeclinedAt, AskAgainAt time.Time
}

func (e *DeclinedError) Error() string {
	return fmt.Sprintf("vault: your request was declined on %s; you may ask again from %s",
		e.DeclinedAt.UTC().Format(time.RFC3339), e.AskAgainAt.UTC().Format(time.RFC3339))
}

// stands reports whether r, declined, still holds off a new request at now.
func (r requestRecord) stands(now time.Time) bool {
	return !r.Declined.IsZero() && now.Before(r.Declined.Add(DeclineHold))
}

// dropRequest removes user's request, if any.
func (d *docRecord) dropRequest(user string) {
	d.Requests = slices.DeleteFunc(d.Requests, func(r requestRecord) bool { return r.User == user })
}

// Request records the caller's request for a key slot for document id. The
// caller must be a member of the document's collection without a slot, of
// a role the consent covers (Policy, document.request); a caller who holds
// a slot is refused (ErrForbidden). Asking again returns the first
// request, unchanged, and created false; asking again while a decline
// stands is refused with a *DeclinedError, and after it a new request is
// made.
func (v *Vault) Request(c Caller, id string) (req *AccessRequest, created bool, err error) {
	err = v.update(c, "document.request", func(tx *bbolt.Tx, ev *audit.Event) error {
		created = false
		ev.Doc, ev.Target = id, c.User
		a, err := v.access(tx, c, ev.Action, id, "")
		if a != nil {
			ev.Collection = a.doc.Collection
		}
		if err != nil {
			return err
		}
		u := a.user
		if !mayHold(u.Role, a.doc.Consent) {
			return &ConsentError{Field: "user", User: u.ID, Role: u.Role}
		}
		req = &AccessRequest{Document: id, Collection: a.doc.Collection, User: u.ID, Role: u.Role}
		if i := slices.IndexFunc(a.doc.Requests, func(r requestRecord) bool { return r.User == u.ID }); i >= 0 {
			r := a.doc.Requests[i]
			if r.stands(ev.Time) {
				ev.Detail = map[string]string{"declined": r.Declined.UTC().Format(time.RFC3339)}
				return &DeclinedError{DeclinedAt: r.Declined, AskAgainAt: r.Declined.Add(DeclineHold)}
			}
			if r.Declined.IsZero() {
				req.RequestedAt = r.Time
				ev.Detail = map[string]string{"repeat": "true"}
				return nil
			}
		}
		// Requests that are no longer pending, and declines that no longer
		// stand, make room first.
		a.doc.Requests = slices.DeleteFunc(a.doc.Requests, func(r requestRecord) bool {
			if r.stands(ev.Time) {
				return false
			}
			return !r.Declined.IsZero() || !v.pending(tx, a, r.User)
		})
		if len(a.doc.Requests) >= MaxRequests {
			return ErrTooLarge
		}
		req.RequestedAt = ev.Time
		created = true
		a.doc.Requests = append(a.doc.Requests, requestRecord{User: u.ID, Time: ev.Time})
		return v.putDoc(tx, a.doc)
	})
	if err != nil {
		return nil, false, err
	}
	return req, created, nil
}

// pending reports whether user's request for a.doc still stands: user is an
// active member of the collection, holds no slot, and may hold one.
func (v *Vault) pending(tx *bbolt.Tx, a *docAccess, user string) bool {
	u, err := getUser(tx, user)
	return err == nil && u.State == StateActive && a.col.HasMember(user) &&
		!a.doc.HoldsSlot(user) && mayHold(u.Role, a.doc.Consent)
}

// requestOut is r as its requester and the keepers see it, declined or not.
func (v *Vault) requestOut(tx *bbolt.Tx, a *docAccess, r requestRecord) AccessRequest {
	out := AccessRequest{Document: a.doc.ID, Collection: a.doc.Collection, User: r.User, RequestedAt: r.Time}
	if u, err := getUser(tx, r.User); err == nil {
		out.Role = u.Role
	}
	if !r.Declined.IsZero() {
		declined, again := r.Declined, r.Declined.Add(DeclineHold)
		out.DeclinedAt, out.AskAgainAt = &declined, &again
	}
	return out
}

// requestsOf lists the pending requests of a.doc, oldest first.
func (v *Vault) requestsOf(tx *bbolt.Tx, a *docAccess) []AccessRequest {
	var out []AccessRequest
	for _, r := range a.doc.Requests {
		if r.Declined.IsZero() && v.pending(tx, a, r.User) {
			out = append(out, v.requestOut(tx, a, r))
		}
	}
	return out
}

// Requests lists the pending requests for document id. Only its keepers see
// them (Policy, document.requests); to anyone else the answer is
// ErrNotFound, as for a document that does not exist. Listing reads no
// evidence and records no event; the requests themselves are in the audit
// log. The list is never nil.
func (v *Vault) Requests(c Caller, id string) ([]AccessRequest, error) {
	out := []AccessRequest{}
	err := v.db.View(func(tx *bbolt.Tx) error {
		if _, err := v.activeUser(tx, c.User); err != nil {
			return err
		}
		a, err := v.access(tx, c, "document.requests", id, "")
		if err != nil {
			return ErrNotFound
		}
		out = append(out, v.requestsOf(tx, a)...)
		return nil
	})
	return out, err
}

// AllRequests lists the pending requests of every document the caller
// keeps, by document id and then by time. It records no event. The list is
// never nil.
func (v *Vault) AllRequests(c Caller) ([]AccessRequest, error) {
	out := []AccessRequest{}
	err := v.db.View(func(tx *bbolt.Tx) error {
		u, err := v.activeUser(tx, c.User)
		if err != nil {
			return err
		}
		if decided, err := AuthorizeRole(u.Role, "document.requests"); decided && err != nil {
			return nil // keeps nothing
		}
		cur := tx.Bucket(bucketDocs).Cursor()
		for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
			a, err := v.access(tx, c, "document.requests", string(k), "")
			if err != nil {
				continue
			}
			out = append(out, v.requestsOf(tx, a)...)
		}
		return nil
	})
	return out, err
}

// PendingRequest returns user's request for document id: pending, or
// declined while the decline stands (DeclinedAt and AskAgainAt set). A
// user may ask for their own request of a document they may read, so that
// the page knows it asked; a keeper (Policy, document.requests) for
// anyone's. Everyone else, and a user with no such request, gets
// ErrNotFound. It reads no evidence and records no event, as Requests does.
func (v *Vault) PendingRequest(c Caller, id, user string) (*AccessRequest, error) {
	var out *AccessRequest
	err := v.db.View(func(tx *bbolt.Tx) error {
		if _, err := v.activeUser(tx, c.User); err != nil {
			return err
		}
		action := "document.requests"
		if user == c.User {
			action = "document.read"
		}
		a, err := v.access(tx, c, action, id, "")
		if err != nil {
			return ErrNotFound
		}
		i := slices.IndexFunc(a.doc.Requests, func(r requestRecord) bool { return r.User == user })
		if i < 0 {
			return ErrNotFound
		}
		r := a.doc.Requests[i]
		if r.Declined.IsZero() && !v.pending(tx, a, user) || !r.Declined.IsZero() && !r.stands(v.opts.Now()) {
			return ErrNotFound
		}
		req := v.requestOut(tx, a, r)
		out = &req
		return nil
	})
	return out, err
}

// Decline declines user's pending request for document id: the keepers
// who may see it (Policy, document.requests) may decline it; to anyone else
// the document is not found. A request that is not pending (declined
// already among them) is not found. It is recorded as document.decline,
// with the requester as its target; the requester may ask again once
// DeclineHold has passed, and a keeper may grant at any time.
func (v *Vault) Decline(c Caller, id, user string) error {
	return v.update(c, "document.decline", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc, ev.Target = id, user
		a, err := v.access(tx, c, "document.requests", id, "")
		if err != nil {
			return ErrNotFound
		}
		ev.Collection = a.doc.Collection
		i := slices.IndexFunc(a.doc.Requests, func(r requestRecord) bool { return r.User == user })
		if i < 0 || !a.doc.Requests[i].Declined.IsZero() || !v.pending(tx, a, user) {
			return ErrNotFound
		}
		a.doc.Requests[i].Declined = ev.Time
		return v.putDoc(tx, a.doc)
	})
}
