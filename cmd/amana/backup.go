package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/vault"
)

func newBackupCmd() *cobra.Command {
	var (
		r      remote
		out    string
		data   string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "backup -o FILE [--data DIR]",
		Short: "Write a consistent hot backup of the vault",
		Long: `Write a consistent copy of the vault file to FILE. Online (the default) it
asks the server, as an admin with a fresh TOTP code, and the vault stays in
use; with --data it copies a stopped vault's file directly. The copy is as
sealed as the vault: content stays encrypted to users' keys and server
secrets to the passphrase.

The file holds the records (users, key slots, metadata, the audit log), not
the documents' ciphertext, which is in the blob store (DIR/blobs unless init
named another): copy that too. Restore by placing the copy as DIR/vault.db
beside the blobs and running 'amana reindex --data DIR', then 'amana check'.`,
		Example: `  amana backup -o amana-$(date +%F).db --totp 123456
  amana backup --data /srv/amana -o /mnt/offsite/amana.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError("-o FILE is required")
			}
			if _, err := os.Lstat(out); err == nil {
				return fmt.Errorf("%s exists; not overwriting a backup", out)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			partial := out + ".partial"
			f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			n, err := func() (int64, error) {
				if data != "" {
					var n int64
					err := vault.ViewFile(data, func(tx *bbolt.Tx) error {
						var err error
						n, err = tx.WriteTo(f)
						return err
					})
					return n, err
				}
				k, err := r.connect()
				if err != nil {
					return 0, err
				}
				body, err := k.c.Backup(cmd.Context())
				if err != nil {
					return 0, k.done(err)
				}
				defer body.Close()
				n, err := io.Copy(f, body)
				return n, k.done(err)
			}()
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = checkBackup(partial)
			}
			if err != nil {
				os.Remove(partial)
				return fmt.Errorf("backup failed: %w", err)
			}
			if err := os.Rename(partial, out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, map[string]any{"file": out, "bytes": n})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s (%d bytes); it passed bbolt's consistency check.\n", out, n)
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	r.addTOTPFlag(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write the backup to")
	cmd.Flags().StringVar(&data, "data", "", "copy a stopped vault's data directory instead of asking the server")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// checkBackup opens the copy read-only and runs bbolt's consistency check,
// so a truncated or damaged download is never kept as a backup.
func checkBackup(name string) error {
	db, err := bbolt.Open(name, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("the copy is not a database: %w", err)
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("the copy is damaged: %w", err)
		}
		if tx.Bucket([]byte("meta")) == nil {
			return errors.New("the copy holds no vault")
		}
		return nil
	})
}
