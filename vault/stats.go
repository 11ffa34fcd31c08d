package vault

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/vault/audit"
)

// SmallCell is the count below which statistics are suppressed: a cell of
// fewer documents could single out a survivor.
const SmallCell = 5

// StatsDimensions are what statistics may be grouped by.
var StatsDimensions = []string{"governorate", "year", "kind"}

// StatsCell is one group of a statistics table. Count is the number of
// documents, or "<5" when it is below SmallCell.
type StatsCell struct {
	Key   map[string]string `json:"key"`
	Count string            `json:"count"`
}

// Stats counts the active documents of the caller's collections whose
// consent includes advocacy, grouped by the given dimensions, with small
// cells suppressed. The total is suppressed the same way.
func (v *Vault) Stats(c Caller, by []string) (cells []StatsCell, total string, err error) {
	for _, d := range by {
		if !slices.Contains(StatsDimensions, d) {
			return nil, "", invalid("by", "must be among %s", strings.Join(StatsDimensions, ", "))
		}
	}
	by = slices.Compact(slices.Clone(by))
	err = v.update(c, "stats", func(tx *bbolt.Tx, ev *audit.Event) error {
		cells = cells[:0]
		u, err := v.activeUser(tx, c.User)
		if err != nil {
			return err
		}
		shows, err := listFilter(u, ev.Action)
		if err != nil {
			return err
		}
		ev.Detail = map[string]string{"by": strings.Join(by, ",")}
		counts := map[string]int{}
		keys := map[string]map[string]string{}
		n := 0
		cols := map[string]bool{}
		err = tx.Bucket(bucketDocs).ForEach(func(k, _ []byte) error {
			d, err := v.getDoc(tx, string(k))
			if err != nil {
				return err
			}
			if d.State != DocActive || !d.Consent.Covers(ScopeAdvocacy) {
				return nil
			}
			shown, seen := cols[d.Collection]
			if !seen {
				col, err := getCollection(tx, d.Collection)
				shown = err == nil && shows(col)
				cols[d.Collection] = shown
			}
			if !shown {
				return nil
			}
			n++
			key := map[string]string{}
			var parts []string
			for _, dim := range by {
				val := ""
				switch dim {
				case "governorate":
					val = d.Public.Governorate
				case "year":
					if len(d.Public.IncidentDate) >= 4 {
						val = d.Public.IncidentDate[:4]
					}
				case "kind":
					val = d.Kind
				}
				if val == "" {
					val = "unknown"
				}
				key[dim] = val
				parts = append(parts, val)
			}
			id := strings.Join(parts, "\x00")
			counts[id]++
			keys[id] = key
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range slices.Sorted(maps.Keys(counts)) {
			cells = append(cells, StatsCell{Key: keys[id], Count: suppress(counts[id])})
		}
		total = suppress(n)
		return nil
	})
	return cells, total, err
}

func suppress(n int) string {
	if n < SmallCell {
		return fmt.Sprintf("<%d", SmallCell)
	}
	return fmt.Sprint(n)
}
