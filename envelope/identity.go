package envelope

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"
)

const (
	// maxIdentityFile bounds an identity file; a line holds one key of at
	// most a few hundred bytes.
	maxIdentityFile = 1 << 20
	// maxPEMFile is the age CLI's limit for SSH private keys.
	maxPEMFile = 16 << 10
)

// ParseIdentities reads a user's identity file, as the stock age CLI does
// for -i: either native age keys (AGE-SECRET-KEY-1…, AGE-SECRET-KEY-PQ-1…)
// and plugin identities (AGE-PLUGIN-…), one per line with "#" comments, or an
// SSH private key in PEM form.
//
// ui is given to plugins, and asked for the passphrase of an encrypted SSH
// key; nil means nobody can be asked, so such prompts fail. Errors for bad
// input wrap ErrMalformed and never quote the file. Compiled for a browser
// (GOOS=js), it refuses plugin identities: a page cannot run a plugin.
func ParseIdentities(r io.Reader, ui *UI) ([]age.Identity, error) {
	if ui == nil {
		ui = &UI{}
	}
	data, err := io.ReadAll(io.LimitReader(r, maxIdentityFile+1))
	if err != nil {
		return nil, fmt.Errorf("envelope: reading identity file: %w", err)
	}
	if len(data) > maxIdentityFile {
		return nil, fmt.Errorf("%w: identity file larger than %d bytes", ErrMalformed, maxIdentityFile)
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return nil, fmt.Errorf("%w: identity file is empty", ErrMalformed)
	case bytes.HasPrefix(trimmed, []byte("age-encryption.org/")), bytes.HasPrefix(trimmed, []byte(armor.Header)):
		return nil, fmt.Errorf("%w: identity file is itself age-encrypted (passphrase-protected); decrypt it with age -d first", ErrMalformed)
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN")):
		return parseSSHIdentity(data, ui)
	}
	return parseIdentityLines(data, ui)
}

func parseIdentityLines(data []byte, ui *UI) ([]age.Identity, error) {
	var ids []age.Identity
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxIdentityFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%w: identity file line %d: not valid UTF-8", ErrMalformed, n)
		}
		var id age.Identity
		var err error
		switch {
		case strings.HasPrefix(line, "AGE-SECRET-KEY-PQ-1"):
			id, err = age.ParseHybridIdentity(line)
		case strings.HasPrefix(line, "AGE-SECRET-KEY-1"):
			id, err = age.ParseX25519Identity(line)
		case strings.HasPrefix(line, "AGE-PLUGIN-"):
			id, err = pluginIdentity(line, ui)
		case strings.HasPrefix(line, "age1"), strings.HasPrefix(line, "ssh-"):
			err = errors.New("this is a recipient (public key), not an identity")
		default:
			err = errors.New("unknown identity type")
		}
		if err != nil {
			// age's key parsers do not quote their input; keep it that way.
			return nil, fmt.Errorf("%w: identity file line %d: %v", ErrMalformed, n, err)
		}
		ids = append(ids, id)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: identity file: %v", ErrMalformed, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: no identities in identity file", ErrMalformed)
	}
	return ids, nil
}

func parseSSHIdentity(pem []byte, ui *UI) ([]age.Identity, error) {
	if len(pem) > maxPEMFile {
		return nil, fmt.Errorf("%w: SSH key file larger than %d bytes", ErrMalformed, maxPEMFile)
	}
	id, err := agessh.ParseIdentity(pem)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		if missing.PublicKey == nil || ui.RequestValue == nil {
			return nil, errors.New("envelope: SSH key is passphrase-protected and there is no way to ask for the passphrase")
		}
		ask := func() ([]byte, error) {
			p, err := ui.RequestValue("ssh", "Enter passphrase for SSH key", true)
			return []byte(p), err
		}
		eid, err := agessh.NewEncryptedSSHIdentity(missing.PublicKey, pem, ask)
		if err != nil {
			return nil, fmt.Errorf("%w: SSH key: %v", ErrMalformed, err)
		}
		return []age.Identity{eid}, nil
	case err != nil:
		return nil, fmt.Errorf("%w: SSH key: %v", ErrMalformed, err)
	}
	return []age.Identity{id}, nil
}

// GenerateIdentity makes a user key pair for `amana keygen`. identityFile is
// in age-keygen's format (a "# created:" and a "# public key:" comment, then
// the secret key), readable by the stock age -i and by ParseIdentities;
// recipient is the public key to register. pq selects a post-quantum hybrid
// key instead of X25519.
func GenerateIdentity(pq bool) (identityFile, recipient string, err error) {
	var secret fmt.Stringer
	if pq {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			return "", "", fmt.Errorf("envelope: generating identity: %w", err)
		}
		secret, recipient = id, id.Recipient().String()
	} else {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return "", "", fmt.Errorf("envelope: generating identity: %w", err)
		}
		secret, recipient = id, id.Recipient().String()
	}
	identityFile = fmt.Sprintf("# created: %s\n# public key: %s\n%s\n",
		time.Now().Format(time.RFC3339), recipient, secret)
	return identityFile, recipient, nil
}
