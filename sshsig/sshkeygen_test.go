//go:build !js

package sshsig

import (
	"bytes"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// These tests hold Amana's signatures against OpenSSH's own ssh-keygen,
// the tool a court would use.

func sshKeygen(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Fatal("ssh-keygen (OpenSSH 8.2 or later) is needed to check signatures against OpenSSH (Debian: apt-get install openssh-client)")
	}
	return p
}

// keygenVerify runs 'ssh-keygen -Y verify' for principal in namespace and
// returns its output and whether it accepted the signature.
func keygenVerify(t *testing.T, allowedSigners []byte, principal, namespace string, msg, sig []byte) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	as, sf := filepath.Join(dir, "allowed_signers"), filepath.Join(dir, "msg.sig")
	if err := os.WriteFile(as, allowedSigners, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sf, sig, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sshKeygen(t), "-Y", "verify", "-f", as, "-I", principal, "-n", namespace, "-s", sf)
	cmd.Stdin = bytes.NewReader(msg)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// privateKeyFile copies a key file to a 0600 file, as ssh-keygen wants.
func privateKeyFile(t *testing.T, pemBytes []byte) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(name, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestSSHKeygenVerifiesSign(t *testing.T) {
	pemBytes, authorized, err := GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ParseSigningKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(authorized)
	if err != nil {
		t.Fatal(err)
	}
	allowed := AllowedSigners("r.hassan", pub)
	msg := []byte(`{"depositor":"r.hassan","cipher_sha256":"00ff"}` + "\n")
	sig, err := Sign(signer, DepositNamespace, msg)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := keygenVerify(t, allowed, "r.hassan", DepositNamespace, msg, sig)
	if !ok || !strings.Contains(out, `Good "amana-deposit" signature for r.hassan`) {
		t.Fatalf("ssh-keygen -Y verify: %s", out)
	}

	// One byte of the message changed: OpenSSH and Verify both refuse.
	changed := bytes.Clone(msg)
	changed[len(changed)-3] ^= 1
	if out, ok := keygenVerify(t, allowed, "r.hassan", DepositNamespace, changed, sig); ok {
		t.Errorf("ssh-keygen accepted a changed message: %s", out)
	}
	if err := Verify(pub, DepositNamespace, changed, sig); !errors.Is(err, ErrInvalid) {
		t.Errorf("Verify accepted a changed message: %v", err)
	}
	// Another principal, another namespace.
	if out, ok := keygenVerify(t, allowed, "a.karim", DepositNamespace, msg, sig); ok {
		t.Errorf("ssh-keygen accepted another principal: %s", out)
	}
	if out, ok := keygenVerify(t, allowed, "r.hassan", "file", msg, sig); ok {
		t.Errorf("ssh-keygen accepted another namespace: %s", out)
	}
	// A signature in another namespace is refused by the allowed_signers
	// line, whose key may sign amana-deposit only.
	other, err := Sign(signer, "file", msg)
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := keygenVerify(t, allowed, "r.hassan", "file", msg, other); ok {
		t.Errorf("allowed_signers admitted namespace file: %s", out)
	}
	if err := Verify(pub, DepositNamespace, msg, other); !errors.Is(err, ErrInvalid) {
		t.Errorf("Verify accepted namespace file: %v", err)
	}

	// The key file is OpenSSH's: ssh-keygen reads its public key.
	got, err := exec.Command(sshKeygen(t), "-y", "-f", privateKeyFile(t, pemBytes)).Output()
	if err != nil {
		t.Fatalf("ssh-keygen -y: %v", err)
	}
	if strings.TrimSpace(string(got)) != authorized {
		t.Errorf("ssh-keygen -y: %q, GenerateSigningKey: %q", got, authorized)
	}
}

func TestVerifySSHKeygenSignature(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	if out, err := exec.Command(sshKeygen(t), "-q", "-t", "ed25519", "-N", "", "-C", "someone@example.org", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -t ed25519: %v\n%s", err, out)
	}
	msg := []byte("a deposit manifest\n")
	cmd := exec.Command(sshKeygen(t), "-Y", "sign", "-f", key, "-n", DepositNamespace)
	cmd.Stdin = bytes.NewReader(msg)
	sig, err := cmd.Output()
	if err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v", err)
	}
	pubLine, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(string(pubLine))
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(pub, DepositNamespace, msg, sig); err != nil {
		t.Fatalf("Verify of ssh-keygen's signature: %v", err)
	}
	if err := Verify(pub, DepositNamespace, append(msg, ' '), sig); !errors.Is(err, ErrInvalid) {
		t.Errorf("changed message: %v", err)
	}
	// And Sign with the same file writes the same bytes.
	pemBytes, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ParseSigningKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if ours, err := Sign(signer, DepositNamespace, msg); err != nil || !bytes.Equal(ours, sig) {
		t.Errorf("Sign: %v\n%s\nssh-keygen:\n%s", err, ours, sig)
	}
}

