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
		persons, keep []string
		asJSON        bool
	)
	cmd := &cobra.Command{
		Use:   "redact FILE [--person NAME ...] [--keep TEXT ...]",
		Short: "Preview redaction of a text, offline",
		Long: `Show what deposit would publish for a text: e-mail addresses, phone
numbers, national card numbers and GPS coordinates (in any digit script,
through any separators, with written-out or look-alike at-signs and dots),
the names given with --person, and probable names nobody listed (common
given names in English, Arabic, Sorani and Kurmanji, and words after a
title or kinship word: Mrs, Dr, أم, أبو, کاک, خاتوو…) are replaced by
pseudonyms ([PERSON-1], [NAME-1], [PHONE-1], …; the same value gets the
same pseudonym). No server is contacted. FILE "-" reads standard input.

A name nobody listed may be a false alarm or a name that should be
published (an official, say): --keep TEXT keeps the names found with that
text (repeatable). Only such names can be kept, and TEXT must match one.

It prints the redacted text, then each finding with its reason on stderr.
With --json it prints {"text","findings":[{"kind","start","end","reason"}]}:
start and end are byte offsets into the INPUT; reason is "listed",
"given_name" or "title" for person and name findings and absent
otherwise; values are never printed.`,
		Example: `  amana redact transcript.txt --person "Layla Haddad" --person "Abu Omar"
  amana redact summary.txt --keep "Judge Karim Hassan"
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
			r := redact.New(persons)
			if err := checkKeep(keep, persons, string(b)); err != nil {
				return err
			}
			r.Keep(keep...)
			text, findings := r.Redact(string(b))
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
	cmd.Flags().StringArrayVar(&keep, "keep", nil, "publish the names nobody listed found with this text (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"text","findings":[{"kind","start","end","reason"}]} as JSON`)
	return cmd
}

// summarizeFindings lists the findings with their input offsets and reasons.
func summarizeFindings(w io.Writer, fs []redact.Finding) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "No personal data found.")
		return
	}
	fmt.Fprintf(w, "%d finding(s):\n", len(fs))
	for _, f := range fs {
		fmt.Fprintf(w, "  %-12s bytes %d-%d", f.Kind, f.Start, f.End)
		if why := reasons[f.Reason]; why != "" {
			fmt.Fprintf(w, "  (%s)", why)
		}
		fmt.Fprintln(w)
	}
}

var reasons = map[string]string{
	redact.ReasonListed:    "a listed person",
	redact.ReasonGivenName: "a common given name; --keep TEXT to publish it",
	redact.ReasonTitle:     "after a title or kinship word; --keep TEXT to publish it",
}

// checkKeep refuses a --keep that matches no name nobody listed in texts:
// a typo would otherwise be recorded as a decision that decides nothing.
func checkKeep(keep, persons []string, texts ...string) error {
	r := redact.New(persons)
	for _, k := range keep {
		found := false
		for _, t := range texts {
			for _, f := range r.Find(t) {
				found = found || redact.KeepMatches(k, t, f)
			}
		}
		if !found {
			return usageError("--keep %q: no name nobody listed is found with this text", k)
		}
	}
	return nil
}
