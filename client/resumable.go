package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/amana-vault/amana/envelope"
)

// A resumable deposit seals the document once into a spool directory on
// this machine (ciphertext only, with the key slots and the sealed private
// metadata), uploads the ciphertext with tus (POST and PATCH at
// /v1/uploads, HEAD after an interruption) and then deposits naming the
// upload. After a network error it waits, asks the server for the offset
// and continues; a process that is killed and started again with the same
// spool continues the same upload, since age encryption is randomised and
// only the spooled ciphertext matches what the server already holds.
//
// When the plaintext's size is known (ResumeOptions.Size), the age file's
// length is known before any plaintext is read, so the upload is created
// at once and sent from the spool as the sealer writes it: sealing and
// sending overlap, as in a single-request Deposit. A process killed before
// sealing ended leaves a spool that cannot be completed (the rest of the
// ciphertext cannot be made again without the document key, which is
// never written down): the next run terminates that upload (tus DELETE)
// and starts afresh.
//
// Durability: the spool is not fsynced. The server holds the durable copy
// of every acknowledged byte; the spool only has to outlive the process,
// which the page cache does. After a crash of the machine itself the
// spool may be short or hold zeros, so a spool recorded as sealed is
// hashed against its recorded digest before it is used again, and started
// afresh if it does not match.

// ErrSpoolBusy is returned by DepositResumable when another run of the
// same deposit holds its spool.
var ErrSpoolBusy = errors.New("another run of this deposit is using its spool")

// ResumeOptions tunes DepositResumable.
type ResumeOptions struct {
	// Spool is the directory that keeps this deposit's ciphertext and state
	// between attempts and processes (SpoolDir names one). It is removed
	// once the deposit succeeds.
	Spool string
	// Size, if positive, is the length of the plaintext, which Content
	// must hold exactly: the upload then starts while sealing goes on.
	// Otherwise (input of unknown size) the whole input is sealed into the
	// spool first.
	Size int64
	// Retries is how many network errors in a row are retried (0: 12).
	Retries int
	// MaxBackoff bounds the wait between attempts (0: 30 s); the first
	// wait is a tenth of a second, doubling.
	MaxBackoff time.Duration
	// Sealing, if set, is called as the plaintext is sealed before the
	// upload (only when Size is not given): done bytes, total -1.
	// Sent, if set, is called as the server acknowledges ciphertext: done
	// of total bytes.
	Sealing func(done, total int64)
	Sent    func(done, total int64)
	// Resumed, if set, is called when an upload continues at offset after
	// an interruption (restarted: by an earlier process).
	Resumed func(offset int64, restarted bool)
}

// Resumption reports how a resumable deposit went.
type Resumption struct {
	// Restarted: an earlier process had sealed (and maybe begun uploading)
	// this deposit.
	Restarted bool `json:"restarted"`
	// Resumptions counts the times the upload continued after a network
	// error or a restart; Offsets lists where.
	Resumptions int     `json:"resumptions"`
	Offsets     []int64 `json:"offsets,omitempty"`
	// Sent is how many ciphertext bytes this process sent.
	Sent int64 `json:"sent"`
	// NewUploads counts the uploads begun afresh (the first, and one after
	// an upload expired).
	NewUploads int `json:"new_uploads"`
	// Terminated counts the uploads of an earlier process that were
	// terminated because they could not be completed: it stopped while
	// sealing, or its spool was damaged since.
	Terminated int `json:"terminated"`
	// Found counts the uploads found again by the spool's token after
	// their address was lost: the process was killed before it wrote it
	// down, or the answer to the creation was lost on the network.
	Found int `json:"found"`
}

