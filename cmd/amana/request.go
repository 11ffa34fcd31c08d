package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
)

func newRequestCmd() *cobra.Command {
	var r remote
	cmd := &cobra.Command{
		Use:   "request DOC",
		Short: "Ask a document's keepers for access",
		Long: `Ask the keepers of DOC (its depositor, the custodians of its collection,
and admins holding a key slot) for a key slot, for a document that search
shows you but that you cannot open. You may ask if you are a member of
its collection and the document's consent covers your role (a lawyer:
legal_proceedings; a researcher: research). The request carries no
message: say why to the keeper in person. Asking again changes nothing.
The keepers see it with 'amana requests', and a grant to you satisfies
it. A keeper may decline it; asking again within 30 days of a decline is
refused, with the date from which you may. The audit log records it as
document.request.`,
		Example: `  amana search Hawarbeg                # a hit you cannot open: DOC
  amana request DOC`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			req, err := k.c.RequestAccess(cmd.Context(), args[0])
			if err := k.done(err); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Asked for access to %s (%s); its keepers see the request.\n",
				req.Document, req.RequestedAt.UTC().Format(time.RFC3339))
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	return cmd
}

func newRequestsCmd() *cobra.Command {
	var (
		r      remote
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "requests [DOC]",
		Short: "List the access requests you can grant",
		Long: `List the pending access requests for the documents you keep (as their
depositor, a custodian of their collection, or an admin holding a key
slot), or for DOC alone. Grant one with 'amana grant DOC USER'; the
grant satisfies the request. Decline one with 'amana decline DOC USER'.
A request whose user left the collection, was disabled or was granted by
someone else is no longer listed.`,
		Example: `  amana requests
  amana grant DOC a.karim
  amana requests --json | jq -r '.[] | "\(.document) \(.user)"'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			var reqs []client.AccessRequest
			if len(args) == 1 {
				reqs, err = k.c.DocumentRequests(cmd.Context(), args[0])
			} else {
				reqs, err = k.c.Requests(cmd.Context())
			}
			if err := k.done(err); err != nil {
				return err
			}
			if reqs == nil {
				reqs = []client.AccessRequest{}
			}
			if asJSON {
				return printJSON(cmd, reqs)
			}
			if len(reqs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "No pending access requests.")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DOCUMENT\tCOLLECTION\tUSER\tROLE\tREQUESTED")
			for _, q := range reqs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", q.Document, q.Collection, q.User, q.Role, q.RequestedAt.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	r.addServerFlags(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the requests as a JSON array")
	return cmd
}

func newDeclineCmd() *cobra.Command {
	var r remote
	cmd := &cobra.Command{
		Use:   "decline DOC USER",
		Short: "Decline a pending access request",
		Long: `Decline USER's pending request for a key slot for DOC, without granting it:
the request is no longer listed by 'amana requests'. Only the document's
keepers (its depositor, the custodians of its collection, admins holding
a key slot) may. USER sees that it was declined, not why, and may ask
again after 30 days; you may still grant at any time. The audit log
records it as document.decline, with USER as its target.`,
		Example: `  amana requests
  amana decline DOC a.karim`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			if err := k.done(k.c.Decline(cmd.Context(), args[0], args[1])); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Declined %s's request for %s.\n", args[1], args[0])
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	return cmd
}