// TestSecurityKeySSHKeygen: OpenSSH accepts an sk-ssh-ed25519 signature
// as Amana writes and reads it.
func TestSecurityKeySSHKeygen(t *testing.T) {
	k := newSKSigner(t.Name())
	msg := []byte("manifest\n")
	sig, err := Sign(k, DepositNamespace, msg)
	if err != nil {
		t.Fatal(err)
	}
	allowed := AllowedSigners("r.hassan", k.PublicKey())
	if out, ok := keygenVerify(t, allowed, "r.hassan", DepositNamespace, msg, sig); !ok || !strings.Contains(out, "Good") {
		t.Fatalf("ssh-keygen -Y verify of a security key's signature: %s", out)
	}
	// Without a touch: 'ssh-keygen -Y verify' (OpenSSH 9.2) does not look
	// at the flags, so it finds the signature well made; Verify refuses
	// it, as sshd refuses such a login by default.
	k.flags = 0
	noUP := noTouch(t, k, msg)
	if out, ok := keygenVerify(t, allowed, "r.hassan", DepositNamespace, msg, noUP); !ok {
		t.Errorf("ssh-keygen -Y verify of a signature without user presence: %s", out)
	}
	if err := Verify(k.PublicKey(), DepositNamespace, msg, noUP); !errors.Is(err, ErrInvalid) {
		t.Errorf("Verify accepted a signature without user presence: %v", err)
	}
	// OpenSSH reads the security key's file in testdata.
	pubLine, err := exec.Command(sshKeygen(t), "-y", "-f", privateKeyFile(t, readTestdata(t, "sk.key"))).Output()
	if err != nil {
		t.Fatalf("ssh-keygen -y -f sk.key: %v", err)
	}
	if got, err := ParsePublicKey(string(pubLine)); err != nil || AuthorizedKey(got) != AuthorizedKey(testdataKey(t, "sk.pub")) {
		t.Errorf("ssh-keygen -y -f sk.key: %q %v", pubLine, err)
	}
	// The vector in testdata too.
	vec := AllowedSigners("vector", testdataKey(t, "sk.pub"))
	if out, ok := keygenVerify(t, vec, "vector", DepositNamespace, readTestdata(t, "message.txt"), readTestdata(t, "sk.sig")); !ok {
		t.Errorf("ssh-keygen -Y verify testdata/sk.sig: %s", out)
	}
}

func TestSignWithSSHKeygen(t *testing.T) {
	sshKeygen(t)
	t.Setenv("SSH_AUTH_SOCK", "") // no agent: the key file itself
	pemBytes := readTestdata(t, "ed25519.key")
	key := privateKeyFile(t, pemBytes)
	msg := readTestdata(t, "message.txt")
	sig, err := SignWithSSHKeygen(key, DepositNamespace, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sig, readTestdata(t, "ed25519.sig")) {
		t.Errorf("SignWithSSHKeygen:\n%s", sig)
	}

	// A security key's file without its token: ssh-keygen's reason.
	sk := privateKeyFile(t, skKeyFile(t, newSKSigner("file").PublicKey()))
	if _, err := SignWithSSHKeygen(sk, DepositNamespace, msg); err == nil || !strings.Contains(err.Error(), "ssh-keygen -Y sign") {
		t.Errorf("security key without a token: %v", err)
	}
	// Not a signing key, no file, no namespace.
	ec, err := ssh.MarshalPrivateKey(ecdsaPrivate(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SignWithSSHKeygen(privateKeyFile(t, pem.EncodeToMemory(ec)), DepositNamespace, msg); !errors.Is(err, ErrMalformed) {
		t.Errorf("ECDSA key: %v", err)
	}
	if _, err := SignWithSSHKeygen(filepath.Join(t.TempDir(), "none"), DepositNamespace, msg); err == nil {
		t.Error("missing key file accepted")
	}
	if _, err := SignWithSSHKeygen(key, "", msg); err == nil {
		t.Error("empty namespace accepted")
	}
}
