package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/amana-vault/amana/auditlog"
)

// handleUserKeys answers a user's keys with the proof that the audit log
// binds them (auditlog.UserKeys), for any signed-in user: the binding
// event, its inclusion proof, the signed checkpoint, and a consistency
// proof from ?since=N, the size of the newest checkpoint the client kept.
// With ?at=SEQ it answers the keys that were in effect when event SEQ was
// appended: the latest binding before it, and the user's next binding,
// which proves that none lies between.
func (s *Server) handleUserKeys(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err := int64Param(q.Get("since"), 0)
	if err != nil {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "since must be a non-negative integer"))
		return
	}
	var k *auditlog.UserKeys
	if q.Has("at") {
		at, err := int64Param(q.Get("at"), 0)
		if err != nil {
			s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "at must be a positive integer"))
			return
		}
		k, err = s.cfg.Vault.UserKeyProofAt(s.caller(r, ""), mux.Vars(r)["id"], at, since, q.Get("purpose"))
	} else {
		k, err = s.cfg.Vault.UserKeyProof(s.caller(r, ""), mux.Vars(r)["id"], since, q.Get("purpose"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, k)
}

// depositProof is the answer of GET /v1/documents/{id}/manifest.
type depositProof struct {
	Document string `json:"document"`
	*auditlog.EventProof
}

// handleDepositProof answers the audit event that recorded a document's
// deposit, with its signed manifest, its inclusion proof and a consistency
// proof from ?since=N, to whoever may read the document's record: a
// reader checks the manifest with the signing key bound to the depositor
// when that event was appended (?at= of the depositor's keys).
func (s *Server) handleDepositProof(w http.ResponseWriter, r *http.Request) {
	since, err := int64Param(r.URL.Query().Get("since"), 0)
	if err != nil {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "since must be a non-negative integer"))
		return
	}
	id := mux.Vars(r)["id"]
	p, err := s.cfg.Vault.DepositProof(s.caller(r, ""), id, since)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, depositProof{Document: id, EventProof: p})
}
