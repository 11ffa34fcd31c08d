package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A resumable deposit seals the document once into a spool directory on
// this machine (ciphertext only, with the key slots and the sealed private
// metadata), uploads the ciphertext with tus (POST, HEAD and PATCH at
// /v1/uploads) and then deposits naming the upload. After a network error
// it waits, asks the server for the offset and continues; a process that
// is killed and started again with the same spool continues the same
// upload, since age encryption is randomised and only the spooled
// ciphertext matches what the server already holds.

// ResumeOptions tunes DepositResumable.
type ResumeOptions struct {
	// Spool is the directory that keeps this deposit's ciphertext and state
	// between attempts and processes (SpoolDir names one). It is removed
	// once the deposit succeeds.
	Spool string
	// Retries is how many network errors in a row are retried (0: 12).
	Retries int
	// MaxBackoff bounds the wait between attempts (0: 30 s); the first
	// wait is a tenth of a second, doubling.
	MaxBackoff time.Duration
	// Sealing and Sent, if set, are called as the plaintext is sealed and
	// as the server acknowledges ciphertext: done of total bytes.
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
// private metadata are age files; the document key is gone).
type spoolState struct {
	Prepared *preparedDeposit `json:"prepared"`
	Upload   string           `json:"upload,omitempty"` // /v1/uploads/ID
}

const spoolContent = "content.age"

func (st *spoolState) save(dir string) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "state.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "state.json"))
}

// loadSpool returns the state of a complete spool, or nil.
func loadSpool(dir string) *spoolState {
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return nil
	}
	var st spoolState
	if json.Unmarshal(b, &st) != nil || st.Prepared == nil {
		return nil
	}
	fi, err := os.Stat(filepath.Join(dir, spoolContent))
	if err != nil || fi.Size() != st.Prepared.Digest.CipherSize {
		return nil
	}
	return &st
}

// DepositResumable is Deposit through a resumable upload: see ResumeOptions.
// req.Content is read only if the spool holds no sealed copy yet.
func (c *Client) DepositResumable(ctx context.Context, req DepositRequest, opts ResumeOptions) (*Deposited, *Resumption, error) {
	if opts.Spool == "" {
		return nil, nil, errors.New("a resumable deposit needs a spool directory")
	}
	rep := &Resumption{}
	st := loadSpool(opts.Spool)
	if st != nil {
		rep.Restarted = true
		if req.Signer == nil && req.Sign == nil {
			req.Signer = c.Signer
		}
	} else {
		var err error
		if st, err = c.sealToSpool(ctx, &req, opts); err != nil {
			return nil, rep, err
		}
	}
	p := st.Prepared
	content, err := os.Open(filepath.Join(opts.Spool, spoolContent))
	if err != nil {
		return nil, rep, err
	}
	defer content.Close()
	size := p.Digest.CipherSize

	retries := opts.Retries
	if retries == 0 {
		retries = 12
	}
	maxBackoff := opts.MaxBackoff
	if maxBackoff == 0 {
		maxBackoff = 30 * time.Second
	}
	failures := 0
	interrupted := rep.Restarted
	backoff := func(err error) error {
		failures++
		interrupted = true
		if failures > retries {
			return fmt.Errorf("giving up after %d network errors: %w", failures-1, err)
		}
		d := min(maxBackoff, 100*time.Millisecond<<min(failures-1, 16))
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}

	for {
		if st.Upload == "" {
			loc, err := c.createUpload(ctx, size)
			if err != nil {
				if retryable(ctx, err) {
					if err := backoff(err); err != nil {
						return nil, rep, err
					}
					continue
				}
				return nil, rep, err
			}
			st.Upload = loc
			rep.NewUploads++
			if err := st.save(opts.Spool); err != nil {
				return nil, rep, err
			}
		}
		offset, err := c.uploadOffset(ctx, st.Upload, size)
		var ae *Error
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			// Expired, or consumed by a deposit whose answer was lost.
			if doc, ok := c.depositedAlready(ctx, p); ok {
				os.RemoveAll(opts.Spool)
				return &Deposited{Document: doc, Digest: p.Digest}, rep, nil
			}
			st.Upload = ""
			continue
		}
		if err != nil {
			if retryable(ctx, err) {
				if err := backoff(err); err != nil {
					return nil, rep, err
				}
				continue
			}
			return nil, rep, err
		}
		if interrupted && offset > 0 {
			rep.Resumptions++
			rep.Offsets = append(rep.Offsets, offset)
			if opts.Resumed != nil {
				opts.Resumed(offset, rep.Restarted && rep.Resumptions == 1)
			}
		}
		interrupted = false
		if opts.Sent != nil {
			opts.Sent(offset, size)
		}
		if offset < size {
			sent, err := c.patchUpload(ctx, st.Upload, offset, io.NewSectionReader(content, offset, size-offset), size-offset, func(n int64) {
				if opts.Sent != nil {
					opts.Sent(offset+n, size)
				}
			})
			rep.Sent += sent
			if err != nil {
				var ae *Error
				if errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusLocked) || retryable(ctx, err) {
					if err := backoff(err); err != nil {
						return nil, rep, err
					}
					continue
				}
				return nil, rep, err
			}
			failures = 0
			continue // HEAD again: the answer's offset is checked there
		}
		doc, err := c.depositUpload(ctx, &req, p, st.Upload)
		if err == nil {
			os.RemoveAll(opts.Spool)
			return &Deposited{Document: doc, Digest: p.Digest}, rep, nil
		}
		if retryable(ctx, err) {
			if err := backoff(err); err != nil {
				return nil, rep, err
			}
			if doc, ok := c.depositedAlready(ctx, p); ok {
				os.RemoveAll(opts.Spool)
				return &Deposited{Document: doc, Digest: p.Digest}, rep, nil
			}
			continue
		}
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			// The upload is not complete after all (a server that held
			// its tail in memory restarted): ask again and send the rest.
			if err := backoff(err); err != nil {
				return nil, rep, err
			}
			continue
		}
		if errors.As(err, &ae) && ae.Status/100 == 4 && ae.Status != http.StatusTooManyRequests {
			// Refused: the upload is gone or useless, and so is the spool.
			os.RemoveAll(opts.Spool)
		}
		return nil, rep, err
	}
}

