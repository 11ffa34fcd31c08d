package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
)

func newUploadsCmd() *cobra.Command {
	var (
		r      remote
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "uploads",
		Short: "List your unfinished uploads, or cancel one",
		Long: `List your unfinished resumable uploads on the server, oldest first: how
much of each the server holds, and when it expires. An upload is used by
the deposit it was made for; one that no command will continue (its
file changed, its spool was removed, it was made from another machine or
a browser) counts against your quota (4 unfinished uploads, 16 GiB in
all) until it expires, 24 hours after its last byte arrived. Cancel it
with 'amana uploads cancel ID' to free its place at once. 'amana deposit'
finds its own uploads again by itself.

Only your own uploads are listed; listing records nothing in the audit
log, a cancel records upload.terminate.`,
		Example: `  amana uploads
  amana uploads cancel 5x3qoqpp3fjd7bdrxw3hr3dk2u
  amana uploads --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			ups, err := k.c.Uploads(cmd.Context())
			if err := k.done(err); err != nil {
				return err
			}
			if ups == nil {
				ups = []client.Upload{}
			}
			if asJSON {
				return printJSON(cmd, ups)
			}
			if len(ups) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "No unfinished uploads.")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tRECEIVED\tLENGTH\tCREATED\tEXPIRES")
			for _, u := range ups {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", u.ID, u.Offset, u.Length,
					u.Created.UTC().Format(time.RFC3339), u.Expires.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	r.addServerFlags(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the uploads as a JSON array of {id,location,length,offset,created,expires,metadata}")

	var rc remote
	cancel := &cobra.Command{
		Use:   "cancel ID...",
		Short: "Cancel unfinished uploads of yours",
		Long: `Cancel your unfinished uploads ID...: the server discards what it holds
of each, and they no longer count against your quota. A deposit that was
using one starts a new upload when it is run again.`,
		Example: `  amana uploads
  amana uploads cancel 5x3qoqpp3fjd7bdrxw3hr3dk2u`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := rc.connect()
			if err != nil {
				return err
			}
			for _, id := range args {
				if err := k.done(k.c.CancelUpload(cmd.Context(), id)); err != nil {
					return fmt.Errorf("%s: %w", id, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Cancelled upload %s.\n", id)
			}
			return nil
		},
	}
	rc.addServerFlags(cancel, false)
	cmd.AddCommand(cancel)
	return cmd
}
