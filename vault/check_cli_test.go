package vault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/vault"
)

// TestCheckFindsOlderVaultsSlots plants, in a vault served on loopback,
// the key slot that the rule before the consent rule gave a lawyer made
// custodian of a collection for a research-only deposit, and checks that
// GET /v1/check and 'amana check' (the real binary) find it, that the slot
// opens nothing, and that 'amana revoke --rekey' clears it.
func TestCheckFindsOlderVaultsSlots(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the amana command")
	}
	ctx := context.Background()
	srv := amanatest.NewServer(t, amanatest.Options{
		Passphrase:  "check test passphrase",
		Collections: []vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan", "a.karim"}}},
	})
	admin := vault.Caller{User: "l.custodian"}
	if _, err := srv.Vault.UpdateCollection(admin, "kirkuk-2018", vault.CollectionUpdate{AddCustodians: []string{"a.karim"}}); err != nil {
		t.Fatal(err)
	}
	hassan := srv.Login("r.hassan")
	u := srv.Users["r.hassan"]
	dep, err := hassan.Deposit(ctx, client.DepositRequest{
		Collection: "kirkuk-2018", Kind: "testimony",
		Public:    client.PublicMeta{Title: "Research-only statement", Language: "en"},
		Consent:   client.Consent{Scopes: []string{"research"}, RecordedAt: "2018-03-02", RecordedBy: "r.hassan"},
		Content:   strings.NewReader("a statement for research only"),
		Depositor: "r.hassan", Signer: u.Signer,
	})
	if err != nil {
		t.Fatal(err)
	}
	id := dep.Document.ID
	if strings.Contains(strings.Join(dep.Document.SlotHolders, ","), "a.karim") {
		t.Fatalf("the lawyer custodian got a slot: %v", dep.Document.SlotHolders)
	}

	// The vault as the older rule wrote it: the document key wrapped for
	// the lawyer custodian too.
	key, err := hassan.OpenKey(ctx, id, u.Identities)
	if err != nil {
		t.Fatal(err)
	}
	r, err := recipient.Parse(srv.Users["a.karim"].Recipient)
	if err != nil {
		t.Fatal(err)
	}
	slot, err := envelope.Wrap(key, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := vault.PlantSlot(srv.Vault, id, "a.karim", slot); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Login("a.karim").KeySlot(ctx, id); !isStatus(err, http.StatusForbidden) {
		t.Errorf("the planted slot is served: %v", err)
	}

	// Over HTTP.
	rep, err := srv.Login("l.custodian").CheckConsent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := client.ConsentViolation{Doc: id, Collection: "kirkuk-2018", User: "a.karim", Role: "lawyer", As: "custodian", Scopes: []string{"research"}}
	if rep.Documents != 1 || len(rep.Violations) != 1 || !sameViolation(rep.Violations[0], want) {
		t.Fatalf("GET /v1/check: %+v", rep)
	}

	// Through the command line.
	bin := filepath.Join(t.TempDir(), "amana")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/amana-vault/amana/cmd/amana").CombinedOutput(); err != nil {
		t.Fatalf("building amana: %v\n%s", err, out)
	}
	cfg := t.TempDir()
	amana := func(args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "AMANA_CONFIG_DIR="+cfg, "AMANA_TOTP=")
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return o.String(), e.String(), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), 0
	}
	lc := srv.Users["l.custodian"]
	if _, stderr, code := amana("login", "--server", srv.URL, "--user", "l.custodian", "--identity", lc.IdentityFile, "--totp", srv.NextCode("l.custodian")); code != 0 {
		t.Fatalf("login: %s", stderr)
	}
	stdout, stderr, code := amana("check")
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "1 key slot(s) not covered") {
		t.Errorf("amana check: exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "DOCUMENT") || !tableLine(stdout, id, "kirkuk-2018", "a.karim", "lawyer", "custodian", "research") {
		t.Errorf("amana check prints no line for the planted slot:\n%s", stdout)
	}
	stdout, _, code = amana("check", "--json")
	var got client.ConsentReport
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 1 || len(got.Violations) != 1 || !sameViolation(got.Violations[0], want) {
		t.Errorf("amana check --json: exit %d, %v\n%s", code, err, stdout)
	}

	// The fix the check suggests: revoke the slot and rekey.
	if _, stderr, code := amana("revoke", id, "a.karim", "--rekey"); code != 0 {
		t.Fatalf("revoke --rekey: %s", stderr)
	}
	if stdout, stderr, code := amana("check"); code != 0 || !strings.Contains(stdout, "every key slot is covered") {
		t.Errorf("amana check after the fix: exit %d\n%s%s", code, stdout, stderr)
	}
	var buf bytes.Buffer
	if _, err := hassan.Get(ctx, id, u.Identities, &buf); err != nil || buf.String() != "a statement for research only" {
		t.Errorf("the depositor after the fix: %v", err)
	}
}

func isStatus(err error, status int) bool {
	var ae *client.Error
	return errors.As(err, &ae) && ae.Status == status
}

func sameViolation(a, b client.ConsentViolation) bool {
	return a.Doc == b.Doc && a.Collection == b.Collection && a.User == b.User && a.Role == b.Role && a.As == b.As &&
		strings.Join(a.Scopes, ",") == strings.Join(b.Scopes, ",")
}

// tableLine reports whether one line of out holds every field, in order,
// separated by spaces.
func tableLine(out string, fields ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(line), " ") == strings.Join(fields, " ") {
			return true
		}
	}
	return false
}
