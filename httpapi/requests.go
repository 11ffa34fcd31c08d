package httpapi

import (
	"io"
	"net/http"

	"github.com/gorilla/mux"
	"golang.org/x/time/rate"

	"github.com/amana-vault/amana/vault"
)

// Access requests: POST /v1/documents/{id}/requests asks the document's
// keepers for a key slot; GET /v1/documents/{id}/requests and GET
// /v1/requests list the pending requests a keeper can grant; GET
// /v1/documents/{id}/requests/{user} is one of them (a user's own, or any
// for a keeper) and DELETE declines it (a keeper). A request carries no
// text (see vault.Request), and asking is limited per user.
const (
	requestRate  = rate.Limit(20.0 / 3600) // twenty an hour
	requestBurst = 20
)

type requestsResponse struct {
	Requests []vault.AccessRequest `json:"requests"`
}

func (s *Server) handleRequest(w http.ResponseWriter, r *http.Request) {
	// There is no reason field to fill in: a body is refused rather than
	// dropped, so that nobody believes their words were passed on.
	var one [1]byte
	if n, _ := io.ReadFull(http.MaxBytesReader(w, r.Body, 1<<10), one[:]); n > 0 {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "an access request carries no body"))
		return
	}
	req, created, err := s.cfg.Vault.Request(s.caller(r, ""), mux.Vars(r)["id"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, req)
}

func (s *Server) handleDocumentRequests(w http.ResponseWriter, r *http.Request) {
	reqs, err := s.cfg.Vault.Requests(s.caller(r, ""), mux.Vars(r)["id"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, requestsResponse{reqs})
}

func (s *Server) handleAllRequests(w http.ResponseWriter, r *http.Request) {
	reqs, err := s.cfg.Vault.AllRequests(s.caller(r, ""))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, requestsResponse{reqs})
}

func (s *Server) handlePendingRequest(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	req, err := s.cfg.Vault.PendingRequest(s.caller(r, ""), v["id"], v["user"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, req)
}

func (s *Server) handleDecline(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	if err := s.cfg.Vault.Decline(s.caller(r, ""), v["id"], v["user"]); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
