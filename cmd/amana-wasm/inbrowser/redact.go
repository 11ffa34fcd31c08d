package inbrowser

import "github.com/amana-vault/amana/redact"

// Removal is one piece of personal data the preview removed from a field,
// with the reason it was found. Text is the value itself, for names nobody
// listed only: the depositor reviews them and may keep one (it stays in
// the browser; the other kinds are shown by kind alone).
type Removal struct {
	Field  string `json:"field"`
	Kind   string `json:"kind"`
	Reason string `json:"reason,omitempty"`
	Text   string `json:"text,omitempty"`
}

// RedactPreview redacts the public fields of a deposit exactly as 'amana
// deposit' does: one Redactor per document, seeded with its persons and
// the names the depositor keeps, so a pseudonym means the same person in
// every field. Field names are kept; the order of fields follows names,
// for stable pseudonyms.
func RedactPreview(persons, keep, names []string, fields map[string]string) (map[string]string, []Removal) {
	r := redact.New(persons)
	r.Keep(keep...)
	out := map[string]string{}
	removed := []Removal{}
	for _, name := range names {
		s, ok := fields[name]
		if !ok {
			continue
		}
		clean, fs := r.Redact(s)
		for _, f := range fs {
			rm := Removal{Field: name, Kind: f.Kind, Reason: f.Reason}
			if f.Kind == redact.KindName {
				rm.Text = s[f.Start:f.End]
			}
			removed = append(removed, rm)
		}
		out[name] = clean
	}
	return out, removed
}
