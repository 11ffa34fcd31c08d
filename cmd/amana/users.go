package main

import (
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/sshsig"
)

// roles a user can have, for help and completion.
var roles = []string{"admin", "researcher", "lawyer", "auditor"}

func newUserCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage users (admins)",
		Long: `Add, list, disable and enable users, and register their keys. Managing
users is sensitive: the server asks for a fresh TOTP code (step-up) if you
have not given one in the last five minutes.`,
		Example: `  amana user add r.hassan --role researcher --recipient age1pq1… --signing-key "ssh-ed25519 AAAA…" --name "Rania Hassan"
  amana user list
  amana user set-signing-key r.hassan "$(cat r.hassan.pub)"
  amana user disable r.hassan
  amana user enable r.hassan`,
	}
	cmd.AddCommand(newUserAddCmd(), newUserListCmd(), newUserSetSigningKeyCmd(), newUserSetRecipientCmd(),
		newUserStateCmd("disable", "disabled"), newUserStateCmd("enable", "active"))
	return cmd
}

func newUserAddCmd() *cobra.Command {
	var (
		r                                        remote
		role, recipient, signingKey, name, totpS string
		asJSON, noQR                             bool
	)
	cmd := &cobra.Command{
		Use:   "add ID --role ROLE --recipient R [--signing-key KEY] [--name N] [--totp-secret S]",
		Short: "Create a user and show its TOTP secret once",
		Long: `Create a user with a role (admin, researcher, lawyer, auditor) and one age
recipient: age1… (X25519), age1pq1… (post-quantum hybrid), ssh-ed25519 …,
or a plugin recipient such as age1yubikey1…. The user's TOTP secret is
shown once, as an otpauth:// URL and a QR code to scan with an
authenticator app; hand it over in person. Needs a step-up (TOTP).

--signing-key is the public key with which the user signs its deposits,
"ssh-ed25519 AAAA…" (what 'amana keygen' printed, or a .pub file) or a
security key's "sk-ssh-ed25519@openssh.com AAAA…". It is optional, but a
user without one cannot deposit until an admin registers it with
'amana user set-signing-key'. A comment after the key is dropped.`,
		Example: `  amana user add a.karim --role lawyer --name "Aveen Karim" \
      --recipient "$(grep -o 'age1.*' a.karim.pub)"
  amana user add r.new --role researcher --recipient age1pq1… \
      --signing-key "$(ssh-keygen -y -f r.new.sign)"
  amana user add auditor --role auditor --recipient age1dhvg… --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if role == "" || recipient == "" {
				return usageError("--role and --recipient are required")
			}
			if !slices.Contains(roles, role) {
				return usageError("unknown role %q: use one of admin, researcher, lawyer, auditor", role)
			}
			k, err := r.connect()
			if err != nil {
				return err
			}
			out, err := k.c.AddUser(cmd.Context(), client.NewUser{
				ID: args[0], Name: name, Role: role, Recipient: recipient, SigningKey: signingKey, TOTPSecret: totpS,
			})
			if err := k.done(err); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, map[string]string{"id": out.User.ID, "totp_url": out.TOTPURL})
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Created %s (%s).\n", out.User.ID, out.User.Role)
			if out.User.SigningKey == "" {
				fmt.Fprintf(w, "It has no signing key: it cannot deposit until you register one (amana user set-signing-key %s KEY).\n", out.User.ID)
			}
			fmt.Fprintln(w)
			fmt.Fprintf(w, "Add this TOTP secret to the user's authenticator now; it is not shown again:\n  %s\n\n", out.TOTPURL)
			if !noQR {
				return writeQR(w, out.TOTPURL)
			}
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	r.addTOTPFlag(cmd)
	cmd.Flags().StringVar(&role, "role", "", "admin, researcher, lawyer or auditor")
	cmd.Flags().StringVar(&recipient, "recipient", "", "the user's age recipient (public key)")
	cmd.Flags().StringVar(&signingKey, "signing-key", "", `the user's signing public key, "ssh-ed25519 …" (needed to deposit)`)
	cmd.Flags().StringVar(&name, "name", "", "display name")
	cmd.Flags().StringVar(&totpS, "totp-secret", "", "use this base32 TOTP secret instead of a new one (migrations, demos)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"id","totp_url"} as JSON`)
	cmd.Flags().BoolVar(&noQR, "no-qr", false, "do not draw the QR code")
	cmd.RegisterFlagCompletionFunc("role", fixedCompletion(roles...))
	return cmd
}

func newUserListCmd() *cobra.Command {
	var (
		r      remote
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List users",
		Long:    `List every user with role, state (active, locked, disabled) and recipient. Like all user management it needs a TOTP code from the last five minutes (login counts), else --totp.`,
		Example: "  amana user list\n  amana user list --json | jq -r '.[] | select(.state==\"locked\") | .id'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			users, err := k.c.Users(cmd.Context())
			if err := k.done(err); err != nil {
				return err
			}
			if users == nil {
				users = []client.User{}
			}
			if asJSON {
				return printJSON(cmd, users)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tROLE\tSTATE\tNAME\tRECIPIENT")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Role, u.State, u.Name, abbreviate(u.Recipient, 24))
			}
			return tw.Flush()
		},
	}
	r.addServerFlags(cmd, false)
	r.addTOTPFlag(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the users as a JSON array")
	return cmd
}

func newUserSetSigningKeyCmd() *cobra.Command {
	var (
		r      remote
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "set-signing-key ID KEY",
		Short: "Register, replace or remove a user's signing key",
		Long: `Register the public key with which user ID signs its deposits:
"ssh-ed25519 AAAA…" or a security key's "sk-ssh-ed25519@openssh.com AAAA…",
as 'amana keygen' printed it or as in a .pub file (a comment is dropped).
An empty KEY removes it: the user can no longer deposit. Documents
deposited before keep their manifests, signed with the old key. The audit
log records the change and both keys. Needs a step-up (TOTP).`,
		Example: `  amana user set-signing-key r.hassan "$(ssh-keygen -y -f r.hassan.sign)"
  amana user set-signing-key r.hassan "$(cat ~/.ssh/id_ed25519_sk.pub)" --totp 123456
  amana user set-signing-key r.hassan ""`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			u, err := k.c.SetSigningKey(cmd.Context(), args[0], args[1])
			if err := k.done(err); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, u)
			}
			if u.SigningKey == "" {
				fmt.Fprintf(cmd.OutOrStdout(), "User %s has no signing key now: it cannot deposit.\n", u.ID)
				return nil
			}
			fp := u.SigningKey
			if pub, err := sshsig.ParsePublicKey(u.SigningKey); err == nil {
				fp = sshsig.Fingerprint(pub)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "User %s signs with %s.\n", u.ID, fp)
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	r.addTOTPFlag(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the updated user as JSON")
	return cmd
}

// newUserStateCmd is 'user disable' (state disabled) or 'user enable'
// (state active).
func newUserStateCmd(verb, state string) *cobra.Command {
	var (
		r      remote
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   verb + " ID",
		Short: "Disable a user: no more logins",
		Long: `Disable a user so that it can no longer log in. Its key slots stay: revoke
them with 'amana revoke DOC USER --rekey' where it matters. Needs a step-up.`,
		Example: `  amana user disable r.ahmed --totp 123456`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			state := state
			u, err := k.c.UpdateUser(cmd.Context(), args[0], nil, &state, nil)
			if err := k.done(err); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, u)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "User %s is now %s.\n", u.ID, u.State)
			return nil
		},
	}
	if state == "active" {
		cmd.Short = "Make a disabled or locked user active again"
		cmd.Long = `Make a user active again: one an admin disabled, or one locked after 100
TOTP codes in a row failed with a correct challenge response (time alone
does not unlock it). Its failure count starts again from zero. Check with
the user first that it was the one failing. Needs a step-up.`
		cmd.Example = `  amana user list --json | jq -r '.[] | select(.state=="locked") | .id'
  amana user enable r.ahmed --totp 123456`
	}
	r.addServerFlags(cmd, false)
	r.addTOTPFlag(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the updated user as JSON")
	return cmd
}

// abbreviate shortens long keys for tables.
func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// fixedCompletion completes a flag or argument from a fixed list.
func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
