package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newCheckCmd() *cobra.Command {
	var (
		r      remote
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "check [--json]",
		Short: "Find key slots that a document's consent does not cover (admins)",
		Long: `Check every active document for key slots held by a user whose role the
document's consent does not cover: a lawyer without legal_proceedings, a
researcher (the depositor included) without research, any auditor. The
server refuses such slots, whether by deposit, custody, grant or rekey; a
vault written before that rule may still hold some, for instance for a
lawyer made custodian of a collection with research-only deposits. Each
line names the document, the user, its role, how it came to hold the slot
(depositor, custodian or holder) and the consent. Fix one with
'amana revoke DOC USER --rekey', or shred the document.

Exits 0 when no slot breaks the rule, 1 when some do. Admins only; needs a
step-up (TOTP). The check is audited and changes nothing.`,
		Example: `  amana check --totp "$(oathtool --totp -b "$SECRET")"
  amana check --json | jq '.violations[] | select(.as == "custodian")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			rep, err := k.c.CheckConsent(cmd.Context())
			if err := k.done(err); err != nil {
				return err
			}
			n := len(rep.Violations)
			if asJSON {
				if err := printJSON(cmd, rep); err != nil {
					return err
				}
			} else {
				w := cmd.OutOrStdout()
				if n > 0 {
					tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "DOCUMENT\tCOLLECTION\tUSER\tROLE\tAS\tCONSENT")
					for _, v := range rep.Violations {
						role := v.Role
						if role == "" {
							role = "(unknown user)"
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Doc, v.Collection, v.User, role, v.As, strings.Join(v.Scopes, ","))
					}
					if err := tw.Flush(); err != nil {
						return err
					}
					fmt.Fprintf(w, "\n%d key slot(s) in %d document(s) checked are not covered by the consent: revoke each with 'amana revoke DOC USER --rekey', or shred the document.\n", n, rep.Documents)
				} else {
					fmt.Fprintf(w, "Checked %d document(s): every key slot is covered by its document's consent.\n", rep.Documents)
				}
			}
			if n > 0 {
				return fmt.Errorf("%d key slot(s) not covered by their document's consent", n)
			}
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	r.addTOTPFlag(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
