package vault

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/vault/audit"
)

// DepositRequest describes a new document, everything but its content.
// Slots maps user ids to key slots wrapped on the depositor's machine; it
// must hold one for the depositor and one for each active custodian of the
// collection whose role the consent covers (CollectionRecipients with the
// consent's scopes), may hold more for members the consent covers, and
// may hold none for anyone the consent does not cover.
type DepositRequest struct {
	// ID is the document id the client chose (and signed in its manifest):
	// 26 lower-case base32 characters. Empty: the vault makes one.
	ID         string
	Collection string
	Kind       string
	Public     PublicMeta
	Consent    Consent
	Slots      map[string][]byte
	// PublicSigned is the public metadata exactly as the depositor sent
	// and signed it (Public is its decoded, normalised form).
	PublicSigned []byte
	// Upload names a complete resumable upload of the caller's that holds
	// the ciphertext (CreateUpload). Empty: the ciphertext is written to
	// the Upload that BeginDeposit returns.
	Upload string
}

// uploadRecord marks a pending blob that is not yet part of a document.
// Whatever an uploadRecord names is deleted at the next Open. Blob is the
// pending blob's id in the blob store (in layout 2, a bucket of chunks);
// Sum, the hex SHA-256 under which the blob is about to be committed.
type uploadRecord struct {
	Blob    string    `json:"blob"`
	Sum     string    `json:"sum,omitempty"`
	Doc     string    `json:"doc"`
	Rekey   bool      `json:"rekey,omitempty"`
	Started time.Time `json:"started"`
}

// headSize is how much of the ciphertext is held to check its age header
// before any of it is stored: far more than an age header for one
// recipient takes.
const headSize = 64 << 10

// Upload streams a document's ciphertext into the blob store. Nothing of
// it is visible until Commit succeeds; Abort, a failed Commit or a crash
// leaves nothing behind (a crash's leftovers are swept at the next Open).
// The blob store hashes the bytes as they pass, once, and checks the hash
// at Commit. An Upload is not safe for concurrent use.
type Upload struct {
	v      *Vault
	c      Caller
	id     string // upload record key
	doc    string
	action string
	w      blobstore.Writer

	head    []byte // the first bytes, held until the age header is checked
	checked bool
	n       int64
	err     error
	done    bool
	stored  bool // the blob is committed to the store
	sum     blobstore.Sum

	pending *pendingDeposit // set for a deposit

	manifest, manifestSig []byte        // the deposit's signed manifest (SetManifest)
	rekeyOf               *pendingRekey // set for a rekey

	fromUpload bool   // the ciphertext is a resumable upload's, complete
	taken      func() // called once the resumable upload is consumed
}

// DocID returns the id the document will have once committed.
func (u *Upload) DocID() string { return u.doc }

// BeginDeposit checks that the caller may deposit what req describes and
// returns an Upload for its ciphertext.
func (v *Vault) BeginDeposit(c Caller, req DepositRequest) (*Upload, error) {
	docID := req.ID
	if docID == "" {
		docID = newID()
	}
	ev := v.event(c, "document.deposit")
	if !validDocID(docID) {
		ev.Collection = req.Collection
		return nil, v.recordFailure(ev, invalid("id", "a document id is 26 lower-case base32 characters"))
	}
	ev.Doc, ev.Collection = docID, req.Collection
	up, err := v.beginDeposit(c, docID, req)
	if err != nil {
		return nil, v.recordFailure(ev, err)
	}
	return up, nil
}

func (v *Vault) beginDeposit(c Caller, docID string, req DepositRequest) (*Upload, error) {
	if !validKind(req.Kind) {
		return nil, invalid("kind", "must be one of testimony, interview, case_study, report, media")
	}
	if err := req.Public.Validate(); err != nil {
		return nil, err
	}
	if err := req.Consent.Validate(); err != nil {
		return nil, err
	}
	if err := v.guard(&req.Public); err != nil {
		return nil, err
	}
	up, consume, giveBack, err := v.newUpload(c, docID, "document.deposit", req.Upload)
	if err != nil {
		return nil, err
	}
	err = v.db.Update(func(tx *bbolt.Tx) error {
		u, err := v.activeUser(tx, c.User)
		if err != nil {
			return err
		}
		col, err := v.collectionFor(tx, u, up.action, req.Collection)
		if err != nil {
			return err
		}
		if err := v.checkDepositSlots(tx, u, col, req.Consent, req.Slots); err != nil {
			return err
		}
		if err := consume(tx); err != nil {
			return err
		}
		return up.start(tx, uploadRecord{Doc: docID, Blob: up.w.ID(), Started: v.opts.Now().UTC()})
	})
	if err != nil {
		giveBack()
		return nil, err
	}
	up.consumed()
	up.pending = &pendingDeposit{req: req}
	return up, nil
}

