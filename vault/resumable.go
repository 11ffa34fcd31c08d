package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/vault/audit"
)

// Resumable uploads carry a document's ciphertext to the vault in as many
// requests as the network needs (the tus protocol of the HTTP layer). Each
// belongs to the user who created it; its bytes go to a pending blob as
// they arrive, and the offset it reports is the number of bytes the blob
// store holds durably. A deposit or rekey then names the complete upload
// (DepositRequest.Upload, BeginRekeyFrom) instead of carrying the
// ciphertext, and consumes it. An upload nobody finishes expires and is
// swept (SweepUploads, and at Open).
//
// What the vault keeps per upload, in the bucket "resumable": its owner,
// the pending blob's id, the declared length, the durable offset, the
// expiry, the first bytes of the ciphertext (to check the age header at
// deposit; ciphertext only) and the client's metadata, sealed with the
// server key (it may name a file).

var bucketResumable = []byte("resumable") // upload id -> resumableRecord

// Defaults of the Options that bound resumable uploads.
const (
	DefaultUploadExpiry   = 24 * time.Hour
	DefaultMaxUploads     = 4
	DefaultMaxUploadBytes = 16 << 30
	// MaxUploadMetadata bounds an upload's metadata, as the client sent it.
	MaxUploadMetadata = 4 << 10
)

// ResumableUpload is an upload's state, as its owner sees it.
type ResumableUpload struct {
	ID       string
	Length   int64
	Offset   int64
	Created  time.Time
	Expires  time.Time
	Metadata string
}

// QuotaError refuses a new upload that would pass one of its user's
// limits: Uploads (how many unfinished uploads) or Bytes (their total
// declared length).
type QuotaError struct {
	Uploads bool
	Limit   int64
}

func (e *QuotaError) Error() string {
	if e.Uploads {
		return fmt.Sprintf("vault: at most %d unfinished uploads per user: finish or cancel one first", e.Limit)
	}
	return fmt.Sprintf("vault: unfinished uploads of one user may total at most %d bytes", e.Limit)
}

// OffsetError refuses bytes sent for another offset than the upload's.
type OffsetError struct {
	Offset int64 // the upload's offset
}

func (e *OffsetError) Error() string {
	return fmt.Sprintf("vault: the upload's offset is %d", e.Offset)
}

// ErrUploadBusy is returned when another request is writing to the same
// upload and does not let go in time.
var ErrUploadBusy = errors.New("vault: another request is writing to this upload")

