package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"
)

// handleUserKeys answers a user's keys with the proof that the audit log
// binds them (auditlog.UserKeys), for any signed-in user: the binding
// event, its inclusion proof, the signed checkpoint, and a consistency
// proof from ?since=N, the size of the newest checkpoint the client kept.
func (s *Server) handleUserKeys(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err := int64Param(q.Get("since"), 0)
	if err != nil {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "since must be a non-negative integer"))
		return
	}
	k, err := s.cfg.Vault.UserKeyProof(s.caller(r, ""), mux.Vars(r)["id"], since, q.Get("purpose"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, k)
}
