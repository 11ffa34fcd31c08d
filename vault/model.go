package vault

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Roles.
const (
	RoleAdmin      = "admin"
	RoleResearcher = "researcher"
	RoleLawyer     = "lawyer"
	RoleAuditor    = "auditor"
)

// User states.
const (
	StateActive   = "active"
	StateLocked   = "locked"
	StateDisabled = "disabled"
)

// Document states.
const (
	DocActive   = "active"
	DocShredded = "shredded"
)

// Consent scopes (Murad Code, International Protocol §6.1).
const (
	ScopeResearch         = "research"
	ScopeAdvocacy         = "advocacy"
	ScopeLegalProceedings = "legal_proceedings"
	ScopePublicAnonymised = "public_anonymised"
)

var (
	roles     = []string{RoleAdmin, RoleResearcher, RoleLawyer, RoleAuditor}
	kinds     = []string{"testimony", "interview", "case_study", "report", "media"}
	scopes    = []string{ScopeResearch, ScopeAdvocacy, ScopeLegalProceedings, ScopePublicAnonymised}
	languages = []string{"ar", "ckb", "kmr", "en"}
)

// Governorates lists the canonical governorate names of Iraq (including the
// Kurdistan Region). Public metadata must use one of them, so that facets
// count one place once.
var Governorates = []string{
	"Anbar", "Babil", "Baghdad", "Basra", "Dhi Qar", "Diyala", "Duhok", "Erbil",
	"Halabja", "Karbala", "Kirkuk", "Maysan", "Muthanna", "Najaf", "Nineveh",
	"Qadisiyyah", "Salah al-Din", "Sulaymaniyah", "Wasit",
}

// User is an account. It holds no password: a user proves possession of the
// age identity matching Recipient and of the TOTP device.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Recipient string    `json:"recipient"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`

	// SigningKey is the public key that signs the user's deposit
	// manifests (package sshsig), in authorized_keys format without a
	// comment; empty until an admin registers one. A user without one
	// cannot deposit.
	SigningKey string `json:"signing_key,omitempty"`

	// totp is the TOTP secret sealed under the server key.
	TOTPSealed []byte `json:"totp_sealed,omitempty"`
	// TOTPLastStep is the last TOTP time step accepted (RFC 6238 §5.2).
	TOTPLastStep int64 `json:"totp_last_step,omitempty"`
	// Failures counts consecutive failed logins; LockedUntil delays the next.
	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

