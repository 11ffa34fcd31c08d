package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
)

func newUserSetRecipientCmd() *cobra.Command {
	var (
		r      remote
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "set-recipient ID RECIPIENT",
		Short: "Replace a user's age recipient (after a lost or compromised key)",
		Long: `Replace the age recipient (public key) that documents are encrypted to for
user ID, for example when the user lost the device that held its identity
or fears it was copied. New deposits and grants are sealed to the new
recipient; the user's existing key slots stay sealed to the old one until
a keeper re-grants or re-encrypts (revoke --rekey, then grant).

The audit log binds the new recipient to the user and names the old one.
Every client that pinned the old key refuses the new one until its user
confirms the change with ID out of band and runs 'amana keys trust ID'.
Needs a step-up (TOTP).`,
		Example: `  amana user set-recipient a.karim age1pq1…
  amana user set-recipient a.karim "$(age-keygen -y new.key)" --totp 123456`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			rcpt := args[1]
			u, err := k.c.UpdateUser(cmd.Context(), args[0], nil, nil, &rcpt)
			if err := k.done(err); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, u)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "User %s's recipient is now %s (%s). Tell the users who share documents with %s to expect the change.\n",
				u.ID, abbreviate(u.Recipient, 24), client.Fingerprint(u.Recipient), u.ID)
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	r.addTOTPFlag(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the updated user as JSON")
	return cmd
}
