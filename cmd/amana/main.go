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
	os.Exit(execute(newRootCmd(), os.Args[1:]))
}

// execute runs the command line and returns the exit status: 0, 2 for a
// mistake in how a command was called (the flag package's convention), 1
// for any other failure, with one line on stderr.
func execute(root *cobra.Command, args []string) int {
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "amana: "+oneLine(err.Error()))
	if isUsage(err) {
		return 2
	}
	return 1
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
	root.PersistentFlags().String("server", "", "server URL, e.g. https://amana.example.org:8443 (default: the one you logged in to)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usage{err} })
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
		newRequestCmd(),
		newRequestsCmd(),
		newDeclineCmd(),
		newUploadsCmd(),
		newRevokeCmd(),
		newShredCmd(),
		newCompletionCmd(),
		newDemoCmd(),
		newReindexCmd(),
		newMigrateBlobsCmd(),
		newMirrorCmd(),
		newRestoreCmd(),
		newExportCmd(),
		newVerifyBundleCmd(),
		newStatsCmd(),
		newBackupCmd(),
		newCheckCmd(),
		newKeysCmd(),
	)
	markUsage(root)
	return root
}

// markUsage makes the argument checks of cmd and its subcommands report
// usage errors.
func markUsage(cmd *cobra.Command) {
	if cmd.HasParent() && !cmd.Runnable() && cmd.HasSubCommands() {
		// A group such as "amana user": help, or an unknown subcommand.
		cmd.Args = cobra.NoArgs
		cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	}
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return &usage{err}
			}
			return nil
		}
	}
	for _, c := range cmd.Commands() {
		markUsage(c)
	}
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

// usage marks a mistake in how a command was called: amana exits 2.
type usage struct{ err error }

func (u *usage) Error() string { return u.err.Error() }
func (u *usage) Unwrap() error { return u.err }

// usageError reports a mistake in how a command was called.
func usageError(format string, args ...any) error {
	return &usage{errors.New(fmt.Sprintf(format, args...) + " (see --help)")}
}

// isUsage tells usage errors, amana's own and cobra's (unknown commands
// and missing required flags, which cobra reports as plain errors), from
// other failures.
func isUsage(err error) bool {
	if errors.As(err, new(*usage)) {
		return true
	}
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command ") || strings.HasPrefix(msg, "required flag(s) ") ||
		strings.HasPrefix(msg, "if any flags in the group ")
}