// checkDepositSlots verifies that slots cover exactly who must hold one and
// otherwise only members, each wrapped for their key; nobody, depositor and
// custodians included, may hold a slot the consent does not cover.
func (v *Vault) checkDepositSlots(tx *bbolt.Tx, depositor *User, col *Collection, consent Consent, slots map[string][]byte) error {
	required := requiredHolders(tx, depositor, col, consent)
	if len(required) == 0 {
		return invalid("consent.scopes", "the consent covers neither the depositor nor any custodian of collection %s: nobody could read the document", col.ID)
	}
	for _, id := range required {
		if _, ok := slots[id]; !ok {
			return invalid("slots", "missing key slot for %s", id)
		}
	}
	if len(slots) > MaxMembers {
		return invalid("slots", "too many key slots")
	}
	for _, id := range slices.Sorted(maps.Keys(slots)) {
		u, err := getUser(tx, id)
		if err != nil || u.State == StateDisabled {
			return invalid("slots", "unknown or disabled user %q", id)
		}
		if !slices.Contains(required, id) && !col.HasMember(id) {
			return invalid("slots", "user %q is not a member of collection %s", id, col.ID)
		}
		if !mayHold(u.Role, consent) {
			return &ConsentError{Field: "slots", User: id, Role: u.Role}
		}
		if err := checkSlot("slots."+id, slots[id], u.Recipient); err != nil {
			return err
		}
	}
	return nil
}

// requiredHolders lists who must hold a key slot for a new deposit into
// col with this consent: the depositor and the active custodians, each if
// the consent covers its role.
func requiredHolders(tx *bbolt.Tx, depositor *User, col *Collection, consent Consent) []string {
	var required []string
	if mayHold(depositor.Role, consent) {
		required = append(required, depositor.ID)
	}
	for _, id := range col.Custodians {
		cu, err := getUser(tx, id)
		if err != nil || cu.State == StateDisabled || id == depositor.ID {
			continue
		}
		if mayHold(cu.Role, consent) {
			required = append(required, id)
		}
	}
	return required
}

// pendingDeposit is what Commit needs to create a new document.
type pendingDeposit struct {
	req DepositRequest
}

// pendingRekey is what Commit needs to replace a document's ciphertext.
type pendingRekey struct {
	slots      map[string][]byte
	generation int
	hadPrivate bool
}

// newUpload returns an Upload into a new blob or, when from is not empty,
// of the complete resumable upload from. The Upload starts in a
// transaction that must run consume; if that transaction fails, giveBack
// discards the Upload, else the caller calls up.consumed.
func (v *Vault) newUpload(c Caller, docID, action, from string) (up *Upload, consume func(*bbolt.Tx) error, giveBack func(), err error) {
	up = &Upload{v: v, c: c, id: newID(), doc: docID, action: action}
	if from != "" {
		consume, giveBack, err = v.takeUpload(up, from)
		if err != nil {
			return nil, nil, nil, err
		}
		return up, consume, giveBack, nil
	}
	up.w, err = v.blobs.Create(context.Background())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("vault: blob store: %w", err)
	}
	consume = func(*bbolt.Tx) error { return nil }
	giveBack = func() { up.w.Abort() }
	return up, consume, giveBack, nil
}

// consumed is called once the transaction that starts u committed.
func (u *Upload) consumed() {
	if u.taken != nil {
		u.taken()
		u.taken = nil
	}
}

func (u *Upload) start(tx *bbolt.Tx, rec uploadRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketUploads).Put([]byte(u.id), data)
}

