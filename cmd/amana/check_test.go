//go:build unix

package main

import (
	"strings"
	"testing"
)

// TestCheckAndCollectionStepUp: creating a collection (here with a lawyer
// as custodian) asks for a step-up like other sensitive commands; 'amana
// check' is for admins with a fresh code, prints a table or JSON, and
// exits 0 for a vault kept by the consent rule. (The vault's tests plant
// the slots an older vault holds and run 'amana check' on them.)
func TestCheckAndCollectionStepUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.login("l.custodian")
	create := []string{"collection", "create", "kirkuk-2018", "--member", "r.hassan", "--member", "a.karim",
		"--custodian", "l.custodian", "--custodian", "a.karim", "--json"}
	e.stepUpDue()
	e.fail("l.custodian", "TOTP", create...)
	e.fail("l.custodian", "TOTP code was not accepted", append(create, "--totp", "000000")...)
	col := decode[map[string]any](t, e.ok("l.custodian", append(create, "--totp", e.code("l.custodian"))...).stdout)
	if got := col["custodians"]; len(got.([]any)) != 2 {
		t.Fatalf("custodians %v", got)
	}

	e.login("r.hassan")
	e.deposit("r.hassan", []byte("a statement whose consent covers research and legal proceedings"))

	e.stepUpDue()
	e.fail("l.custodian", "TOTP", "check")
	r := e.ok("l.custodian", "check", "--totp", e.code("l.custodian"))
	if !strings.Contains(r.stdout, "Checked 1 document(s): every key slot is covered") {
		t.Errorf("check on a clean vault:\n%s", r.stdout)
	}
	rep := decode[struct {
		Documents  int   `json:"documents"`
		Violations []any `json:"violations"`
	}](t, e.ok("l.custodian", "check", "--json").stdout)
	if rep.Documents != 1 || rep.Violations == nil || len(rep.Violations) != 0 {
		t.Errorf("check --json on a clean vault: %+v", rep)
	}
	e.fail("r.hassan", "not allowed", "check", "--totp", e.code("r.hassan"))
}