// SpoolDir names the spool of a deposit of the file at path in parent (a
// directory of the configuration directory): a hash of the file's identity
// (absolute path, size, modification time) and of what the request says
// of it, so that the same command continues and a changed file or request
// starts afresh. The name reveals neither.
func SpoolDir(parent, path string, fi os.FileInfo, req DepositRequest) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	h := sha256.New()
	fmt.Fprintf(h, "amana-spool-v1\x00%s\x00%d\x00%d\x00", abs, fi.Size(), fi.ModTime().UnixNano())
	b, _ := json.Marshal([]any{req.Collection, req.Kind, req.Public, req.Consent, req.Private, req.To, req.Classic, req.Depositor})
	h.Write(b)
	return filepath.Join(parent, fmt.Sprintf("%x", h.Sum(nil)[:16]))
}

// spoolState is the spool's state.json: nothing secret (key slots and
// private metadata are age files; the document key is never in it).
type spoolState struct {
	Prepared *preparedDeposit `json:"prepared"`
	Size     int64            `json:"size"`             // of content.age, complete
	Upload   string           `json:"upload,omitempty"` // /v1/uploads/ID
	// Token names the spool in the Upload-Metadata of its uploads, so
	// that one whose address was never recorded is found again.
	Token string `json:"token,omitempty"`
	// Sealed: content.age is complete and Prepared holds its digests.
	Sealed bool `json:"sealed"`
}

const (
	spoolContent   = "content.age"
	spoolStateFile = "state.json"
	spoolBuffer    = 1 << 20
)

// A spool is the ciphertext of a deposit in a file that a sealer may still
// be writing, and the deposit's state.
type spool struct {
	dir string
	f   *os.File // content.age, read and written
	// sealed is closed when the sealer stops (at once for a spool that
	// was complete); stop asks it to.
	sealed chan struct{}
	stop   context.CancelFunc

	mu      sync.Mutex
	grown   *sync.Cond // signalled when written, done or err change
	st      spoolState
	written int64 // bytes of content.age written
	done    bool  // the sealer stopped
	err     error // why it failed
}

// createSpool makes the spool directory dir, which must not hold a spool
// yet, with an empty content file.
func createSpool(dir string, st spoolState) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, spoolContent), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return newSpool(dir, f, st), nil
}

func newSpool(dir string, f *os.File, st spoolState) *spool {
	sp := &spool{dir: dir, f: f, st: st, sealed: make(chan struct{}), stop: func() {}}
	sp.grown = sync.NewCond(&sp.mu)
	return sp
}

// saveLocked writes state.json (replaced atomically; not fsynced, see
// above). The caller holds mu.
func (sp *spool) saveLocked() error {
	b, err := json.Marshal(&sp.st)
	if err != nil {
		return err
	}
	tmp := filepath.Join(sp.dir, spoolStateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(sp.dir, spoolStateFile))
}

// setUpload records the upload the spool is sent to.
func (sp *spool) setUpload(path string) error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.st.Upload = path
	return sp.saveLocked()
}

func (sp *spool) upload() string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.st.Upload
}

// Write appends sealed ciphertext and wakes the readers.
func (sp *spool) Write(p []byte) (int, error) {
	n, err := sp.f.Write(p)
	sp.mu.Lock()
	sp.written += int64(n)
	sp.grown.Broadcast()
	sp.mu.Unlock()
	return n, err
}

// finish records the end of sealing.
func (sp *spool) finish(err error) {
	sp.mu.Lock()
	sp.done = true
	sp.err = err
	sp.grown.Broadcast()
	sp.mu.Unlock()
	close(sp.sealed)
}

// failed returns the sealer's error, if it stopped with one.
func (sp *spool) failed() error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.err
}

// complete reports whether the spool is sealed: its Prepared then holds
// the digests.
func (sp *spool) complete() bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.st.Sealed
}

// wait waits for the sealer and returns its error.
func (sp *spool) wait() error {
	<-sp.sealed
	return sp.failed()
}

// close stops the sealer, waits for it and closes the file.
func (sp *spool) close() {
	sp.stop()
	<-sp.sealed
	sp.f.Close()
}

// section reads the ciphertext from off to end as the sealer writes it:
// it never returns bytes the sealer has not written, and fails with the
// sealer's error.
func (sp *spool) section(off, end int64) io.Reader {
	return &tailReader{sp: sp, off: off, end: end}
}

