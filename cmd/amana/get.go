package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
)

func newGetCmd() *cobra.Command {
	var (
		r             remote
		out           string
		force, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "get DOC -o OUT",
		Short: "Download, decrypt and verify a document",
		Long: `Download DOC, open your key slot with your identity, decrypt on this
machine and verify both hashes: the ciphertext's (recorded by the server at
deposit) and the plaintext's (sealed by the depositor in the private
metadata). The plaintext is written to OUT.partial (mode 0600) and renamed
to OUT only once everything verified; on any failure the partial file is
deleted and nothing is left. An existing OUT is not overwritten without
--force.`,
		Example: `  amana get 7f3c9a… -o interview-07.m4a
  amana get 7f3c9a… -o interview-07.m4a --force --identity ~/backup/me.key`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" || out == "-" {
				return usageError("-o OUT is required (a file: unverified plaintext is never streamed out)")
			}
			if err := checkOverwrite(out, force); err != nil {
				return err
			}
			k, err := r.connect()
			if err != nil {
				return err
			}
			ids, err := k.identities()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()

			partial := out + ".partial"
			if err := os.Remove(partial); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			got, err := func() (*client.Got, error) {
				bar := &progress{}
				if isTerminal(os.Stderr) {
					// Only for the bar: its size, at the cost of one request.
					if d, err := k.c.Document(ctx, args[0]); err == nil {
						bar = newProgress(d.Size, "decrypting")
					}
				}
				got, err := k.c.Get(ctx, args[0], ids, bar.writer(f))
				if err == nil {
					err = f.Sync()
				}
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err == nil {
					err = os.Rename(partial, out)
				}
				bar.end(err)
				return got, err
			}()
			if err != nil {
				f.Close()
				os.Remove(partial)
				if errors.Is(err, client.ErrIntegrity) {
					return fmt.Errorf("%v: the download was discarded", err)
				}
				return k.done(err)
			}
			k.done(nil)
			plain := hex.EncodeToString(got.Digest.PlainSHA256[:])
			if asJSON {
				return printJSON(cmd, map[string]any{
					"id": got.Document.ID, "output": out, "size": got.Digest.PlainSize,
					"plain_sha256": plain, "cipher_sha256": got.Document.CipherSHA256,
					"depositor": got.Document.Depositor, "manifest_verified": true,
				})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s (%d bytes); both SHA-256 hashes verified, and the content is what %s deposited and signed.\n  plaintext SHA-256: %s\n",
				out, got.Digest.PlainSize, got.Document.Depositor, plain)
			return nil
		},
	}
	r.addServerFlags(cmd, true)
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write the plaintext to")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite OUT if it exists")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
