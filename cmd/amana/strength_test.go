package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amana-vault/amana/vault"
)

// initPassphrase is a passphrase amana init accepts, for tests.
const initPassphrase = "init test: sandal mirror quietly orbit lantern"

func TestPassphraseStrength(t *testing.T) {
	weak := []string{
		"password",
		"Password123!",
		"P@ssw0rd2024",
		"correcthorse",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"abcdefghijklmnopqrstuvwxyz0123456789",
		"qwertyuiopasdfghjklzxcvbnm",
		"1qaz2wsx3edc4rfv",
		"passwordpasswordpasswordpassword",
		"letmein letmein letmein",
		"kirkuk2018kirkuk2018",
		"amana vault secret",
		"Baghdad1990Erbil2003",
		"drowssap drowssap",
		"zyxwvutsrqponmlk",
		"an init test passphrase",
		"ab12ab12ab12ab12ab12ab12ab12ab12",
		strings.Repeat("x", 4096),
		"short",
	}
	strong := []string{
		"sandal mirror quietly orbit lantern",
		"a wall of copper kettles hums at dusk",
		"J7#vR2!mQ9$wL4&x",
		"tg9v-Xp2r-8Wq3-mN6k",
		"amana demo passphrase — public, never use for real",
		"server test passphrase with five more words",
		"موز قطار بحيرة نجمة قلم",
		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ",
	}
	for _, p := range weak {
		bits, why := passphraseStrength(p)
		t.Logf("weak   %5.1f %v %.40q", bits, why, p)
		if checkPassphrase(p) == nil {
			t.Errorf("%.40q passes with an estimated %.1f bits", p, bits)
		}
	}
	for _, p := range strong {
		bits, why := passphraseStrength(p)
		t.Logf("strong %5.1f %v %.40q", bits, why, p)
		if err := checkPassphrase(p); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
}

// TestDemoPassphraseIsStrongEnough: the demo's passphrase passes the bar
// (the demo creates its vault without amana init, but it should not teach
// a passphrase init would refuse).
func TestDemoPassphraseIsStrongEnough(t *testing.T) {
	b, err := os.ReadFile("../../keys-example/passphrase.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkPassphrase(strings.TrimRight(string(b), "\r\n")); err != nil {
		t.Fatal(err)
	}
}

// TestPassphraseStrengthIsQuick: the longest passphrase a file may hold, in
// the shapes that make most patterns, is estimated without delay.
func TestPassphraseStrengthIsQuick(t *testing.T) {
	for _, p := range []string{
		strings.Repeat("a", maxPassphraseFile),
		strings.Repeat("ab", maxPassphraseFile/2),
		strings.Repeat("qwertyuiop", maxPassphraseFile/10),
		strings.Repeat("abcdefghijklmnopqrstuvwxyz", maxPassphraseFile/26),
		strings.Repeat("password", maxPassphraseFile/8),
	} {
		done := make(chan struct{})
		go func() { passphraseStrength(p); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatalf("no estimate after a minute for %.20q…", p)
		}
	}
}

// TestInitRefusesWeakPassphrases: amana init says why it refuses a weak
// passphrase, in one line that repeats none of it, and creates nothing.
func TestInitRefusesWeakPassphrases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	admin := newEnvUsersRecipient(t)
	for i, p := range []string{"Password123!", "qwertyuiop2024", "amana vault secret"} {
		file := filepath.Join(dir, "pass")
		os.WriteFile(file, []byte(p+"\n"), 0o600)
		data := filepath.Join(dir, "vault")
		args := []string{"init", "--data", data, "--admin", "admin", "--admin-recipient", admin, "--passphrase-file", file, "--scrypt-work-factor", "10"}
		r := run(t, filepath.Join(dir, "cfg"), args...)
		checkFailure(t, r, "the passphrase is too weak: an estimated", args)
		if !strings.Contains(r.stderr, "at least 60") || strings.Contains(r.stderr, p) {
			t.Errorf("passphrase %d: %q", i, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(data, vault.DBFile)); err == nil {
			t.Fatalf("init with a weak passphrase created a vault")
		}
	}
	// The same through AMANA_PASSPHRASE.
	data := filepath.Join(dir, "vault")
	args := []string{"init", "--data", data, "--admin", "admin", "--admin-recipient", admin, "--scrypt-work-factor", "10"}
	r := runEnv(t, filepath.Join(dir, "cfg"), []string{"AMANA_PASSPHRASE=letmein letmein"}, args...)
	checkFailure(t, r, "too weak", args)
	r = runEnv(t, filepath.Join(dir, "cfg"), []string{"AMANA_PASSPHRASE=" + initPassphrase}, args...)
	if r.code != 0 {
		t.Fatalf("init with a strong passphrase: %s", r.stderr)
	}
}
