//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amana-vault/amana/manifest"
	"github.com/amana-vault/amana/sshsig"
	"github.com/amana-vault/amana/vault"
)

// sshPublicKey is what OpenSSH's ssh-keygen reads as the public key of the
// private key file name.
func sshPublicKey(t *testing.T, name string) string {
	t.Helper()
	// ssh-keygen wants a private key file readable by its owner only.
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ssh-keygen", "-y", "-f", p).Output()
	if err != nil {
		t.Fatalf("ssh-keygen -y -f %s: %v (OpenSSH's ssh-keygen is needed)", name, err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		t.Fatalf("ssh-keygen -y printed %q", out)
	}
	return f[0] + " " + f[1]
}

func TestKeygenWritesSigningKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	key, sign := filepath.Join(dir, "me.key"), filepath.Join(dir, "me.sign")
	r := run(t, cfg, "keygen", "--pq", "-o", key)
	if r.code != 0 {
		t.Fatalf("keygen: %s", r.stderr)
	}
	for _, name := range []string{key, sign} {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, st.Mode().Perm())
		}
	}
	pub := sshPublicKey(t, sign)
	if !strings.Contains(r.stdout, "Public key: age1pq1") || !strings.Contains(r.stdout, "Signing key: "+pub+"\n") {
		t.Errorf("keygen printed:\n%s\nwant the age recipient and %s", r.stdout, pub)
	}
	if !strings.HasPrefix(pub, "ssh-ed25519 ") {
		t.Errorf("signing key %q is not Ed25519", pub)
	}

	// Never overwritten, neither file, and nothing half written.
	signBytes, _ := os.ReadFile(sign)
	checkFailure(t, run(t, cfg, "keygen", "-o", key), "already exists", nil)
	os.Remove(key)
	checkFailure(t, run(t, cfg, "keygen", "-o", key), sign+" already exists", nil)
	noFile(t, key)
	if b, _ := os.ReadFile(sign); !bytes.Equal(b, signBytes) {
		t.Error("the signing key was overwritten")
	}

	// --json, and a name without .key.
	other := filepath.Join(dir, "other")
	r = run(t, cfg, "keygen", "-o", other, "--json")
	if r.code != 0 {
		t.Fatalf("keygen --json: %s", r.stderr)
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("keygen --json: %v\n%s", err, r.stdout)
	}
	if out["file"] != other || out["signing_key_file"] != other+".sign" || !strings.HasPrefix(out["recipient"], "age1") ||
		out["signing_key"] != sshPublicKey(t, other+".sign") {
		t.Errorf("keygen --json = %v", out)
	}
}

func TestLoginSigningKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hassan := e.users["r.hassan"]
	session := func(user string) map[string]any {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(e.configDir(user), "session.json"))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("PRIVATE KEY")) || bytes.Contains(raw, []byte("b3BlbnNzaC1rZXktdjE")) {
			t.Fatalf("session.json holds the signing key: %s", raw)
		}
		return decode[map[string]any](t, string(raw))
	}

	// The .sign next to the .key is found, and its path remembered.
	r := e.ok("r.hassan", "login", "--server", e.url, "--user", "r.hassan", "--identity", hassan.IdentityFile, "--totp", e.code("r.hassan"), "--json")
	wantFile := strings.TrimSuffix(hassan.IdentityFile, ".key") + ".sign"
	if s := session("r.hassan"); s["signing_key_file"] != wantFile {
		t.Errorf("session signing_key_file = %v, want %s", s["signing_key_file"], wantFile)
	}
	if out := decode[map[string]any](t, r.stdout); out["signing_key"] != sshPublicKey(t, wantFile) || out["signing_key_file"] != wantFile {
		t.Errorf("login --json = %s", r.stdout)
	}

	// An identity with no .sign next to it: no signing key, unless named.
	dir := t.TempDir()
	ident := filepath.Join(dir, "hassan.key")
	b, _ := os.ReadFile(hassan.IdentityFile)
	os.WriteFile(ident, b, 0o600)
	e.ok("r.hassan", "login", "--server", e.url, "--user", "r.hassan", "--identity", ident, "--totp", e.code("r.hassan"))
	if s := session("r.hassan"); s["signing_key_file"] != nil {
		t.Errorf("signing_key_file %v without a .sign file", s["signing_key_file"])
	}
	own := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", own).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	r = e.ok("r.hassan", "login", "--server", e.url, "--user", "r.hassan", "--identity", ident, "--signing-key", own, "--totp", e.code("r.hassan"))
	if s := session("r.hassan"); s["signing_key_file"] != own {
		t.Errorf("signing_key_file %v, want %s", s["signing_key_file"], own)
	}
	if !strings.Contains(r.stdout, own) {
		t.Errorf("login does not say which signing key: %s", r.stdout)
	}

	// Keys Amana cannot sign with are refused at login, in one line.
	locked := filepath.Join(dir, "locked")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "a passphrase", "-f", locked).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	rsa := filepath.Join(dir, "rsa")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	for file, want := range map[string]string{locked: "passphrase", rsa: "ssh-rsa", filepath.Join(dir, "none"): "no such file", ident: "not an OpenSSH private key"} {
		e.fail("r.hassan", want, "login", "--server", e.url, "--user", "r.hassan", "--identity", ident, "--signing-key", file, "--totp", e.code("r.hassan"))
	}
}

