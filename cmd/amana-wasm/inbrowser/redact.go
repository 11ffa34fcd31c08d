package inbrowser

import "github.com/amana-vault/amana/redact"

// Removal is one piece of personal data the preview removed from a field.
type Removal struct {
	Field string `json:"field"`
	Kind  string `json:"kind"`
}

// RedactPreview redacts the public fields of a deposit exactly as 'amana
// deposit' does: one Redactor per document, seeded with its persons, so a
// pseudonym means the same person in every field. Field names are kept;
// the order of fields follows names, for stable pseudonyms.
func RedactPreview(persons []string, names []string, fields map[string]string) (map[string]string, []Removal) {
	r := redact.New(persons)
	out := map[string]string{}
	removed := []Removal{}
	for _, name := range names {
		s, ok := fields[name]
		if !ok {
			continue
		}
		clean, fs := r.Redact(s)
		for _, f := range fs {
			removed = append(removed, Removal{Field: name, Kind: f.Kind})
		}
		out[name] = clean
	}
	return out, removed
}