// sealToSpool seals req.Content into a new spool.
func (c *Client) sealToSpool(ctx context.Context, req *DepositRequest, opts ResumeOptions) (*spoolState, error) {
	p, err := c.prepareDeposit(ctx, req)
	if err != nil {
		return nil, err
	}
	os.RemoveAll(opts.Spool)
	if err := os.MkdirAll(opts.Spool, 0o700); err != nil {
		return nil, err
	}
	tmp := filepath.Join(opts.Spool, spoolContent+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	src := req.Content
	if opts.Sealing != nil {
		src = &countingReader{r: src, fn: func(n int64) { opts.Sealing(n, -1) }}
	}
	s, err := p.dep.Seal(f, src, req.Private)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(opts.Spool, spoolContent))
	}
	if err != nil {
		os.RemoveAll(opts.Spool)
		return nil, err
	}
	p.seal(s)
	st := &spoolState{Prepared: p}
	if err := st.save(opts.Spool); err != nil {
		os.RemoveAll(opts.Spool)
		return nil, err
	}
	return st, nil
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

// createUpload starts an upload of size bytes and returns its path.
func (c *Client) createUpload(ctx context.Context, size int64) (string, error) {
	hr, err := c.tusRequest(ctx, http.MethodPost, "/v1/uploads", nil, 0)
	if err != nil {
		return "", err
	}
	hr.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
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
		return 0, fmt.Errorf("the server gave an invalid offset or length for %s", path)
	}
	return off, nil
}

// patchUpload sends n bytes of r at offset and returns how many it sent.
func (c *Client) patchUpload(ctx context.Context, path string, offset int64, r io.Reader, n int64, sent func(int64)) (int64, error) {
	cr := &countingReader{r: r, fn: sent}
	hr, err := c.tusRequest(ctx, http.MethodPatch, path, cr, n)
	if err != nil {
		return 0, err
	}
	hr.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	resp, err := c.http().Do(hr)
	if err != nil {
		return cr.n, err
	}
	if resp.StatusCode != http.StatusNoContent {
		return cr.n, readError(resp)
	}
	resp.Body.Close()
	return cr.n, nil
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
