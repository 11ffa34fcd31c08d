package httpapi

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/internal/fakeclock"
	"github.com/amana-vault/amana/recipient"
)

func TestChallengeRedeem(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	cs := newChallenges(clock.Now)

	id, plain, exp := cs.issue("r.hassan")
	if len(id) != 32 || len(plain) != 64 || !exp.Equal(clock.Now().Add(challengeTTL)) {
		t.Fatalf("challenge %q %q %v", id, plain, exp)
	}
	// Wrong answers leave nothing behind and do not use the challenge up.
	for _, tt := range []struct{ id, user, resp string }{
		{id, "r.hassan", strings.Repeat("0", 64)},
		{id, "r.hassan", ""},
		{id, "r.ahmed", plain},                           // another user's challenge
		{strings.ToUpper(id), "r.hassan", plain},         // not an id issue made
		{id[:31] + "x", "r.hassan", plain},               // not hex
		{id + "00", "r.hassan", plain},                   // too long
		{"", "r.hassan", plain},                          // none
		{flip(id), "r.hassan", plain},                    // another id
		{id, "r.hassan", plain[:63]},                     // a prefix of the answer
		{id, "r.hassan\x00", plain},                      // a longer name
		{id, "r.hassa", plain},                           // a shorter name
		{id, "", plain},                                  // no name
		{id, "r.hassan", strings.ToUpper(plain)},         // the answer in upper case
		{id, "r.hassan", plain + strings.Repeat(" ", 1)}, // trailing space
	} {
		if cs.redeem(tt.id, tt.user, tt.resp) {
			t.Errorf("redeem(%q, %q, %q) succeeded", tt.id, tt.user, tt.resp)
		}
	}
	if ids, users := cs.outstanding(); ids != 0 || users != 0 {
		t.Fatalf("failed answers were stored: %d ids, %d users", ids, users)
	}
	if !cs.redeem(id, "r.hassan", plain) {
		t.Fatal("the right answer failed")
	}
	if cs.redeem(id, "r.hassan", plain) {
		t.Fatal("the same answer succeeded twice")
	}
	// Expired.
	id, plain, _ = cs.issue("r.hassan")
	clock.Add(challengeTTL)
	if cs.redeem(id, "r.hassan", plain) {
		t.Fatal("an expired challenge succeeded")
	}
	// From the future beyond a clock set back by less than a lifetime.
	clock.Add(2 * challengeTTL)
	id, plain, _ = cs.issue("r.hassan")
	clock.Add(-challengeTTL - time.Second)
	if cs.redeem(id, "r.hassan", plain) {
		t.Fatal("a challenge from the future succeeded")
	}
	clock.Add(challengeTTL + time.Second)

	// Past maxRedeemed answers within a lifetime, the oldest are dropped
	// and the floor refuses them (and anything issued before them).
	clock.Add(time.Hour)
	type ch struct{ id, plain string }
	var old ch
	old.id, old.plain, _ = cs.issue("r.hassan")
	clock.Add(time.Millisecond)
	var fresh []ch
	for i := 0; i < maxRedeemed+1; i++ {
		var c ch
		c.id, c.plain, _ = cs.issue("r.hassan")
		clock.Add(time.Millisecond)
		fresh = append(fresh, c)
	}
	for _, c := range fresh {
		if !cs.redeem(c.id, "r.hassan", c.plain) {
			t.Fatal("a fresh answer failed")
		}
	}
	if ids, _ := cs.outstanding(); ids != maxRedeemed {
		t.Fatalf("%d answers remembered, want %d", ids, maxRedeemed)
	}
	if cs.redeem(fresh[0].id, "r.hassan", fresh[0].plain) || cs.redeem(old.id, "r.hassan", old.plain) {
		t.Fatal("a challenge older than the dropped answer succeeded")
	}
	// Other users are not affected by one user's answers.
	id, plain, _ = cs.issue("r.ahmed")
	if !cs.redeem(id, "r.ahmed", plain) {
		t.Fatal("another user's answer failed")
	}
	// Once expired, everything is forgotten by the next sweep.
	clock.Add(challengeTTL + sweepEvery)
	id, plain, _ = cs.issue("a.karim")
	cs.redeem(id, "a.karim", plain)
	if ids, users := cs.outstanding(); ids != 1 || users != 1 {
		t.Fatalf("after expiry: %d answers of %d users remembered, want 1 of 1", ids, users)
	}
}

