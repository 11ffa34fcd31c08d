package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/envelope"
)

// sessionFile is the name of the session file in the config directory.
const sessionFile = "session.json"

// Session lifetimes as the server enforces them. The local
// copy is only a hint so that a stale session fails before a round trip;
// the server decides.
const (
	sessionIdle     = 15 * time.Minute
	sessionAbsolute = 8 * time.Hour
)

// session is what 'amana login' remembers between commands. It holds the
// bearer token, so it lives in a 0600 file; it never holds the identity or
// the signing key, only the paths of their files.
type session struct {
	Server       string    `json:"server"`
	User         string    `json:"user"`
	Role         string    `json:"role"`
	Token        string    `json:"token"`
	ExpiresAt    time.Time `json:"expires_at"`    // idle expiry, moved on after each use
	LoggedInAt   time.Time `json:"logged_in_at"`  // for the absolute limit
	IdentityFile string    `json:"identity_file"` // absolute path, never the contents
	// SigningKeyFile is the absolute path of the OpenSSH key that signs
	// deposits ("" when none was found at login).
	SigningKeyFile string `json:"signing_key_file,omitempty"`
}

// configDir is $AMANA_CONFIG_DIR, else the user's config directory/amana.
func configDir() (string, error) {
	if d := os.Getenv("AMANA_CONFIG_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory (set AMANA_CONFIG_DIR): %w", err)
	}
	return filepath.Join(d, "amana"), nil
}

func sessionPath() (string, error) {
	d, err := configDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, sessionFile), nil
}

// errNoSession is returned when nobody is logged in.
var errNoSession = errors.New("not logged in: run amana login --server URL --user ID --identity FILE")

func loadSession() (*session, error) {
	p, err := sessionPath()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("reading session: %w", err)
	}
	var s session
	if err := json.Unmarshal(b, &s); err != nil || s.Token == "" || s.Server == "" {
		return nil, fmt.Errorf("session file %s is damaged: run amana login again", p)
	}
	return &s, nil
}

// save writes the session atomically with mode 0600, in a 0700 directory.
func (s *session) save() error {
	p, err := sessionPath()
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("config directory: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".session-*.json") // 0600
	if err != nil {
		return fmt.Errorf("writing session: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("writing session: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing session: %w", err)
	}
	return os.Rename(f.Name(), p)
}

func deleteSession() error {
	p, err := sessionPath()
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// loginHint is how to get a new session, with what we know filled in.
func (s *session) loginHint() string {
	if s == nil {
		return "amana login --server URL --user ID --identity FILE"
	}
	return fmt.Sprintf("amana login --server %s --user %s --identity %s", s.Server, s.User, s.IdentityFile)
}

// touch moves the idle expiry on after a command the server accepted.
func (s *session) touch() {
	now := time.Now()
	exp := now.Add(sessionIdle)
	if !s.LoggedInAt.IsZero() {
		if abs := s.LoggedInAt.Add(sessionAbsolute); exp.After(abs) {
			exp = abs
		}
	}
	if exp.After(s.ExpiresAt) {
		s.ExpiresAt = exp
		_ = s.save() // only a hint; the server keeps the real clock
	}
}

// remote holds the flags shared by commands that talk to the server.
type remote struct {
	cmd                        *cobra.Command
	identity, totp, signingKey string
}

// addServerFlags binds r to cmd, whose --server is the root's persistent
// flag, and adds --identity when identity is set.
func (r *remote) addServerFlags(cmd *cobra.Command, identity bool) {
	r.cmd = cmd
	if identity {
		cmd.Flags().StringVar(&r.identity, "identity", "", "age identity file (default: the one you logged in with)")
	}
}

// addSigningKeyFlag adds --signing-key for commands that sign.
func (r *remote) addSigningKeyFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.signingKey, "signing-key", "", "OpenSSH signing key file (default: the one you logged in with)")
}

// addTOTPFlag adds --totp for actions that need a step-up.
func (r *remote) addTOTPFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.totp, "totp", "", "TOTP code for the step-up this action needs (else AMANA_TOTP, else a prompt)")
}

