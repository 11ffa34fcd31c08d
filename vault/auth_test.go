package vault

import (
	"bytes"
	"errors"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// totpCode returns the code for secret at t, from oathtool (an independent
// implementation) when it is installed, else from pquerna/otp.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	if path, err := exec.LookPath("oathtool"); err == nil {
		out, err := exec.Command(path, "--totp", "-b", "--now", at.UTC().Format("2006-01-02 15:04:05 UTC"), secret).Output()
		if err != nil {
			t.Fatalf("oathtool: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	code, err := totp.GenerateCodeCustom(secret, at, totpOpts)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func secretOf(t *testing.T, u testUser) string {
	t.Helper()
	p, err := url.Parse(u.totpURL)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get("secret")
}

func TestTOTP(t *testing.T) {
	f := newFixture(t)
	secret := secretOf(t, f.r1)
	c := Caller{Addr: "192.0.2.1", RequestID: "login"}
	login := func(code string, proof bool) error {
		_, err := f.v.CheckTOTP(c, "auth.login", f.r1.id, code, proof)
		return err
	}
	code := totpCode(t, secret, f.clock.Now())

	// The right code, but without proof of the age identity: refused.
	if err := login(code, false); !errors.Is(err, ErrAuth) {
		t.Fatalf("login without challenge proof: %v", err)
	}
	e := f.expectEvent(t, f.r1.id, "auth.login", "ok", func() {
		role, err := f.v.CheckTOTP(c, "auth.login", f.r1.id, code, true)
		if err != nil || role != RoleResearcher {
			t.Fatalf("login: %q, %v", role, err)
		}
	})
	if !strings.HasPrefix(e.Hashed["addr"], "hmac-sha256:") {
		t.Errorf("client address not hashed: %v", e.Hashed)
	}
	// Replay of the same code, even within its window: refused.
	f.expectEvent(t, f.r1.id, "auth.login", "denied", func() {
		if err := login(code, true); !errors.Is(err, ErrAuth) {
			t.Fatalf("replayed code: %v", err)
		}
	})
	// The previous step's code is older than the accepted one: refused.
	if err := login(totpCode(t, secret, f.clock.Now().Add(-30*time.Second)), true); !errors.Is(err, ErrAuth) {
		t.Fatalf("older code after a newer one: %v", err)
	}
	// Next step: accepted, once.
	f.clock.Add(30 * time.Second)
	if err := login(totpCode(t, secret, f.clock.Now()), true); err != nil {
		t.Fatalf("next step: %v", err)
	}
	// Clock skew: one step ahead is accepted, two are not.
	f.clock.Add(60 * time.Second)
	if err := login(totpCode(t, secret, f.clock.Now().Add(60*time.Second)), true); !errors.Is(err, ErrAuth) {
		t.Fatalf("code two steps ahead: %v", err)
	}
	if err := login(totpCode(t, secret, f.clock.Now().Add(30*time.Second)), true); err != nil {
		t.Fatalf("code one step ahead: %v", err)
	}
	// Malformed codes are just wrong.
	for _, bad := range []string{"", "12345", "1234567", "abcdef", strings.Repeat("9", 1000)} {
		f.clock.Add(time.Hour) // past any lockout
		if err := login(bad, true); !errors.Is(err, ErrAuth) {
			t.Errorf("code %q: %v", bad, err)
		}
	}
	// A different user's code does not work for r1.
	f.clock.Add(time.Hour)
	if err := login(totpCode(t, secretOf(t, f.lawyer), f.clock.Now()), true); !errors.Is(err, ErrAuth) {
		t.Errorf("another user's code: %v", err)
	}
}

func TestTOTPUnknownUserLooksLikeWrongCode(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ id, actor string }{{"nobody", "nobody"}, {"", ""}, {"../../etc", ""}} {
		e := f.expectEvent(t, tt.actor, "auth.login", "denied", func() {
			if _, err := f.v.CheckTOTP(Caller{}, "auth.login", tt.id, "123456", true); !errors.Is(err, ErrAuth) {
				t.Fatalf("unknown user %q: %v", tt.id, err)
			}
		})
		// An id that is not a valid slug is recorded as a hash, not as sent.
		if tt.id == "../../etc" && !strings.HasPrefix(e.Detail["malformed_actor"], "sha256:") {
			t.Errorf("malformed actor recorded as %+v", e)
		}
	}
	// A disabled user fails the same way.
	st := StateDisabled
	if _, err := f.v.UpdateUser(f.admin.caller(), f.r1.id, UserUpdate{State: &st}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.CheckTOTP(Caller{}, "auth.login", f.r1.id, totpCode(t, secretOf(t, f.r1), f.clock.Now()), true); !errors.Is(err, ErrAuth) {
		t.Fatalf("disabled user: %v", err)
	}
}

func TestTOTPLockout(t *testing.T) {
	f := newFixture(t)
	secret := secretOf(t, f.r1)
	login := func(code string) error {
		_, err := f.v.CheckTOTP(Caller{}, "auth.login", f.r1.id, code, true)
		return err
	}
	wrong := func() string {
		good := totpCode(t, secret, f.clock.Now())
		if good == "000000" {
			return "000001"
		}
		return "000000"
	}
	for i := 0; i < freeFailures; i++ {
		if err := login(wrong()); !errors.Is(err, ErrAuth) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	// Now even the right code must wait: the account is delayed.
	var locked *LockedError
	if err := login(totpCode(t, secret, f.clock.Now())); !errors.As(err, &locked) {
		t.Fatalf("right code during the delay: %v, want LockedError", err)
	}
	// Delays grow.
	first := locked.Until.Sub(f.clock.Now())
	f.clock.Set(locked.Until)
	login(wrong())
	if err := login(wrong()); !errors.As(err, &locked) || locked.Until.Sub(f.clock.Now()) <= first {
		t.Fatalf("delay did not grow: %v", err)
	}
	// After the delay the right code works and resets the count.
	f.clock.Set(locked.Until.Add(time.Second))
	if err := login(totpCode(t, secret, f.clock.Now())); err != nil {
		t.Fatalf("right code after the delay: %v", err)
	}
	u, _ := f.v.GetUser(f.admin.caller(), f.r1.id)
	if u.Failures != 0 {
		t.Errorf("failures not reset: %d", u.Failures)
	}

	// maxFailures consecutive failures lock the account until an admin
	// reactivates it.
	for i := 0; i < maxFailures; i++ {
		f.clock.Add(maxLockDelay + time.Second)
		login(wrong())
	}
	f.clock.Add(maxLockDelay + time.Second)
	if err := login(totpCode(t, secret, f.clock.Now())); !errors.Is(err, ErrAuth) {
		t.Fatalf("locked account accepted a code: %v", err)
	}
	if u, _ := f.v.GetUser(f.admin.caller(), f.r1.id); u.State != StateLocked {
		t.Fatalf("state %q after %d failures", u.State, maxFailures)
	}
	active := StateActive
	if _, err := f.v.UpdateUser(f.admin.caller(), f.r1.id, UserUpdate{State: &active}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(30 * time.Second)
	if err := login(totpCode(t, secret, f.clock.Now())); err != nil {
		t.Fatalf("after reactivation: %v", err)
	}
}

// TestFailuresWithoutProofNeverLock is the attack of someone who knows only
// a user name: logins without a correct challenge response, with wrong
// codes and even with the right one, as many as NIST's limit and more.
// None counts, none learns that the account must wait, and the user logs in.
func TestFailuresWithoutProofNeverLock(t *testing.T) {
	f := newFixture(t)
	secret := secretOf(t, f.r1)
	login := func(code string, proof bool) error {
		_, err := f.v.CheckTOTP(Caller{Addr: "198.51.100.7"}, "auth.login", f.r1.id, code, proof)
		return err
	}
	for i := 0; i < 2*maxFailures; i++ {
		code := "000000"
		if i%2 == 1 {
			code = totpCode(t, secret, f.clock.Now())
		}
		if err := login(code, false); !errors.Is(err, ErrAuth) {
			t.Fatalf("attempt %d without proof: %v, want ErrAuth", i, err)
		}
	}
	u, _ := f.v.GetUser(f.admin.caller(), f.r1.id)
	if u.Failures != 0 || !u.LockedUntil.IsZero() || u.State != StateActive {
		t.Fatalf("after %d attempts without proof: failures %d, locked until %v, state %s", 2*maxFailures, u.Failures, u.LockedUntil, u.State)
	}
	e := f.expectEvent(t, f.r1.id, "auth.login", "denied", func() { login("000000", false) })
	if e.Detail["reason"] != "challenge" || e.Detail["failures"] != "" {
		t.Errorf("event of an attempt without proof: %+v", e.Detail)
	}
	if err := login(totpCode(t, secret, f.clock.Now()), true); err != nil {
		t.Fatalf("the user's own login: %v", err)
	}

	// The user's own failures (with proof) delay it; attempts without
	// proof meanwhile get ErrAuth, as for a name nobody has, never the
	// LockedError that would tell the account apart.
	f.clock.Add(30 * time.Second)
	for i := 0; i < freeFailures; i++ {
		login("000000", true)
	}
	var locked *LockedError
	if err := login(totpCode(t, secret, f.clock.Now()), true); !errors.As(err, &locked) {
		t.Fatalf("with proof during the delay: %v, want LockedError", err)
	}
	for _, id := range []string{f.r1.id, "nobody"} {
		if _, err := f.v.CheckTOTP(Caller{}, "auth.login", id, totpCode(t, secret, f.clock.Now()), false); !errors.Is(err, ErrAuth) {
			t.Errorf("%s without proof during the delay: %v, want ErrAuth", id, err)
		}
	}
	// The delay ends by itself.
	f.clock.Set(locked.Until.Add(time.Second))
	if err := login(totpCode(t, secret, f.clock.Now()), true); err != nil {
		t.Fatalf("after the delay: %v", err)
	}
}

func TestLoginUserAndRecipients(t *testing.T) {
	f := newFixture(t)
	if r, ok := f.v.LoginUser(f.r1.id); !ok || r != f.r1.recipient {
		t.Fatalf("LoginUser(%s) = %q, %v", f.r1.id, r, ok)
	}
	if _, ok := f.v.LoginUser("nobody"); ok {
		t.Fatal("LoginUser(nobody) found a user")
	}
	// A disabled user may not log in, and its recipient is still told,
	// so that its challenges keep their look.
	st := StateDisabled
	if _, err := f.v.UpdateUser(f.admin.caller(), f.r3.id, UserUpdate{State: &st}); err != nil {
		t.Fatal(err)
	}
	if r, ok := f.v.LoginUser(f.r3.id); ok || r != f.r3.recipient {
		t.Fatalf("LoginUser of a disabled user = %q, %v", r, ok)
	}
	var got []string
	if err := f.v.LoginRecipients(func(r string) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("LoginRecipients: %d recipients, want 6", len(got))
	}
	for _, u := range []testUser{f.r2, f.r3} {
		stored, _ := f.v.LoginUser(u.id)
		if !slices.Contains(got, stored) {
			t.Errorf("LoginRecipients lacks %s's recipient", u.id)
		}
	}
	// The decoy key survives a restart and is not the audit HMAC key.
	k := f.v.LoginDecoyKey()
	f.reopen(t)
	if k2 := f.v.LoginDecoyKey(); len(k) != 32 || !bytes.Equal(k, k2) || bytes.Equal(k, f.v.keys.hmac) {
		t.Fatal("LoginDecoyKey is not a stable, separate key")
	}
}