type tailReader struct {
	sp       *spool
	off, end int64
}

func (r *tailReader) Read(p []byte) (int, error) {
	if r.off >= r.end {
		return 0, io.EOF
	}
	sp := r.sp
	sp.mu.Lock()
	for sp.written <= r.off && !sp.done {
		sp.grown.Wait()
	}
	written, err := sp.written, sp.err
	sp.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if written <= r.off {
		return 0, io.ErrUnexpectedEOF
	}
	n := int(min(int64(len(p)), written-r.off, r.end-r.off))
	n, err = sp.f.ReadAt(p[:n], r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// loadSpool reads the state of the spool in dir, if any, and reports
// whether it is sealed and its content intact.
func loadSpool(dir string) (*spoolState, bool) {
	b, err := os.ReadFile(filepath.Join(dir, spoolStateFile))
	if err != nil {
		return nil, false
	}
	var st spoolState
	if json.Unmarshal(b, &st) != nil || st.Prepared == nil {
		return nil, false
	}
	if !st.Sealed || st.Size != st.Prepared.Digest.CipherSize {
		return &st, false
	}
	f, err := os.Open(filepath.Join(dir, spoolContent))
	if err != nil {
		return &st, false
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil || n != st.Size || hex.EncodeToString(h.Sum(nil)) != st.Prepared.CipherSHA256 {
		return &st, false
	}
	return &st, true
}

// resumer is one run of DepositResumable.
type resumer struct {
	c          *Client
	opts       ResumeOptions
	rep        *Resumption
	failures   int
	retries    int
	maxBackoff time.Duration
}

// backoff waits before the next attempt after err, or gives up.
func (u *resumer) backoff(ctx context.Context, err error) error {
	u.failures++
	if u.failures > u.retries {
		return fmt.Errorf("giving up after %d network errors: %w", u.failures-1, err)
	}
	d := min(u.maxBackoff, 100*time.Millisecond<<min(u.failures-1, 16))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// DepositResumable is Deposit through a resumable upload: see ResumeOptions.
// req.Content is read only if the spool holds no sealed copy yet. It
// returns once it has stopped reading req.Content.
func (c *Client) DepositResumable(ctx context.Context, req DepositRequest, opts ResumeOptions) (*Deposited, *Resumption, error) {
	if opts.Spool == "" {
		return nil, nil, errors.New("a resumable deposit needs a spool directory")
	}
	if err := os.MkdirAll(filepath.Dir(opts.Spool), 0o700); err != nil {
		return nil, nil, err
	}
	unlock, err := lockSpool(opts.Spool)
	if err != nil {
		return nil, nil, err
	}
	done := false
	defer func() { unlock(done) }()
	u := &resumer{c: c, opts: opts, rep: &Resumption{}, retries: opts.Retries, maxBackoff: opts.MaxBackoff}
	if u.retries == 0 {
		u.retries = 12
	}
	if u.maxBackoff == 0 {
		u.maxBackoff = 30 * time.Second
	}
	sp, err := u.open(ctx, &req)
	if err != nil {
		return nil, u.rep, err
	}
	defer sp.close()
	doc, err := u.run(ctx, &req, sp)
	if err != nil {
		return nil, u.rep, err
	}
	done = true
	return &Deposited{Document: doc, Digest: sp.st.Prepared.Digest}, u.rep, nil
}

// open continues the spool that an earlier run sealed, or terminates the
// upload of one whose sealing was cut short and starts sealing afresh.
func (u *resumer) open(ctx context.Context, req *DepositRequest) (*spool, error) {
	dir := u.opts.Spool
	st, ok := loadSpool(dir)
	if ok {
		f, err := os.Open(filepath.Join(dir, spoolContent))
		if err != nil {
			return nil, err
		}
		if req.Signer == nil && req.Sign == nil {
			req.Signer = u.c.Signer
		}
		u.rep.Restarted = true
		sp := newSpool(dir, f, *st)
		sp.written = st.Size
		sp.finish(nil)
		return sp, nil
	}
	var stale []string
	if st != nil && st.Upload != "" {
		stale = append(stale, st.Upload)
	} else if st != nil && st.Token != "" {
		// An upload may have been made before its address was saved.
		found, err := u.lookup(ctx, st.Token, st.Size)
		if err != nil {
			return nil, err
		}
		stale = found
	}
	for _, up := range stale {
		if err := u.terminate(ctx, up); err != nil {
			return nil, err
		}
		u.rep.Terminated++
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	return u.seal(ctx, req)
}

// seal starts a new spool. With the plaintext's size known, sealing goes
// on in a goroutine while the upload starts; otherwise it is done first.
func (u *resumer) seal(ctx context.Context, req *DepositRequest) (*spool, error) {
	p, err := u.c.prepareDeposit(ctx, req)
	if err != nil {
		return nil, err
	}
	dir := u.opts.Spool
	token := make([]byte, 16)
	rand.Read(token)
	sp, err := createSpool(dir, spoolState{Prepared: p, Token: hex.EncodeToString(token)})
	if err != nil {
		return nil, err
	}
	f := sp.f
	fail := func(err error) (*spool, error) {
		f.Close()
		os.RemoveAll(dir)
		return nil, err
	}

	if u.opts.Size <= 0 {
		src := req.Content
		if u.opts.Sealing != nil {
			src = &countingReader{r: src, fn: func(n int64) { u.opts.Sealing(n, -1) }}
		}
		s, err := p.dep.Seal(sp, src, req.Private)
		if err != nil {
			return fail(err)
		}
		p.seal(s)
		sp.st.Size, sp.st.Sealed = s.CipherSize, true
		if err := sp.saveLocked(); err != nil {
			return fail(err)
		}
		sp.finish(nil)
		return sp, nil
	}

	// Ciphertext reaches the spool in pieces of 1 MiB rather than age's
	// 64 KiB chunks: fewer system calls and wake-ups of the sender.
	bw := bufio.NewWriterSize(sp, spoolBuffer)
	sw, err := p.dep.NewSealWriter(bw, req.Private)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fail(err)
	}
	sp.st.Size = sw.CipherSize(u.opts.Size)
	if err := sp.saveLocked(); err != nil {
		return fail(err)
	}
	sctx, stop := context.WithCancel(ctx)
	sp.stop = stop
	go func() { sp.finish(sp.sealFrom(sctx, sw, bw, req.Content, u.opts.Size, p)) }()
	return sp, nil
}

// sealFrom seals size bytes of src with sw, which writes to the spool
// through bw, and records the spool as sealed.
func (sp *spool) sealFrom(ctx context.Context, sw *envelope.SealWriter, bw *bufio.Writer, src io.Reader, size int64, p *preparedDeposit) (err error) {
	closed := false
	defer func() {
		if !closed {
			// Stop the readers first: sw.Close releases what sw holds
			// and writes the end of an age file nobody must send.
			sp.mu.Lock()
			sp.err = err
			sp.mu.Unlock()
			sw.Close()
		}
	}()
	buf := make([]byte, 256<<10)
	for n := int64(0); n < size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := io.ReadFull(src, buf[:min(int64(len(buf)), size-n)])
		if k > 0 {
			if _, err := sw.Write(buf[:k]); err != nil {
				return err
			}
			n += int64(k)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("the input ended after %d of its %d bytes: did it change?", n, size)
		}
		if err != nil {
			return err
		}
	}
	if k, err := io.ReadFull(src, buf[:1]); k > 0 {
		return fmt.Errorf("the input holds more than its %d bytes: did it change?", size)
	} else if err != io.EOF {
		return err
	}
	closed = true
	s, err := sw.Close()
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return err
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if s.CipherSize != sp.st.Size || sp.written != sp.st.Size {
		return fmt.Errorf("sealed %d bytes of ciphertext, expected %d", s.CipherSize, sp.st.Size)
	}
	p.seal(s)
	sp.st.Sealed = true
	return sp.saveLocked()
}

// terminate ends an upload that cannot be completed.
func (u *resumer) terminate(ctx context.Context, path string) error {
	for {
		err := u.c.terminateUpload(ctx, path)
		var ae *Error
		if err == nil || errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil
		}
		if errors.As(err, &ae) && ae.Status == http.StatusLocked || retryable(ctx, err) {
			if err := u.backoff(ctx, err); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// lookup finds the caller's uploads of size bytes made for the spool with
// token, after their address was lost, oldest first. A server that does
// not list uploads (404, 405) is taken as having none.
func (u *resumer) lookup(ctx context.Context, token string, size int64) ([]string, error) {
	for {
		found, err := u.c.findUploads(ctx, token, size)
		var ae *Error
		if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed) {
			return nil, nil
		}
		if err == nil || !retryable(ctx, err) {
			return found, err
		}
		if err := u.backoff(ctx, err); err != nil {
			return nil, err
		}
	}
}

// drop terminates uploads of this spool other than the one it continues:
// those a creation whose answer was lost made after all. It is done at
// best: what it misses expires.
func (u *resumer) drop(ctx context.Context, uploads []string) {
	for _, up := range uploads {
		if u.c.terminateUpload(ctx, up) == nil {
			u.rep.Terminated++
		}
	}
}

// abandon terminates the upload of a spool whose sealing failed, and
// removes the spool.
func (u *resumer) abandon(ctx context.Context, sp *spool) {
	if up := sp.upload(); up != "" {
		u.c.terminateUpload(ctx, up)
	}
	os.RemoveAll(sp.dir)
}

// run uploads the spool's ciphertext and deposits it.
func (u *resumer) run(ctx context.Context, req *DepositRequest, sp *spool) (*Document, error) {
	size := sp.st.Size
	interrupted := u.rep.Restarted
	offset := int64(-1) // the server's, or -1: ask
	// lost: an upload may exist whose address was not recorded (an
	// earlier process, or a creation whose answer was lost).
	lost := u.rep.Restarted
	// sealFailed stops everything once the sealer failed: the upload can
	// never be completed.
	sealFailed := func() error {
		err := sp.failed()
		if err == nil || ctx.Err() != nil {
			return err
		}
		u.abandon(ctx, sp)
		return fmt.Errorf("sealing: %w", err)
	}
	for {
		if err := sealFailed(); err != nil {
			return nil, err
		}
		if sp.upload() == "" && lost && sp.st.Token != "" {
			found, err := u.lookup(ctx, sp.st.Token, size)
			if err != nil {
				return nil, err
			}
			if len(found) > 0 {
				if err := sp.setUpload(found[0]); err != nil {
					return nil, err
				}
				u.rep.Found++
				offset, interrupted = -1, true
				u.drop(ctx, found[1:])
				lost = false
			}
		}
		if sp.upload() == "" {
			loc, err := u.c.createUpload(ctx, size, sp.st.Token)
			if err != nil {
				if retryable(ctx, err) {
					lost = true
					if err := u.backoff(ctx, err); err != nil {
						return nil, err
					}
					continue
				}
				return nil, err
			}
			if err := sp.setUpload(loc); err != nil {
				return nil, err
			}
			u.rep.NewUploads++
			offset = 0
			if lost && sp.st.Token != "" {
				// A creation whose answer was lost, slower than the
				// lookup, may have made one after all.
				if found, err := u.c.findUploads(ctx, sp.st.Token, size); err == nil {
					u.drop(ctx, slices.DeleteFunc(found, func(up string) bool { return up == loc }))
				}
				lost = false
			}
		}
		upload := sp.upload()
		if offset < 0 {
			off, err := u.c.uploadOffset(ctx, upload, size)
			var ae *Error
			if errors.Is(err, errUploadMismatch) {
				// Not an upload of this spool's ciphertext: leave it and
				// start another.
				u.c.terminateUpload(ctx, upload)
				if err := sp.setUpload(""); err != nil {
					return nil, err
				}
				continue
			}
			if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
				// Expired, or consumed by a deposit whose answer was lost.
				if sp.complete() {
					if doc, ok := u.c.depositedAlready(ctx, sp.st.Prepared); ok {
						os.RemoveAll(sp.dir)
						return doc, nil
					}
				}
				if err := sp.setUpload(""); err != nil {
					return nil, err
				}
				continue
			}
			if err != nil {
				if retryable(ctx, err) {
					if err := u.backoff(ctx, err); err != nil {
						return nil, err
					}
					continue
				}
				return nil, err
			}
			offset = off
			if interrupted && offset > 0 {
				u.rep.Resumptions++
				u.rep.Offsets = append(u.rep.Offsets, offset)
				if u.opts.Resumed != nil {
					u.opts.Resumed(offset, u.rep.Restarted && u.rep.Resumptions == 1)
				}
			}
		}
		interrupted = false
		if u.opts.Sent != nil {
			u.opts.Sent(offset, size)
		}
		if offset < size {
			start := offset
			next, sent, err := u.c.patchUpload(ctx, upload, start, sp.section(start, size), size-start, func(n int64) {
				if u.opts.Sent != nil {
					u.opts.Sent(start+n, size)
				}
			})
			u.rep.Sent += sent
			if err := sealFailed(); err != nil {
				return nil, err
			}
			if err != nil {
				offset, interrupted = -1, true
				var ae *Error
				if errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusLocked) || retryable(ctx, err) {
					if err := u.backoff(ctx, err); err != nil {
						return nil, err
					}
					continue
				}
				return nil, err
			}
			if next == start {
				// Nothing was taken: count it as a failure, not a loop.
				if err := u.backoff(ctx, errors.New("the server took none of the bytes sent")); err != nil {
					return nil, err
				}
				continue
			}
			u.failures = 0
			offset = next
			continue
		}
		if err := sp.wait(); err != nil {
			if err := sealFailed(); err != nil {
				return nil, err
			}
			return nil, err
		}
		doc, err := u.c.depositUpload(ctx, req, sp.st.Prepared, upload)
		if err == nil {
			os.RemoveAll(sp.dir)
			return doc, nil
		}
		offset, interrupted = -1, true
		if retryable(ctx, err) {
			if err := u.backoff(ctx, err); err != nil {
				return nil, err
			}
			if doc, ok := u.c.depositedAlready(ctx, sp.st.Prepared); ok {
				os.RemoveAll(sp.dir)
				return doc, nil
			}
			continue
		}
		var ae *Error
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			// The upload is not complete after all (a server that held
			// its tail in memory restarted): ask again and send the rest.
			if err := u.backoff(ctx, err); err != nil {
				return nil, err
			}
			continue
		}
		if errors.As(err, &ae) && ae.Status/100 == 4 && ae.Status != http.StatusTooManyRequests {
			// Refused: the upload is gone or useless, and so is the spool.
			os.RemoveAll(sp.dir)
		}
		return nil, err
	}
}

type countingReader struct {
	r  io.Reader
	n  int64
	fn func(int64)
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if n > 0 {
		r.fn(r.n)
	}
	return n, err
}

// retryable reports whether err is a network error worth another attempt
// (not the caller giving up, not an answer of the server's).
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ae *Error
	if errors.As(err, &ae) {
		// A body that broke on the way (interrupted, stalled) is the
		// network's doing too.
		return ae.Status >= 500 || ae.Status == http.StatusTooManyRequests && ae.Code != "too_many_uploads" ||
			ae.Status == http.StatusRequestTimeout || ae.Code == "interrupted"
	}
	return true
}

