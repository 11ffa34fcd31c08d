package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/vault"
)

type statsResponse struct {
	By        []string          `json:"by"`
	Total     string            `json:"total"`
	Cells     []vault.StatsCell `json:"cells"`
	SmallCell int               `json:"small_cell"`
}

// handleStats answers advocacy statistics: counts of documents whose
// consent includes advocacy, with complementary suppression (see
// vault.Stats): counts below 5, and enough others that none of them can be
// derived, are reported as "suppressed".
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	var by []string
	for _, v := range r.URL.Query()["by"] {
		for _, d := range strings.Split(v, ",") {
			if d = strings.TrimSpace(d); d != "" {
				by = append(by, d)
			}
		}
	}
	if len(by) > len(vault.StatsDimensions) {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "too many dimensions"))
		return
	}
	cells, total, err := s.cfg.Vault.Stats(s.caller(r, ""), by)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if by == nil {
		by = []string{}
	}
	if cells == nil {
		cells = []vault.StatsCell{}
	}
	writeJSON(w, http.StatusOK, statsResponse{By: by, Total: total, Cells: cells, SmallCell: vault.SmallCell})
}

type custodyProof struct {
	Seq   int64       `json:"seq"`
	Proof []tlog.Hash `json:"proof"`
}

type custodyResponse struct {
	Document   string            `json:"document"`
	Events     []json.RawMessage `json:"events"`
	Proofs     []custodyProof    `json:"proofs"`
	Checkpoint string            `json:"checkpoint"`
	Verifier   string            `json:"verifier"`
}

// handleCustody answers a document's custody trail: every audit event about
// it, with inclusion proofs in the tree of a signed checkpoint.
func (s *Server) handleCustody(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	c, err := s.cfg.Vault.CustodyTrail(s.caller(r, ""), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// With witnesses, prove the trail in a checkpoint they cosigned, so
	// that a court bundle carries their cosignatures.
	if cp := s.cosignedSince(r.Context(), c.Checkpoint); cp != nil {
		if cc, err := s.cfg.Vault.ProveCustodyIn(c, cp); err == nil {
			c = cc
		}
	}
	out := custodyResponse{Document: id, Events: make([]json.RawMessage, len(c.Events)), Proofs: make([]custodyProof, len(c.Events)),
		Checkpoint: string(c.Checkpoint), Verifier: c.Verifier}
	for i := range c.Events {
		out.Events[i] = c.Events[i]
		out.Proofs[i] = custodyProof{Seq: c.Seqs[i], Proof: c.Proofs[i]}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleBackup streams a consistent copy of the vault file (admins, with a
// step-up). The copy is as sealed as the vault: content stays encrypted to
// users' keys and server secrets to the passphrase.
func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="amana-backup.db"`)
	sw := &headerWatch{ResponseWriter: w}
	if _, err := s.cfg.Vault.Backup(s.caller(r, ""), sw); err != nil {
		if !sw.wrote {
			w.Header().Del("Content-Disposition")
			s.writeError(w, r, err)
			return
		}
		// Too late for a status: cut the stream, so the client sees a
		// truncated body rather than a complete-looking file.
		s.log.Error("backup interrupted", "request_id", requestID(r), "err", err.Error())
		panic(http.ErrAbortHandler)
	}
}

type headerWatch struct {
	http.ResponseWriter
	wrote bool
}

func (h *headerWatch) Write(p []byte) (int, error) {
	h.wrote = true
	return h.ResponseWriter.Write(p)
}
