package httpapi

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/amana-vault/amana/vault"
)

// Resumable uploads speak tus 1.0.0 (https://tus.io/protocols/resumable-upload)
// with the extensions creation, creation-with-upload, termination and
// expiration, at /v1/uploads. The state of each upload is the vault's
// (vault.CreateUpload): it belongs to the user who created it, any of
// whose sessions may continue it; for everyone else it does not exist
// (404). The offset an answer gives is always what the blob store holds
// durably. A complete upload is then named by a deposit or rekey
// (docs/document-protocol.md) and consumed by it.
const (
	tusVersion    = "1.0.0"
	tusExtensions = "creation,creation-with-upload,termination,expiration"
	tusType       = "application/offset+octet-stream"
)

// withTusResumable puts Tus-Resumable on every answer under /v1/uploads,
// refusals of the middleware and the router included.
func withTusResumable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/uploads" || strings.HasPrefix(r.URL.Path, "/v1/uploads/") {
			w.Header().Set("Tus-Resumable", tusVersion)
		}
		next.ServeHTTP(w, r)
	})
}

// tusResumable refuses a request of another protocol version (412, with
// the version supported), as tus requires of every request but OPTIONS.
func tusResumable(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Tus-Resumable") != tusVersion {
			w.Header().Set("Tus-Version", tusVersion)
			writeJSON(w, http.StatusPreconditionFailed, errorBodyOf("tus_version", "send Tus-Resumable: 1.0.0"))
			return
		}
		next(w, r)
	}
}

func errorBodyOf(code, message string) errorBody {
	var b errorBody
	b.Error.Code, b.Error.Message = code, message
	return b
}

func (s *Server) handleUploadOptions(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Tus-Version", tusVersion)
	h.Set("Tus-Extension", tusExtensions)
	h.Set("Tus-Max-Size", strconv.FormatInt(s.cfg.Vault.MaxContentSize(), 10))
	w.WriteHeader(http.StatusNoContent)
}

// uploadError answers a tus request's failure.
func (s *Server) uploadError(w http.ResponseWriter, r *http.Request, err error) {
	var q *vault.QuotaError
	var off *vault.OffsetError
	switch {
	case errors.As(err, &q) && q.Uploads:
		err = newError(http.StatusTooManyRequests, "too_many_uploads", "%s", strings.TrimPrefix(q.Error(), "vault: "))
	case errors.As(err, &q):
		err = newError(http.StatusRequestEntityTooLarge, "upload_quota", "%s", strings.TrimPrefix(q.Error(), "vault: "))
	case errors.As(err, &off):
		w.Header().Set("Upload-Offset", strconv.FormatInt(off.Offset, 10))
		err = newError(http.StatusConflict, "wrong_offset", "the upload's offset is %d: ask with HEAD and send from there", off.Offset)
	case errors.Is(err, vault.ErrUploadBusy):
		err = newError(http.StatusLocked, "upload_busy", "another request is writing to this upload: try again")
	}
	s.writeError(w, r, err)
}

func setUploadHeaders(w http.ResponseWriter, up *vault.ResumableUpload) {
	h := w.Header()
	h.Set("Upload-Offset", strconv.FormatInt(up.Offset, 10))
	h.Set("Upload-Expires", up.Expires.UTC().Format(http.TimeFormat))
	h.Set("Cache-Control", "no-store")
}

