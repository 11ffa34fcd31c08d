package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newStatsCmd() *cobra.Command {
	var (
		r      remote
		by     []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "stats [--by governorate,year,kind]",
		Short: "Advocacy statistics, small cells suppressed",
		Long: `Count the documents of your collections whose consent includes advocacy,
grouped by governorate, incident year and/or kind.

Statistics use complementary suppression, decided on the server: every count
below 5 is shown as "suppressed", and so are enough other counts (some of
them may be empty) that no suppressed count can be worked out from the
published ones, by subtracting from a total, a row or a column, or by
putting together the tables of every combination of --by. A suppressed
count says nothing about its size. Counts are not rounded: every number
shown is exact.`,
		Example: `  amana stats --by governorate,year
  amana stats --by kind --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			var dims []string
			for _, b := range by {
				for _, d := range strings.Split(b, ",") {
					if d = strings.TrimSpace(d); d != "" {
						dims = append(dims, d)
					}
				}
			}
			st, err := k.c.Stats(cmd.Context(), dims)
			if err := k.done(err); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, st)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, strings.ToUpper(strings.Join(append(append([]string{}, st.By...), "documents"), "\t")))
			for _, c := range st.Cells {
				var row []string
				for _, d := range st.By {
					row = append(row, c.Key[d])
				}
				fmt.Fprintln(tw, strings.Join(append(row, c.Count), "\t"))
			}
			tw.Flush()
			fmt.Fprintf(cmd.OutOrStdout(), "Total with advocacy consent: %s (counts below %d, and enough others to protect them, suppressed)\n", st.Total, st.SmallCell)
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	cmd.Flags().StringSliceVar(&by, "by", []string{"governorate"}, "dimensions: governorate, year, kind (comma-separated)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