// TestSessionSigner: commands get the signing key through the session, an
// Ed25519 file signing here, a security key's file through ssh-keygen.
func TestSessionSigner(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("AMANA_CONFIG_DIR", cfg)
	dir := t.TempDir()
	pemBytes, pub, err := sshsig.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "me.sign")
	os.WriteFile(file, pemBytes, 0o600)
	s := &session{Server: "http://127.0.0.1:1", User: "r.hassan", Token: "t", SigningKeyFile: file}
	if err := s.save(); err != nil {
		t.Fatal(err)
	}
	k, err := (&remote{}).connect()
	if err != nil {
		t.Fatal(err)
	}
	sk, err := k.signer()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("a manifest")
	sig, err := sk.Sign(manifest.Namespace, msg)
	if err != nil {
		t.Fatal(err)
	}
	pk, _ := sshsig.ParsePublicKey(pub)
	if err := sshsig.Verify(pk, sshsig.DepositNamespace, msg, sig); err != nil {
		t.Errorf("the session's signature: %v", err)
	}
	if again, _ := k.signer(); again != sk {
		t.Error("the key file is read again")
	}

	// --signing-key overrides the session's file; a security key's file
	// goes to ssh-keygen, which fails here without the token.
	skFile := filepath.Join("..", "..", "sshsig", "testdata", "sk.key")
	k, err = (&remote{signingKey: skFile}).connect()
	if err != nil {
		t.Fatal(err)
	}
	hw, err := k.signer()
	if err != nil || hw.Signer != nil || hw.PublicKey.Type() != "sk-ssh-ed25519@openssh.com" {
		t.Fatalf("security key file: %+v %v", hw, err)
	}
	if _, err := hw.Sign(manifest.Namespace, msg); err == nil || !strings.Contains(err.Error(), "ssh-keygen") {
		t.Errorf("signing with a security key without the token: %v", err)
	}

	// No signing key at all: a reason to act on.
	s.SigningKeyFile = ""
	s.save()
	k, _ = (&remote{}).connect()
	if _, err := k.signer(); err == nil || !strings.Contains(err.Error(), "--signing-key") {
		t.Errorf("no signing key: %v", err)
	}
}

func TestUserSigningKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.login("l.custodian")
	salih := e.users["a.salih"]
	_, key, err := sshsig.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	e.ok("l.custodian", "user", "add", "r.signer", "--role", "researcher", "--recipient", salih.Recipient,
		"--signing-key", key+" someone@laptop", "--no-qr", "--totp", e.code("l.custodian"))
	r := e.ok("l.custodian", "user", "add", "r.unsigned", "--role", "researcher", "--recipient", salih.Recipient, "--no-qr")
	if !strings.Contains(r.stdout, "no signing key") || !strings.Contains(r.stdout, "set-signing-key r.unsigned") {
		t.Errorf("user add without a signing key does not say so:\n%s", r.stdout)
	}
	signingKeyOf := func(id string) any {
		t.Helper()
		for _, u := range decode[[]map[string]any](t, e.ok("l.custodian", "user", "list", "--json").stdout) {
			if u["id"] == id {
				return u["signing_key"]
			}
		}
		t.Fatalf("no user %s", id)
		return nil
	}
	if got := signingKeyOf("r.signer"); got != key {
		t.Errorf("r.signer's signing key %v, want %s without the comment", got, key)
	}

	_, key2, _ := sshsig.GenerateSigningKey()
	pub2, _ := sshsig.ParsePublicKey(key2)
	r = e.ok("l.custodian", "user", "set-signing-key", "r.unsigned", key2)
	if !strings.Contains(r.stdout, sshsig.Fingerprint(pub2)) || signingKeyOf("r.unsigned") != key2 {
		t.Errorf("set-signing-key: %s", r.stdout)
	}
	e.fail("l.custodian", "signing_key", "user", "set-signing-key", "r.unsigned", salih.Recipient)
	e.ok("l.custodian", "user", "set-signing-key", "r.unsigned", "")
	if got := signingKeyOf("r.unsigned"); got != nil {
		t.Errorf("removed signing key still listed: %v", got)
	}
	e.login("r.ahmed")
	e.fail("r.ahmed", "amana: ", "user", "set-signing-key", "r.signer", key2)
}

func TestInitAdminSigningKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	os.WriteFile(pass, []byte(initPassphrase+"\n"), 0o600)
	_, key, _ := sshsig.GenerateSigningKey()
	admin := newEnvUsersRecipient(t)
	data := filepath.Join(dir, "vault")
	r := run(t, filepath.Join(dir, "cfg"), "init", "--data", data, "--admin", "admin", "--admin-recipient", admin,
		"--admin-signing-key", key+" admin@host", "--passphrase-file", pass, "--scrypt-work-factor", "10", "--json")
	if r.code != 0 {
		t.Fatalf("init: %s", r.stderr)
	}
	v, err := vault.Open(data, initPassphrase, vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	u, err := v.GetUser(vault.Caller{User: "admin"}, "admin")
	if err != nil || u.SigningKey != key {
		t.Errorf("admin after init: %+v %v", u, err)
	}
	// A key that is not a signing key: nothing created.
	bad := filepath.Join(dir, "bad")
	r = run(t, filepath.Join(dir, "cfg"), "init", "--data", bad, "--admin", "admin", "--admin-recipient", admin,
		"--admin-signing-key", admin, "--passphrase-file", pass, "--scrypt-work-factor", "10")
	checkFailure(t, r, "signing_key", nil)
	if _, err := os.Stat(filepath.Join(bad, vault.DBFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("init with a bad signing key left a vault: %v", err)
	}
}

// newEnvUsersRecipient is an age recipient of the demo users.
func newEnvUsersRecipient(t *testing.T) string {
	t.Helper()
	users, _, err := loadDemoKeys(filepath.Join("..", "..", "keys-example"))
	if err != nil {
		t.Fatal(err)
	}
	return users[0].Recipient
}
