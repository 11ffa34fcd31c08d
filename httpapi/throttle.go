package httpapi

import (
	"math"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Failed logins that did not answer their challenge (an unknown or expired
// challenge id, a wrong response, a name the vault does not hold) never
// count against an account: they are throttled instead, per client address
// and per claimed name, alike whether the name exists or not. Past the
// burst, such a failure is answered 429 without reaching the vault. A login
// that answers its challenge is never throttled here, so nobody can keep a
// user out by failing in its name.
const (
	nameFailBurst = 10
	nameFailEvery = 30 * time.Second // one more failure per name
	addrFailBurst = 30
	addrFailEvery = 10 * time.Second // one more failure per address
	// maxThrottled bounds each of the two tables; when one is full of
	// entries that have not refilled, failures under new keys are
	// throttled until it empties.
	maxThrottled = 1 << 16
)

type failureThrottle struct {
	mu    sync.Mutex
	now   func() time.Time
	names bucketTable
	addrs bucketTable
}

// bucketTable is a token bucket per key. A key whose bucket is full again
// is as good as absent, and is what sweeps remove.
type bucketTable struct {
	burst float64
	every time.Duration
	m     map[string]*bucket
	swept time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newFailureThrottle(now func() time.Time) *failureThrottle {
	return &failureThrottle{
		now:   now,
		names: bucketTable{burst: nameFailBurst, every: nameFailEvery, m: map[string]*bucket{}},
		addrs: bucketTable{burst: addrFailBurst, every: addrFailEvery, m: map[string]*bucket{}},
	}
}

// level is key's tokens at now.
func (bt *bucketTable) level(key string, now time.Time) float64 {
	b := bt.m[key]
	if b == nil {
		return bt.burst
	}
	if now.Before(b.at) {
		return b.tokens
	}
	return min(bt.burst, b.tokens+float64(now.Sub(b.at))/float64(bt.every))
}

// room reports whether key has a bucket or one can be made, sweeping full
// buckets out at most once a second when the table is full.
func (bt *bucketTable) room(key string, now time.Time) bool {
	if _, ok := bt.m[key]; ok || len(bt.m) < maxThrottled {
		return true
	}
	if now.Sub(bt.swept) >= time.Second || now.Before(bt.swept) {
		for k := range bt.m {
			if bt.level(k, now) >= bt.burst {
				delete(bt.m, k)
			}
		}
		bt.swept = now
	}
	return len(bt.m) < maxThrottled
}

// wait is how long until key has a token.
func (bt *bucketTable) wait(level float64) time.Duration {
	if level >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - level) * float64(bt.every)))
}

// take counts one failed login without a challenge answer from addr in
// name's name, or, if either has none left, reports how long to wait.
func (ft *failureThrottle) take(addr, name string) (bool, time.Duration) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	now := ft.now()
	la, ln := ft.addrs.level(addr, now), ft.names.level(name, now)
	if la < 1 || ln < 1 {
		return false, max(ft.addrs.wait(la), ft.names.wait(ln))
	}
	if !ft.addrs.room(addr, now) || !ft.names.room(name, now) {
		return false, time.Second
	}
	ft.addrs.set(addr, la-1, now)
	ft.names.set(name, ln-1, now)
	return true, 0
}

func (bt *bucketTable) set(key string, tokens float64, now time.Time) {
	if b := bt.m[key]; b != nil {
		b.tokens, b.at = tokens, now
		return
	}
	bt.m[key] = &bucket{tokens: tokens, at: now}
}

// size returns the number of buckets held (for tests and benchmarks).
func (ft *failureThrottle) size() (names, addrs int) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return len(ft.names.m), len(ft.addrs.m)
}

// throttleAddr is the client address as the login throttles count it: an
// IPv4 address, or an IPv6 address's /64 network, which one machine may
// hold whole.
func throttleAddr(r *http.Request) string {
	a := clientAddr(r)
	ip, err := netip.ParseAddr(a)
	if err != nil {
		return a
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.WithZone("").Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}
