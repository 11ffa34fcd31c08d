package redact

import (
	"fmt"
	"sort"
)

// GuardError reports personal data found by Check: which field, what kind and
// where (byte offsets into the field's value). It never holds the value.
type GuardError struct {
	Field, Kind string
	Start, End  int
}

func (e *GuardError) Error() string {
	return fmt.Sprintf("redact: field %q contains personal data (%s) at bytes %d-%d", e.Field, e.Kind, e.Start, e.End)
}

// Check is the server's guard over public metadata: it returns nil when no
// field contains personal data, or a *GuardError for the first finding (fields
// in name order). Text produced by Redact with the same persons passes; the
// pseudonyms themselves ("[PERSON-1]") are not findings.
func Check(fields map[string]string, persons []string) error {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	r := New(persons)
	for _, name := range names {
		if fs := r.Find(fields[name]); len(fs) > 0 {
			return &GuardError{Field: name, Kind: fs[0].Kind, Start: fs[0].Start, End: fs[0].End}
		}
	}
	return nil
}
