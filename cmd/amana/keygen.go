package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/envelope"
)

func newKeygenCmd() *cobra.Command {
	var (
		out    string
		pq     bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "keygen [--pq] [-o FILE]",
		Short: "Generate an age identity (interoperable with age-keygen)",
		Long: `Generate an age identity and print its public key (the recipient).

The file has the same format as age-keygen's: the stock age tool reads it
with 'age -d -i FILE', and Amana reads identity files made by age-keygen.
With --pq the identity is a post-quantum hybrid key (age1pq1… recipient).
The file is written with mode 0600 and is never overwritten. Keep it on
your own machine: the server never sees it.`,
		Example: `  amana keygen --pq -o ~/.config/amana/me.key
  amana keygen -o researcher.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			text, recipient, err := envelope.GenerateIdentity(pq)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				if asJSON {
					return usageError("--json needs -o FILE: the identity itself is never printed as JSON")
				}
				fmt.Fprint(cmd.OutOrStdout(), text)
				fmt.Fprintf(cmd.ErrOrStderr(), "Public key: %s\n", recipient)
				return nil
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s already exists; not overwriting an identity", out)
			}
			if err != nil {
				return err
			}
			if _, err := f.WriteString(text); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, map[string]string{"file": out, "recipient": recipient})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Public key: %s\n", recipient)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the identity to FILE (default: standard output)")
	cmd.Flags().BoolVar(&pq, "pq", false, "generate a post-quantum hybrid identity")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print {\"file\",\"recipient\"} as JSON")
	return cmd
}
