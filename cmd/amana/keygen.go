package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/sshsig"
)

func newKeygenCmd() *cobra.Command {
	var (
		out    string
		pq     bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "keygen [--pq] [-o NAME.key]",
		Short: "Generate an age identity and a signing key",
		Long: `Generate your keys and print their public parts:

  NAME.key   an age identity, which opens the documents sealed to you; its
             public key (the recipient, age1… or with --pq age1pq1…) is what
             an admin registers with 'amana user add --recipient';
  NAME.sign  an OpenSSH Ed25519 private key, which signs your deposits; its
             public key ("ssh-ed25519 …") is what an admin registers with
             'amana user add --signing-key'. Without one you cannot deposit.

NAME.key has the same format as age-keygen's: the stock age tool reads it
with 'age -d -i NAME.key', and Amana reads identity files made by
age-keygen. NAME.sign is what 'ssh-keygen -t ed25519' writes (without a
passphrase): 'ssh-keygen -y -f NAME.sign' prints its public key, and
'ssh-keygen -Y sign -f NAME.sign -n amana-deposit' signs as Amana does. The
signing key is written next to the identity, -o's name with .key replaced
by .sign (else with .sign added). 'amana login' finds it there.

Both files are written with mode 0600 and never overwritten. Keep them on
your own machine: the server never sees them. Without -o, only the
identity is printed, on standard output, and no signing key is made. A
security key works as a signing key too: 'ssh-keygen -t ed25519-sk', and
'amana login --signing-key' its file.`,
		Example: `  amana keygen --pq -o ~/.config/amana/me.key      # also writes ~/.config/amana/me.sign
  amana keygen -o researcher.key --json`,
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
			signPEM, signingKey, err := sshsig.GenerateSigningKey()
			if err != nil {
				return err
			}
			signFile := signingKeyFileFor(out)
			if err := writeNewFiles(map[string][]byte{out: []byte(text), signFile: signPEM}); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, map[string]string{
					"file": out, "recipient": recipient, "signing_key_file": signFile, "signing_key": signingKey,
				})
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Public key: %s\n", recipient)
			fmt.Fprintf(w, "Signing key: %s\n", signingKey)
			fmt.Fprintf(w, "Wrote %s and %s.\n", out, signFile)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the identity to FILE and the signing key next to it (default: the identity on standard output)")
	cmd.Flags().BoolVar(&pq, "pq", false, "generate a post-quantum hybrid identity")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"file","recipient","signing_key_file","signing_key"} as JSON`)
	return cmd
}

// signingKeyFileFor names the signing key that goes with identity file
// name: NAME.key → NAME.sign.
func signingKeyFileFor(name string) string {
	return strings.TrimSuffix(name, ".key") + ".sign"
}

// writeNewFiles writes each file with mode 0600, all or none: it refuses
// to overwrite any existing file, and removes what it wrote when a later
// file fails.
func writeNewFiles(files map[string][]byte) error {
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		if _, err := os.Lstat(name); err == nil {
			return fmt.Errorf("%s already exists; not overwriting a key", name)
		}
	}
	var written []string
	undo := func() {
		for _, n := range written {
			os.Remove(n)
		}
	}
	for _, name := range names {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			undo()
			return fmt.Errorf("%s already exists; not overwriting a key", name)
		}
		if err != nil {
			undo()
			return err
		}
		written = append(written, name)
		_, err = f.Write(files[name])
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			undo()
			return err
		}
	}
	return nil
}
