//go:build !js

package sshsig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// SignWithSSHKeygen signs message in namespace with the key in keyFile by
// running OpenSSH's 'ssh-keygen -Y sign -f KEYFILE -n NAMESPACE', the
// message on its standard input, and returns the armored signature after
// checking it against the key file's public key.
//
// It is how a security key (sk-ssh-ed25519, see [HardwareKeyError]) signs:
// ssh-keygen asks the token, which waits for a touch, so tell the user
// before calling. ssh-keygen also uses a key loaded in ssh-agent
// (SSH_AUTH_SOCK), which is how a passphrase-protected key file signs. The
// standard input carries the message, so ssh-keygen cannot ask for a
// passphrase or a PIN. Not available in the browser.
func SignWithSSHKeygen(keyFile, namespace string, message []byte) ([]byte, error) {
	if namespace == "" {
		return nil, errors.New("sshsig: empty namespace")
	}
	b, err := readKeyFile(keyFile)
	if err != nil {
		return nil, err
	}
	block, err := pemBlock(b)
	if err != nil {
		return nil, err
	}
	pub, err := filePublicKey(block)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	if err := checkKeyType(pub); err != nil {
		return nil, err
	}
	path, err := exec.LookPath("ssh-keygen")
	if err != nil {
		return nil, errors.New("sshsig: ssh-keygen not found: install OpenSSH (8.2 or later) to sign with this key")
	}
	abs, err := filepath.Abs(keyFile) // never read as an option
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(path, "-Y", "sign", "-f", abs, "-n", namespace)
	cmd.Stdin = bytes.NewReader(message)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("sshsig: ssh-keygen -Y sign: %v%s", err, lastLine(stderr.String()))
	}
	sig := stdout.Bytes()
	if err := Verify(pub, namespace, message, sig); err != nil {
		return nil, fmt.Errorf("sshsig: ssh-keygen made a signature that does not verify: %w", err)
	}
	return sig, nil
}

func readKeyFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("sshsig: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxKeySize+1))
	if err != nil {
		return nil, fmt.Errorf("sshsig: %w", err)
	}
	if len(b) > MaxKeySize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrMalformed, name, MaxKeySize)
	}
	return b, nil
}

// lastLine is the last non-empty line of ssh-keygen's messages, which
// says what failed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return ": " + l
	}
	return ""
}
