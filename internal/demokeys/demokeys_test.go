package demokeys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

func TestLoadKeysExample(t *testing.T) {
	dir := filepath.Join("..", "..", "keys-example")
	users, pass, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pass == "" || len(ByRole(users, "admin")) != 1 || len(ByRole(users, "researcher")) != 2 ||
		len(ByRole(users, "lawyer")) != 2 || len(ByRole(users, "auditor")) != 1 {
		t.Fatalf("keys-example: %d users %+v", len(users), users)
	}
	keys := map[string]bool{}
	for _, u := range users {
		ids, err := u.Identities(dir)
		if err != nil {
			t.Fatal(err)
		}
		// The identity opens what is sealed to the listed recipient.
		var rcpt age.Recipient
		switch k := ids[0].(type) {
		case *age.X25519Identity:
			rcpt = k.Recipient()
		case *age.HybridIdentity:
			rcpt = k.Recipient()
		default:
			t.Fatalf("%s: identity of type %T", u.ID, k)
		}
		if rcpt.(interface{ String() string }).String() != u.Recipient {
			t.Errorf("%s: the identity file is not the listed recipient's", u.ID)
		}
		// The signing key is an OpenSSH Ed25519 key of its own.
		if u.SigningKeyFile != u.ID+".sign" {
			t.Errorf("%s: signing_key_file %q", u.ID, u.SigningKeyFile)
		}
		key, err := u.SigningKey(dir)
		if err != nil || !strings.HasPrefix(key, "ssh-ed25519 ") {
			t.Errorf("%s: signing key %q %v", u.ID, key, err)
		}
		if keys[key] {
			t.Errorf("%s: signing key shared with another user", u.ID)
		}
		keys[key] = true
		if _, err := Code(u.TOTPSecret, time.Now()); err != nil {
			t.Errorf("%s: TOTP secret: %v", u.ID, err)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Load(dir); !os.IsNotExist(err) {
		t.Errorf("empty directory: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "users.json"), []byte(`[{"id":"a","role":"admin"}]`), 0o600)
	os.WriteFile(filepath.Join(dir, "passphrase.txt"), []byte("\n"), 0o600)
	if _, _, err := Load(dir); err == nil {
		t.Error("empty passphrase accepted")
	}
	os.WriteFile(filepath.Join(dir, "users.json"), []byte(`{`), 0o600)
	if _, _, err := Load(dir); err == nil {
		t.Error("broken users.json accepted")
	}
}

func TestCode(t *testing.T) {
	// RFC 6238, appendix B (SHA-1), the last six digits.
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 20000000000: "353130"} {
		if got, err := Code(secret, time.Unix(unix, 0)); err != nil || got != want {
			t.Errorf("at %d: %s %v, want %s", unix, got, err, want)
		}
	}
}
