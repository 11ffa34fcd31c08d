package httpapi_test

// Attacks on login by someone who has only the server's address and a user
// name, against the real server on loopback, from several client addresses
// (127.0.0.x: the server counts the peer address, never X-Forwarded-For).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"
	"golang.org/x/time/rate"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
)

// peer is an HTTP client whose connections come from one loopback address.
type peer struct {
	t    testing.TB
	url  string
	addr string
	http *http.Client
}

func newPeer(t testing.TB, url, addr string) *peer {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 8}
	t.Cleanup(tr.CloseIdleConnections) // before the server closes
	return &peer{t: t, url: url, addr: addr, http: &http.Client{Transport: tr}}
}

func (p *peer) post(path string, body any) (int, map[string]any) {
	p.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := p.http.Post(p.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// challenge returns a challenge's id and armored age file for user.
func (p *peer) challenge(user string) (string, string) {
	p.t.Helper()
	st, m := p.post("/v1/auth/challenge", map[string]string{"user": user})
	if st != 200 {
		p.t.Fatalf("challenge for %q from %s: %d %v", user, p.addr, st, m)
	}
	return m["challenge_id"].(string), m["challenge"].(string)
}

func (p *peer) login(user, cid, response, totp string) int {
	p.t.Helper()
	st, _ := p.post("/v1/auth/login", map[string]string{"user": user, "challenge_id": cid, "response": response, "totp": totp})
	return st
}

// clientFrom returns an API client whose requests come from p's address.
func (p *peer) client() *client.Client {
	c := client.New(p.url)
	c.HTTP = p.http
	return c
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// challengeHeader returns the stanza lines ("TYPE ARGS…") of an armored age
// file and the size of its header in bytes.
func challengeHeader(t testing.TB, armored string) ([]string, int) {
	t.Helper()
	br := bufio.NewReader(armor.NewReader(strings.NewReader(armored)))
	var stanzas []string
	n := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the age header: %v", err)
		}
		n += len(line)
		if strings.HasPrefix(line, "-> ") {
			stanzas = append(stanzas, strings.TrimSpace(line[3:]))
		}
		if strings.HasPrefix(line, "---") {
			return stanzas, n
		}
	}
}

func stanzaType(stanza string) string { return strings.Fields(stanza)[0] }

// TestNameOnlyCannotLockOut: failed logins without a correct challenge
// response (a made-up challenge id, a wrong response to a real challenge,
// an expired challenge), from several addresses, far past the 100 failures
// that lock an account, leave the account untouched: the user logs in.
func TestNameOnlyCannotLockOut(t *testing.T) {
	e := newEnv(t)
	u := e.users["r.hassan"]
	var peers []*peer
	for i := 0; i < 16; i++ { // each under the per-address request limit
		peers = append(peers, newPeer(t, e.url, fmt.Sprintf("127.0.0.%d", 100+i)))
	}
	attempt := func(i int) int {
		p := peers[i%len(peers)]
		switch i % 3 {
		case 0: // a challenge id the server never issued
			return p.login(u.id, randomHex(16), randomHex(32), e.code(u))
		case 1: // a real challenge, answered wrong, with the right code
			cid, _ := p.challenge(u.id)
			return p.login(u.id, cid, randomHex(32), e.code(u))
		default: // a challenge issued for another name
			cid, _ := p.challenge("r.ahmed")
			return p.login(u.id, cid, randomHex(32), e.code(u))
		}
	}

	// Slowly, so that no throttle answers: every attempt reaches the
	// vault, which used to count it.
	for i := 0; i < 120; i++ {
		e.clock.Add(30 * time.Second)
		if st := attempt(i); st != 401 {
			t.Fatalf("attempt %d: %d, want 401", i, st)
		}
	}
	uu, err := e.v.GetUser(vault.Caller{User: "l.custodian"}, u.id)
	if err != nil {
		t.Fatal(err)
	}
	if uu.State != vault.StateActive || uu.Failures != 0 || !uu.LockedUntil.IsZero() {
		t.Fatalf("after 120 attempts without the identity: state %s, failures %d, locked until %v", uu.State, uu.Failures, uu.LockedUntil)
	}
	own := newPeer(t, e.url, "127.0.0.15")
	c := own.client()
	if _, err := c.Login(ctx, u.id, []age.Identity{u.identity}, e.srv.NextCode(u.id)); err != nil {
		t.Fatalf("the user's login after the attack: %v", err)
	}

	// All at once: past the burst the throttle answers 429 for the name,
	// and still the user logs in at once, with no wait.
	counts := map[int]int{}
	for i := 0; i < 120; i++ {
		counts[attempt(i)]++
	}
	if counts[401] != 10 || counts[429] != 110 {
		t.Errorf("a burst of 120 attempts: %v, want 10×401 and 110×429", counts)
	}
	if _, err := own.client().Login(ctx, u.id, []age.Identity{u.identity}, e.srv.NextCode(u.id)); err != nil {
		t.Fatalf("the user's login during the throttle: %v", err)
	}

	// Only the identity's holder can make the account wait: wrong codes
	// with a correct response do, as before.
	e.step()
	for i := 0; i < 5; i++ {
		cid, ch := own.challenge(u.id)
		if st := own.login(u.id, cid, decryptChallenge(t, ch, u.identity), "000000"); st != 401 && e.code(u) != "000000" {
			t.Fatalf("wrong code with the identity: %d", st)
		}
	}
	cid, ch := own.challenge(u.id)
	if st := own.login(u.id, cid, decryptChallenge(t, ch, u.identity), e.code(u)); st != 429 {
		t.Fatalf("right code during the delay the user's own failures caused: %d, want 429", st)
	}
}

func decryptChallenge(t testing.TB, armored string, id age.Identity) string {
	t.Helper()
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(armored)), id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sshUser returns a test user whose age identity is an SSH key: Ed25519,
// or RSA of rsaBits bits.
func sshUser(t testing.TB, id string, rsaBits int) *amanatest.User {
	t.Helper()
	var (
		ident age.Identity
		pub   ssh.PublicKey
		err   error
	)
	if rsaBits == 0 {
		pk, sk, _ := ed25519.GenerateKey(rand.Reader)
		ident, err = agessh.NewEd25519Identity(sk)
		pub, _ = ssh.NewPublicKey(pk)
	} else {
		var sk *rsa.PrivateKey
		if sk, err = rsa.GenerateKey(rand.Reader, rsaBits); err == nil {
			ident, err = agessh.NewRSAIdentity(sk)
			pub, _ = ssh.NewPublicKey(&sk.PublicKey)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return &amanatest.User{ID: id, Role: vault.RoleResearcher, Identities: []age.Identity{ident},
		Recipient: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))}
}

// TestKnownAndUnknownNamesLookAlike compares, for names the vault holds
// and names it does not: the challenges (stanza types, header and file
// sizes, SSH tags over repeated challenges), the statuses of repeated
// failed logins (also while the account waits after its own user's
// failures), and logs the timing of both.
func TestKnownAndUnknownNamesLookAlike(t *testing.T) {
	users := []*amanatest.User{
		amanatest.NewUser(t, "l.custodian", vault.RoleAdmin, true),
		amanatest.NewUser(t, "r.pq", vault.RoleResearcher, true),
		amanatest.NewUser(t, "r.x", vault.RoleResearcher, false),
		sshUser(t, "r.ssh", 0),
		sshUser(t, "r.rsa", 2048),
	}
	srv := amanatest.NewServer(t, amanatest.Options{
		Users: users,
		Start: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC),
		API:   func(c *httpapi.Config) { c.AuthRate = rate.Inf },
	})
	p := newPeer(t, srv.URL, "127.0.0.20")

	// What each real user's challenge looks like.
	type look struct {
		stanza string // type
		args   int
		header int
		size   int
	}
	lookOf := func(armored string) look {
		st, n := challengeHeader(t, armored)
		if len(st) != 1 {
			t.Fatalf("%d stanzas", len(st))
		}
		return look{stanzaType(st[0]), len(strings.Fields(st[0])) - 1, n, len(armored)}
	}
	real := map[string]look{} // by stanza type
	for _, u := range users {
		_, ch := p.challenge(u.ID)
		l := lookOf(ch)
		if o, ok := real[l.stanza]; ok && o != l {
			t.Fatalf("two %s users' challenges differ: %+v, %+v", l.stanza, o, l)
		}
		real[l.stanza] = l
	}
	for _, want := range []string{"mlkem768x25519", "X25519", "ssh-ed25519", "ssh-rsa"} {
		if _, ok := real[want]; !ok {
			t.Fatalf("no real %s challenge among %v", want, real)
		}
	}
	// Unknown names: each looks exactly like a real user's challenge of
	// some type, the same type every time, and the types follow the mix.
	seen := map[string]int{}
	unknownOf := map[string]string{} // a name of each type
	for i := 0; i < 200; i++ {
		name := fmt.Sprintf("u%03d.%s", i, randomHex(2))
		_, ch := p.challenge(name)
		l := lookOf(ch)
		r, ok := real[l.stanza]
		if !ok || r != l {
			t.Fatalf("unknown name %s: challenge %+v, no real user's looks like it (%v)", name, l, real)
		}
		seen[l.stanza]++
		unknownOf[l.stanza] = name
	}
	t.Logf("stanza types of 200 unknown names: %v (users: 2 post-quantum, 1 X25519, 1 ssh-ed25519, 1 ssh-rsa)", seen)
	if len(seen) != 4 {
		t.Errorf("unknown names show %d of the 4 types", len(seen))
	}
	for _, name := range append(slices.Collect(mapValues(unknownOf)), "r.ssh", "r.rsa", "r.x", "r.pq") {
		var first []string
		for k := 0; k < 3; k++ {
			_, ch := p.challenge(name)
			st, _ := challengeHeader(t, ch)
			// SSH stanzas show a tag of the key: it must stay the
			// same, as a real key's does.
			got := []string{stanzaType(st[0])}
			if strings.HasPrefix(st[0], "ssh-") {
				got = append(got, strings.Fields(st[0])[1])
			}
			if first == nil {
				first = got
			} else if !slices.Equal(first, got) {
				t.Errorf("%s: challenges differ between requests: %v, %v", name, first, got)
			}
		}
	}

	// A disabled user's challenges keep their look, and no longer open.
	pqUser := srv.Users["r.pq"]
	disabled := vault.StateDisabled
	if _, err := srv.Vault.UpdateUser(vault.Caller{User: "l.custodian"}, "r.pq", vault.UserUpdate{State: &disabled}); err != nil {
		t.Fatal(err)
	}
	_, disabledCh := p.challenge("r.pq")
	if l := lookOf(disabledCh); l != real["mlkem768x25519"] {
		t.Errorf("a disabled user's challenge: %+v, want %+v", l, real["mlkem768x25519"])
	}
	if _, err := age.Decrypt(armor.NewReader(strings.NewReader(disabledCh)), pqUser.Identities[0]); err == nil {
		t.Error("a disabled user's challenge opens with its identity")
	}

	// Statuses of repeated failed logins, from one address per name.
	sequence := func(addr, name string, bogusID bool) []int {
		q := newPeer(t, srv.URL, addr)
		var out []int
		for i := 0; i < 14; i++ {
			cid := randomHex(16)
			if !bogusID {
				cid, _ = q.challenge(name)
			}
			out = append(out, q.login(name, cid, randomHex(32), srv.Code("r.x")))
		}
		return out
	}
	want := append(slices.Repeat([]int{401}, 10), 429, 429, 429, 429)
	for i, tt := range []struct {
		known, unknown string
		bogus          bool
	}{
		{"r.x", unknownOf["X25519"], false},
		{"r.pq", "nobody", true},
	} {
		k := sequence(fmt.Sprintf("127.0.0.%d", 30+2*i), tt.known, tt.bogus)
		u := sequence(fmt.Sprintf("127.0.0.%d", 31+2*i), tt.unknown, tt.bogus)
		if !slices.Equal(k, u) || !slices.Equal(k, want) {
			t.Errorf("failed logins: %s %v, unknown %s %v; want both %v", tt.known, k, tt.unknown, u, want)
		}
	}

	// r.x itself fails its TOTP code until its account waits 15 minutes;
	// the wait shows only to r.x, and to an attacker r.x still looks like
	// a name nobody has.
	own := newPeer(t, srv.URL, "127.0.0.40")
	x := srv.Users["r.x"]
	var locked int
	for i := 0; i < 15; i++ {
		cid, ch := own.challenge("r.x")
		st := own.login("r.x", cid, decryptChallenge(t, ch, x.Identities[0]), "000000")
		if st == 429 {
			locked++
			srv.Clock.Add(15*time.Minute + time.Second)
			cid, ch = own.challenge("r.x")
			st = own.login("r.x", cid, decryptChallenge(t, ch, x.Identities[0]), "000000")
		}
		if st != 401 {
			t.Fatalf("r.x's own wrong code %d: %d", i, st)
		}
	}
	cid, ch := own.challenge("r.x")
	if st := own.login("r.x", cid, decryptChallenge(t, ch, x.Identities[0]), srv.NextCode("r.x")); st != 429 {
		t.Fatalf("r.x's right code while its account waits: %d, want 429", st)
	}
	srv.Clock.Add(5 * time.Minute) // name throttles refill, the account still waits
	k := sequence("127.0.0.41", "r.x", false)
	u := sequence("127.0.0.42", unknownOf["X25519"]+"-2", false)
	if !slices.Equal(k, u) || !slices.Equal(k, want) {
		t.Errorf("failed logins while r.x waits: r.x %v, unknown %v; want both %v", k, u, want)
	}

	// Timing, logged: challenges of a known and an unknown name of the
	// same type, alternately; then failed logins (the clock moves so
	// that no throttle answers).
	timeIt := func(f func()) time.Duration { start := time.Now(); f(); return time.Since(start) }
	unknownX := unknownOf["X25519"]
	var ck, cu []time.Duration
	for i := 0; i < 300; i++ {
		ck = append(ck, timeIt(func() { p.challenge("r.x") }))
		cu = append(cu, timeIt(func() { p.challenge(unknownX) }))
	}
	pk, pu := newPeer(t, srv.URL, "127.0.0.43"), newPeer(t, srv.URL, "127.0.0.44")
	var lk, lu []time.Duration
	for i := 0; i < 150; i++ {
		srv.Clock.Add(30 * time.Second)
		lk = append(lk, timeIt(func() { pk.login("r.x", randomHex(16), randomHex(32), "123456") }))
		lu = append(lu, timeIt(func() { pu.login(unknownX, randomHex(16), randomHex(32), "123456") }))
	}
	report := func(what string, k, u []time.Duration) {
		mk, mu := median(k), median(u)
		t.Logf("%s: known median %v, unknown median %v, difference %v (%.1f%%)", what, mk, mu, mu-mk, 100*float64(mu-mk)/float64(mk))
	}
	report("challenge (X25519), 300 each", ck, cu)
	report("failed login, 150 each", lk, lu)
}

