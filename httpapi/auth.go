package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/vault"
)

const (
	challengeTTL   = 2 * time.Minute
	maxChallenges  = 50000
	challengeBytes = 32
)

// challenge is an outstanding login challenge: the hash of its plaintext,
// for whom, and until when.
type challenge struct {
	user    string
	sum     [32]byte
	expires time.Time
}

type challenges struct {
	mu    sync.Mutex
	m     map[string]*challenge
	now   func() time.Time
	decoy age.Recipient // for unknown users, so their challenges look real
}

func newChallenges(now func() time.Time) *challenges {
	decoy, err := age.GenerateHybridIdentity()
	if err != nil {
		panic(err) // crypto/rand failure at start-up
	}
	return &challenges{m: map[string]*challenge{}, now: now, decoy: decoy.Recipient()}
}

// issue makes a challenge for user, encrypted to r, and returns its id and
// the armored age file.
func (cs *challenges) issue(user string, r age.Recipient) (id, armored string, expires time.Time, err error) {
	secret := make([]byte, challengeBytes)
	rand.Read(secret)
	plain := hex.EncodeToString(secret)
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		return "", "", time.Time{}, err
	}
	w.Write([]byte(plain))
	if err := w.Close(); err != nil {
		return "", "", time.Time{}, err
	}
	if err := aw.Close(); err != nil {
		return "", "", time.Time{}, err
	}
	idb := make([]byte, 16)
	rand.Read(idb)
	id = hex.EncodeToString(idb)
	now := cs.now()
	expires = now.Add(challengeTTL)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.m) >= maxChallenges {
		for k, c := range cs.m {
			if now.After(c.expires) {
				delete(cs.m, k)
			}
		}
		if len(cs.m) >= maxChallenges {
			return "", "", time.Time{}, newError(http.StatusTooManyRequests, "rate_limited", "too many outstanding challenges; retry shortly")
		}
	}
	cs.m[id] = &challenge{user: user, sum: sha256.Sum256([]byte(plain)), expires: expires}
	return id, buf.String(), expires, nil
}

// redeem consumes the challenge id (single use, whatever the outcome) and
// reports whether response is its plaintext, for user, in time.
func (cs *challenges) redeem(id, user, response string) bool {
	cs.mu.Lock()
	c, ok := cs.m[id]
	delete(cs.m, id)
	cs.mu.Unlock()
	sum := sha256.Sum256([]byte(response))
	if !ok {
		return false
	}
	match := subtle.ConstantTimeCompare(sum[:], c.sum[:]) == 1
	return match && c.user == user && !cs.now().After(c.expires)
}

type challengeRequest struct {
	User string `json:"user"`
}

type challengeResponse struct {
	ChallengeID string    `json:"challenge_id"`
	Challenge   string    `json:"challenge"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// handleChallenge answers known and unknown users alike: an unknown user
// gets a challenge encrypted to a throwaway key, which nobody can answer.
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
	rcpt := s.challenges.decoy
	if rs, ok := s.cfg.Vault.LoginUser(req.User); ok {
		if parsed, err := recipient.Parse(rs); err == nil {
			rcpt = parsed
		}
	}
	id, armored, exp, err := s.challenges.issue(req.User, rcpt)
	if err != nil && rcpt != s.challenges.decoy {
		// A plugin recipient whose plugin is not installed on the server:
		// answer like for anyone else, with a challenge nobody can open.
		s.log.Warn("cannot encrypt a login challenge to this user's recipient; install its age plugin on the server", "request_id", requestID(r))
		id, armored, exp, err = s.challenges.issue(req.User, s.challenges.decoy)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, challengeResponse{ChallengeID: id, Challenge: armored, ExpiresAt: exp})
}

type loginRequest struct {
	User        string `json:"user"`
	ChallengeID string `json:"challenge_id"`
	Response    string `json:"response"`
	TOTP        string `json:"totp"`
}

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
