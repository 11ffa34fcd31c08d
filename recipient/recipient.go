package recipient

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// MaxSize is the largest recipient string accepted, in bytes. It matches the
// line length limit of the age CLI (and of sshd for authorized keys); a hybrid
// recipient is about 2 KB, an SSH RSA-4096 key about 730 bytes.
const MaxSize = 8 << 10

// ErrMalformed is wrapped by every error returned for input that is not an
// acceptable recipient.
var ErrMalformed = errors.New("malformed recipient")

// Kinds returned by [Kind]. Plugin recipients are "plugin:NAME".
const (
	KindX25519     = "x25519"
	KindPQ         = "pq"
	KindSSHEd25519 = "ssh-ed25519"
	KindSSHRSA     = "ssh-rsa"
	kindPlugin     = "plugin:"
)

// Parse returns the age recipient encoded in s.
//
// Plugin recipients are returned as *plugin.Recipient with a non-interactive
// UI: a plugin that asks the user something while wrapping is told no.
// Compiled for a browser (GOOS=js), plugin recipients are refused: a page
// cannot run a plugin.
func Parse(s string) (age.Recipient, error) {
	p, err := parse(s)
	if err != nil {
		return nil, err
	}
	return p.r, nil
}

// Kind reports what kind of recipient s is: "x25519", "pq", "ssh-ed25519",
// "ssh-rsa" or "plugin:NAME" (NAME in lower case). It fails exactly when
// [Parse] fails.
func Kind(s string) (string, error) {
	p, err := parse(s)
	if err != nil {
		return "", err
	}
	return p.kind, nil
}

// Normalize returns the canonical form of s, which is what should be stored:
// surrounding whitespace removed, Bech32 in lower case, and for SSH keys only
// "TYPE BASE64". SSH comments are dropped because they often carry a person's
// e-mail address or host name, which the vault must not hold in the clear.
func Normalize(s string) (string, error) {
	p, err := parse(s)
	if err != nil {
		return "", err
	}
	return p.canonical, nil
}

type parsed struct {
	r         age.Recipient
	kind      string
	canonical string
}

func parse(s string) (*parsed, error) {
	if len(s) > MaxSize {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxSize)
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	case !utf8.ValidString(s):
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrMalformed)
	case strings.ContainsAny(s, "\r\n"):
		return nil, fmt.Errorf("%w: more than one line; give exactly one recipient", ErrMalformed)
	case looksSecret(s):
		// Say nothing about the input: it is a private key.
		return nil, fmt.Errorf("%w: this is a private key (identity), not a public key; do not share it, and give its recipient (age-keygen -y) instead", ErrMalformed)
	case strings.IndexFunc(s, isControl) >= 0:
		return nil, fmt.Errorf("%w: %s contains control characters", ErrMalformed, prefix(s))
	}

	switch {
	case strings.HasPrefix(s, "age1tag1"), strings.HasPrefix(s, "age1tagpq1"):
		return nil, fmt.Errorf("%w: %s: tagged recipients are not supported", ErrMalformed, prefix(s))

	case strings.HasPrefix(s, "age1pq1"):
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return nil, malformed("post-quantum recipient", s, err)
		}
		return &parsed{r: r, kind: KindPQ, canonical: r.String()}, nil

	// Bech32 data never contains '1', so a second '1' means the
	// human-readable part is "age1NAME": a plugin. This is the age CLI's rule.
	case strings.HasPrefix(s, "age1") && strings.Count(s, "1") > 1:
		return parsePlugin(s)

	case strings.HasPrefix(s, "age1"):
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return nil, malformed("X25519 recipient", s, err)
		}
		return &parsed{r: r, kind: KindX25519, canonical: r.String()}, nil

	case strings.HasPrefix(s, "ssh-ed25519 "), strings.HasPrefix(s, "ssh-ed25519\t"),
		strings.HasPrefix(s, "ssh-rsa "), strings.HasPrefix(s, "ssh-rsa\t"):
		return parseSSH(s)

	case strings.HasPrefix(s, "ssh-"), strings.HasPrefix(s, "ecdsa-"), strings.HasPrefix(s, "sk-"):
		return nil, fmt.Errorf("%w: %s: unsupported SSH key type (use ssh-ed25519 or ssh-rsa)", ErrMalformed, prefix(s))
	}
	return nil, fmt.Errorf("%w: %s: unknown recipient type (want age1…, age1pq1…, ssh-ed25519 …, ssh-rsa … or a plugin age1NAME1…)", ErrMalformed, prefix(s))
}

func parseSSH(s string) (*parsed, error) {
	// ParseAuthorizedKey checks that the declared type matches the key blob.
	pk, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil {
		return nil, malformed("SSH recipient", s, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %s: more than one SSH key", ErrMalformed, prefix(s))
	}
	r, err := agessh.ParseRecipient(s)
	if err != nil {
		return nil, malformed("SSH recipient", s, err)
	}
	canonical := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
	return &parsed{r: r, kind: pk.Type(), canonical: canonical}, nil
}

// malformed wraps ErrMalformed with what failed and why. The age and ssh
// parsers quote the whole input in their errors; everything they print after
// the input is after the last ": ", so only that tail is kept.
func malformed(what, s string, err error) error {
	reason := err.Error()
	if i := strings.LastIndex(reason, ": "); i >= 0 {
		reason = reason[i+2:]
	}
	return fmt.Errorf("%w: %s %s: %s", ErrMalformed, what, prefix(s), reason)
}

// prefix quotes at most the first 16 characters of s, enough to recognise
// which key it was without copying a whole (possibly personal) line into logs.
func prefix(s string) string {
	const max = 16
	if utf8.RuneCountInString(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	i := 0
	for n := 0; n < max; n++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return fmt.Sprintf("%q…", s[:i])
}

// looksSecret reports whether s contains something that looks like private
// key material anywhere, so that none of it is quoted back.
func looksSecret(s string) bool {
	u := strings.ToUpper(s)
	return strings.Contains(u, "AGE-SECRET-KEY-") || strings.Contains(u, "AGE-PLUGIN-") ||
		strings.Contains(u, "-----BEGIN") || strings.Contains(u, "PRIVATE KEY")
}

func isControl(r rune) bool { return r != '\t' && unicode.IsControl(r) }
