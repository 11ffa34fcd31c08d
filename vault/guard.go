package vault

import (
	"errors"

	"github.com/amana-vault/amana/redact"
)

// guard refuses public metadata in which the redaction guard still finds
// personal data.
func (v *Vault) guard(m *PublicMeta) error {
	return CheckPublic(m)
}

// CheckPublic is the guard the deposit applies to public metadata (HTTP
// 422): it returns a *RedactionError naming the first field and kind in
// which redact.Check finds personal data, or nil. The server cannot see the
// names a depositor listed, nor the names the depositor decided to keep
// (both travel encrypted), so it checks what it can find on its own and
// refuses without appeal: e-mail addresses, phone numbers, national card
// numbers and coordinates. Names nobody listed are the client's decision
// (see redact.Enforced).
func CheckPublic(m *PublicMeta) error {
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
