package httpapi

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// Defaults of Config.BodyTimeout and Config.StallTimeout.
const (
	DefaultBodyTimeout  = 20 * time.Second
	DefaultStallTimeout = 60 * time.Second
)

// errBodyTimeout answers a request whose body did not arrive in time. The
// connection is closed after it.
var errBodyTimeout = newError(http.StatusRequestTimeout, "timeout", "the request body did not arrive in time")

// bodyTimedOut reports whether err is a read deadline of withBodyDeadline
// or streamed passing.
func bodyTimedOut(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// withBodyDeadline bounds the time a request's body may take: the whole of
// it must arrive within BodyTimeout of the start of the request, so that a
// client that announces a body and sends none (or sends it a byte at a
// time) holds its connection that long at most, signed in or not. Routes
// that take uploads switch, once the caller is authenticated, to a deadline
// that moves on with every read (streamed). Without a body there is
// nothing to bound here: the server's idle timeout takes over after the
// response.
//
// The deadline is lifted once the body was read to its end, because net/http
// then waits for the connection's next bytes in the background, and a read
// deadline passing there would cancel the request's context while its
// response is still being written.
func (s *Server) withBodyDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || s.cfg.BodyTimeout < 0 {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)); err != nil {
			// Not served from a connection (a handler test's recorder).
			next.ServeHTTP(w, r)
			return
		}
		b := &deadlineBody{ReadCloser: r.Body, rc: rc}
		r.Body = b
		info(r).body = b
		next.ServeHTTP(w, r)
	})
}

// streamed lets an authenticated upload's body take as long as it keeps
// arriving: from here on, each read may wait StallTimeout for the next
// bytes. A client that stops sending is cut off after that long.
func (s *Server) streamed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b := info(r).body
		if b == nil || s.cfg.StallTimeout <= 0 {
			next(w, r)
			return
		}
		b.stallAfter(s.cfg.StallTimeout)
		next(w, r)
		if !b.ended {
			// The handler may have taken a while to commit what it
			// read; what is left of the body (the closing boundary)
			// gets a stall timeout of its own.
			b.rc.SetReadDeadline(time.Now().Add(s.cfg.StallTimeout))
		}
	}
}

// deadlineBody is a request body under a read deadline: a fixed one, or one
// moved on by every read once stallAfter was called.
type deadlineBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	stall time.Duration // 0: the fixed deadline stays
	set   time.Time     // the deadline last set, when stall > 0
	ended bool
}

func (b *deadlineBody) stallAfter(d time.Duration) {
	b.stall = d
	b.set = time.Now().Add(d)
	b.rc.SetReadDeadline(b.set)
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if b.stall > 0 && !b.ended {
		// Moving a deadline costs a timer update: do it only when it
		// moves by a sixteenth of the stall timeout or more, so that a
		// read never waits less than 15/16 of it.
		if d := time.Now().Add(b.stall); d.Sub(b.set) >= b.stall/16 {
			b.rc.SetReadDeadline(d)
			b.set = d
		}
	}
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.ended {
		b.ended = true
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