type resumableRecord struct {
	Owner    string    `json:"owner"`
	Blob     string    `json:"blob"`
	Length   int64     `json:"length"`
	Offset   int64     `json:"offset"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	Head     []byte    `json:"head,omitempty"`
	Metadata []byte    `json:"metadata,omitempty"` // sealed
}

// resumableSlot serialises the requests that write to one upload and keeps
// its open writer between them.
type resumableSlot struct {
	sem  chan struct{}
	w    blobstore.Writer
	stop func() // ends the body of the request writing now, if any
}

type resumables struct {
	mu    sync.Mutex
	slots map[string]*resumableSlot
}

func (r *resumables) slot(id string) *resumableSlot {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.slots == nil {
		r.slots = map[string]*resumableSlot{}
	}
	s := r.slots[id]
	if s == nil {
		s = &resumableSlot{sem: make(chan struct{}, 1)}
		r.slots[id] = s
	}
	return s
}

func (r *resumables) drop(id string) {
	r.mu.Lock()
	delete(r.slots, id)
	r.mu.Unlock()
}

// tryAcquire takes the slot of upload id if nobody holds it.
func (r *resumables) tryAcquire(id string) (*resumableSlot, bool) {
	s := r.slot(id)
	select {
	case s.sem <- struct{}{}:
		return s, true
	default:
		return nil, false
	}
}

// acquire takes the slot of upload id, asking the request that holds it to
// stop first, and waits at most wait.
func (r *resumables) acquire(id string, wait time.Duration) (*resumableSlot, error) {
	if s, ok := r.tryAcquire(id); ok {
		return s, nil
	}
	s := r.slot(id)
	r.mu.Lock()
	stop := s.stop
	r.mu.Unlock()
	if stop != nil {
		stop()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.sem <- struct{}{}:
		return s, nil
	case <-t.C:
		return nil, ErrUploadBusy
	}
}

func (r *resumables) release(s *resumableSlot) {
	r.mu.Lock()
	s.stop = nil
	r.mu.Unlock()
	<-s.sem
}

func (v *Vault) metadataAD(id string) string { return "amana/resumable-metadata/" + id }

func getResumable(tx *bbolt.Tx, id string) (*resumableRecord, bool) {
	b := tx.Bucket(bucketResumable)
	if b == nil {
		return nil, false
	}
	data := b.Get([]byte(id))
	if data == nil {
		return nil, false
	}
	var rec resumableRecord
	if json.Unmarshal(data, &rec) != nil {
		return nil, false
	}
	return &rec, true
}

func putResumable(tx *bbolt.Tx, id string, rec *resumableRecord) error {
	b, err := tx.CreateBucketIfNotExists(bucketResumable)
	if err != nil {
		return err
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return b.Put([]byte(id), data)
}

func deleteResumable(tx *bbolt.Tx, id string) error {
	b := tx.Bucket(bucketResumable)
	if b == nil {
		return nil
	}
	return b.Delete([]byte(id))
}

// eachOwnUpload calls fn with each of user's unexpired uploads.
func (v *Vault) eachOwnUpload(tx *bbolt.Tx, user string, fn func(id string, rec *resumableRecord)) error {
	b := tx.Bucket(bucketResumable)
	if b == nil {
		return nil
	}
	now := v.opts.Now()
	return b.ForEach(func(k, data []byte) error {
		var rec resumableRecord
		if json.Unmarshal(data, &rec) == nil && rec.Owner == user && now.Before(rec.Expires) {
			fn(string(k), &rec)
		}
		return nil
	})
}

// ownResumable returns c's upload id, unexpired. Another user's upload is
// ErrNotFound, as one that never existed.
func (v *Vault) ownResumable(tx *bbolt.Tx, c Caller, id string) (*resumableRecord, error) {
	rec, ok := getResumable(tx, id)
	if !ok || c.User == "" || rec.Owner != c.User || !v.opts.Now().Before(rec.Expires) {
		return nil, ErrNotFound
	}
	return rec, nil
}

func (v *Vault) resumableOut(tx *bbolt.Tx, id string, rec *resumableRecord) *ResumableUpload {
	out := &ResumableUpload{ID: id, Length: rec.Length, Offset: rec.Offset, Created: rec.Created, Expires: rec.Expires}
	if len(rec.Metadata) > 0 {
		if md, err := v.keys.open(rec.Metadata, v.metadataAD(id)); err == nil {
			out.Metadata = string(md)
		}
	}
	return out
}

// CreateUpload starts a resumable upload of length bytes for c. metadata is
// kept sealed and given back as it was sent (at most MaxUploadMetadata
// bytes). It is audited as upload.create.
func (v *Vault) CreateUpload(c Caller, length int64, metadata string) (*ResumableUpload, error) {
	if length <= 0 {
		return nil, invalid("length", "an upload holds at least one byte")
	}
	if length > v.opts.MaxContentSize {
		return nil, v.recordFailure(v.event(c, "upload.create"), fmt.Errorf("%w: a document's ciphertext may take at most %d bytes", ErrTooLarge, v.opts.MaxContentSize))
	}
	if len(metadata) > MaxUploadMetadata {
		return nil, invalid("metadata", "at most %d bytes", MaxUploadMetadata)
	}
	w, err := v.blobs.Create(context.Background())
	if err != nil {
		return nil, fmt.Errorf("vault: blob store: %w", err)
	}
	id := newID()
	var out *ResumableUpload
	err = v.update(c, "upload.create", func(tx *bbolt.Tx, ev *audit.Event) error {
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		n, total := 0, int64(0)
		now := v.opts.Now()
		err := v.eachOwnUpload(tx, c.User, func(_ string, rec *resumableRecord) {
			n++
			total += rec.Length
		})
		if err != nil {
			return err
		}
		if n >= v.opts.MaxUploads {
			return &QuotaError{Uploads: true, Limit: int64(v.opts.MaxUploads)}
		}
		if total+length > v.opts.MaxUploadBytes {
			return &QuotaError{Limit: v.opts.MaxUploadBytes}
		}
		rec := &resumableRecord{
			Owner: c.User, Blob: w.ID(), Length: length,
			Created: now.UTC(), Expires: now.Add(v.opts.UploadExpiry).UTC(),
		}
		if metadata != "" {
			sealed, err := v.keys.seal([]byte(metadata), v.metadataAD(id))
			if err != nil {
				return err
			}
			rec.Metadata = sealed
		}
		if err := putResumable(tx, id, rec); err != nil {
			return err
		}
		ev.Target = id
		ev.Detail = map[string]string{"length": fmt.Sprint(length)}
		out = v.resumableOut(tx, id, rec)
		return nil
	})
	if err != nil {
		w.Abort()
		return nil, err
	}
	s := v.uploads.slot(id)
	s.w = w
	return out, nil
}

// Upload returns c's upload id.
func (v *Vault) Upload(c Caller, id string) (*ResumableUpload, error) {
	var out *ResumableUpload
	err := v.db.View(func(tx *bbolt.Tx) error {
		rec, err := v.ownResumable(tx, c, id)
		if err != nil {
			return err
		}
		out = v.resumableOut(tx, id, rec)
		return nil
	})
	return out, err
}

// UploadLimits returns how many unfinished uploads a user may have, and
// how many bytes they may declare in all.
func (v *Vault) UploadLimits() (uploads int, bytes int64) {
	return v.opts.MaxUploads, v.opts.MaxUploadBytes
}

// Uploads lists c's unfinished, unexpired uploads, oldest first, so that a
// client that lost track of one (a process killed before it wrote the
// upload's address down, an answer to a creation lost on the network, a
// browser whose storage was cleared) can find it again or terminate it
// rather than wait for it to expire. Another user's uploads are never
// listed. Listing records no event, as reading one upload does not. The
// list is never nil.
func (v *Vault) Uploads(c Caller) ([]ResumableUpload, error) {
	out := []ResumableUpload{}
	err := v.db.View(func(tx *bbolt.Tx) error {
		if _, err := v.activeUser(tx, c.User); err != nil {
			return err
		}
		return v.eachOwnUpload(tx, c.User, func(id string, rec *resumableRecord) {
			out = append(out, *v.resumableOut(tx, id, rec))
		})
	})
	slices.SortFunc(out, func(a, b ResumableUpload) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// writerFor returns the open writer of the upload held in s at the
// record's offset, reopening it from the blob store if needed (after a
// restart). The offset is corrected to what the store holds durably.
func (v *Vault) writerFor(s *resumableSlot, id string, rec *resumableRecord) (blobstore.Writer, error) {
	if s.w != nil && s.w.Size() == rec.Offset {
		return s.w, nil
	}
	s.w = nil
	rs, ok := v.blobs.(blobstore.Resumer)
	if !ok {
		return nil, fmt.Errorf("vault: the blob store %s cannot resume writers", v.blobs.URL())
	}
	w, err := rs.Resume(context.Background(), rec.Blob)
	if err != nil {
		return nil, fmt.Errorf("vault: blob store: %w", err)
	}
	n, err := w.Sync()
	if err != nil {
		return nil, fmt.Errorf("vault: blob store: %w", err)
	}
	if n != w.Size() || n > rec.Length {
		w.Abort()
		return nil, fmt.Errorf("vault: upload %s: the blob store holds %d bytes, %d of them durable", id, w.Size(), n)
	}
	if n != rec.Offset {
		err := v.db.Update(func(tx *bbolt.Tx) error {
			cur, ok := getResumable(tx, id)
			if !ok {
				return ErrNotFound
			}
			cur.Offset = n
			rec.Offset = n
			return putResumable(tx, id, cur)
		})
		if err != nil {
			return nil, err
		}
	}
	s.w = w
	return w, nil
}

// WriteUpload appends to c's upload id the bytes of r, which must start at
// the upload's offset and not go past its length; the caller checks the
// length of what r holds before. It returns the new offset, once the bytes
// up to it are durable, also when reading r fails half-way (the error is
// then returned too). stop, if not nil, is called when another request
// wants to write to the same upload: it must make reading r fail.
func (v *Vault) WriteUpload(c Caller, id string, offset int64, r io.Reader, stop func()) (int64, error) {
	if _, err := v.Upload(c, id); err != nil {
		return 0, err
	}
	s, err := v.uploads.acquire(id, 10*time.Second)
	if err != nil {
		return 0, err
	}
	defer v.uploads.release(s)
	v.uploads.mu.Lock()
	s.stop = stop
	v.uploads.mu.Unlock()

	var rec *resumableRecord
	err = v.db.View(func(tx *bbolt.Tx) error {
		var err error
		rec, err = v.ownResumable(tx, c, id)
		return err
	})
	if err != nil {
		return 0, err
	}
	w, err := v.writerFor(s, id, rec)
	if err != nil {
		return 0, err
	}
	if offset != rec.Offset {
		return rec.Offset, &OffsetError{Offset: rec.Offset}
	}
	head := rec.Head
	buf := make([]byte, 256<<10)
	var rerr error
	for w.Size() < rec.Length {
		k, err := r.Read(buf[:min(int64(len(buf)), rec.Length-w.Size())])
		if k > 0 {
			if w.Size() < headSize {
				head = append(head, buf[:min(k, headSize-int(w.Size()))]...)
			}
			if _, werr := w.Write(buf[:k]); werr != nil {
				s.w = nil
				return rec.Offset, fmt.Errorf("vault: blob store: %w", werr)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	n, err := w.Sync()
	if err != nil {
		s.w = nil
		return rec.Offset, fmt.Errorf("vault: blob store: %w", err)
	}
	if w.Size() == rec.Length {
		// Complete. A store that keeps its last part in memory until
		// Commit (S3) holds the tail there; if the server restarts
		// before the deposit, writerFor corrects the offset down to
		// what the store holds and the client sends the tail again.
		n = w.Size()
	}
	err = v.db.Update(func(tx *bbolt.Tx) error {
		cur, ok := getResumable(tx, id)
		if !ok {
			return ErrNotFound
		}
		cur.Offset = n
		cur.Head = head[:min(int64(len(head)), n)]
		cur.Expires = v.opts.Now().Add(v.opts.UploadExpiry).UTC()
		return putResumable(tx, id, cur)
	})
	if err != nil {
		return rec.Offset, err
	}
	return n, rerr
}

// TerminateUpload discards c's upload id and its bytes. It is audited as
// upload.terminate.
func (v *Vault) TerminateUpload(c Caller, id string) error {
	if _, err := v.Upload(c, id); err != nil {
		return err
	}
	s, err := v.uploads.acquire(id, 10*time.Second)
	if err != nil {
		return err
	}
	defer v.uploads.release(s)
	var blob string
	err = v.update(c, "upload.terminate", func(tx *bbolt.Tx, ev *audit.Event) error {
		rec, err := v.ownResumable(tx, c, id)
		if err != nil {
			return err
		}
		ev.Target = id
		ev.Detail = map[string]string{"offset": fmt.Sprint(rec.Offset), "length": fmt.Sprint(rec.Length)}
		blob = rec.Blob
		return deleteResumable(tx, id)
	})
	if err != nil {
		return err
	}
	v.discardWriter(s, blob)
	v.uploads.drop(id)
	return nil
}

// discardWriter removes the pending blob of an upload whose record is gone.
func (v *Vault) discardWriter(s *resumableSlot, blob string) {
	if s.w != nil {
		s.w.Abort()
		s.w = nil
		return
	}
	v.blobs.SweepPending(context.Background(), func(id string) bool { return id != blob })
}

// SweepUploads removes the uploads that expired, and their bytes, and
// returns how many. Each is audited as upload.expire. The server runs it
// periodically; Open runs it too.
func (v *Vault) SweepUploads() (int, error) {
	now := v.opts.Now()
	expired := map[string]string{} // upload id -> blob
	err := v.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketResumable)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, data []byte) error {
			var rec resumableRecord
			if json.Unmarshal(data, &rec) != nil || !now.Before(rec.Expires) {
				expired[string(k)] = rec.Blob
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for id, blob := range expired {
		s, ok := v.uploads.tryAcquire(id)
		if !ok {
			continue // in use: not abandoned
		}
		err = v.update(Caller{}, "upload.expire", func(tx *bbolt.Tx, ev *audit.Event) error {
			rec, ok := getResumable(tx, id)
			if !ok || now.Before(rec.Expires) {
				return errSkip
			}
			ev.Target = id
			ev.Detail = map[string]string{"owner": rec.Owner, "offset": fmt.Sprint(rec.Offset), "length": fmt.Sprint(rec.Length)}
			return deleteResumable(tx, id)
		})
		if err == nil {
			v.discardWriter(s, blob)
			n++
		}
		v.uploads.release(s)
		if err == nil {
			v.uploads.drop(id)
		} else if !errors.Is(err, errSkip) {
			return n, err
		}
	}
	return n, nil
}

var errSkip = errors.New("vault: skip")

// keepResumable reports, for the sweep at Open, which pending blobs belong
// to unexpired uploads.
func (v *Vault) resumableBlobs(tx *bbolt.Tx) map[string]bool {
	keep := map[string]bool{}
	now := v.opts.Now()
	if b := tx.Bucket(bucketResumable); b != nil {
		b.ForEach(func(_, data []byte) error {
			var rec resumableRecord
			if json.Unmarshal(data, &rec) == nil && now.Before(rec.Expires) {
				keep[rec.Blob] = true
			}
			return nil
		})
	}
	return keep
}

// takeUpload makes u write nothing itself but commit the complete upload
// id of its caller. It returns a function to run in the transaction that
// starts u, which consumes the upload, and one to give the upload back if
// that transaction fails.
func (v *Vault) takeUpload(u *Upload, id string) (consume func(tx *bbolt.Tx) error, giveBack func(), err error) {
	if _, err := v.Upload(u.c, id); err != nil {
		return nil, nil, invalid("upload", "no such upload, or it expired")
	}
	s, err := v.uploads.acquire(id, 10*time.Second)
	if err != nil {
		return nil, nil, err
	}
	var rec *resumableRecord
	err = v.db.View(func(tx *bbolt.Tx) error {
		var err error
		rec, err = v.ownResumable(tx, u.c, id)
		return err
	})
	if err != nil {
		v.uploads.release(s)
		return nil, nil, invalid("upload", "no such upload, or it expired")
	}
	w, err := v.writerFor(s, id, rec)
	if err != nil {
		v.uploads.release(s)
		return nil, nil, err
	}
	if rec.Offset != rec.Length {
		v.uploads.release(s)
		return nil, nil, fmt.Errorf("%w: upload %s holds %d of its %d bytes: send the rest first", ErrConflict, id, rec.Offset, rec.Length)
	}
	if err := checkDocFile("content", rec.Head); err != nil {
		v.uploads.release(s)
		return nil, nil, err
	}
	if rec.Length > v.opts.MaxContentSize {
		v.uploads.release(s)
		return nil, nil, ErrTooLarge
	}
	u.w, u.n, u.checked, u.fromUpload = w, rec.Length, true, true
	consume = func(tx *bbolt.Tx) error {
		if _, err := v.ownResumable(tx, u.c, id); err != nil {
			return invalid("upload", "no such upload, or it expired")
		}
		return deleteResumable(tx, id)
	}
	giveBack = func() { v.uploads.release(s) }
	u.taken = func() {
		s.w = nil
		v.uploads.release(s)
		v.uploads.drop(id)
	}
	return consume, giveBack, nil
}

// MaxContentSize is the most ciphertext one document may have.
func (v *Vault) MaxContentSize() int64 { return v.opts.MaxContentSize }