// Write appends ciphertext. It fails with ErrTooLarge past the vault's
// content limit, after which the upload is aborted.
func (u *Upload) Write(p []byte) (int, error) {
	if u.err != nil {
		return 0, u.err
	}
	if u.done {
		return 0, errors.New("vault: write after commit or abort")
	}
	if u.fromUpload {
		return 0, errors.New("vault: the ciphertext is a resumable upload's")
	}
	if u.n+int64(len(p)) > u.v.opts.MaxContentSize {
		u.fail(ErrTooLarge)
		return 0, u.err
	}
	written := 0
	if !u.checked {
		k := min(len(p), headSize-len(u.head))
		u.head = append(u.head, p[:k]...)
		u.n += int64(k)
		written, p = k, p[k:]
		if len(u.head) < headSize {
			return written, nil
		}
		if err := u.checkHead(); err != nil {
			u.fail(err)
			return written, u.err
		}
	}
	if len(p) == 0 {
		return written, nil
	}
	n, err := u.w.Write(p)
	u.n += int64(n)
	written += n
	if err != nil {
		u.fail(fmt.Errorf("vault: blob store: %w", err))
		return written, u.err
	}
	return written, nil
}

// checkHead validates the age header in the bytes held and passes them on
// to the blob store.
func (u *Upload) checkHead() error {
	if err := checkDocFile("content", u.head); err != nil {
		return err
	}
	u.checked = true
	if _, err := u.w.Write(u.head); err != nil {
		return fmt.Errorf("vault: blob store: %w", err)
	}
	u.head = nil
	return nil
}

// fail aborts the upload and, the first time, records a refusal caused by
// its input (invalid content, too large, a hash mismatch) in the audit log:
// a deposit refused half-way is audited like one refused at the start.
func (u *Upload) fail(err error) {
	if u.err == nil {
		u.err = err
		if out, _ := outcome(err); out == outcomeInvalid {
			ev := u.v.event(u.c, u.action)
			ev.Doc = u.doc
			u.v.recordFailure(ev, err)
		}
	}
	u.abort()
}

// Abort discards the upload.
func (u *Upload) Abort() error {
	if u.done {
		return nil
	}
	if u.err == nil {
		u.err = errors.New("vault: upload aborted")
	}
	return u.abort()
}

func (u *Upload) abort() error {
	if u.done {
		return nil
	}
	u.done = true
	u.head = nil
	err := u.w.Abort()
	if u.stored {
		u.v.dropBlob(u.sum)
	}
	return errors.Join(err, u.v.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketUploads).Delete([]byte(u.id))
	}))
}

// finish checks the private metadata and the whole ciphertext against the
// hash its depositor declared, and commits the blob: durable, but named by
// no record yet.
func (u *Upload) finish(sum [32]byte, private []byte, needPrivate bool) error {
	if u.err != nil {
		return u.err
	}
	if u.done {
		return errors.New("vault: upload already finished")
	}
	if u.n == 0 {
		return invalid("content", "empty")
	}
	if !u.checked {
		if err := u.checkHead(); err != nil {
			return err
		}
	}
	if len(private) > MaxPrivate {
		return &InvalidError{Field: "private", Reason: "private metadata larger than 1 MiB"}
	}
	if len(private) > 0 {
		if err := checkDocFile("private", private); err != nil {
			return err
		}
	} else if needPrivate {
		return invalid("private", "the document has private metadata: re-encrypt it too")
	}
	// Say what blob is about to appear, so that if the record never
	// commits, the next Open knows the blob for a leftover.
	err := u.v.db.Update(func(tx *bbolt.Tx) error {
		ups := tx.Bucket(bucketUploads)
		var rec uploadRecord
		if err := json.Unmarshal(ups.Get([]byte(u.id)), &rec); err != nil {
			return fmt.Errorf("vault: upload %s no longer exists", u.id)
		}
		rec.Sum = blobstore.Sum(sum).String()
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return ups.Put([]byte(u.id), data)
	})
	if err != nil {
		return err
	}
	err = u.w.Commit(context.Background(), blobstore.Sum(sum))
	if errors.Is(err, blobstore.ErrMismatch) {
		return ErrHashMismatch
	}
	if err != nil {
		return fmt.Errorf("vault: blob store: %w", err)
	}
	u.stored, u.sum = true, blobstore.Sum(sum)
	return nil
}

