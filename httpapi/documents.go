package httpapi

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/amana-vault/amana/vault"
)

// Deposit and rekey requests are multipart/form-data with three parts, in
// this order, so that the ciphertext streams straight into the vault:
//
//	meta     application/json     what the document is, and its key slots
//	content  application/octet-stream  the age file (ciphertext)
//	final    application/json     {"cipher_sha256": hex, "private": base64 age file,
//	                               "manifest": text, "manifest_sig": armored SSH signature}
//
// When meta names a complete resumable upload of the caller's ("upload":
// its id, /v1/uploads), the ciphertext is that upload's and the content
// part is left out: meta, then final.
//
// The vault checks the ciphertext against cipher_sha256, and a deposit's
// signed manifest against the deposit and the depositor's signing key,
// before the document becomes visible (docs/document-protocol.md).
const (
	maxMetaPart  = 4 << 20 // public metadata (transcript up to 1 MiB) and key slots
	maxFinalPart = 2 << 20 // private metadata up to 1 MiB, base64
)

type depositMeta struct {
	ID         string            `json:"id"`
	Collection string            `json:"collection"`
	Kind       string            `json:"kind"`
	Public     json.RawMessage   `json:"public"` // kept as sent: the manifest signs its bytes
	Consent    vault.Consent     `json:"consent"`
	Slots      map[string][]byte `json:"slots"` // base64 in JSON
	Upload     string            `json:"upload,omitempty"`
}

type depositFinal struct {
	CipherSHA256 string `json:"cipher_sha256"`
	Private      []byte `json:"private,omitempty"` // base64 in JSON
	Manifest     string `json:"manifest,omitempty"`
	ManifestSig  string `json:"manifest_sig,omitempty"`
}

// multipartParts opens a multipart body and returns a function that yields
// the next part, which must have the given name.
func (s *Server) multipartParts(w http.ResponseWriter, r *http.Request) (func(name string) (*multipart.Part, error), error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, newError(http.StatusUnsupportedMediaType, "unsupported_media_type", "send multipart/form-data with parts meta, content, final")
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxDeposit)
	mr := multipart.NewReader(r.Body, params["boundary"])
	return func(name string) (*multipart.Part, error) {
		p, err := mr.NextPart()
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, err
			}
			if bodyTimedOut(err) {
				return nil, errBodyTimeout
			}
			return nil, newError(http.StatusBadRequest, "bad_multipart", "expected part %q: malformed or missing", name)
		}
		if p.FormName() != name {
			return nil, newError(http.StatusBadRequest, "bad_multipart", "expected part %q, got another", name)
		}
		return p, nil
	}, nil
}

