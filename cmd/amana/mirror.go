package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/search/indexer"
	"github.com/amana-vault/amana/vault"
)

func newMirrorCmd() *cobra.Command {
	var data, to, passFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "mirror --data DIR --to URL [--passphrase-file F]",
		Short: "Bring an off-site mirror of a stopped vault up to date",
		Long: `Copy a stopped vault to an off-site mirror, a blob store named by URL
(file:///PATH, or s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&region=R
with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): the ciphertext of every
active document, the vault's records encrypted with a key derived from the
server key, the server key sealed with the passphrase, and the newest
signed checkpoint of the audit log. The mirror's operator can read none of
it; 'amana restore' rebuilds the vault from it and the passphrase.

It is idempotent: what the mirror has is not copied again, and the blobs of
documents shredded since the last round are removed from it. A running
server keeps a mirror itself ('amana serve --mirror URL').`,
		Example: `  amana mirror --data /srv/amana --to file:///mnt/usb/amana-mirror
  amana mirror --data /srv/amana --to 's3://amana-mirror?endpoint=https://s3.abroad.example&region=eu-1'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if data == "" || to == "" {
				return usageError("--data and --to are required")
			}
			pass, err := readPassphrase(passFile, false)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			store, err := blobstore.OpenCreate(ctx, to, "")
			if err != nil {
				return err
			}
			v, err := vault.Open(data, pass, vault.Options{})
			if err != nil {
				return err
			}
			start := time.Now()
			rep, err := v.Mirror(ctx, store)
			if cerr := v.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			took := time.Since(start)
			if asJSON {
				return printJSON(cmd, map[string]any{"to": store.URL(), "report": rep, "seconds": took.Seconds()})
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Mirrored %d documents to %s in %s: %d blobs copied (%d bytes), %d removed; records %d bytes; audit log %d events.\n",
				rep.Documents, store.URL(), took.Round(time.Millisecond), rep.Copied, rep.CopiedBytes, rep.Removed, rep.RecordsBytes, rep.AuditSize)
			if rep.Legacy > 0 {
				fmt.Fprintf(w, "%d documents are still in the vault file and were not mirrored: run 'amana migrate-blobs --data %s'.\n", rep.Legacy, data)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "the stopped vault's data directory")
	cmd.Flags().StringVar(&to, "to", "", "the mirror's URL (file:///PATH or s3://BUCKET?endpoint=…)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "read the vault passphrase from this file (else AMANA_PASSPHRASE, else a prompt)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func newRestoreCmd() *cobra.Command {
	var data, from, passFile, blobStore string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "restore --from URL --data NEWDIR [--blob-store URL] [--passphrase-file F]",
		Short: "Rebuild a vault from an off-site mirror and the passphrase",
		Long: `Rebuild a vault in NEWDIR from the mirror at URL (see 'amana mirror') and
the vault's passphrase alone: the records are decrypted, every document's
ciphertext is copied into the new vault's blob store (NEWDIR/blobs, or
--blob-store) and checked against its SHA-256, and the search index is
rebuilt. The audit log is the vault's own, so an auditor's checkpoint taken
before the loss verifies against it ('amana audit verify --data NEWDIR
--checkpoint FILE'). A restore that fails part-way leaves
NEWDIR/vault.db.incomplete, never a vault to serve.`,
		Example: `  amana restore --from 's3://amana-mirror?endpoint=https://s3.abroad.example&region=eu-1' --data /srv/amana
  amana audit verify --data /srv/amana --checkpoint checkpoint-2026-01.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if data == "" || from == "" {
				return usageError("--from and --data are required")
			}
			pass, err := readPassphrase(passFile, false)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			store, err := blobstore.Open(ctx, from, "")
			if err != nil {
				return err
			}
			start := time.Now()
			rep, err := vault.Restore(ctx, store, data, pass, blobStore)
			if err != nil {
				return err
			}
			v, err := vault.Open(data, pass, vault.Options{})
			if err != nil {
				return err
			}
			n, err := indexer.Rebuild(v, filepath.Join(data, IndexDir))
			if cerr := v.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("restored, but rebuilding the index failed (run 'amana reindex --data %s'): %w", data, err)
			}
			took := time.Since(start)
			if asJSON {
				return printJSON(cmd, map[string]any{"report": rep, "indexed": n, "seconds": took.Seconds()})
			}
			when := "an unknown time"
			if !rep.MirroredAt.IsZero() {
				when = rep.MirroredAt.Format(time.RFC3339)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Restored %d documents (%d bytes) into %s in %s, as mirrored at %s; audit log of %d events; %d documents indexed.\nStart it with: amana serve --data %s\n",
				rep.Documents, rep.Bytes, data, took.Round(time.Millisecond), when, rep.AuditEvents, n, data)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "data directory for the restored vault (must not hold one)")
	cmd.Flags().StringVar(&from, "from", "", "the mirror's URL")
	cmd.Flags().StringVar(&blobStore, "blob-store", "", "blob store of the restored vault (default NEWDIR/blobs)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "read the vault passphrase from this file (else AMANA_PASSPHRASE, else a prompt)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
