package httpapi

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/amana-vault/amana/vault"
)

// Refused requests are audited. The vault audits the refusals it makes
// itself (a forbidden action, an unknown id, a failed login), one event
// each with what they were about. Every other refusal, made here before
// the vault saw the request (no valid session, no fresh step-up, a
// malformed, oversize or late body, a rate limit, an unknown route, a
// cross-origin request), is audited by withRefusals as a
// "request.refused" event: the user when known, the route, the reason, the
// outcome, the request id and the keyed hash of the client address.
//
// So that nobody can flood the log with refusals, those of one source (the
// same client address, user, route and reason) are folded: the first of a
// window is recorded at once, with count 1; the others in the window, if
// any, as one event when it ends, with their count and the times of the
// first and the last. So a source adds at most two events a window. At
// most maxRefusalSources sources are followed at once; refusals from
// further sources fold into one event per route and reason, without an
// address ("sources": "many").

// DefaultRefusalWindow is the default of Config.RefusalWindow.
const DefaultRefusalWindow = time.Minute

// maxRefusalSources bounds the sources followed in a window.
const maxRefusalSources = 4096

// refusal is what writeError learned about a request it refused.
type refusal struct {
	status int
	reason string // the error code
	actor  string // the signed-in user, if any
	method string
	vars   map[string]string
}

type refusalKey struct {
	addr, actor, method, route, reason string
	many                               bool // folds sources beyond maxRefusalSources
}

// refusalFold is a source's window.
type refusalFold struct {
	status      int
	start       time.Time // the window's first refusal, recorded at once
	count       int       // refusals since, not yet recorded
	first, last time.Time // of those
	requestID   string    // of the last
	names       refusalNames
	mixed       bool // they named different objects
}

// refusalNames are the objects a refused request named in its path.
type refusalNames struct{ doc, collection, target string }

type refusals struct {
	mu     sync.Mutex
	window time.Duration
	m      map[refusalKey]*refusalFold
	// oldest is no later than the start of every window in m: until a
	// window after it, none ends.
	oldest time.Time
}

// refusalEvent is an event to record.
type refusalEvent struct {
	key   refusalKey
	fold  refusalFold
	count int
	rid   string
}

func newRefusals(window time.Duration) *refusals {
	return &refusals{window: window, m: map[refusalKey]*refusalFold{}}
}

// add counts a refusal and returns the events to record now: its own when
// it opens a window, and those of windows that ended when the table is
// full.
func (rs *refusals) add(k refusalKey, status int, names refusalNames, rid string, now time.Time) []refusalEvent {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var out []refusalEvent
	f := rs.m[k]
	if f == nil && len(rs.m) >= maxRefusalSources && now.Sub(rs.oldest) >= rs.window {
		out = rs.expireLocked(now, false)
	}
	if len(rs.m) == 0 || now.Before(rs.oldest) {
		rs.oldest = now
	}
	if f == nil && len(rs.m) >= maxRefusalSources {
		k = refusalKey{method: k.method, route: k.route, reason: k.reason, many: true}
		f = rs.m[k]
		if f == nil {
			// Overflow windows are always folded: none opens with an
			// event of its own.
			f = &refusalFold{status: status, start: now}
			rs.m[k] = f
		}
	}
	if f == nil {
		rs.m[k] = &refusalFold{status: status, start: now}
		return append(out, refusalEvent{key: k, fold: refusalFold{status: status, names: names}, count: 1, rid: rid})
	}
	f.count++
	if f.count == 1 {
		f.first, f.names = now, names
	} else if f.names != names {
		f.mixed, f.names = true, refusalNames{}
	}
	f.last, f.requestID = now, rid
	return out
}

// expireLocked ends the windows that began a window ago or more (all of
// them if all), and returns the events of those that folded refusals.
func (rs *refusals) expireLocked(now time.Time, all bool) []refusalEvent {
	var out []refusalEvent
	rs.oldest = now
	for k, f := range rs.m {
		if !all && now.Sub(f.start) < rs.window {
			if f.start.Before(rs.oldest) {
				rs.oldest = f.start
			}
			continue
		}
		delete(rs.m, k)
		if f.count > 0 {
			out = append(out, refusalEvent{key: k, fold: *f, count: f.count, rid: f.requestID})
		}
	}
	// In the order they ended, so that the log reads in time order.
	sort.Slice(out, func(i, j int) bool { return out[i].fold.last.Before(out[j].fold.last) })
	return out
}

