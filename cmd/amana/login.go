package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/sshsig"
)

func newLoginCmd() *cobra.Command {
	var (
		user, identity, totp, signing string
		verifier                      string
		asJSON                        bool
	)
	cmd := &cobra.Command{
		Use:   "login --server URL --user ID --identity FILE [--signing-key FILE] [--totp CODE]",
		Short: "Sign in with your age identity and a TOTP code",
		Long: `Sign in to an Amana server. The server sends a challenge encrypted to your
age public key; it is decrypted here with your identity file (age, post-
quantum, SSH or plugin keys, as 'age -i' reads them) and sent back with a
TOTP code from your authenticator. No password exists anywhere.

Your deposits are signed with your signing key, an OpenSSH Ed25519 key
file: --signing-key FILE, else the file next to the identity with .key
replaced by .sign (as 'amana keygen' writes them), if there is one. A
security key's file (ssh-keygen -t ed25519-sk) works too: ssh-keygen signs
with it and waits for a touch.

The session (server, user, role, token and its expiry, and the PATHS of your
identity and signing key files, never their contents) is kept in
session.json, mode 0600, under $AMANA_CONFIG_DIR or your config directory
(e.g. ~/.config/amana). It ends after 15 minutes idle or 8 hours. The TOTP
code comes from --totp, else AMANA_TOTP, else a prompt on the terminal.

Users' keys are never taken on the server's word: each is checked against
the vault's audit log, whose checkpoints are signed with the verifier key
that amana init printed, and pinned (see amana keys). Give that key with
--verifier the first time you log in to a vault; without it, the key the
server states is pinned, and a server that later states another is
refused.`,
		Example: `  amana login --server https://amana.example.org:8443 --user r.hassan --identity ~/.config/amana/me.key
  amana login --server https://amana.example.org:8443 --user r.hassan --identity me.key --signing-key ~/.ssh/id_ed25519_sk
  amana login --server http://127.0.0.1:8443 --user a.karim \
      --identity keys-example/a.karim.key --totp "$(oathtool --totp -b "$SECRET")"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			server := serverFlag(cmd)
			if server == "" || user == "" || identity == "" {
				return usageError("--server, --user and --identity are required")
			}
			if err := checkServerURL(server); err != nil {
				return err
			}
			abs, err := filepath.Abs(identity)
			if err != nil {
				return err
			}
			ids, err := readIdentities(abs)
			if err != nil {
				return err
			}
			signingFile := defaultSigningKeyFile(abs)
			if signing != "" {
				if signingFile, err = filepath.Abs(signing); err != nil {
					return err
				}
			}
			var sk *signingKey
			if signingFile != "" {
				// Checked now, so that a deposit does not fail on it later.
				if sk, err = loadSigningKey(signingFile); err != nil {
					return err
				}
			}
			code, err := totpSource(totp, "Login as "+user)()
			if err != nil {
				return err
			}
			c := client.New(server)
			s, err := c.Login(cmd.Context(), user, ids, code)
			if err != nil {
				var ae *client.Error
				var nm *age.NoIdentityMatchError
				switch {
				case errors.As(err, &ae) && ae.Status == 401:
					return fmt.Errorf("login refused: wrong TOTP code (or one already used), or unknown or inactive user %s", user)
				case errors.As(err, &nm):
					// The server answers unknown and inactive users with a
					// challenge nobody can open, so this is all we know.
					return fmt.Errorf("login failed: the challenge does not open with %s: wrong identity file, or %s is unknown or not active", abs, user)
				}
				return explain(err, nil)
			}
			sess := &session{
				Server: c.BaseURL, User: s.User, Role: s.Role, Token: s.Token,
				ExpiresAt: s.ExpiresAt, LoggedInAt: time.Now().UTC(), IdentityFile: abs,
				SigningKeyFile: signingFile,
			}
			if sess.User == "" {
				sess.User = user
			}
			if err := pinVerifier(cmd.Context(), cmd.ErrOrStderr(), c, verifier); err != nil {
				c.Logout(context.WithoutCancel(cmd.Context()))
				return explain(err, nil)
			}
			if err := sess.save(); err != nil {
				// Do not leave a live token behind that nobody can use.
				c.Logout(context.WithoutCancel(cmd.Context()))
				return err
			}
			if asJSON {
				out := map[string]any{"server": sess.Server, "user": sess.User, "role": sess.Role, "expires_at": sess.ExpiresAt}
				if sk != nil {
					out["signing_key_file"] = sk.File
					out["signing_key"] = sshsig.AuthorizedKey(sk.PublicKey)
				}
				return printJSON(cmd, out)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Logged in to %s as %s (%s) until %s if idle.\n",
				sess.Server, sess.User, sess.Role, sess.ExpiresAt.Local().Format(time.RFC3339))
			if sk != nil {
				fmt.Fprintf(w, "Deposits are signed with %s (%s).\n", sk.File, sshsig.Fingerprint(sk.PublicKey))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "your user id")
	cmd.Flags().StringVar(&identity, "identity", "", "your age identity file (its path is remembered, never its contents)")
	cmd.Flags().StringVar(&signing, "signing-key", "", "your OpenSSH signing key file (default: the identity's NAME.sign, if any)")
	cmd.Flags().StringVar(&totp, "totp", "", "TOTP code (else AMANA_TOTP, else a prompt)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the session (without its token) as JSON")
	cmd.Flags().StringVar(&verifier, "verifier", "", "the vault's audit verifier key, as amana init printed it (default: the server's, pinned when first seen)")
	return cmd
}

func newLogoutCmd() *cobra.Command {
	var r remote
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "End the session on the server and forget it here",
		Long: `Revoke the session token on the server and delete the local session file.
The file is deleted even when the server cannot be reached; the token then
still expires on the server after 15 minutes idle.`,
		Example: `  amana logout`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSession()
			if errors.Is(err, errNoSession) {
				fmt.Fprintln(cmd.OutOrStdout(), "Not logged in.")
				return nil
			}
			if err != nil {
				// A damaged file is still a file to remove.
				return errors.Join(err, deleteSession())
			}
			server := s.Server
			if f := serverFlag(cmd); f != "" {
				server = f
			}
			c := client.New(server)
			c.Token = s.Token
			lerr := c.Logout(cmd.Context())
			if err := deleteSession(); err != nil {
				return fmt.Errorf("could not delete the session file: %w", err)
			}
			var ae *client.Error
			if lerr != nil && !(errors.As(lerr, &ae) && ae.Status == 401) {
				return fmt.Errorf("session file deleted, but the server did not revoke the token: %v", explain(lerr, s))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Logged out %s from %s.\n", s.User, s.Server)
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	return cmd
}