func (c *Client) tusRequest(ctx context.Context, method, path string, body io.Reader, n int64) (*http.Request, error) {
	if !strings.HasPrefix(path, "/v1/uploads") {
		return nil, fmt.Errorf("the server named an upload outside /v1/uploads")
	}
	hr, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Tus-Resumable", "1.0.0")
	if c.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if body != nil {
		hr.ContentLength = n
		hr.Header.Set("Content-Type", "application/offset+octet-stream")
	}
	return hr, nil
}

// createUpload starts an upload of size bytes for the spool with token
// and returns its path.
func (c *Client) createUpload(ctx context.Context, size int64, token string) (string, error) {
	hr, err := c.tusRequest(ctx, http.MethodPost, "/v1/uploads", nil, 0)
	if err != nil {
		return "", err
	}
	hr.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
	if token != "" {
		hr.Header.Set("Upload-Metadata", spoolMetadata(token))
	}
	resp, err := c.http().Do(hr)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", readError(resp)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/v1/uploads/") || strings.ContainsAny(loc[len("/v1/uploads/"):], "/?#") {
		return "", fmt.Errorf("the server named the upload %q", loc)
	}
	return loc, nil
}

// errUploadMismatch reports an upload whose length or offset cannot be
// this spool's.
var errUploadMismatch = errors.New("the server gave an offset or length that is not this upload's")