func (rs *refusals) expire(now time.Time, all bool) []refusalEvent {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.expireLocked(now, all)
}

// FlushRefusals records the folded refusals of the windows that ended, or
// of all of them when all is set (at shutdown). The server calls it
// periodically.
func (s *Server) FlushRefusals(all bool) error {
	if s.cfg.Vault == nil {
		return nil
	}
	return s.recordRefusals(s.refusals.expire(s.now(), all))
}

func (s *Server) recordRefusals(evs []refusalEvent) error {
	var first error
	for _, e := range evs {
		detail := map[string]string{
			"route":  e.key.method + " " + e.key.route,
			"reason": e.key.reason,
			"status": strconv.Itoa(e.fold.status),
			"count":  strconv.Itoa(e.count),
		}
		if !e.fold.first.IsZero() {
			detail["first"] = e.fold.first.UTC().Format(time.RFC3339)
			detail["last"] = e.fold.last.UTC().Format(time.RFC3339)
		}
		if e.key.many {
			detail["sources"] = "many"
		}
		names := e.fold.names
		if e.fold.mixed {
			detail["objects"] = "several"
		}
		err := s.cfg.Vault.RecordRefusal(vault.Caller{User: e.key.actor, RequestID: e.rid, Addr: e.key.addr}, vault.Refusal{
			Doc: names.doc, Collection: names.collection, Target: names.target,
			Outcome: refusalOutcome(e.fold.status), Detail: detail,
		})
		if err != nil {
			s.log.Error("auditing refused requests", "route", detail["route"], "reason", e.key.reason, "err", err.Error())
			if first == nil {
				first = err
			}
		}
	}
	return first
}

func refusalOutcome(status int) string {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusTooManyRequests:
		return vault.OutcomeDenied
	case http.StatusConflict:
		return vault.OutcomeConflict
	}
	return vault.OutcomeInvalid
}

// noteRefusal keeps what withRefusals needs to audit a refusal: only
// refusals (4xx), not faults, which are logged.
func noteRefusal(r *http.Request, ae *apiError) {
	if ae.status < 400 || ae.status >= 500 {
		return
	}
	info(r).refusal = &refusal{
		status: ae.status, reason: ae.code, actor: sessionOf(r).user,
		method: r.Method, vars: mux.Vars(r),
	}
}

// withRefusals audits the refusals of the API that the vault did not.
func (s *Server) withRefusals(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Vault == nil {
			next.ServeHTTP(w, r)
			return
		}
		ri := info(r)
		stop := s.cfg.Vault.WatchRefusals(ri.id)
		next.ServeHTTP(w, r)
		if byVault := stop(); byVault || ri.refusal == nil {
			return
		}
		ref := ri.refusal
		route := ri.route
		if route == "" {
			// Refused before the router (cross-origin): name the route
			// it would have matched.
			var m mux.RouteMatch
			if s.router.Match(r, &m) && m.Route != nil {
				route, _ = m.Route.GetPathTemplate()
			}
		}
		if route == "" {
			route = "unmatched"
		}
		k := refusalKey{addr: clientAddr(r), actor: ref.actor, method: methodName(r.Method), route: route, reason: ref.reason}
		evs := s.refusals.add(k, ref.status, namesOf(route, ref.vars), ri.id, s.now())
		s.recordRefusals(evs)
	})
}

// methodName keeps the audit log's routes to the methods HTTP defines.
func methodName(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// namesOf returns the objects a route's path names.
func namesOf(route string, vars map[string]string) refusalNames {
	var n refusalNames
	switch {
	case strings.HasPrefix(route, "/v1/documents/{id}"):
		n.doc, n.target = vars["id"], vars["user"]
	case strings.HasPrefix(route, "/v1/users/{id}"):
		n.target = vars["id"]
	case strings.HasPrefix(route, "/v1/collections/{id}"):
		n.collection = vars["id"]
	}
	return n
}