// Commit completes the upload: the ciphertext must hash to sum (SHA-256),
// and private is the private metadata encrypted to the same document key
// (optional for a deposit). The blob is made durable first, then the
// document becomes visible atomically with its audit event: a crash in
// between leaves a blob no record names, which the next Open removes.
func (u *Upload) Commit(sum [32]byte, private []byte) (*Document, error) {
	var out *Document
	err := u.finish(sum, private, u.rekeyOf != nil && u.rekeyOf.hadPrivate)
	if err == nil {
		switch {
		case u.pending != nil:
			out, err = u.commitDeposit(sum, private)
		case u.rekeyOf != nil:
			out, err = u.commitRekey(sum, private)
		}
		if err == nil {
			u.done = true
			return out, nil
		}
		// commitDeposit and commitRekey audit their own failures.
		u.err = err
		u.abort()
		return nil, err
	}
	u.fail(err)
	return nil, err
}

// checkNewCiphertext refuses ciphertext that a document already has, or
// had before it was shredded: two records would share one blob.
func checkNewCiphertext(tx *bbolt.Tx, sum [32]byte) error {
	if state, _, ok := refOf(tx, sum); ok && state != refStateLeftover {
		return &InvalidError{Field: "content", Reason: "this ciphertext is already stored, or was shredded: encrypt the document afresh"}
	}
	return nil
}

func isInvalid(err error) bool {
	var inv *InvalidError
	return errors.As(err, &inv)
}

func (u *Upload) commitDeposit(sum [32]byte, private []byte) (*Document, error) {
	req := u.pending.req
	var out Document
	err := u.v.update(u.c, u.action, func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Doc, ev.Collection = u.doc, req.Collection
		if tx.Bucket(bucketUploads).Get([]byte(u.id)) == nil {
			return fmt.Errorf("vault: upload %s no longer exists", u.id)
		}
		user, err := u.v.activeUser(tx, u.c.User)
		if err != nil {
			return err
		}
		col, err := u.v.collectionFor(tx, user, ev.Action, req.Collection)
		if err != nil {
			return err
		}
		if err := u.v.checkDepositSlots(tx, user, col, req.Consent, req.Slots); err != nil {
			return err
		}
		if tx.Bucket(bucketDocs).Get([]byte(u.doc)) != nil {
			return ErrConflict
		}
		if err := checkNewCiphertext(tx, sum); err != nil {
			return err
		}
		signed, err := u.checkManifest(user, req, sum)
		if err != nil {
			return err
		}
		d := &docRecord{
			Document: Document{
				ID:           u.doc,
				Collection:   req.Collection,
				Kind:         req.Kind,
				Depositor:    user.ID,
				DepositedAt:  u.v.opts.Now().UTC(),
				Size:         u.n,
				CipherSHA256: hex.EncodeToString(sum[:]),
				Public:       req.Public,
				Consent:      req.Consent,
				State:        DocActive,
			},
		}
		if signed != nil {
			d.Manifest, d.ManifestSig, d.PublicSigned = string(u.manifest), string(u.manifestSig), clone(req.PublicSigned)
		}
		for id := range req.Slots {
			d.SlotHolders = append(d.SlotHolders, id)
		}
		slices.Sort(d.SlotHolders)
		if err := u.v.putSlots(tx, u.doc, req.Slots); err != nil {
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
		if err := putRef(tx, sum, refStateActive, u.doc); err != nil {
			return err
		}
		if err := addOutbox(tx, u.doc, OutboxPut); err != nil {
			return err
		}
		ev.Detail = map[string]string{"size": fmt.Sprint(u.n), "kind": req.Kind, "cipher_sha256": d.CipherSHA256}
		if signed != nil {
			// The manifest and its signature go into the log itself: what
			// readers and court bundles check content against.
			ev.Detail["manifest"], ev.Detail["manifest_sig"] = string(u.manifest), string(u.manifestSig)
		}
		out = d.Document
		return tx.Bucket(bucketUploads).Delete([]byte(u.id))
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// recordFailure appends the audit event of a failed action in a transaction
// of its own and returns err (joined with the audit error, if any).
func (v *Vault) recordFailure(ev *audit.Event, err error) error {
	out, reason := outcome(err)
	ev.Outcome = out
	if reason != "" {
		if ev.Detail == nil {
			ev.Detail = map[string]string{}
		}
		ev.Detail["reason"] = reason
	}
	failed := *ev
	if aerr := v.commit.do(func(tx *bbolt.Tx) error {
		e := failed
		return v.appendEvent(tx, &e)
	}); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

func be64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}
