package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
)

const (
	challengeTTL = 2 * time.Minute
	// maxRedeemed bounds the answered challenges remembered per user. Only
	// someone holding the user's identity answers challenges, and a user
	// logs in at most once per 30 s TOTP step, so a user reaches it only
	// by answering many challenges within their two minutes.
	maxRedeemed = 16
	// sweepEvery is how often redeem forgets expired challenges of all users.
	sweepEvery = time.Minute
)

// challenges issues login challenges and checks the answers, storing
// nothing when it issues one: a flood of challenge requests, from any
// number of addresses and for any names, holds no memory and cannot crowd
// out anyone's challenge. A challenge id carries the time it was issued
// (6 bytes of Unix milliseconds) and 10 random bytes; the challenge's
// plaintext is the HMAC of the id and the user name under a key that lives
// only in this process, in hex (64 digits), encrypted to the user's
// recipient. Only a correct answer is remembered, for the user it proves,
// until the challenge expires, so that each is accepted once.
type challenges struct {
	key []byte
	now func() time.Time

	mu       sync.Mutex
	redeemed map[string]*redeemedSet // by user; only users who answered
	swept    int64                   // Unix milliseconds of the last sweep

	// decoys makes the challenges of names the vault does not hold look
	// like real ones; made on first use, from the vault.
	decoysOnce sync.Once
	decoys     *decoys
	// failures throttles failed logins that did not answer a challenge.
	failures *failureThrottle
}

// redeemedSet is what one user answered: the ids, oldest answer first, and
// a floor below which every challenge is refused (ids dropped to keep the
// set small are refused by the floor).
type redeemedSet struct {
	ids   []redeemedID
	floor int64 // Unix milliseconds
}

type redeemedID struct {
	id     [16]byte
	issued int64
}

func newChallenges(now func() time.Time) *challenges {
	key := make([]byte, 32)
	rand.Read(key)
	return &challenges{key: key, now: now, redeemed: map[string]*redeemedSet{}, failures: newFailureThrottle(now)}
}

// issue makes a challenge for user: its id, its plaintext and when it expires.
func (cs *challenges) issue(user string) (id, plain string, expires time.Time) {
	var raw [16]byte
	issued := cs.now().UnixMilli()
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(issued))
	copy(raw[:6], ms[2:])
	rand.Read(raw[6:])
	return hex.EncodeToString(raw[:]), cs.secret(user, raw), time.UnixMilli(issued).Add(challengeTTL).UTC()
}

// secret is the plaintext of challenge raw for user.
func (cs *challenges) secret(user string, raw [16]byte) string {
	m := hmac.New(sha256.New, cs.key)
	m.Write(raw[:])
	m.Write([]byte(user))
	return hex.EncodeToString(m.Sum(nil))
}

// parseChallengeID decodes an id issue made: 32 lower-case hex digits.
func parseChallengeID(id string) (raw [16]byte, issued int64, ok bool) {
	if len(id) != 2*len(raw) {
		return raw, 0, false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return raw, 0, false
		}
	}
	hex.Decode(raw[:], []byte(id))
	var ms [8]byte
	copy(ms[2:], raw[:6])
	return raw, int64(binary.BigEndian.Uint64(ms[:])), true
}

// redeem reports whether response is the plaintext of challenge id, issued
// for user, in time, and not answered before; if so, the challenge is used
// up. Answers that fail leave nothing behind.
func (cs *challenges) redeem(id, user, response string) bool {
	raw, issued, ok := parseChallengeID(id)
	want := cs.secret(user, raw)
	match := subtle.ConstantTimeCompare([]byte(want), []byte(response)) == 1
	if !ok || !match {
		return false
	}
	now := cs.now().UnixMilli()
	ttl := challengeTTL.Milliseconds()
	// Not expired, and not from further ahead than a clock set back by
	// less than a challenge's lifetime explains.
	if now >= issued+ttl || issued > now+ttl {
		return false
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if now-cs.swept >= sweepEvery.Milliseconds() || now < cs.swept {
		for u, set := range cs.redeemed {
			if set.prune(now) {
				delete(cs.redeemed, u)
			}
		}
		cs.swept = now
	}
	set := cs.redeemed[user]
	if set == nil {
		set = &redeemedSet{}
		cs.redeemed[user] = set
	}
	set.prune(now)
	if issued <= set.floor {
		return false
	}
	for _, r := range set.ids {
		if r.id == raw {
			return false
		}
	}
	if len(set.ids) >= maxRedeemed {
		set.floor = max(set.floor, set.ids[0].issued)
		set.ids = append(set.ids[:0], set.ids[1:]...)
	}
	set.ids = append(set.ids, redeemedID{id: raw, issued: issued})
	return true
}

// prune forgets answered challenges that have expired, raising the floor
// past them (so that a clock set back cannot revive them), and reports
// whether nothing is left worth keeping.
func (set *redeemedSet) prune(now int64) bool {
	ttl := challengeTTL.Milliseconds()
	keep := set.ids[:0]
	for _, r := range set.ids {
		if now >= r.issued+ttl {
			set.floor = max(set.floor, r.issued)
			continue
		}
		keep = append(keep, r)
	}
	clear(set.ids[len(keep):])
	set.ids = keep
	return len(set.ids) == 0 && now >= set.floor+ttl
}

// outstanding returns how many answered challenges are remembered, and for
// how many users (for tests and benchmarks).
func (cs *challenges) outstanding() (ids, users int) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, set := range cs.redeemed {
		ids += len(set.ids)
	}
	return ids, len(cs.redeemed)
}

// sealChallenge encrypts plain to r as an ASCII-armored age file.
func sealChallenge(r age.Recipient, plain string) (string, error) {
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		return "", err
	}
	if _, err := w.Write([]byte(plain)); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	if err := aw.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}
