package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
)

func newCollectionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "collection",
		Short: "Manage collections (case files, studies)",
		Long: `A collection is a case file or study. Its members may deposit into it and
search it; its custodians receive a key slot for every deposit whose
consent covers their role, so the evidence survives a researcher leaving.`,
		Example: `  amana collection create kirkuk-2018 --name "Kirkuk 2018" --member r.hassan --member a.karim
  amana collection list`,
	}
	cmd.AddCommand(newCollectionCreateCmd(), newCollectionListCmd())
	return cmd
}

func newCollectionCreateCmd() *cobra.Command {
	var (
		r                   remote
		name                string
		members, custodians []string
		asJSON              bool
	)
	cmd := &cobra.Command{
		Use:   "create ID [--name N] [--member ID ...] [--custodian ID ...]",
		Short: "Create a collection (admins)",
		Long: `Create a collection. Members may deposit and search; custodians get a key
slot for every deposit whose consent covers their role (a lawyer custodian
only for deposits whose consent covers legal_proceedings, a researcher
only for research; an admin for every deposit). Without --custodian, you
(the admin creating it) are the custodian. Needs a step-up (TOTP) if you
have not given a code in the last five minutes.`,
		Example: `  amana collection create kirkuk-2018 --name "Kirkuk 2018" \
      --member r.hassan --member r.ahmed --member a.karim --custodian l.custodian
  amana collection create mosul-2020 --member r.new --totp "$(oathtool --totp -b "$SECRET")"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			if len(custodians) == 0 {
				custodians = []string{k.s.User}
			}
			col, err := k.c.CreateCollection(cmd.Context(), client.Collection{
				ID: args[0], Name: name, Members: members, Custodians: custodians,
			})
			if err := k.done(err); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, col)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created collection %s; members: %s; custodians: %s.\n",
				col.ID, listOrNone(col.Members), listOrNone(col.Custodians))
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	r.addTOTPFlag(cmd)
	cmd.Flags().StringVar(&name, "name", "", "display name (default: the id)")
	cmd.Flags().StringArrayVar(&members, "member", nil, "a member's user id (repeatable)")
	cmd.Flags().StringArrayVar(&custodians, "custodian", nil, "a custodian's user id (repeatable; default: you)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the collection as JSON")
	return cmd
}

func newCollectionListCmd() *cobra.Command {
	var (
		r      remote
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the collections you can see",
		Long:    `List the collections you belong to (admins see all of them).`,
		Example: "  amana collection list\n  amana collection list --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			cols, err := k.c.Collections(cmd.Context())
			if err := k.done(err); err != nil {
				return err
			}
			if cols == nil {
				cols = []client.Collection{}
			}
			if asJSON {
				return printJSON(cmd, cols)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tMEMBERS\tCUSTODIANS")
			for _, c := range cols {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Name, listOrNone(c.Members), listOrNone(c.Custodians))
			}
			return tw.Flush()
		},
	}
	r.addServerFlags(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the collections as a JSON array")
	return cmd
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}
