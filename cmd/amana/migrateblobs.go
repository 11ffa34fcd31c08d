package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/vault"
)

func newMigrateBlobsCmd() *cobra.Command {
	var data, passFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "migrate-blobs --data DIR [--passphrase-file F]",
		Short: "Move documents' ciphertext out of the vault file into the blob store",
		Long: `Move the ciphertext of documents deposited before the blob store out of the
vault file into the blob store (DIR/blobs, or the store init named), one
document at a time, each checked against the SHA-256 recorded at deposit.
It can be interrupted and run again: it resumes where it stopped. A document
whose stored bytes no longer match its hash stays where it is and is named.
Then the vault file is compacted into a new file holding only live pages,
renamed over the old one.

The server must be stopped. Until this runs, the vault keeps reading old
documents from the file and stores new ones in the blob store.`,
		Example: `  amana migrate-blobs --data /srv/amana --passphrase-file /etc/amana/passphrase`,
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
			start := time.Now()
			moved, err := v.MigrateBlobs(func(id string, done, total int) {
				if !asJSON {
					fmt.Fprintf(os.Stderr, "\r%d/%d documents", done, total)
				}
			})
			if !asJSON && moved > 0 {
				fmt.Fprintln(os.Stderr)
			}
			if cerr := v.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("%d documents moved, then: %w", moved, err)
			}
			before, after, err := vault.Compact(data, vault.Options{})
			if err != nil {
				return fmt.Errorf("%d documents moved; compacting the vault file failed (run again to retry): %w", moved, err)
			}
			took := time.Since(start)
			if asJSON {
				return printJSON(cmd, map[string]any{"moved": moved, "file_bytes_before": before, "file_bytes_after": after, "seconds": took.Seconds()})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Moved %d documents to the blob store; the vault file went from %d to %d bytes (%s).\n", moved, before, after, took.Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "the vault's data directory")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "read the vault passphrase from this file (else AMANA_PASSPHRASE, else a prompt)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
