package vault

import (
	"errors"

	"github.com/amana-vault/amana/redact"
)

// guard refuses public metadata in which the redaction guard still finds
// personal data. The server cannot see the names a depositor listed (they
// travel encrypted), so it checks what it can find on its own: e-mail
// addresses, phone numbers, national card numbers and coordinates.
func (v *Vault) guard(m *PublicMeta) error {
	fields := map[string]string{
		"title":               m.Title,
		"summary":             m.Summary,
		"transcript_redacted": m.TranscriptRedacted,
	}
	for _, t := range m.Tags {
		fields["tags"] += t + "\n"
	}
	err := redact.Check(fields, nil)
	var g *redact.GuardError
	if errors.As(err, &g) {
		return &RedactionError{Field: g.Field, Kind: g.Kind}
	}
	return err
}
