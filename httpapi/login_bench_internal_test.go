package httpapi

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/amana-vault/amana/vault"
)

// BenchmarkChallengeFlood sends b.N challenge requests through the whole
// handler, round robin from 10,000 client addresses, half for a user of
// the vault and half for names nobody has (each new), and reports the heap
// the server retains afterwards, with what the login state holds. Run it
// as the flood it stands for:
//
//	go test -run '^$' -bench ChallengeFlood -benchtime 1000000x ./httpapi/
func BenchmarkChallengeFlood(b *testing.B) {
	pq, err := age.GenerateHybridIdentity()
	if err != nil {
		b.Fatal(err)
	}
	x, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	v, _, err := vault.Create(filepath.Join(b.TempDir(), "vault"), "bench passphrase",
		vault.NewUser{ID: "l.custodian", Recipient: pq.Recipient().String()}, vault.Options{ScryptWorkFactor: 10})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	if _, _, err := v.AddUser(vault.Caller{User: "l.custodian"}, vault.NewUser{ID: "r.hassan", Role: vault.RoleResearcher, Recipient: x.Recipient().String()}); err != nil {
		b.Fatal(err)
	}
	s := New(Config{Vault: v})
	const addrs = 10000
	send := func(i int) {
		name := "r.hassan"
		if i%2 == 1 {
			name = fmt.Sprintf("flood%d", i)
		}
		req := httptest.NewRequest("POST", "/v1/auth/challenge", strings.NewReader(`{"user":"`+name+`"}`))
		req.Header.Set("Content-Type", "application/json")
		a := i % addrs
		req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:40000", a>>16, a>>8&255, a&255)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	send(0) // the decoys and the mix, once
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		send(i)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	ids, users := s.challenges.outstanding()
	names, failAddrs := s.challenges.failures.size()
	s.authLimit.mu.Lock()
	limited := len(s.authLimit.m)
	s.authLimit.mu.Unlock()
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)), "retained-B")
	b.ReportMetric(float64(ids), "stored-challenges")
	b.ReportMetric(float64(limited), "limiter-addrs")
	b.Logf("%d challenge requests from %d addresses: heap %d → %d bytes; challenge store: %d answered challenges of %d users; failure throttle: %d names, %d addresses; per-address request limiter: %d addresses",
		b.N, min(b.N, addrs), before.HeapAlloc, after.HeapAlloc, ids, users, names, failAddrs, limited)
}

// BenchmarkFailureFlood counts b.N failed logins without a challenge answer,
// each for a new name from a new address (the worst case for the failure
// throttle's tables), and reports the heap they hold: bounded by
// maxThrottled entries per table.
//
//	go test -run '^$' -bench FailureFlood -benchtime 1000000x ./httpapi/
func BenchmarkFailureFlood(b *testing.B) {
	ft := newFailureThrottle(time.Now)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ft.take(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), fmt.Sprintf("flood%d", i))
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	names, addrs := ft.size()
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)), "retained-B")
	b.ReportMetric(float64(names), "names")
	b.ReportMetric(float64(addrs), "addrs")
	runtime.KeepAlive(ft)
}