// Collection is a case file or study. Members may deposit into it and see
// its public metadata; custodians receive a key slot for every deposit
// whose consent covers their role.
type Collection struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Members    []string  `json:"members"`
	Custodians []string  `json:"custodians"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
}

// HasMember reports whether id is a member or custodian of c.
func (c *Collection) HasMember(id string) bool {
	return slices.Contains(c.Members, id) || slices.Contains(c.Custodians, id)
}

// PublicMeta is the only metadata the server can read. It must already be
// redacted by the client; the server refuses it when the guard still finds
// personal data.
type PublicMeta struct {
	Title              string   `json:"title"`
	Summary            string   `json:"summary,omitempty"`
	TranscriptRedacted string   `json:"transcript_redacted,omitempty"`
	Language           string   `json:"language"`
	Governorate        string   `json:"governorate,omitempty"`
	IncidentDate       string   `json:"incident_date,omitempty"`
	Tags               []string `json:"tags,omitempty"`
}

// Consent records what the survivor agreed to.
type Consent struct {
	Scopes     []string `json:"scopes"`
	RecordedAt string   `json:"recorded_at"`
	RecordedBy string   `json:"recorded_by"`
}

// Covers reports whether the consent includes scope.
func (c Consent) Covers(scope string) bool { return slices.Contains(c.Scopes, scope) }

// Document is a deposit's record. Content, private metadata and key slots
// are stored beside it; only their hashes and sizes are in the record.
type Document struct {
	ID           string     `json:"id"`
	Collection   string     `json:"collection"`
	Kind         string     `json:"kind"`
	Depositor    string     `json:"depositor"`
	DepositedAt  time.Time  `json:"deposited_at"`
	Size         int64      `json:"size"`          // ciphertext bytes
	CipherSHA256 string     `json:"cipher_sha256"` // hex
	Public       PublicMeta `json:"public"`
	Consent      Consent    `json:"consent"`
	SlotHolders  []string   `json:"slot_holders"`
	State        string     `json:"state"`
	ShreddedAt   time.Time  `json:"shredded_at,omitzero"`
	Generation   int        `json:"generation"` // bumped by every rekey
	// The deposit's signed manifest (package manifest), the depositor's SSH
	// signature of it, and the public metadata exactly as signed; kept
	// through every rekey.
	Manifest     string          `json:"manifest,omitempty"`
	ManifestSig  string          `json:"manifest_sig,omitempty"`
	PublicSigned json.RawMessage `json:"public_signed,omitempty"`
}

// HoldsSlot reports whether user holds a key slot for d.
func (d *Document) HoldsSlot(user string) bool { return slices.Contains(d.SlotHolders, user) }

// Limits on metadata, so that a hostile client cannot grow the vault or the
// index without bound through small requests.
const (
	MaxTitle      = 300
	MaxSummary    = 4000
	MaxTranscript = 1 << 20
	MaxTags       = 32
	MaxTag        = 64
	MaxName       = 200
	MaxPrivate    = 1 << 20 // encrypted private metadata
	MaxSlot       = 16 << 10
	MaxMembers    = 1000
)

var (
	idRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	dateRE = regexp.MustCompile(`^(19|20|21)\d\d(-(0[1-9]|1[0-2]))?$`)
	dayRE  = regexp.MustCompile(`^(19|20|21)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$`)
)

// ValidID reports whether s is a valid user or collection id: a lowercase
// slug of 1 to 63 characters.
func ValidID(s string) bool { return idRE.MatchString(s) }

func checkID(field, s string) error {
	if !ValidID(s) {
		return invalid(field, "must be a lowercase slug (a-z, 0-9, '.', '_', '-'; 1-63 characters)")
	}
	return nil
}

// checkText validates free text: valid UTF-8, no control characters other
// than newlines and tabs when multiline, at most max bytes.
func checkText(field, s string, max int, required, multiline bool) error {
	if required && strings.TrimSpace(s) == "" {
		return invalid(field, "is required")
	}
	if len(s) > max {
		return invalid(field, "longer than %d bytes", max)
	}
	if !utf8.ValidString(s) {
		return invalid(field, "is not valid UTF-8")
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t' || r == '\r') {
			continue
		}
		if unicode.IsControl(r) {
			return invalid(field, "contains control characters")
		}
	}
	return nil
}

// canonicalGovernorate returns the canonical spelling of g, matched
// case-insensitively.
func canonicalGovernorate(g string) (string, bool) {
	for _, c := range Governorates {
		if strings.EqualFold(c, strings.TrimSpace(g)) {
			return c, true
		}
	}
	return "", false
}

// Validate checks the public metadata and normalises it in place.
func (m *PublicMeta) Validate() error {
	m.Title = strings.TrimSpace(m.Title)
	if err := checkText("title", m.Title, MaxTitle, true, false); err != nil {
		return err
	}
	if err := checkText("summary", m.Summary, MaxSummary, false, true); err != nil {
		return err
	}
	if err := checkText("transcript_redacted", m.TranscriptRedacted, MaxTranscript, false, true); err != nil {
		return err
	}
	if !slices.Contains(languages, m.Language) {
		return invalid("language", "must be one of %s", strings.Join(languages, ", "))
	}
	if m.Governorate != "" {
		g, ok := canonicalGovernorate(m.Governorate)
		if !ok {
			return invalid("governorate", "unknown governorate")
		}
		m.Governorate = g
	}
	if m.IncidentDate != "" && !dateRE.MatchString(m.IncidentDate) {
		return invalid("incident_date", "must be YYYY or YYYY-MM")
	}
	if len(m.Tags) > MaxTags {
		return invalid("tags", "more than %d tags", MaxTags)
	}
	for i, t := range m.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			return invalid("tags", "empty tag")
		}
		if err := checkText("tags", t, MaxTag, true, false); err != nil {
			return err
		}
		m.Tags[i] = t
	}
	slices.Sort(m.Tags)
	m.Tags = slices.Compact(m.Tags)
	return nil
}

// Validate checks the consent record.
func (c *Consent) Validate() error {
	if len(c.Scopes) == 0 {
		return invalid("consent.scopes", "at least one scope is required")
	}
	for _, s := range c.Scopes {
		if !slices.Contains(scopes, s) {
			return invalid("consent.scopes", "unknown scope; use %s", strings.Join(scopes, ", "))
		}
	}
	slices.Sort(c.Scopes)
	c.Scopes = slices.Compact(c.Scopes)
	if !dayRE.MatchString(c.RecordedAt) {
		return invalid("consent.recorded_at", "must be YYYY-MM-DD")
	}
	if _, err := time.Parse("2006-01-02", c.RecordedAt); err != nil {
		return invalid("consent.recorded_at", "not a calendar date")
	}
	return checkID("consent.recorded_by", c.RecordedBy)
}

func validKind(k string) bool { return slices.Contains(kinds, k) }

// Kinds returns the document kinds.
func Kinds() []string { return slices.Clone(kinds) }
