package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/client"
)

// keyPinsFor returns the pins of users' keys kept for server in the config
// directory (known_keys). Every command that talks to a server checks keys
// through them.
func keyPinsFor(server string) (*client.KeyPins, error) {
	d, err := configDir()
	if err != nil {
		return nil, err
	}
	return &client.KeyPins{File: filepath.Join(d, client.KeyPinsFile), Server: strings.TrimRight(server, "/")}, nil
}

// pinVerifier pins the vault's audit verifier key at login: the one given
// with --verifier, else the server's on first use. It says so when it pins
// a key for the first time or replaces one.
func pinVerifier(ctx context.Context, w io.Writer, c *client.Client, given string) error {
	pins, err := keyPinsFor(c.BaseURL)
	if err != nil {
		return err
	}
	before, err := pins.Pins()
	if err != nil {
		return err
	}
	key, err := pins.PinVerifier(ctx, c, given)
	if errors.Is(err, client.ErrVerifierChanged) {
		return fmt.Errorf("%v: if the vault was really re-created, ask its custodians for the key amana init printed and log in again with --verifier KEY", err)
	}
	if err != nil {
		return err
	}
	switch {
	case before.Verifier == "":
		fmt.Fprintf(w, "Pinned the vault's audit verifier key %s (compare it with the one your custodians published).\n", key)
	case before.Verifier != key:
		fmt.Fprintf(w, "Replaced the pinned audit verifier key by %s; the keys pinned under the old one were forgotten.\n", key)
	}
	return nil
}

// explainKeyError adds what to do to a key error.
func explainKeyError(ke *client.KeyError) error {
	var ae *client.Error
	if errors.As(ke.Err, &ae) && ae.Status == 404 {
		return fmt.Errorf("the keys of %s cannot be checked: the server knows no user %s", ke.User, ke.User)
	}
	if errors.Is(ke, client.ErrKeyChanged) {
		return fmt.Errorf("%v: confirm the change with %s out of band (in person, by phone), then accept it with: amana keys trust %s", ke, ke.User, ke.User)
	}
	return fmt.Errorf("%v: nothing was encrypted to or trusted with these keys", ke)
}

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys list|verify|trust",
		Short: "Users' keys as this machine pins them",
		Long: `Amana never uses a key only because the server sent it. Before it encrypts
a deposit, a grant or a re-encryption to a user, or trusts the signature on
a user's deposit, the client checks that the vault's audit log binds the
user's keys to the user: the server answers with the audit event that
recorded them (the user's creation, or the admin's change of its keys), a
proof that the event is in the log, and a checkpoint signed with the
vault's audit verifier key that extends the last one this machine saw.
The keys are then pinned, as ssh pins host keys: a later answer with
other keys stops the operation until you accept the change with 'amana
keys trust' after confirming it with the user out of band.

Pins live in known_keys (mode 0600) in $AMANA_CONFIG_DIR or your config
directory, per server, with the verifier key (given at login with
--verifier, else pinned when first used) and the last checkpoint seen.`,
		Example: `  amana keys list
  amana keys verify a.karim
  amana keys trust a.karim --yes`,
	}
	cmd.AddCommand(newKeysListCmd(), newKeysVerifyCmd(), newKeysTrustCmd())
	return cmd
}

// keyJSON is one user's pinned keys as --json shows them.
type keyJSON struct {
	User                  string    `json:"user"`
	Recipient             string    `json:"recipient"`
	RecipientFingerprint  string    `json:"recipient_fingerprint"`
	SigningKey            string    `json:"signing_key,omitempty"`
	SigningKeyFingerprint string    `json:"signing_key_fingerprint,omitempty"`
	Seq                   int64     `json:"seq"`
	PinnedAt              time.Time `json:"pinned_at,omitzero"`
}

