package httpapi

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"filippo.io/age"

	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/vault"
)

type challengeRequest struct {
	User string `json:"user"`
}

type challengeResponse struct {
	ChallengeID string    `json:"challenge_id"`
	Challenge   string    `json:"challenge"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// handleChallenge answers every name alike: a user the vault holds gets a
// challenge encrypted to its recipient, any other name one encrypted to the
// name's decoy (decoy.go), which looks the same and which nobody can
// answer. Nothing is stored (challenge.go).
func (s *Server) handleChallenge(w http.ResponseWriter, r *http.Request) {
	var req challengeRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.User) > 64 {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "user id too long"))
		return
	}
	rcpt, decoy, own, err := s.challengeRecipient(req.User)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, plain, exp := s.challenges.issue(req.User)
	armored, err := sealChallenge(rcpt, plain)
	if err != nil && own {
		// A plugin recipient whose plugin is not installed on the server:
		// answer like for anyone else, with a challenge nobody can open.
		s.log.Warn("cannot encrypt a login challenge to this user's recipient; install its age plugin on the server", "request_id", requestID(r))
		if rcpt, err = recipient.Parse(decoy); err == nil {
			armored, err = sealChallenge(rcpt, plain)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, challengeResponse{ChallengeID: id, Challenge: armored, ExpiresAt: exp})
}

// challengeRecipient returns what to encrypt user's challenge to, the
// name's decoy recipient, and whether the first is the user's own. A name
// the vault does not hold, or a disabled user, gets the decoy: for the
// disabled user, one of its key's type, so that its challenges keep their
// look. Both paths do the same work, so that their timing does not tell a
// user the vault holds from any other name: look the name up, draw its
// decoy shape, derive a decoy key of the shape the challenge will show,
// parse one recipient.
func (s *Server) challengeRecipient(user string) (use age.Recipient, decoy string, own bool, err error) {
	d := s.loginDecoys()
	stored, active := s.cfg.Vault.LoginUser(user)
	shape := d.choose(user, d.currentMix())
	if sh, ok := shapeOf(stored); ok {
		shape = sh
	}
	if decoy, err = d.derive(shape, user); err != nil {
		return nil, "", false, err
	}
	if active {
		if use, err = recipient.Parse(stored); err == nil {
			return use, decoy, true, nil
		}
	}
	use, err = recipient.Parse(decoy)
	return use, decoy, false, err
}

// loginDecoys returns the decoys, made on first use from the vault's key.
func (s *Server) loginDecoys() *decoys {
	cs := s.challenges
	cs.decoysOnce.Do(func() {
		cs.decoys = newDecoys(s.cfg.Vault.LoginDecoyKey(), s.cfg.Vault.LoginRecipients, s.now)
	})
	return cs.decoys
}

type loginRequest struct {
	User        string `json:"user"`
	ChallengeID string `json:"challenge_id"`
	Response    string `json:"response"`
	TOTP        string `json:"totp"`
}

// errLoginThrottled answers failed logins without a challenge answer past
// their limit, for any name.
var errLoginThrottled = newError(http.StatusTooManyRequests, "rate_limited", "too many failed logins for this user or from this address; retry later")

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      string    `json:"user"`
	Role      string    `json:"role"`
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.User) > 64 || len(req.Response) > 1024 || len(req.TOTP) > 16 || len(req.ChallengeID) > 64 {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "field too long"))
		return
	}
	proof := s.challenges.redeem(req.ChallengeID, req.User, trimNewline(req.Response))
	if !proof {
		// Without a challenge answer nothing counts against the account
		// (vault.CheckTOTP): such failures are throttled here instead,
		// the same for every name.
		if ok, wait := s.challenges.failures.take(throttleAddr(r), req.User); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			s.writeError(w, r, errLoginThrottled)
			return
		}
	}
	role, err := s.cfg.Vault.CheckTOTP(s.caller(r, ""), "auth.login", req.User, req.TOTP, proof)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	token, exp := s.sessions.create(req.User, role)
	writeJSON(w, http.StatusOK, loginResponse{Token: token, ExpiresAt: exp, User: req.User, Role: role})
}

func trimNewline(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	s.sessions.revoke(bearerToken(r))
	if err := s.cfg.Vault.Record(s.caller(r, sess.user), "auth.logout", "ok", nil); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// authenticated requires a live session.
func (s *Server) authenticated(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.sessions.get(bearerToken(r))
		if !ok {
			s.writeError(w, r, errUnauthenticated)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), keySession, sess)))
	}
}

// stepUp requires a TOTP verification in the last five minutes, or a fresh
// code in the X-Amana-TOTP header, which is verified (once only) and
// audited as "auth.stepup".
func (s *Server) stepUp(next http.HandlerFunc) http.HandlerFunc {
	return s.authenticated(func(w http.ResponseWriter, r *http.Request) {
		sess := sessionOf(r)
		if code := r.Header.Get("X-Amana-TOTP"); code != "" {
			if len(code) > 16 {
				s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "X-Amana-TOTP too long"))
				return
			}
			if _, err := s.cfg.Vault.CheckTOTP(s.caller(r, sess.user), "auth.stepup", sess.user, code, true); err != nil {
				if errors.Is(err, vault.ErrAuth) {
					err = errStepUpFailed
				}
				s.writeError(w, r, err)
				return
			}
			s.sessions.markStepUp(bearerToken(r))
		} else if s.now().Sub(sess.stepUp) > stepUpWindow {
			s.writeError(w, r, errStepUp)
			return
		}
		next(w, r)
	})
}

func sessionOf(r *http.Request) session {
	s, _ := r.Context().Value(keySession).(session)
	return s
}

// caller is who the vault sees acting.
func (s *Server) caller(r *http.Request, user string) vault.Caller {
	if user == "" {
		user = sessionOf(r).user
	}
	return vault.Caller{User: user, RequestID: requestID(r), Addr: clientAddr(r)}
}
