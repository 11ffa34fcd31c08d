package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
)

func newGrantCmd() *cobra.Command {
	var r remote
	cmd := &cobra.Command{
		Use:   "grant DOC USER",
		Short: "Give a user a key slot for a document",
		Long: `Give USER access to DOC: your key slot is opened here with your identity
and the document key is wrapped for USER's recipient, so the server never
sees it and the content is not touched (the cost is the same for any size).
The server checks need to know against the document's consent: a lawyer
gets access only if the consent covers legal_proceedings. Needs a step-up
(TOTP) if you have not given a code in the last five minutes.`,
		Example: `  amana grant 7f3c9a… a.karim
  amana grant 7f3c9a… a.karim --totp "$(oathtool --totp -b "$SECRET")"`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			ids, err := k.identities()
			if err != nil {
				return err
			}
			if err := k.done(k.c.Grant(cmd.Context(), args[0], args[1], ids)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Granted %s a key slot for %s.\n", args[1], args[0])
			return nil
		},
	}
	r.addServerFlags(cmd, true)
	r.addTOTPFlag(cmd)
	return cmd
}

func newRevokeCmd() *cobra.Command {
	var (
		r     remote
		rekey bool
	)
	cmd := &cobra.Command{
		Use:   "revoke DOC USER [--rekey]",
		Short: "Remove a user's key slot for a document",
		Long: `Remove USER's key slot for DOC. A user who already copied the document key
could still decrypt the stored ciphertext; with --rekey the content is
then re-encrypted, on this machine, under a new document key for the
remaining slot holders, so the old key opens nothing that is stored. Only
a keeper may re-encrypt: the depositor, a custodian of the collection, or
an admin holding a slot; someone granted a slot may read the document but
not replace it. Revoking also removes a slot that the document's consent
does not cover (see 'amana check'), a custodian's included. Needs a
step-up (TOTP).`,
		Example: `  amana revoke 7f3c9a… a.karim
  amana revoke 7f3c9a… a.karim --rekey --totp 123456`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if err := k.done(k.c.Revoke(ctx, args[0], args[1])); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Revoked %s's key slot for %s.\n", args[1], args[0])
			if !rekey {
				return nil
			}
			ids, err := k.identities()
			if err != nil {
				return fmt.Errorf("revoked, but not re-keyed: %w", err)
			}
			doc, err := k.c.Rekey(ctx, args[0], ids)
			var ae *client.Error
			if errors.As(err, &ae) && ae.Status == 403 && ae.Code == "forbidden" {
				return errors.New("revoked, but not re-keyed: only the depositor, a custodian or an admin holding a key slot may re-encrypt a document; the content is still under the old key")
			}
			if err := k.done(err); err != nil {
				return fmt.Errorf("revoked, but re-keying failed, the content is still under the old key: %w", err)
			}
			fmt.Fprintf(w, "Re-encrypted %s under a new document key (generation %d) for %s.\n",
				doc.ID, doc.Generation, listOrNone(doc.SlotHolders))
			return nil
		},
	}
	r.addServerFlags(cmd, true)
	r.addTOTPFlag(cmd)
	cmd.Flags().BoolVar(&rekey, "rekey", false, "then re-encrypt the content under a new document key")
	return cmd
}

func newShredCmd() *cobra.Command {
	var (
		r   remote
		yes bool
	)
	cmd := &cobra.Command{
		Use:   "shred DOC",
		Short: "Destroy a document after consent was withdrawn (admins)",
		Long: `Destroy DOC when the survivor withdraws consent: its content, private
metadata and every key slot are deleted and it leaves the search index.
Only the audit trail (with hashes, no content) remains. This cannot be
undone. On a terminal you are asked to type the document id; elsewhere
pass --yes. Needs a step-up (TOTP).`,
		Example: `  amana shred 7f3c9a…
  amana shred 7f3c9a… --yes --totp 123456`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if !yes {
				if !isTerminal(os.Stdin) {
					return errors.New("refusing to shred without confirmation: pass --yes")
				}
				a, err := promptTTY(fmt.Sprintf("Shredding destroys %s for good. Type its id to confirm: ", id), false)
				if err != nil {
					return fmt.Errorf("no confirmation: %w", err)
				}
				if strings.TrimSpace(a) != id {
					return errors.New("not confirmed; nothing was shredded")
				}
			}
			k, err := r.connect()
			if err != nil {
				return err
			}
			if err := k.done(k.c.Shred(cmd.Context(), id)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Shredded %s: content, private metadata and key slots are gone.\n", id)
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	r.addTOTPFlag(cmd)
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}