func toKeyJSON(user string, p *client.PinnedKeys) keyJSON {
	r, s := p.Fingerprints()
	return keyJSON{User: user, Recipient: p.Recipient, RecipientFingerprint: r, SigningKey: p.SigningKey, SigningKeyFingerprint: s, Seq: p.Seq, PinnedAt: p.PinnedAt}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func newKeysListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Show the users whose keys are pinned here, with fingerprints",
		Long: `Show, without asking the server, the keys pinned on this machine for the
server you logged in to (or --server): the vault's audit verifier key, the
size of the last checkpoint seen, and for each user the SHA-256
fingerprints of its age recipient and of its signing key (as ssh-keygen -l
shows it) and the audit event that bound them.`,
		Example: `  amana keys list
  amana keys list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			server := serverFlag(cmd)
			if server == "" {
				s, err := loadSession()
				if err != nil {
					return err
				}
				server = s.Server
			}
			pins, err := keyPinsFor(server)
			if err != nil {
				return err
			}
			sp, err := pins.Pins()
			if err != nil {
				return err
			}
			size := int64(-1)
			if sp.Checkpoint != "" {
				if cp, err := auditlog.OpenCheckpoint([]byte(sp.Checkpoint), sp.Verifier); err == nil {
					size = cp.Size
				}
			}
			users := slices.Sorted(maps.Keys(sp.Users))
			if asJSON {
				out := map[string]any{"server": pins.Server, "verifier": sp.Verifier, "users": []keyJSON{}}
				if size >= 0 {
					out["checkpoint_size"] = size
				}
				list := []keyJSON{}
				for _, u := range users {
					list = append(list, toKeyJSON(u, sp.Users[u]))
				}
				out["users"] = list
				return printJSON(cmd, out)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Server:   %s\nVerifier: %s\n", pins.Server, orNone(sp.Verifier))
			if size >= 0 {
				fmt.Fprintf(w, "Last checkpoint seen: %d events\n", size)
			}
			if len(users) == 0 {
				fmt.Fprintln(w, "No keys pinned yet: they are pinned when first used (or with amana keys verify USER).")
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tRECIPIENT\tSIGNING KEY\tEVENT\tPINNED")
			for _, u := range users {
				k := toKeyJSON(u, sp.Users[u])
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", u, k.RecipientFingerprint, orNone(k.SigningKeyFingerprint), k.Seq, k.PinnedAt.Local().Format(time.DateTime))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON (with the full keys)")
	return cmd
}

func newKeysVerifyCmd() *cobra.Command {
	var (
		r      remote
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "verify USER",
		Short: "Check a user's keys against the audit log and the pin",
		Long: `Fetch USER's keys with the proof that the vault's audit log binds them, check
the proof (the checkpoint's signature with the pinned verifier key, its
consistency with the last checkpoint this machine saw, the inclusion of
the binding event, and that the event binds exactly USER to exactly these
keys) and compare them with the keys pinned for USER, pinning them if none
are. Fails (exit 1) if the proof does not hold or the keys changed.`,
		Example: `  amana keys verify a.karim
  amana keys verify r.hassan --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			pins := k.c.Keys.(*client.KeyPins)
			before, err := pins.Pins()
			if err != nil {
				return err
			}
			p, err := pins.Verify(cmd.Context(), k.c, args[0])
			if err := k.done(err); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, map[string]any{"keys": toKeyJSON(args[0], p), "newly_pinned": before.Users[args[0]] == nil})
			}
			kj := toKeyJSON(args[0], p)
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "The audit log binds these keys to %s (event %d):\n  recipient   %s\n  signing key %s\n", args[0], p.Seq, kj.RecipientFingerprint, orNone(kj.SigningKeyFingerprint))
			if before.Users[args[0]] == nil {
				fmt.Fprintln(w, "Pinned now: compare the fingerprints with the user's out of band.")
			} else {
				fmt.Fprintln(w, "They are the keys pinned here.")
			}
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newKeysTrustCmd() *cobra.Command {
	var (
		r   remote
		yes bool
	)
	cmd := &cobra.Command{
		Use:   "trust USER [--yes]",
		Short: "Accept a change of a user's keys, after confirming it out of band",
		Long: `Accept USER's new keys when they differ from the pinned ones, for example
after an admin replaced a lost key. The new keys must still be proven by
the audit log, and never by an older event than the pinned keys. Old and
new fingerprints are shown: confirm them with USER in person or by phone
first, then type USER's id to accept, or pass --yes. The request is
recorded in the vault's audit log.`,
		Example: `  amana keys trust a.karim
  amana keys trust a.karim --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user := args[0]
			k, err := r.connect()
			if err != nil {
				return err
			}
			pins := k.c.Keys.(*client.KeyPins)
			w := cmd.OutOrStdout()
			changed := false
			old, now, err := pins.Trust(cmd.Context(), k.c, user, func(old, new *client.PinnedKeys) error {
				changed = true
				o, n := toKeyJSON(user, old), toKeyJSON(user, new)
				fmt.Fprintf(w, "The keys of %s changed (audit event %d, pinned from event %d):\n", user, n.Seq, o.Seq)
				change := func(name, old, new string) {
					if old == new {
						fmt.Fprintf(w, "  %-11s %s (unchanged)\n", name, orNone(new))
					} else {
						fmt.Fprintf(w, "  %-11s %s -> %s\n", name, orNone(old), orNone(new))
					}
				}
				change("recipient", o.RecipientFingerprint, n.RecipientFingerprint)
				change("signing key", o.SigningKeyFingerprint, n.SigningKeyFingerprint)
				if yes {
					return nil
				}
				a, err := promptTTY(fmt.Sprintf("Confirmed with %s out of band? Type %s to accept: ", user, user), false)
				if errors.Is(err, errNoTerminal) {
					return usageError("confirm the new fingerprints with %s, then pass --yes (no terminal to ask on)", user)
				}
				if err != nil {
					return err
				}
				if strings.TrimSpace(a) != user {
					return errors.New("not accepted: the pinned keys are unchanged")
				}
				return nil
			})
			if err := k.done(err); err != nil {
				return err
			}
			n := toKeyJSON(user, now)
			switch {
			case changed:
				fmt.Fprintf(w, "Pinned the new keys of %s.\n", user)
			case old == nil:
				fmt.Fprintf(w, "Pinned the keys of %s (recipient %s, signing key %s): none were pinned.\n", user, n.RecipientFingerprint, orNone(n.SigningKeyFingerprint))
			default:
				fmt.Fprintf(w, "The keys of %s are unchanged (recipient %s, signing key %s).\n", user, n.RecipientFingerprint, orNone(n.SigningKeyFingerprint))
			}
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	cmd.Flags().BoolVar(&yes, "yes", false, "accept without asking (after confirming the fingerprints out of band)")
	return cmd
}
