package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/vault"
)

func newInitCmd() *cobra.Command {
	var (
		data, admin, recipient, signingKey, passFile, blobStore string
		asJSON                                                  bool
		workFactor                                              int
	)
	cmd := &cobra.Command{
		Use:   "init --data DIR --admin ID --admin-recipient RECIPIENT [--admin-signing-key KEY] [--blob-store URL] [--passphrase-file F]",
		Short: "Create a new vault with its first admin",
		Long: `Create a new vault in DIR with its first admin (custodian).

The server key is generated here and sealed with the passphrase (scrypt);
'amana serve' needs the same passphrase. The admin's TOTP secret is shown
once, as an otpauth:// URL to add to an authenticator app. The audit
verifier key printed here lets auditors check the log's checkpoints, and
every user's client check the keys it encrypts to ('amana login
--verifier KEY'): keep a copy outside the server. --admin-signing-key is the admin's signing public
key ("ssh-ed25519 …", printed by 'amana keygen'); without it the admin
cannot deposit until one is registered. init refuses to touch a directory
that already holds a vault.

Documents' ciphertext goes to a blob store: by default the directory
DIR/blobs; --blob-store names another, recorded in the vault for serve:
file:///PATH, a directory (on another disk, say), or
s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&region=R, S3-compatible
object storage addressed path-style, with the credentials in
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (never in the URL). init makes
the bucket if needed and refuses a store that already holds blobs: each
vault needs one of its own. The store holds only ciphertext.

The passphrase must resist an estimated 60 bits of guessing: whoever copies
the database can try passphrases offline for as long as they like. init
estimates it the way guessing tools attack, from its length and the kinds
of characters it uses, discounting common passwords and words, repeats,
sequences (abc, 1234), keyboard walks (qwerty) and years, and refuses one
below the bar. Five or more words picked at random (diceware), or 16 or
more random characters, pass; words you choose yourself are weaker than
they look, whatever the estimate says.`,
		Example: `  amana keygen --pq -o admin.key
  amana init --data /srv/amana --admin l.custodian \
      --admin-recipient "$(grep -o 'age1.*' admin.key | head -1)" \
      --admin-signing-key "$(ssh-keygen -y -f admin.sign)" \
      --passphrase-file /etc/amana/passphrase
  AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… amana init --data /srv/amana \
      --blob-store 's3://amana-evidence?endpoint=http://10.0.0.5:8333&region=us-east-1' …`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if data == "" || admin == "" || recipient == "" {
				return usageError("--data, --admin and --admin-recipient are required")
			}
			pass, err := readPassphrase(passFile, true)
			if err != nil {
				return err
			}
			if err := checkPassphrase(pass); err != nil {
				return err
			}
			v, created, err := vault.Create(data, pass, vault.NewUser{
				ID: admin, Role: vault.RoleAdmin, Recipient: recipient, SigningKey: signingKey,
			}, vault.Options{ScryptWorkFactor: workFactor, BlobStore: blobStore})
			if err != nil {
				return err
			}
			if err := v.Close(); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, map[string]any{
					"admin":              map[string]string{"id": created.AdminID, "totp_url": created.TOTPURL},
					"audit_verifier_key": created.VerifierKey,
				})
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Created a vault in %s.\n\n", data)
			fmt.Fprintf(w, "Admin %s: add this TOTP secret to an authenticator app now; it is not shown again:\n  %s\n\n", created.AdminID, created.TOTPURL)
			fmt.Fprintf(w, "Audit verifier key (give it to your auditors and users, for amana login --verifier; keep a copy off this server):\n  %s\n\n", created.VerifierKey)
			fmt.Fprintf(w, "Start the server with: amana serve --data %s\n", data)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "data directory for the new vault")
	cmd.Flags().StringVar(&admin, "admin", "", "id of the first admin (a lowercase slug)")
	cmd.Flags().StringVar(&recipient, "admin-recipient", "", "the admin's age recipient (age1…, age1pq1…, ssh-ed25519 …, or a plugin recipient)")
	cmd.Flags().StringVar(&signingKey, "admin-signing-key", "", `the admin's signing public key, "ssh-ed25519 …" (needed to deposit)`)
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "read the vault passphrase from this file (else AMANA_PASSPHRASE, else a prompt)")
	cmd.Flags().StringVar(&blobStore, "blob-store", "", "where documents' ciphertext goes: file:///PATH or s3://BUCKET?endpoint=http://HOST:PORT&region=R (default DIR/blobs)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().IntVar(&workFactor, "scrypt-work-factor", 0, "log2 scrypt work factor for the passphrase (default 18)")
	cmd.Flags().MarkHidden("scrypt-work-factor")
	return cmd
}