func flip(id string) string {
	b := []byte(id)
	if b[31] == '0' {
		b[31] = '1'
	} else {
		b[31] = '0'
	}
	return string(b)
}

func TestBech32Encode(t *testing.T) {
	// BIP 173 test vectors.
	if got := bech32Encode("a", nil); got != "a12uel5l" {
		t.Errorf("empty: %s", got)
	}
	// 0, 1, …, 31 as 5-bit groups, packed into 20 bytes.
	var packed []byte
	acc, bits := 0, 0
	for v := 0; v < 32; v++ {
		acc = acc<<5 | v
		bits += 5
		for bits >= 8 {
			bits -= 8
			packed = append(packed, byte(acc>>bits))
		}
	}
	if got := bech32Encode("abcdef", packed); got != "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw" {
		t.Errorf("abcdef: %s", got)
	}
	// age parses what it encodes, for both key types.
	for i := 0; i < 50; i++ {
		k := make([]byte, 32)
		rand.Read(k)
		if _, err := age.ParseX25519Identity(strings.ToUpper(bech32Encode("age-secret-key-", k))); err != nil {
			t.Fatal(err)
		}
		if _, err := age.ParseHybridIdentity(strings.ToUpper(bech32Encode("age-secret-key-pq-", k))); err != nil {
			t.Fatal(err)
		}
	}
}

// stanzas returns the stanza lines ("TYPE ARGS…") of an armored age file
// and the size of its header.
func stanzas(t testing.TB, armored string) ([]string, int) {
	t.Helper()
	br := bufio.NewReader(armor.NewReader(strings.NewReader(armored)))
	var lines []string
	n := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("age header: %v", err)
		}
		n += len(line)
		if strings.HasPrefix(line, "-> ") {
			lines = append(lines, strings.TrimSpace(line[3:]))
		}
		if strings.HasPrefix(line, "---") {
			return lines, n
		}
	}
}

func TestDecoyShapes(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	d := newDecoys(key, nil, time.Now)
	rk, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		t.Fatal(err)
	}
	spk, _ := ssh.NewPublicKey(&rk.PublicKey)
	rsaShape, ok := shapeOf(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(spk))))
	if !ok || rsaShape != "ssh-rsa-3072" {
		t.Fatalf("shape of an RSA-3072 key: %q", rsaShape)
	}
	for _, shape := range []string{shapeX25519, shapePQ, shapeEd25519, rsaShape, "ssh-rsa-2048"} {
		s1, err := d.derive(shape, "nobody")
		if err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		s2, _ := d.derive(shape, "nobody")
		s3, _ := d.derive(shape, "somebody")
		if s1 != s2 || s1 == s3 {
			t.Errorf("%s: decoys not stable per name", shape)
		}
		if got, ok := shapeOf(s1); !ok || got != shape {
			t.Errorf("decoy of shape %s has shape %q", shape, got)
		}
		r, err := recipient.Parse(s1)
		if err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		armored, err := sealChallenge(r, strings.Repeat("a", 64))
		if err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		st, _ := stanzas(t, armored)
		if len(st) != 1 || !strings.HasPrefix(st[0], strings.TrimSuffix(strings.TrimSuffix(shape, "-2048"), "-3072")+" ") {
			t.Errorf("%s: stanzas %q", shape, st)
		}
	}
	// Plugins cannot be imitated.
	if _, ok := shapeOf("age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t"); ok {
		t.Error("a plugin recipient has a decoy shape")
	}

	// Names are spread over the mix in proportion, and keep their shape
	// when the mix grows a little.
	mix := []shapeWeight{{shapePQ, 3}, {shapeX25519, 1}}
	counts := map[string]int{}
	before := map[string]string{}
	for i := 0; i < 4000; i++ {
		name := fmt.Sprintf("name%d", i)
		sh := d.choose(name, mix)
		counts[sh]++
		before[name] = sh
	}
	if counts[shapePQ] < 2700 || counts[shapePQ] > 3300 {
		t.Errorf("shapes %v for weights 3:1", counts)
	}
	grown := []shapeWeight{{shapePQ, 3}, {shapeX25519, 1}, {shapeEd25519, 1}}
	moved := 0
	for name, sh := range before {
		if got := d.choose(name, grown); got != sh {
			if got != shapeEd25519 {
				t.Fatalf("%s moved from %s to %s, not to the new shape", name, sh, got)
			}
			moved++
		}
	}
	if moved < 600 || moved > 1000 {
		t.Errorf("%d of 4000 names moved to a new shape of weight 1 in 5", moved)
	}
}

