package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Session lifetimes and the step-up window.
const (
	sessionIdle     = 15 * time.Minute
	sessionAbsolute = 8 * time.Hour
	stepUpWindow    = 5 * time.Minute
	maxSessions     = 100000
)

// session is a logged-in user. Tokens are 256 random bits; only their
// SHA-256 is kept, and only in memory: a restart logs everyone out.
type session struct {
	user     string
	role     string
	created  time.Time
	lastSeen time.Time
	stepUp   time.Time // last TOTP verification (login or step-up)
}

type sessions struct {
	mu  sync.Mutex
	m   map[[32]byte]*session
	now func() time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{m: map[[32]byte]*session{}, now: now}
}

func (ss *sessions) create(user, role string) (token string, expires time.Time) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) >= maxSessions {
		ss.sweepLocked(now)
	}
	ss.m[sha256.Sum256([]byte(token))] = &session{user: user, role: role, created: now, lastSeen: now, stepUp: now}
	return token, now.Add(sessionIdle)
}

// get returns a copy of the live session for token and refreshes its idle
// timer. Lookup is by hash, so its timing says nothing about the token.
func (ss *sessions) get(token string) (session, bool) {
	h := sha256.Sum256([]byte(token))
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[h]
	if !ok {
		return session{}, false
	}
	if now.Sub(s.lastSeen) > sessionIdle || now.Sub(s.created) > sessionAbsolute {
		delete(ss.m, h)
		return session{}, false
	}
	s.lastSeen = now
	return *s, true
}

func (ss *sessions) markStepUp(token string) {
	h := sha256.Sum256([]byte(token))
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s, ok := ss.m[h]; ok {
		s.stepUp = ss.now()
	}
}

func (ss *sessions) revoke(token string) {
	h := sha256.Sum256([]byte(token))
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, h)
}

// revokeUser ends every session of user (when it is disabled).
func (ss *sessions) revokeUser(user string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for h, s := range ss.m {
		if s.user == user {
			delete(ss.m, h)
		}
	}
}

func (ss *sessions) sweepLocked(now time.Time) {
	for h, s := range ss.m {
		if now.Sub(s.lastSeen) > sessionIdle || now.Sub(s.created) > sessionAbsolute {
			delete(ss.m, h)
		}
	}
}

func bearerToken(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}