// decodePart decodes a JSON part of at most max bytes, strictly.
func decodePart(p *multipart.Part, max int64, v any) error {
	b, err := io.ReadAll(io.LimitReader(p, max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if bodyTimedOut(err) {
			return errBodyTimeout
		}
		return newError(http.StatusBadRequest, "bad_multipart", "part %q: truncated", p.FormName())
	}
	if int64(len(b)) > max {
		return newError(http.StatusRequestEntityTooLarge, "too_large", "part %q too large", p.FormName())
	}
	if err := strictJSON(b, v); err != nil {
		return newError(http.StatusBadRequest, "bad_json", "part %q: %s", p.FormName(), err.Error())
	}
	return nil
}

// streamUpload copies the content part into up and commits it with the
// final part, which for a deposit must carry the signed manifest. On any
// failure the upload is aborted: nothing is left.
func (s *Server) streamUpload(next func(string) (*multipart.Part, error), up *vault.Upload, deposit, resumed bool) (*vault.Document, error) {
	if !resumed {
		if err := s.streamContent(next, up); err != nil {
			return nil, err
		}
	}
	p, err := next("final")
	if err != nil {
		up.Abort()
		return nil, err
	}
	return s.finishUpload(p, up, deposit)
}

// finishUpload reads the final part and commits up with it.
func (s *Server) finishUpload(p *multipart.Part, up *vault.Upload, deposit bool) (*vault.Document, error) {
	var fin depositFinal
	if err := decodePart(p, maxFinalPart, &fin); err != nil {
		up.Abort()
		return nil, err
	}
	sum, err := hex.DecodeString(fin.CipherSHA256)
	if err != nil || len(sum) != 32 {
		up.Abort()
		return nil, newError(http.StatusBadRequest, "invalid", "cipher_sha256 must be 64 hex digits")
	}
	switch {
	case deposit && (fin.Manifest == "" || fin.ManifestSig == ""):
		up.Abort()
		return nil, newError(http.StatusBadRequest, "manifest_required", "a deposit must carry the depositor's signed manifest (manifest, manifest_sig)")
	case !deposit && (fin.Manifest != "" || fin.ManifestSig != ""):
		up.Abort()
		return nil, newError(http.StatusBadRequest, "invalid", "a rekey keeps the deposit's manifest: send none")
	case deposit:
		up.SetManifest([]byte(fin.Manifest), []byte(fin.ManifestSig))
	}
	return up.Commit([32]byte(sum), fin.Private)
}

// streamContent copies the content part into up. On any failure the
// upload is aborted.
func (s *Server) streamContent(next func(string) (*multipart.Part, error), up *vault.Upload) error {
	p, err := next("content")
	if err != nil {
		up.Abort()
		return err
	}
	buf := make([]byte, 256<<10)
	uw := &vaultWriter{up: up}
	if _, err := io.CopyBuffer(uw, p, buf); err != nil {
		up.Abort()
		if uw.err != nil {
			return uw.err // the vault refused the content, or failed to store it
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if bodyTimedOut(err) {
			return newError(http.StatusRequestTimeout, "timeout", "the upload stalled: no data arrived in time")
		}
		return newError(http.StatusBadRequest, "bad_multipart", "reading content: upload interrupted or malformed")
	}
	return nil
}

// vaultWriter tells errors of the vault apart from errors reading the
// request.
type vaultWriter struct {
	up  *vault.Upload
	err error
}

func (w *vaultWriter) Write(p []byte) (int, error) {
	n, err := w.up.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}

// upload runs a multipart deposit or rekey: it decodes the meta part into
// meta, lets begin start the vault upload from it, and streams the rest.
// begin reports whether the ciphertext is a resumable upload's, which the
// request then does not carry.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, meta any, deposit bool, begin func() (*vault.Upload, bool, error)) (*vault.Document, error) {
	next, err := s.multipartParts(w, r)
	if err != nil {
		return nil, err
	}
	p, err := next("meta")
	if err != nil {
		return nil, err
	}
	if err := decodePart(p, maxMetaPart, meta); err != nil {
		return nil, err
	}
	up, resumed, err := begin()
	if err != nil {
		return nil, err
	}
	return s.streamUpload(next, up, deposit, resumed)
}

func (s *Server) handleDeposit(w http.ResponseWriter, r *http.Request) {
	var meta depositMeta
	doc, err := s.upload(w, r, &meta, true, func() (*vault.Upload, bool, error) {
		var public vault.PublicMeta
		if len(meta.Public) == 0 {
			return nil, false, newError(http.StatusBadRequest, "invalid", "public metadata is required")
		}
		if err := strictJSON(meta.Public, &public); err != nil {
			return nil, false, newError(http.StatusBadRequest, "bad_json", "part \"meta\": public: %s", err.Error())
		}
		up, err := s.cfg.Vault.BeginDeposit(s.caller(r, ""), vault.DepositRequest{
			ID: meta.ID, Collection: meta.Collection, Kind: meta.Kind, Public: public, Consent: meta.Consent, Slots: meta.Slots,
			PublicSigned: meta.Public, Upload: meta.Upload,
		})
		return up, meta.Upload != "", err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.reindex()
	writeJSON(w, http.StatusCreated, doc)
}

type rekeyMeta struct {
	Slots  map[string][]byte `json:"slots"`
	Upload string            `json:"upload,omitempty"`
}

// handleRekey replaces a document's ciphertext with one under a new
// document key, with new slots for exactly the current holders.
func (s *Server) handleRekey(w http.ResponseWriter, r *http.Request) {
	var meta rekeyMeta
	doc, err := s.upload(w, r, &meta, false, func() (*vault.Upload, bool, error) {
		up, err := s.cfg.Vault.BeginRekeyFrom(s.caller(r, ""), mux.Vars(r)["id"], meta.Slots, meta.Upload)
		return up, meta.Upload != "", err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

// reindex applies pending index changes now, so a deposit or shred is
// reflected in search at once. A failure is retried by the periodic drain.
func (s *Server) reindex() {
	if s.cfg.Indexer == nil {
		return
	}
	if _, err := s.cfg.Indexer.Drain(); err != nil {
		s.log.Error("index update failed; will retry", "err", err.Error())
	}
}

func (s *Server) handleGetDocument(w http.ResponseWriter, r *http.Request) {
	doc, err := s.cfg.Vault.GetDocument(s.caller(r, ""), mux.Vars(r)["id"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

func writeAgeFile(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func (s *Server) handleKeySlot(w http.ResponseWriter, r *http.Request) {
	slot, err := s.cfg.Vault.KeySlot(s.caller(r, ""), mux.Vars(r)["id"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeAgeFile(w, slot)
}

func (s *Server) handlePrivate(w http.ResponseWriter, r *http.Request) {
	priv, err := s.cfg.Vault.Private(s.caller(r, ""), mux.Vars(r)["id"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(priv) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeAgeFile(w, priv)
}

// handleContent serves the ciphertext as an age file, with Range support
// (http.ServeContent), and its SHA-256 in the ETag.
func (s *Server) handleContent(w http.ResponseWriter, r *http.Request) {
	c, err := s.cfg.Vault.OpenContent(s.caller(r, ""), mux.Vars(r)["id"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer c.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+c.SHA256+`"`)
	w.Header().Set("X-Amana-Cipher-SHA256", c.SHA256)
	http.ServeContent(w, r, "", time.Time{}, c)
}

type grantRequest struct {
	User string `json:"user"`
	Slot []byte `json:"slot"` // base64 age file
}

func (s *Server) handleGrant(w http.ResponseWriter, r *http.Request) {
	var req grantRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cfg.Vault.Grant(s.caller(r, ""), mux.Vars(r)["id"], req.User, req.Slot); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"document": mux.Vars(r)["id"], "user": req.User})
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	if err := s.cfg.Vault.Revoke(s.caller(r, ""), v["id"], v["user"]); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleShred(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Vault.Shred(s.caller(r, ""), mux.Vars(r)["id"]); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.reindex()
	w.WriteHeader(http.StatusNoContent)
}