func TestFailureThrottle(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	ft := newFailureThrottle(clock.Now)
	// Per name, from many addresses.
	for i := 0; i < nameFailBurst; i++ {
		if ok, _ := ft.take(fmt.Sprintf("192.0.2.%d", i), "r.hassan"); !ok {
			t.Fatalf("failure %d refused", i)
		}
	}
	ok, wait := ft.take("192.0.2.200", "r.hassan")
	if ok || wait <= 0 || wait > nameFailEvery {
		t.Fatalf("past the name's burst: %v, wait %v", ok, wait)
	}
	if ok, _ := ft.take("192.0.2.200", "r.ahmed"); !ok {
		t.Fatal("another name was throttled")
	}
	clock.Add(nameFailEvery)
	if ok, _ := ft.take("192.0.2.201", "r.hassan"); !ok {
		t.Fatal("no refill after nameFailEvery")
	}
	// Per address, for many names.
	for i := 0; i < addrFailBurst; i++ {
		if ok, _ := ft.take("198.51.100.1", fmt.Sprintf("n%d", i)); !ok {
			t.Fatalf("failure %d refused", i)
		}
	}
	if ok, _ := ft.take("198.51.100.1", "fresh"); ok {
		t.Fatal("past the address's burst")
	}
	// Full tables: new keys are refused until buckets refill, and the
	// tables never grow past their bound.
	for i := 0; len(ft.names.m) < maxThrottled; i++ {
		ft.take(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), fmt.Sprintf("flood%d", i))
	}
	// The first new name sweeps out buckets that refilled (r.ahmed's);
	// after a few, the table is full of live buckets and refuses.
	refused := false
	for i := 0; i < 10 && !refused; i++ {
		ok, _ := ft.take("203.0.113.9", fmt.Sprintf("more%d", i))
		refused = !ok
	}
	if !refused {
		t.Fatal("a full table kept taking new names")
	}
	if n, a := ft.size(); n > maxThrottled || a > maxThrottled {
		t.Fatalf("tables grew to %d names, %d addresses", n, a)
	}
	clock.Add(nameFailEvery + addrFailEvery)
	if ok, _ := ft.take("203.0.113.10", "one-more"); !ok {
		t.Fatal("a new name refused after the table refilled")
	}
	if n, _ := ft.size(); n > 10 {
		t.Fatalf("%d names left after the sweep", n)
	}
}

func TestThrottleAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:4000":             "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:80":      "192.0.2.7",
		"[fe80::1%eth0]:80":          "fe80::/64",
		"not an address":             "not an address",
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = in
		if got := throttleAddr(r); got != want {
			t.Errorf("throttleAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
