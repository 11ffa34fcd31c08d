package vault

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"maps"
	"slices"
	"time"

	"go.etcd.io/bbolt"

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
}

// uploadRecord marks chunks that are not yet part of a document. Whatever
// an uploadRecord names is deleted at the next Open.
type uploadRecord struct {
	Blob    string    `json:"blob"`
	Doc     string    `json:"doc"`
	Rekey   bool      `json:"rekey,omitempty"`
	Started time.Time `json:"started"`
}

// chunksPerTx bounds how much ciphertext one write transaction carries,
// and so the memory an upload holds.
const chunksPerTx = 16

// Upload streams a document's ciphertext into the vault. Nothing of it is
// visible until Commit succeeds; Abort, a failed Commit or a crash leaves
// nothing behind (a crash's leftovers are swept at the next Open).
// An Upload is not safe for concurrent use.
type Upload struct {
	v         *Vault
	c         Caller
	id        string // upload record key
	doc       string
	blob      string
	rekey     bool
	action    string
	chunkSize int

	buf     []byte   // the chunk being filled
	full    [][]byte // complete chunks not yet written
	spare   [][]byte
	next    uint64 // index of the next chunk to write
	n       int64
	h       hash.Hash
	checked bool // the age header has been validated
	err     error
	done    bool

	pending *pendingDeposit // set for a deposit

	manifest, manifestSig []byte        // the deposit's signed manifest (SetManifest)
	rekeyOf               *pendingRekey // set for a rekey

	inflight chan flushResult // the batch being written, if any
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
	up := v.newUpload(c, docID, "document.deposit")
	err := v.db.Update(func(tx *bbolt.Tx) error {
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
		return up.start(tx, uploadRecord{Doc: docID, Blob: up.blob, Started: v.opts.Now().UTC()})
	})
	if err != nil {
		return nil, err
	}
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

func (v *Vault) newUpload(c Caller, docID, action string) *Upload {
	return &Upload{
		v:         v,
		c:         c,
		id:        newID(),
		doc:       docID,
		blob:      newID(),
		action:    action,
		chunkSize: v.opts.ChunkSize,
		h:         sha256.New(),
	}
}

func (u *Upload) start(tx *bbolt.Tx, rec uploadRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketUploads).Put([]byte(u.id), data); err != nil {
		return err
	}
	_, err = tx.Bucket(bucketBlobs).CreateBucket([]byte(u.blob))
	return err
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
	if u.n+int64(len(p)) > u.v.opts.MaxContentSize {
		u.fail(ErrTooLarge)
		return 0, u.err
	}
	written := 0
	for len(p) > 0 {
		if u.buf == nil {
			u.buf = u.chunk()
		}
		k := min(len(p), u.chunkSize-len(u.buf))
		u.buf = append(u.buf, p[:k]...)
		u.h.Write(p[:k])
		u.n += int64(k)
		written += k
		p = p[k:]
		if len(u.buf) == u.chunkSize {
			u.full = append(u.full, u.buf)
			u.buf = nil
			if len(u.full) == chunksPerTx {
				if err := u.flushAsync(); err != nil {
					u.fail(err)
					return written, u.err
				}
			}
		}
	}
	return written, nil
}

func (u *Upload) chunk() []byte {
	if n := len(u.spare); n > 0 {
		c := u.spare[n-1][:0]
		u.spare = u.spare[:n-1]
		return c
	}
	return make([]byte, 0, u.chunkSize)
}

// flushResult is what a background flush hands back: its chunk buffers,
// for reuse, and its error.
type flushResult struct {
	chunks [][]byte
	err    error
}

// wait waits for the flush in flight, if any, and takes its buffers back.
func (u *Upload) wait() error {
	if u.inflight == nil {
		return nil
	}
	r := <-u.inflight
	u.inflight = nil
	u.spare = append(u.spare, r.chunks...)
	return r.err
}

// flushAsync hands the complete chunks to a goroutine that writes them in
// one transaction, once the previous batch is written: receiving the next
// batch overlaps with writing and syncing this one, and at most two
// batches are held.
func (u *Upload) flushAsync() error {
	if err := u.wait(); err != nil {
		return err
	}
	if len(u.full) == 0 {
		return nil
	}
	if !u.checked {
		if err := checkDocFile("content", u.full[0]); err != nil {
			return err
		}
		u.checked = true
	}
	chunks, first := u.full, u.next
	u.full = make([][]byte, 0, chunksPerTx)
	u.next += uint64(len(chunks))
	done := make(chan flushResult, 1)
	u.inflight = done
	go func() { done <- flushResult{chunks, u.writeChunks(first, chunks)} }()
	return nil
}

// flush writes every complete chunk and waits until it is written.
func (u *Upload) flush() error {
	if err := u.flushAsync(); err != nil {
		return err
	}
	return u.wait()
}

// writeChunks stores chunks under consecutive indexes from first.
func (u *Upload) writeChunks(first uint64, chunks [][]byte) error {
	return u.v.db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketUploads).Get([]byte(u.id)) == nil {
			return fmt.Errorf("vault: upload %s no longer exists", u.id)
		}
		b := tx.Bucket(bucketBlobs).Bucket([]byte(u.blob))
		if b == nil {
			return fmt.Errorf("vault: upload %s lost its chunks", u.id)
		}
		b.FillPercent = 1 // chunks are appended in key order
		for i, c := range chunks {
			if err := b.Put(be64(first+uint64(i)), c); err != nil {
				return err
			}
		}
		return nil
	})
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
	u.wait() // the batch in flight, if any, is deleted with the rest
	u.buf, u.full, u.spare = nil, nil, nil
	return u.v.db.Update(func(tx *bbolt.Tx) error {
		if err := deleteBucket(tx.Bucket(bucketBlobs), u.blob); err != nil {
			return err
		}
		return tx.Bucket(bucketUploads).Delete([]byte(u.id))
	})
}

// finish writes the last, partial chunk and checks the whole ciphertext
// against the hash its depositor declared.
func (u *Upload) finish(sum [32]byte, private []byte, needPrivate bool) error {
	if u.err != nil {
		return u.err
	}
	if u.done {
		return errors.New("vault: upload already finished")
	}
	if len(u.buf) > 0 {
		u.full = append(u.full, u.buf)
		u.buf = nil
	}
	if u.n == 0 {
		return invalid("content", "empty")
	}
	if err := u.flush(); err != nil {
		return err
	}
	var got [32]byte
	u.h.Sum(got[:0])
	if got != sum {
		return ErrHashMismatch
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
	return nil
}

// Commit completes the upload: the ciphertext must hash to sum (SHA-256),
// and private is the private metadata encrypted to the same document key
// (optional for a deposit). The document becomes visible atomically with
// its audit event.
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
			Blob:      u.blob,
			ChunkSize: u.chunkSize,
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
