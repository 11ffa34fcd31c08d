package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/search/indexer"
	"github.com/amana-vault/amana/vault"
)

func newReindexCmd() *cobra.Command {
	var data, passFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reindex --data DIR [--passphrase-file F]",
		Short: "Rebuild the search index from the vault",
		Long: `Rebuild the search index from the public metadata in the vault. The index is
derived data: a new one is built beside the old and swapped in when complete,
so a failure leaves the old index in place. The server must be stopped (it
holds the vault and the index). Public metadata is sealed in the vault, so
the passphrase is needed.`,
		Example: `  amana reindex --data /srv/amana --passphrase-file /etc/amana/passphrase`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if data == "" {
				return usageError("--data is required")
			}
			pass, err := readPassphrase(passFile, false)
			if err != nil {
				return err
			}
			v, err := vault.Open(data, pass, vault.Options{})
			if err != nil {
				return err
			}
			defer v.Close()
			start := time.Now()
			n, err := indexer.Rebuild(v, filepath.Join(data, IndexDir))
			if err != nil {
				return err
			}
			took := time.Since(start)
			if asJSON {
				return printJSON(cmd, map[string]any{"documents": n, "seconds": took.Seconds()})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Indexed %d documents in %s\n", n, took.Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "the vault's data directory")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "read the vault passphrase from this file (else AMANA_PASSPHRASE, else a prompt)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
