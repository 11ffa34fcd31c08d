package main

import (
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/redact"
)

// maxRedactFile bounds what redact reads; it is a preview of text fields.
const maxRedactFile = 16 << 20

func newRedactCmd() *cobra.Command {
	var (
		persons []string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "redact FILE [--person NAME ...]",
		Short: "Preview redaction of a text, offline",
		Long: `Show what deposit would publish for a text: e-mail addresses, Iraqi phone
numbers (Latin or Arabic-Indic digits), national card numbers, GPS
coordinates and the names given with --person are replaced by pseudonyms
([PERSON-1], [PHONE-1], …; the same value gets the same pseudonym). No
server is contacted. FILE "-" reads standard input.

It prints the redacted text, then a summary of the findings on stderr.
With --json it prints exactly {"text","findings":[{"kind","start","end"}]}:
start and end are byte offsets into the INPUT; values are never printed.`,
		Example: `  amana redact transcript.txt --person "Layla Haddad" --person "Abu Omar"
  amana redact - --json < summary.txt | jq '.findings | length'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var b []byte
			var err error
			if args[0] == "-" {
				b, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), maxRedactFile+1))
				if err == nil && len(b) > maxRedactFile {
					err = fmt.Errorf("input is larger than %d bytes", maxRedactFile)
				}
			} else {
				b, err = readSmallFile(args[0], maxRedactFile)
			}
			if err != nil {
				return err
			}
			if !utf8.Valid(b) {
				return fmt.Errorf("%s is not UTF-8 text", args[0])
			}
			text, findings := redact.New(persons).Redact(string(b))
			if findings == nil {
				findings = []redact.Finding{}
			}
			if asJSON {
				return printJSON(cmd, struct {
					Text     string           `json:"text"`
					Findings []redact.Finding `json:"findings"`
				}{text, findings})
			}
			w := cmd.OutOrStdout()
			io.WriteString(w, text)
			if len(text) > 0 && text[len(text)-1] != '\n' {
				fmt.Fprintln(w)
			}
			summarizeFindings(cmd.ErrOrStderr(), findings)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&persons, "person", nil, "a person's name to redact (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"text","findings":[{"kind","start","end"}]} as JSON`)
	return cmd
}

// summarizeFindings counts findings by kind, with their input offsets.
func summarizeFindings(w io.Writer, fs []redact.Finding) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "No personal data found.")
		return
	}
	fmt.Fprintf(w, "%d finding(s):\n", len(fs))
	for _, f := range fs {
		fmt.Fprintf(w, "  %-12s bytes %d-%d\n", f.Kind, f.Start, f.End)
	}
}
