package httpapi

import (
	"net/http"
	"strings"
)

// consentScopes reads ?scopes=research,legal_proceedings (also repeated):
// nil when the query names no scopes parameter at all.
func consentScopes(r *http.Request) []string {
	q, ok := r.URL.Query()["scopes"]
	if !ok {
		return nil
	}
	scopes := []string{}
	for _, v := range q {
		for sc := range strings.SplitSeq(v, ",") {
			if sc = strings.TrimSpace(sc); sc != "" {
				scopes = append(scopes, sc)
			}
		}
	}
	return scopes
}

// handleCheck reports key slots that the document's consent does not cover
// (admins, step-up): what a vault written before the consent rule holds.
func (s *Server) handleCheck(w http.ResponseWriter, r *http.Request) {
	rep, err := s.cfg.Vault.CheckConsent(s.caller(r, ""))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