// uploadOffset asks the server how much of the upload it holds.
func (c *Client) uploadOffset(ctx context.Context, path string, size int64) (int64, error) {
	hr, err := c.tusRequest(ctx, http.MethodHead, path, nil, 0)
	if err != nil {
		return 0, err
	}
	resp, err := c.http().Do(hr)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, &Error{Status: resp.StatusCode, Message: fmt.Sprintf("server answered %d to HEAD %s", resp.StatusCode, path)}
	}
	off, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || off < 0 || off > size || resp.Header.Get("Upload-Length") != strconv.FormatInt(size, 10) {
		return 0, fmt.Errorf("%s: %w", path, errUploadMismatch)
	}
	return off, nil
}

// patchUpload sends n bytes of r at offset and returns the upload's
// offset after it, as the server answered (-1 if it did not say), and
// how many bytes it sent.
func (c *Client) patchUpload(ctx context.Context, path string, offset int64, r io.Reader, n int64, sent func(int64)) (int64, int64, error) {
	cr := &countingReader{r: r, fn: sent}
	hr, err := c.tusRequest(ctx, http.MethodPatch, path, cr, n)
	if err != nil {
		return -1, 0, err
	}
	hr.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	resp, err := c.http().Do(hr)
	if err != nil {
		return -1, cr.n, err
	}
	if resp.StatusCode != http.StatusNoContent {
		return -1, cr.n, readError(resp)
	}
	resp.Body.Close()
	next, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || next < offset || next > offset+n {
		next = -1
	}
	return next, cr.n, nil
}

