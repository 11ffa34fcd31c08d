package httpapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/httpapi"
)

// TestHMACNeedsStepUpAndIsLimited: the keyed hash of a value answers
// guesses at what the log holds hashed, so it needs a fresh TOTP and
// answers each user only a few times a minute.
func TestHMACNeedsStepUpAndIsLimited(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.login("l.custodian")
	totp := a.TOTP
	a.TOTP = nil
	e.clock.Add(6 * time.Minute)
	var ce *client.Error
	if _, err := a.HMAC(ctx, "a known query"); !errors.As(err, &ce) || ce.Status != 401 || ce.Code != "step_up_required" {
		t.Fatalf("with a stale step-up: %v", err)
	}
	a.TOTP = totp // the client answers the step-up
	for i := range httpapi.DefaultHMACBurst {
		if _, err := a.HMAC(ctx, "a known query"); err != nil {
			t.Fatalf("value %d: %v", i+1, err)
		}
	}
	if _, err := a.HMAC(ctx, "one too many"); !errors.As(err, &ce) || ce.Status != 429 || ce.Code != "rate_limited" {
		t.Fatalf("past the limit: %v", err)
	}
	// The limit is the user's: another user is not held back by it (and
	// a researcher is refused by the vault).
	if _, err := e.login("r.hassan").HMAC(ctx, "a known query"); !client.IsStatus(err, 403) {
		t.Fatalf("a researcher: %v", err)
	}
}
