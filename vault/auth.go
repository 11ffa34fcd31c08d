package vault

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/vault/audit"
)

// ErrAuth is the one answer to a failed login, whatever failed: unknown
// user, wrong challenge response, wrong or replayed TOTP code.
var ErrAuth = errors.New("vault: authentication failed")

// LockedError is returned while a user must wait after failed logins.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return "vault: too many failed attempts; try again after " + e.Until.UTC().Format(time.RFC3339)
}

// TOTP parameters (RFC 6238 defaults, as authenticator apps expect).
const (
	totpPeriod = 30
	totpSkew   = 1 // steps accepted either side of now
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Lockout: the first few failures cost nothing, then each doubles the wait
// up to maxLockDelay; after maxFailures consecutive failures (NIST SP
// 800-63B allows at most 100) the account is locked until an admin
// reactivates it.
const (
	freeFailures = 5
	maxLockDelay = 15 * time.Minute
	maxFailures  = 100
)

func lockDelay(failures int) time.Duration {
	if failures < freeFailures {
		return 0
	}
	d := time.Second << min(failures-freeFailures, 20)
	return min(d, maxLockDelay)
}

// dummySecret is checked for unknown users, so that they cost the same
// work as known ones.
const dummySecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// LoginUser returns the recipient to encrypt a login challenge to, and
// whether the user exists and may log in. The caller must answer unknown
// users exactly like known ones.
func (v *Vault) LoginUser(id string) (recipient string, ok bool) {
	v.db.View(func(tx *bbolt.Tx) error {
		u, err := getUser(tx, id)
		if err == nil && u.State != StateDisabled {
			recipient, ok = u.Recipient, true
		}
		return nil
	})
	return recipient, ok
}

// CheckTOTP verifies a TOTP code for user as one audited action (action is
// "auth.login" or "auth.stepup"). proofOK says whether the user also proved
// possession of its age identity; a false proof fails like a wrong code. A
// code is accepted once only: codes at or before the last accepted time
// step are replays (RFC 6238 §5.2). Failures count towards the lockout.
// It returns the user's role on success.
func (v *Vault) CheckTOTP(c Caller, action, user, code string, proofOK bool) (string, error) {
	var role string
	var locked *LockedError
	var failed bool
	err := v.update(c, action, func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Actor, ev.Target = user, user
		locked, failed = nil, false
		now := v.opts.Now()
		u, err := getUser(tx, user)
		if err != nil || u.State == StateDisabled {
			matchStep(dummySecret, code, now, 0)
			return ErrAuth
		}
		if u.State == StateLocked {
			return ErrAuth
		}
		if now.Before(u.LockedUntil) {
			locked = &LockedError{Until: u.LockedUntil}
			ev.Outcome = outcomeDenied
			ev.Detail = map[string]string{"reason": "locked"}
			return nil
		}
		secret, err := v.keys.open(u.TOTPSealed, "totp:"+u.ID)
		if err != nil {
			return err
		}
		step, ok := matchStep(string(secret), code, now, u.TOTPLastStep)
		clear(secret)
		if ok && proofOK {
			u.TOTPLastStep = step
			u.Failures = 0
			u.LockedUntil = time.Time{}
			role = u.Role
			return putUser(tx, u)
		}
		u.Failures++
		u.LockedUntil = now.Add(lockDelay(u.Failures))
		if u.Failures >= maxFailures {
			u.State = StateLocked
		}
		ev.Outcome = outcomeDenied
		ev.Detail = map[string]string{"failures": fmt.Sprint(u.Failures)}
		if !proofOK {
			ev.Detail["reason"] = "challenge"
		} else {
			ev.Detail["reason"] = "totp"
		}
		failed = true
		return putUser(tx, u) // the failure count commits with its event
	})
	switch {
	case err != nil:
		return "", err
	case locked != nil:
		return "", locked
	case failed:
		return "", ErrAuth
	}
	return role, nil
}

// matchStep returns the time step within the allowed skew whose code equals
// code and which is later than last. Every candidate is computed and
// compared in constant time, whether or not an earlier one matched.
func matchStep(secret, code string, now time.Time, last int64) (int64, bool) {
	cur := now.Unix() / totpPeriod
	var found int64
	ok := 0
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totpOpts)
		if err != nil {
			continue
		}
		eq := subtle.ConstantTimeCompare([]byte(want), []byte(code))
		if eq == 1 && s > last && ok == 0 {
			found, ok = s, 1
		}
	}
	return found, ok == 1
}
