package httpapi

import (
	"fmt"
	"testing"
	"time"
)

// TestRefusalsBounded: refusals from more sources than are followed at
// once fold into one event per route and reason, and every refusal is
// counted once.
func TestRefusalsBounded(t *testing.T) {
	rs := newRefusals(time.Minute)
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	const sources = 3 * maxRefusalSources
	var evs []refusalEvent
	for i := range sources {
		k := refusalKey{addr: fmt.Sprintf("2001:db8::%x", i), method: "GET", route: "/v1/documents/{id}/content", reason: "unauthenticated"}
		for range 3 {
			evs = append(evs, rs.add(k, 401, refusalNames{doc: fmt.Sprint(i)}, "rid", now)...)
		}
		if len(rs.m) > maxRefusalSources+1 {
			t.Fatalf("%d sources followed", len(rs.m))
		}
	}
	if len(evs) != maxRefusalSources {
		t.Errorf("%d events at once, want one for each source followed (%d)", len(evs), maxRefusalSources)
	}
	evs = append(evs, rs.expire(now, true)...)
	total, many := 0, 0
	for _, e := range evs {
		total += e.count
		if e.key.many {
			many++
			if e.key.addr != "" || !e.fold.mixed {
				t.Errorf("overflow event %+v", e)
			}
		}
	}
	if total != 3*sources || many != 1 {
		t.Errorf("counts add up to %d (want %d), %d overflow events (want 1)", total, 3*sources, many)
	}
	if len(evs) != 2*maxRefusalSources+1 {
		t.Errorf("%d events, want %d", len(evs), 2*maxRefusalSources+1)
	}
	if len(rs.m) != 0 {
		t.Errorf("%d windows left after flushing all", len(rs.m))
	}
}

// TestRefusalsWindows: a window ends a window after its first refusal;
// a full table makes room by ending the windows that are over.
func TestRefusalsWindows(t *testing.T) {
	rs := newRefusals(time.Minute)
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	k := refusalKey{addr: "192.0.2.1", method: "POST", route: "/v1/documents/{id}/shred", reason: "step_up_required", actor: "r.hassan"}
	if evs := rs.add(k, 401, refusalNames{doc: "a"}, "r1", now); len(evs) != 1 || evs[0].count != 1 || evs[0].fold.names.doc != "a" {
		t.Fatalf("first refusal: %+v", evs)
	}
	rs.add(k, 401, refusalNames{doc: "a"}, "r2", now.Add(time.Second))
	rs.add(k, 401, refusalNames{doc: "a"}, "r3", now.Add(2*time.Second))
	if evs := rs.expire(now.Add(59*time.Second), false); len(evs) != 0 {
		t.Fatalf("a window ended early: %+v", evs)
	}
	evs := rs.expire(now.Add(time.Minute), false)
	if len(evs) != 1 || evs[0].count != 2 || evs[0].rid != "r3" || evs[0].fold.names.doc != "a" ||
		!evs[0].fold.first.Equal(now.Add(time.Second)) || !evs[0].fold.last.Equal(now.Add(2*time.Second)) {
		t.Fatalf("window end: %+v", evs)
	}
	// The next refusal opens a new window, recorded at once.
	if evs := rs.add(k, 401, refusalNames{doc: "b"}, "r4", now.Add(2*time.Minute)); len(evs) != 1 || evs[0].count != 1 {
		t.Fatalf("new window: %+v", evs)
	}

	// Fill the table, let the windows pass: a new source ends them.
	rs = newRefusals(time.Minute)
	for i := range maxRefusalSources {
		k := refusalKey{addr: fmt.Sprint(i), route: "/v1/backup", reason: "step_up_required"}
		rs.add(k, 401, refusalNames{}, "a", now)
		rs.add(k, 401, refusalNames{}, "b", now)
	}
	evs = rs.add(refusalKey{addr: "new", route: "/v1/backup", reason: "step_up_required"}, 401, refusalNames{}, "c", now.Add(time.Minute))
	if len(evs) != maxRefusalSources+1 || len(rs.m) != 1 {
		t.Fatalf("%d events, %d windows left", len(evs), len(rs.m))
	}
}
