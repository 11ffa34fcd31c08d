package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/time/rate"

	"github.com/amana-vault/amana/vault"
)

type ctxKey int

const (
	keyRequest ctxKey = iota
	keySession
)

// reqInfo is what the outer middleware learns about a request from the
// inner layers: its id, and the route template the router matched.
type reqInfo struct {
	id    string
	route string
	// body is the request's body under its read deadline, if it has one.
	body *deadlineBody
	// refusal is set when the request was refused (writeError).
	refusal *refusal
}

func info(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(keyRequest).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

func requestID(r *http.Request) string { return info(r).id }

func routeName(r *http.Request) string {
	if rt := info(r).route; rt != "" {
		return rt
	}
	return "unmatched"
}

// recordRoute runs inside the router, where the matched route is known.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt := mux.CurrentRoute(r); rt != nil {
			if t, err := rt.GetPathTemplate(); err == nil {
				info(r).route = t
			}
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the peer's IP address. Proxies are not trusted: a
// deployment behind one should terminate there and pass the connection.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// withRequestID gives every request a random id, returned in X-Request-ID
// and recorded in audit events and logs.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 12)
		rand.Read(b)
		ri := &reqInfo{id: hex.EncodeToString(b)}
		w.Header().Set("X-Request-ID", ri.id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRequest, ri)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withAccessLog logs one line per request: method, route template (never
// the raw path or query, which may hold search text), status, size and
// duration. Tokens and bodies are never logged.
func (s *Server) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		s.log.Info("request",
			"request_id", requestID(r),
			"method", r.Method,
			"route", routeName(r),
			"status", sw.status,
			"bytes", sw.bytes,
			"duration_ms", float64(time.Since(start).Microseconds())/1000,
		)
	})
}

// withRecover is the last net: a panic is logged, audited, and answered
// with a 500, and the server goes on. Handlers do not panic on input.
func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "request_id", requestID(r), "route", routeName(r), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				s.cfg.Vault.Record(vault.Caller{RequestID: requestID(r), Addr: clientAddr(r)}, "server.panic", "error", map[string]string{"route": routeName(r)})
				s.writeError(w, r, newError(http.StatusInternalServerError, "internal", "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withSecurityHeaders sets headers that keep browsers from doing anything
// clever with API responses. CORS stays closed: no Access-Control headers
// are ever sent, so other origins cannot read responses.
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r)
	})
}

// limiter hands out a token-bucket rate limiter per client address, and
// forgets addresses idle for a while.
type limiter struct {
	mu    sync.Mutex
	r     rate.Limit
	burst int
	m     map[string]*limitEntry
	last  time.Time
}

type limitEntry struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiter(r rate.Limit, burst int) *limiter {
	return &limiter{r: r, burst: burst, m: map[string]*limitEntry{}}
}

func (l *limiter) allow(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.last) > time.Minute {
		for k, e := range l.m {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(l.m, k)
			}
		}
		l.last = now
	}
	e, ok := l.m[addr]
	if !ok {
		e = &limitEntry{l: rate.NewLimiter(l.r, l.burst)}
		l.m[addr] = e
	}
	e.seen = now
	return e.l.Allow()
}

// wait is how many seconds one more token of the limiter takes to come
// (at least 1), for Retry-After.
func (l *limiter) wait() int {
	if l.r <= 0 {
		return 60
	}
	return max(1, int(math.Ceil(1/float64(l.r))))
}

// perUser limits the requests of each signed-in user (inside
// authenticated).
func (s *Server) perUser(l *limiter, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !l.allow(sessionOf(r).user) {
			w.Header().Set("Retry-After", strconv.Itoa(l.wait()))
			s.writeError(w, r, newError(http.StatusTooManyRequests, "rate_limited", "too many requests from this user; slow down"))
			return
		}
		next(w, r)
	}
}

func (s *Server) rateLimited(l *limiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.allow(clientAddr(r)) {
			w.Header().Set("Retry-After", "1")
			s.writeError(w, r, newError(http.StatusTooManyRequests, "rate_limited", "too many requests from this address; slow down"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