// terminateUpload ends an upload and discards its bytes (tus termination).
func (c *Client) terminateUpload(ctx context.Context, path string) error {
	hr, err := c.tusRequest(ctx, http.MethodDelete, path, nil, 0)
	if err != nil {
		return err
	}
	resp, err := c.http().Do(hr)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusNoContent {
		return readError(resp)
	}
	resp.Body.Close()
	return nil
}

// depositUpload sends the deposit that names the complete upload.
func (c *Client) depositUpload(ctx context.Context, req *DepositRequest, p *preparedDeposit, upload string) (*Document, error) {
	meta := p.meta()
	meta["upload"] = strings.TrimPrefix(upload, "/v1/uploads/")
	final, err := p.final(req, c.now())
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := writeJSONPart(mw, "meta", meta); err != nil {
		return nil, err
	}
	if err := writeJSONPart(mw, "final", final); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	doc := new(Document)
	err = c.call(ctx, request{method: http.MethodPost, path: "/v1/documents", raw: &body, contentType: mw.FormDataContentType()}, doc)
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// depositedAlready reports whether the deposit of p was recorded, with
// its ciphertext: a deposit whose answer was lost.
func (c *Client) depositedAlready(ctx context.Context, p *preparedDeposit) (*Document, bool) {
	doc, err := c.Document(ctx, p.ID)
	if err != nil || doc.CipherSHA256 != p.CipherSHA256 {
		return nil, false
	}
	return doc, true
}
