// Command amana is the Amana evidence vault: the server, and the client
// that encrypts and decrypts on the user's own machine.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func main() {
	root := newRootCmd()
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "amana: "+oneLine(err.Error()))
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "amana",
		Short: "Amana: an evidence vault that cannot read what it stores",
		Long: `Amana keeps testimonies, interviews and case studies encrypted to the people
allowed to read them. The server stores ciphertext, key slots and redacted
public metadata; encryption and decryption happen on your machine.`,
		Example: `  amana demo                                   # a demo vault with fictional data
  amana login --server https://vault.example.org --user r.hassan --identity me.key
  amana deposit statement.txt --collection kirkuk-2018 --kind testimony --meta meta.json
  amana search 'checkpoint' --facet governorate`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newInitCmd(),
		newKeygenCmd(),
		newAuditCmd(),
		newServeCmd(),
		newLoginCmd(),
		newLogoutCmd(),
		newUserCmd(),
		newCollectionCmd(),
		newDepositCmd(),
		newRedactCmd(),
		newSearchCmd(),
		newShowCmd(),
		newGetCmd(),
		newGrantCmd(),
		newRevokeCmd(),
		newShredCmd(),
		newCompletionCmd(),
		newDemoCmd(),
		newReindexCmd(),
		newExportCmd(),
		newVerifyBundleCmd(),
		newStatsCmd(),
		newBackupCmd(),
	)
	return root
}

// oneLine keeps failure messages to one line on stderr.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// usageError marks mistakes in how a command was called.
func usageError(format string, args ...any) error {
	return errors.New(fmt.Sprintf(format, args...) + " (see --help)")
}
