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

// Enforced reports whether Check refuses a finding of the kind: every kind
// but KindName. Names nobody listed are found by a heuristic whose errors
// the depositor corrects (Redactor.Keep), and that decision travels
// encrypted; the server cannot see it, so it leaves names to the client
// rather than refuse a deposit whose depositor kept a name on purpose.
func Enforced(kind string) bool {
	return kind != KindName
}

// Check is the server's guard over public metadata: it returns nil when no
// field contains personal data, or a *GuardError for the first finding (fields
// in name order). It enforces the kinds for which Enforced is true: names
// nobody listed are the client's decision. Text produced by Redact with the same persons passes; the
// pseudonyms themselves ("[PERSON-1]") are not findings.
func Check(fields map[string]string, persons []string) error {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	r := New(persons)
	for _, name := range names {
		for _, f := range r.Find(fields[name]) {
			if Enforced(f.Kind) {
				return &GuardError{Field: name, Kind: f.Kind, Start: f.Start, End: f.End}
			}
		}
	}
	return nil
}
