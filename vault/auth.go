package vault

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
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

// Lockout: only failures of someone who proved possession of the user's age
// identity count (a correct challenge response with a wrong or replayed
// TOTP code, or a wrong step-up code in a live session); anyone else's fail
// without touching the account. The first few cost nothing, then each
// doubles the wait up to maxLockDelay, and the wait ends by itself; after
// maxFailures consecutive failures (NIST SP 800-63B allows at most 100) the
// account is locked until an admin makes it active again.
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

// LoginUser returns the recipient of user id, for any user the vault holds,
// and whether that user may log in (it is not disabled; a locked user gets
// its challenge and fails afterwards). The caller must answer names the
// vault does not hold exactly like those it holds, and a disabled user
// like a name it does not hold whose challenges look like the user's.
func (v *Vault) LoginUser(id string) (recipient string, ok bool) {
	v.db.View(func(tx *bbolt.Tx) error {
		if u, err := getUser(tx, id); err == nil {
			recipient, ok = u.Recipient, u.State != StateDisabled
		}
		return nil
	})
	return recipient, ok
}

// LoginRecipients calls fn with the recipient of every user, in no order:
// the mix of key types that login challenges show.
func (v *Vault) LoginRecipients(fn func(recipient string)) error {
	return v.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(k, data []byte) error {
			var u struct {
				Recipient string `json:"recipient"`
			}
			if err := json.Unmarshal(data, &u); err != nil {
				return err
			}
			fn(u.Recipient)
			return nil
		})
	})
}

// LoginDecoyKey returns a secret derived from the server key for the login
// challenges of names the vault does not hold: it stays the same across
// restarts, so that such a name's challenges look alike over time, as a
// real user's do.
func (v *Vault) LoginDecoyKey() []byte {
	k, err := hkdf.Key(sha256.New, v.keys.hmac, nil, "amana login decoys v1", 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot give
	}
	return k
}

// CheckTOTP verifies a TOTP code for user as one audited action (action is
// "auth.login" or "auth.stepup"). proofOK says whether the caller proved
// possession of the user's age identity (a correct challenge response, or
// a live session). A code is accepted once only: codes at or before the
// last accepted time step are replays (RFC 6238 §5.2). Only failures with
// proofOK count towards the lockout, and only they learn that the account
// must wait (LockedError). Without proofOK the attempt fails with ErrAuth
// whoever the user is, and whether it exists or not, after the same work
// (a TOTP check against a dummy secret), and the user's record is not
// touched: so nobody who holds only a user name can lock that user out or
// learn anything about it. It returns the user's role on success.
func (v *Vault) CheckTOTP(c Caller, action, user, code string, proofOK bool) (string, error) {
	var role string
	var locked *LockedError
	var failed bool
	err := v.update(c, action, func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Actor, ev.Target = user, user
		locked, failed = nil, false
		now := v.opts.Now()
		if !proofOK {
			matchStep(dummySecret, code, now, 0)
			ev.Outcome = outcomeDenied
			ev.Detail = map[string]string{"reason": "challenge"}
			failed = true
			return nil
		}
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
		if ok {
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
		ev.Detail = map[string]string{"failures": fmt.Sprint(u.Failures), "reason": "totp"}
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