func mapValues[K comparable, V any](m map[K]V) func(func(V) bool) {
	return func(yield func(V) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// TestChallengeFloodCannotKeepUsersOut floods challenge requests from 60
// addresses, for a user's name and for made-up ones, more than the 50,000
// outstanding challenges that used to fill the server for everyone, and
// logs that user in during and after it.
func TestChallengeFloodCannotKeepUsersOut(t *testing.T) {
	if testing.Short() {
		t.Skip("floods 55,000 challenges")
	}
	// Each address under its own limit: the flood stands for many more
	// addresses than the test has.
	e := newEnv(t, func(c *httpapi.Config) { c.AuthRate = rate.Inf })
	const addrs, total = 60, 55000
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var peers []*peer
			for a := w; a < addrs; a += 6 {
				peers = append(peers, newPeer(t, e.url, fmt.Sprintf("127.0.1.%d", a)))
			}
			for i := 0; sent.Add(1) <= total; i++ {
				body := []byte(`{"user":"r.ahmed"}`)
				if i%2 == 1 {
					body = []byte(`{"user":"x` + randomHex(4) + `"}`)
				}
				resp, err := peers[i%len(peers)].http.Post(e.url+"/v1/auth/challenge", "application/json", bytes.NewReader(body))
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
				}
			}
		}(w)
	}
	u := e.users["r.ahmed"]
	own := newPeer(t, e.url, "127.0.0.50")
	login := func(when string) {
		t.Helper()
		if _, err := own.client().Login(context.Background(), u.id, []age.Identity{u.identity}, e.srv.NextCode(u.id)); err != nil {
			t.Errorf("login %s: %v", when, err)
		}
	}
	for sent.Load() < 51000 {
		time.Sleep(10 * time.Millisecond)
	}
	login("after 51,000 flooded challenges")
	wg.Wait()
	login("after the flood")
	if n := failed.Load(); n != 0 {
		t.Errorf("%d flooded challenge requests failed", n)
	}
}

// BenchmarkLogin measures whole logins as the command line makes them, on
// loopback: challenge, decryption with the user's identity, login with a
// TOTP code (each one audited). It reports the median and the 99th
// percentile.
//
//	go test -run '^$' -bench Login -benchtime 2000x ./httpapi/
func BenchmarkLogin(b *testing.B) {
	for _, pq := range []bool{false, true} {
		name := "X25519"
		if pq {
			name = "post-quantum"
		}
		b.Run(name, func(b *testing.B) {
			u := amanatest.NewUser(b, "r.bench", vault.RoleResearcher, pq)
			srv := amanatest.NewServer(b, amanatest.Options{
				Users: []*amanatest.User{amanatest.NewUser(b, "l.custodian", vault.RoleAdmin, true), u},
				API:   func(c *httpapi.Config) { c.AuthRate = rate.Inf },
			})
			c := client.New(srv.URL)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				code := srv.NextCode(u.ID)
				start := time.Now()
				if _, err := c.Login(context.Background(), u.ID, u.Identities, code); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
