package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/vault"
)

type eventsResponse struct {
	Events []json.RawMessage `json:"events"`
	Next   int64             `json:"next"` // pass as after= for the next page
}

// handleAuditEvents pages through the log. Each event is returned exactly
// as its leaf data in the Merkle tree.
func (s *Server) handleAuditEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, err := int64Param(q.Get("after"), 0)
	if err != nil {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "after must be a non-negative integer"))
		return
	}
	limit, err := int64Param(q.Get("limit"), vault.MaxAuditPage)
	if err != nil {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "limit must be a non-negative integer"))
		return
	}
	leaves, err := s.cfg.Vault.AuditEvents(s.caller(r, ""), after, int(min(limit, vault.MaxAuditPage)))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := eventsResponse{Events: make([]json.RawMessage, len(leaves)), Next: after + int64(len(leaves))}
	for i, l := range leaves {
		out.Events[i] = l
	}
	writeJSON(w, http.StatusOK, out)
}

func int64Param(s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}

// handleCheckpoint signs a checkpoint covering the log so far. With
// witnesses, it waits (up to WitnessWait) for a quorum of them to cosign
// it or a later one, and serves the newest checkpoint a quorum cosigned,
// with the cosignatures; if there is none yet, the fresh one, with those
// it has.
func (s *Server) handleCheckpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := s.cfg.Vault.AuditCheckpoint(s.caller(r, ""))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if cosigned := s.cosignedSince(r.Context(), cp); cosigned != nil {
		cp = cosigned
	} else if s.cfg.Witnesses != nil {
		// The newest one a quorum cosigned, older than cp, if any.
		vkey := s.cfg.Vault.VerifierKey()
		if older, _ := s.cfg.Vault.CosignedCheckpoint(func(msg []byte) bool { return s.cfg.Witnesses.Accept(msg, vkey) }); older != nil {
			cp = older
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(cp)
}

// handleTile serves the log as C2SP tlog-tiles, under /v1/audit/: tiles of
// hashes at tile/L/N[.p/W] and entry bundles at tile/entries/N[.p/W]. A
// full tile never changes, so it may be cached for good (by the auditor's
// own client only: it is behind a session); a partial one is replaced by a
// wider one as the log grows.
func (s *Server) handleTile(w http.ResponseWriter, r *http.Request) {
	t, err := auditlog.ParseTilePath(strings.TrimPrefix(r.URL.Path, "/v1/audit/"))
	if err != nil {
		s.writeError(w, r, newError(http.StatusNotFound, "not_found", "no such tile: want tile/L/N[.p/W] or tile/entries/N[.p/W] (C2SP tlog-tiles)"))
		return
	}
	data, err := s.cfg.Vault.AuditTile(s.caller(r, ""), t)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if t.W == auditlog.TileWidth {
		w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.Write(data)
}

// cosignedSince asks the witnesses to cosign the checkpoint cp or a later
// one and waits (up to WitnessWait, and no longer than it takes each to
// answer once) for a quorum to do so, and returns the newest
// checkpoint they cosigned, with its cosignatures, if it is at least as
// large as cp; else nil, as when there are no witnesses.
func (s *Server) cosignedSince(ctx context.Context, cp []byte) []byte {
	ws := s.cfg.Witnesses
	if ws == nil {
		return nil
	}
	vkey := s.cfg.Vault.VerifierKey()
	c, err := auditlog.OpenCheckpoint(cp, vkey)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WitnessWait)
	ws.Wait(ctx, c.Size)
	cancel()
	cosigned, err := s.cfg.Vault.CosignedCheckpoint(func(msg []byte) bool { return ws.Accept(msg, vkey) })
	if err != nil || cosigned == nil {
		return nil
	}
	if cc, err := auditlog.OpenCheckpoint(cosigned, vkey); err != nil || cc.Size < c.Size {
		return nil
	}
	return cosigned
}

func (s *Server) handleVerifier(w http.ResponseWriter, r *http.Request) {
	// The verifier key is public, but only signed-in users need it.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s.cfg.Vault.VerifierKey() + "\n"))
}

type proofResponse struct {
	Seq   *int64      `json:"seq,omitempty"`
	Size  int64       `json:"size,omitempty"`
	Old   int64       `json:"old,omitempty"`
	New   int64       `json:"new,omitempty"`
	Proof []tlog.Hash `json:"proof"` // base64 hashes, as tlog.Hash marshals them
}

func (s *Server) handleInclusion(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	seq, err1 := int64Param(q.Get("seq"), -1)
	size, err2 := int64Param(q.Get("size"), -1)
	if err1 != nil || err2 != nil || seq < 0 || size < 1 {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "seq and size are required non-negative integers"))
		return
	}
	p, err := s.cfg.Vault.AuditInclusionProof(s.caller(r, ""), seq, size)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, proofResponse{Seq: &seq, Size: size, Proof: p})
}

func (s *Server) handleConsistency(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	oldSize, err1 := int64Param(q.Get("old"), -1)
	newSize, err2 := int64Param(q.Get("new"), -1)
	if err1 != nil || err2 != nil || oldSize < 1 || newSize < 1 {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "old and new are required positive integers"))
		return
	}
	p, err := s.cfg.Vault.AuditConsistencyProof(s.caller(r, ""), oldSize, newSize)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, proofResponse{Old: oldSize, New: newSize, Proof: p})
}

type hmacRequest struct {
	Value string `json:"value"`
}

// handleHMAC lets an admin compute the keyed hash of a known value (a query
// text, an address) to find the events that mention it.
func (s *Server) handleHMAC(w http.ResponseWriter, r *http.Request) {
	var req hmacRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := s.cfg.Vault.AuditHMAC(s.caller(r, ""), req.Value)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"hmac": h})
}
