package main

import (
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
)

// facetFields are the fields search can count and filter on.
var facetFields = []string{"collection", "kind", "language", "governorate", "tags", "year"}

// labelLangs are the languages the server has facet labels in.
var labelLangs = []string{"en", "ar", "ckb"}

func newSearchCmd() *cobra.Command {
	var (
		r                  remote
		facets, filters    []string
		from, size         int
		incFrom, incTo     string
		sortBy, labels     string
		asJSON, highlights bool
		literal            bool
	)
	cmd := &cobra.Command{
		Use:   "search QUERY [--facet FIELD ...] [--from N --size N] [--filter field=value ...]",
		Short: "Search the redacted metadata of your collections",
		Long: `Search the redacted public metadata (title, summary, redacted transcript,
tags) of the collections you belong to. QUERY uses the query string syntax:
words, "exact phrases", +required -excluded, field:value (e.g.
language:ar), lang:ar (only documents in Arabic). Arabic matches across
hamza and alef forms, ta marbuta and diacritics. Words that name a concept
of the thesaurus (testimony, detention, missing person, …) also find
documents in the other languages (English, Arabic, Sorani, Kurmanji);
--literal searches only the words typed. Facets count hits by collection, kind, language, governorate,
tags or year; --filter narrows to a value of one of those fields (repeat
for several; case and diacritics are ignored, and an unknown field or
kind, language, governorate or collection is refused by name);
--incident-from and --incident-to bound the incident date
(YYYY or YYYY-MM). An empty QUERY matches everything.

Facet values are shown with their labels in the language of --labels (en,
ar, ckb): governorates, kinds, languages and known tags.

With --json it prints {"total","from","size","hits":[{"id",…}],
"facets":{"kind":[{"term","label","count"}],…}}.`,
		Example: `  amana search 'checkpoint detention' --facet governorate --facet year
  amana search 'اعتقال' --filter language=ar --incident-from 2016 --incident-to 2018
  amana search '"mass grave"' --filter kind=testimony --from 20 --size 20 --json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p := client.SearchParams{
				Query: strings.Join(args, " "), From: from, Size: size,
				IncidentFrom: incFrom, IncidentTo: incTo, Sort: sortBy, Highlight: highlights,
				Filters: map[string][]string{},
			}
			for _, f := range facets {
				for _, name := range strings.Split(f, ",") {
					if name = strings.TrimSpace(name); name != "" {
						p.Facets = append(p.Facets, name)
					}
				}
			}
			for _, f := range filters {
				field, value, ok := strings.Cut(f, "=")
				if !ok || field == "" || value == "" {
					return usageError("--filter takes field=value, e.g. language=ar")
				}
				if !slices.Contains(facetFields, field) {
					return usageError("--filter %s: unknown field %q; fields: %s", f, field, strings.Join(facetFields, ", "))
				}
				p.Filters[field] = append(p.Filters[field], value)
			}
			for _, name := range p.Facets {
				if !slices.Contains(facetFields, name) {
					return usageError("--facet %s: unknown facet; facets: %s", name, strings.Join(facetFields, ", "))
				}
			}
			if labels != "" && !slices.Contains(labelLangs, labels) {
				return usageError("--labels %s: want one of %s", labels, strings.Join(labelLangs, ", "))
			}
			p.Labels = labels
			p.Literal = literal
			if from < 0 || size < 0 {
				return usageError("--from and --size must not be negative")
			}
			k, err := r.connect()
			if err != nil {
				return err
			}
			res, err := k.c.Search(cmd.Context(), p)
			if err := k.done(err); err != nil {
				return err
			}
			if res.Hits == nil {
				res.Hits = []client.SearchHit{}
			}
			if res.Facets == nil {
				res.Facets = map[string][]client.FacetCount{}
			}
			if asJSON {
				return printJSON(cmd, res)
			}
			printSearch(cmd.OutOrStdout(), res, p.Facets)
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	cmd.Flags().StringArrayVar(&facets, "facet", nil, "count hits by this field: "+strings.Join(facetFields, ", ")+" (repeatable)")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "only hits with field=value (repeatable)")
	cmd.Flags().IntVar(&from, "from", 0, "skip this many hits (paging)")
	cmd.Flags().IntVar(&size, "size", 0, "hits per page (default: the server's, 20)")
	cmd.Flags().StringVar(&incFrom, "incident-from", "", "incident date from (YYYY or YYYY-MM)")
	cmd.Flags().StringVar(&incTo, "incident-to", "", "incident date to (YYYY or YYYY-MM)")
	cmd.Flags().StringVar(&sortBy, "sort", "", "sort by incident, -incident, deposited or -deposited (default: relevance)")
	cmd.Flags().BoolVar(&highlights, "highlight", false, "show matching fragments")
	cmd.Flags().BoolVar(&literal, "literal", false, "search only the words typed (no thesaurus across languages, no phrase ranking)")
	cmd.Flags().StringVar(&labels, "labels", "", "language of facet labels: en, ar or ckb (default: the server's, en)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.RegisterFlagCompletionFunc("facet", fixedCompletion(facetFields...))
	return cmd
}

func printSearch(w io.Writer, res *client.SearchResult, facets []string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tLANG\tGOVERNORATE\tDATE\tTITLE")
	for _, h := range res.Hits {
		lang := h.Language
		if h.Match != nil && h.Match.Via == "thesaurus" {
			lang += "*" // matched through the thesaurus only
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Kind, lang, h.Governorate, h.IncidentDate, oneLine(h.Title))
		for field, frags := range h.Highlights {
			for _, f := range frags {
				fmt.Fprintf(tw, "\t\t\t\t\t  %s: %s\n", field, oneLine(plainFragment(f)))
			}
		}
	}
	tw.Flush()
	if len(res.Concepts) > 0 {
		names := make([]string, len(res.Concepts))
		for i, c := range res.Concepts {
			names[i] = c.Label
		}
		fmt.Fprintf(w, "Also searched in every language: %s (LANG* = matched through these only; --literal to turn off).\n", strings.Join(names, ", "))
	}
	switch {
	case res.Total == 0:
		fmt.Fprintln(w, "No results.")
	case len(res.Hits) == 0:
		fmt.Fprintf(w, "%d results; none on this page (from %d).\n", res.Total, res.From)
	default:
		fmt.Fprintf(w, "%d results; showing %d–%d.\n", res.Total, res.From+1, res.From+len(res.Hits))
	}
	for _, name := range facets {
		counts := res.Facets[name]
		if len(counts) == 0 {
			continue
		}
		parts := make([]string, len(counts))
		for i, c := range counts {
			if c.Label != "" && c.Label != c.Term {
				parts[i] = fmt.Sprintf("%s [%s] (%d)", c.Label, c.Term, c.Count)
			} else {
				parts[i] = fmt.Sprintf("%s (%d)", c.Term, c.Count)
			}
		}
		fmt.Fprintf(w, "%s: %s\n", name, strings.Join(parts, ", "))
	}
}

// plainFragment turns a highlighted fragment (HTML-escaped, matches in
// <mark>) into terminal text with matches between asterisks.
func plainFragment(f string) string {
	return html.UnescapeString(strings.NewReplacer("<mark>", "*", "</mark>", "*").Replace(f))
}