// parseUploadHeader parses a non-negative decimal header.
func parseUploadHeader(r *http.Request, name string) (int64, error) {
	v := r.Header.Get(name)
	if v == "" {
		return 0, newError(http.StatusBadRequest, "missing_header", "%s is required", name)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || len(v) > 19 || (len(v) > 1 && v[0] == '0') {
		return 0, newError(http.StatusBadRequest, "bad_header", "%s must be a non-negative decimal integer", name)
	}
	return n, nil
}

// checkMetadata validates Upload-Metadata: comma-separated pairs of a key
// (printable ASCII, no space or comma) and an optional base64 value.
func checkMetadata(md string) error {
	if len(md) > vault.MaxUploadMetadata {
		return newError(http.StatusRequestHeaderFieldsTooLarge, "metadata_too_large", "Upload-Metadata may take at most %d bytes", vault.MaxUploadMetadata)
	}
	if md == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, pair := range strings.Split(md, ",") {
		key, val, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if key == "" || seen[key] || strings.IndexFunc(key, func(r rune) bool { return r <= ' ' || r > '~' || r == ',' }) >= 0 {
			return newError(http.StatusBadRequest, "bad_metadata", "Upload-Metadata: each pair is a unique key and an optional base64 value")
		}
		seen[key] = true
		if _, err := base64.StdEncoding.Strict().DecodeString(val); err != nil {
			return newError(http.StatusBadRequest, "bad_metadata", "Upload-Metadata: values are base64")
		}
	}
	return nil
}

// bodyLength checks that a PATCH (or a creation with upload) carries
// application/offset+octet-stream with a Content-Length, and returns it.
func bodyLength(r *http.Request) (int64, error) {
	if ct := r.Header.Get("Content-Type"); ct != tusType {
		return 0, newError(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the bytes as %s", tusType)
	}
	if r.ContentLength < 0 {
		return 0, newError(http.StatusLengthRequired, "length_required", "Content-Length is required")
	}
	return r.ContentLength, nil
}

func (s *Server) handleUploadCreate(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upload-Defer-Length") != "" {
		s.uploadError(w, r, newError(http.StatusBadRequest, "bad_header", "Upload-Defer-Length is not supported: send Upload-Length"))
		return
	}
	length, err := parseUploadHeader(r, "Upload-Length")
	if err != nil {
		s.uploadError(w, r, err)
		return
	}
	md := r.Header.Get("Upload-Metadata")
	if err := checkMetadata(md); err != nil {
		s.uploadError(w, r, err)
		return
	}
	var body int64
	if r.ContentLength != 0 && (r.ContentLength > 0 || r.Header.Get("Content-Type") != "") {
		// creation-with-upload
		if body, err = bodyLength(r); err != nil {
			s.uploadError(w, r, err)
			return
		}
		if body > length {
			s.uploadError(w, r, newError(http.StatusRequestEntityTooLarge, "too_large", "the body is longer than Upload-Length"))
			return
		}
	}
	c := s.caller(r, "")
	up, err := s.cfg.Vault.CreateUpload(c, length, md)
	if err != nil {
		s.uploadError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/uploads/"+up.ID)
	if body > 0 {
		n, werr := s.writeUpload(w, r, c, up.ID, 0)
		up.Offset = n
		if werr != nil && n == 0 {
			// The upload exists: the client continues it with PATCH.
			s.log.Info("creation with upload: no bytes stored", "request_id", requestID(r))
		}
	}
	setUploadHeaders(w, up)
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) handleUploadHead(w http.ResponseWriter, r *http.Request) {
	up, err := s.cfg.Vault.Upload(s.caller(r, ""), mux.Vars(r)["id"])
	if err != nil {
		s.uploadError(w, r, err)
		return
	}
	setUploadHeaders(w, up)
	w.Header().Set("Upload-Length", strconv.FormatInt(up.Length, 10))
	if up.Metadata != "" {
		w.Header().Set("Upload-Metadata", up.Metadata)
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleUploadPatch(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	c := s.caller(r, "")
	up, err := s.cfg.Vault.Upload(c, id)
	if err != nil {
		s.uploadError(w, r, err)
		return
	}
	n, err := bodyLength(r)
	if err != nil {
		s.uploadError(w, r, err)
		return
	}
	offset, err := parseUploadHeader(r, "Upload-Offset")
	if err != nil {
		s.uploadError(w, r, err)
		return
	}
	if offset != up.Offset {
		s.uploadError(w, r, &vault.OffsetError{Offset: up.Offset})
		return
	}
	if n > up.Length-offset {
		s.uploadError(w, r, newError(http.StatusRequestEntityTooLarge, "too_large", "the bytes would pass Upload-Length (%d)", up.Length))
		return
	}
	got, err := s.writeUpload(w, r, c, id, offset)
	if err != nil && got == offset {
		s.uploadError(w, r, err)
		return
	}
	up.Offset = got
	setUploadHeaders(w, up)
	w.WriteHeader(http.StatusNoContent)
}

// writeUpload streams the request's body into the upload id at offset and
// returns the upload's offset after it, durable. Another request for the
// same upload ends this one's reading (a client that lost its connection
// and came back).
func (s *Server) writeUpload(w http.ResponseWriter, r *http.Request, c vault.Caller, id string, offset int64) (int64, error) {
	rc := http.NewResponseController(w)
	body := &stoppableReader{r: r.Body}
	stop := func() {
		body.stopped.Store(true)
		rc.SetReadDeadline(time.Now())
	}
	n, err := s.cfg.Vault.WriteUpload(c, id, offset, body, stop)
	if err == nil || n > offset {
		return n, nil // what arrived is acknowledged, even if the connection broke
	}
	var off *vault.OffsetError
	switch {
	case errors.As(err, &off), errors.Is(err, vault.ErrNotFound), errors.Is(err, vault.ErrUploadBusy):
		return offset, err
	case body.err != nil && bodyTimedOut(body.err):
		return offset, newError(http.StatusRequestTimeout, "timeout", "the upload stalled: no data arrived in time")
	case body.err != nil:
		return offset, newError(http.StatusBadRequest, "interrupted", "the upload was interrupted before any byte arrived")
	}
	return offset, err
}

var errStopped = errors.New("httpapi: another request took over the upload")

// stoppableReader is a request body that another request can end, and
// that remembers why reading it failed.
type stoppableReader struct {
	r       io.Reader
	stopped atomic.Bool
	err     error
}

func (s *stoppableReader) Read(p []byte) (int, error) {
	if s.stopped.Load() {
		s.err = errStopped
		return 0, errStopped
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// uploadItem is an unfinished upload as GET /v1/uploads lists it.
type uploadItem struct {
	ID       string    `json:"id"`
	Location string    `json:"location"`
	Length   int64     `json:"length"`
	Offset   int64     `json:"offset"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	Metadata string    `json:"metadata,omitempty"`
}

// handleUploadList lists the caller's unfinished uploads (not a tus
// request: no Tus-Resumable needed), so that a client that lost one can
// find it again or terminate it.
func (s *Server) handleUploadList(w http.ResponseWriter, r *http.Request) {
	ups, err := s.cfg.Vault.Uploads(s.caller(r, ""))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Uploads    []uploadItem `json:"uploads"`
		MaxUploads int          `json:"max_uploads"`
		MaxBytes   int64        `json:"max_bytes"`
	}{Uploads: []uploadItem{}}
	out.MaxUploads, out.MaxBytes = s.cfg.Vault.UploadLimits()
	for _, up := range ups {
		out.Uploads = append(out.Uploads, uploadItem{ID: up.ID, Location: "/v1/uploads/" + up.ID,
			Length: up.Length, Offset: up.Offset, Created: up.Created.UTC(), Expires: up.Expires.UTC(), Metadata: up.Metadata})
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleUploadDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Vault.TerminateUpload(s.caller(r, ""), mux.Vars(r)["id"]); err != nil {
		s.uploadError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