// conn is a logged-in client for one command.
type conn struct {
	s          *session
	c          *client.Client
	identity   string
	ids        []age.Identity
	signingKey string
	sk         *signingKey
}

// connect loads the session and returns a client for it. It fails with a
// one-line reason when there is no session or it has expired.
func (r *remote) connect() (*conn, error) {
	s, err := loadSession()
	if err != nil {
		return nil, err
	}
	if !s.ExpiresAt.IsZero() && time.Now().After(s.ExpiresAt) {
		return nil, fmt.Errorf("session expired at %s: run %s", s.ExpiresAt.Local().Format(time.RFC3339), s.loginHint())
	}
	server := s.Server
	if f := serverFlag(r.cmd); f != "" {
		server = f
	}
	if err := checkServerURL(server); err != nil {
		return nil, err
	}
	c := client.New(server)
	c.Token = s.Token
	c.TOTP = totpSource(r.totp, "Step-up required for "+s.User)
	pins, err := keyPinsFor(server)
	if err != nil {
		return nil, err
	}
	c.Keys = pins // every key from the server is checked against the audit log and pinned
	identity := s.IdentityFile
	if r.identity != "" {
		identity = r.identity
	}
	signing := s.SigningKeyFile
	if r.signingKey != "" {
		signing = r.signingKey
	}
	return &conn{s: s, c: c, identity: identity, signingKey: signing}, nil
}

// identities reads the identity file on first use.
func (k *conn) identities() ([]age.Identity, error) {
	if k.ids != nil {
		return k.ids, nil
	}
	if k.identity == "" {
		return nil, errors.New("no identity file: pass --identity FILE")
	}
	ids, err := readIdentities(k.identity)
	if err != nil {
		return nil, err
	}
	k.ids = ids
	return ids, nil
}

// signer reads the signing key file on first use.
func (k *conn) signer() (*signingKey, error) {
	if k.sk != nil {
		return k.sk, nil
	}
	if k.signingKey == "" {
		return nil, errors.New("no signing key: log in again with --signing-key FILE (amana keygen writes one next to the identity, NAME.sign)")
	}
	sk, err := loadSigningKey(k.signingKey)
	if err != nil {
		return nil, err
	}
	k.sk = sk
	return sk, nil
}

// done turns err into a one-line reason the user can act on, and moves the
// session's idle expiry on when the server accepted the session.
func (k *conn) done(err error) error {
	if err == nil {
		k.s.touch()
		return nil
	}
	return explain(err, k.s)
}

// explain maps client errors to reasons a user can act on.
func explain(err error, s *session) error {
	var ae *client.Error
	var ue *url.Error
	var ne net.Error
	var ke *client.KeyError
	switch {
	case errors.As(err, &ae) && ae.Status == 401 && ae.Code == "unauthenticated" && strings.Contains(ae.Message, "session token"):
		return fmt.Errorf("session expired or revoked: run %s", s.loginHint())
	case errors.As(err, &ae) && ae.Status == 401 && (ae.Code == "step_up_failed" || ae.Code == "unauthenticated"):
		// Older servers answer "unauthenticated" for a refused step-up code.
		return errors.New("the TOTP code was not accepted (wrong, expired or already used): try the next code")
	case errors.As(err, &ae) && ae.Code == "step_up_required":
		return errors.New("this action needs a fresh TOTP code: pass --totp CODE or set AMANA_TOTP")
	case errors.As(err, &ke):
		return explainKeyError(ke)
	case client.IsUploadQuota(err) && errors.As(err, &ae):
		return fmt.Errorf("%s (see them with 'amana uploads', cancel one with 'amana uploads cancel ID')", ae.Message)
	case errors.As(err, &ae) && ae.Status == 404:
		return errors.New("not found (or not visible to you)")
	case errors.As(err, &ae) && ae.Status == 403 && ae.Code == "forbidden":
		return errors.New("not allowed: your role or access does not permit this (for a document: you hold no key slot; a slot holder can grant you one)")
	case errors.As(err, &ae) && ae.Status == 403:
		return fmt.Errorf("not allowed: %s", ae.Message)
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted")
	case errors.As(err, &ue) && errors.As(err, &ne):
		return fmt.Errorf("cannot reach the server at %s: %v", ue.URL, ne)
	case errors.As(err, &ue):
		return fmt.Errorf("cannot reach the server: %v", ue.Err)
	}
	return err
}

func checkServerURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError("server URL %q must look like https://host:port", s)
	}
	return nil
}

// readIdentities parses an identity file as the stock age -i does: native,
// post-quantum, plugin and SSH keys. Plugins and encrypted SSH keys may ask
// questions on the terminal.
func readIdentities(name string) ([]age.Identity, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	defer f.Close()
	ids, err := envelope.ParseIdentities(f, terminalUI())
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %w", name, err)
	}
	return ids, nil
}

// terminalUI lets age plugins (and encrypted SSH keys) talk to the user.
func terminalUI() *plugin.ClientUI {
	return &plugin.ClientUI{
		DisplayMessage: func(name, message string) error {
			fmt.Fprintf(os.Stderr, "age-plugin-%s: %s\n", name, message)
			return nil
		},
		RequestValue: func(name, prompt string, secret bool) (string, error) {
			return promptTTY(fmt.Sprintf("age-plugin-%s: %s: ", name, prompt), secret)
		},
		Confirm: func(name, prompt, yes, no string) (bool, error) {
			q := fmt.Sprintf("age-plugin-%s: %s [%s", name, prompt, yes)
			if no != "" {
				q += "/" + no
			}
			a, err := promptTTY(q+"]: ", false)
			if err != nil {
				return false, err
			}
			return strings.EqualFold(strings.TrimSpace(a), yes), nil
		},
		WaitTimer: func(name string) {
			fmt.Fprintf(os.Stderr, "age-plugin-%s: waiting (touch your security key?)\n", name)
		},
	}
}

// errNoTerminal is returned when a prompt is needed and there is no terminal.
var errNoTerminal = errors.New("no terminal to ask on")

// promptTTY asks on the controlling terminal, without echo if secret.
func promptTTY(prompt string, secret bool) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", errNoTerminal
	}
	defer tty.Close()
	if !term.IsTerminal(int(tty.Fd())) {
		return "", errNoTerminal
	}
	fmt.Fprint(tty, prompt)
	if secret {
		b, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		return string(b), err
	}
	line, err := bufio.NewReader(tty).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// totpSource returns where a TOTP code comes from, in order: the --totp
// flag, AMANA_TOTP, a prompt on the terminal. A code is accepted once only,
// so a flag or environment code is handed out once.
func totpSource(flag, why string) func() (string, error) {
	used := false
	return func() (string, error) {
		code := flag
		if code == "" {
			code = os.Getenv("AMANA_TOTP")
		}
		if code != "" && !used {
			used = true
			return strings.TrimSpace(code), nil
		}
		if code != "" {
			return "", errors.New("the TOTP code given was already used; run the command again with the next code")
		}
		c, err := promptTTY(why+": TOTP code: ", false)
		if errors.Is(err, errNoTerminal) {
			return "", errors.New("a TOTP code is needed: pass --totp CODE or set AMANA_TOTP (no terminal to ask on)")
		}
		if err != nil {
			return "", err
		}
		if c == "" {
			return "", errors.New("no TOTP code given")
		}
		return c, nil
	}
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// serverFlag is the value of --server, a persistent flag of the root
// command, as cmd sees it ("" when not given).
func serverFlag(cmd *cobra.Command) string {
	if cmd == nil {
		return ""
	}
	s, _ := cmd.Flags().GetString("server")
	return s
}
