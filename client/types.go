package client

import (
	"encoding/json"
	"time"
)

// The wire types mirror the server's JSON. They are declared here, not
// imported, so that the client (and the browser build of it) does not pull
// in the server's storage.

// User is an account as the API shows it.
type User struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Recipient  string    `json:"recipient"`
	SigningKey string    `json:"signing_key,omitempty"` // "" until an admin registers one
	State      string    `json:"state"`
	CreatedAt  time.Time `json:"created_at"`
}

// Collection is a case file or study.
type Collection struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Members    []string  `json:"members"`
	Custodians []string  `json:"custodians"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
}

// PublicMeta is the redacted, searchable metadata of a document.
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

// Document is a document's record: public metadata, consent and custody.
type Document struct {
	ID           string     `json:"id"`
	Collection   string     `json:"collection"`
	Kind         string     `json:"kind"`
	Depositor    string     `json:"depositor"`
	DepositedAt  time.Time  `json:"deposited_at"`
	Size         int64      `json:"size"`
	CipherSHA256 string     `json:"cipher_sha256"`
	Public       PublicMeta `json:"public"`
	Consent      Consent    `json:"consent"`
	SlotHolders  []string   `json:"slot_holders"`
	State        string     `json:"state"`
	Generation   int        `json:"generation"`
	// The deposit's signed manifest (manifest.Manifest.Bytes), its SSH
	// signature, and the public metadata exactly as the depositor sent it
	// (the manifest holds its SHA-256).
	Manifest     string          `json:"manifest,omitempty"`
	ManifestSig  string          `json:"manifest_sig,omitempty"`
	PublicSigned json.RawMessage `json:"public_signed,omitempty"`
}

// SearchHit is one search result.
type SearchHit struct {
	ID           string   `json:"id"`
	Collection   string   `json:"collection"`
	Kind         string   `json:"kind"`
	Language     string   `json:"language"`
	Governorate  string   `json:"governorate,omitempty"`
	IncidentDate string   `json:"incident_date,omitempty"`
	Title        string   `json:"title"`
	Tags         []string `json:"tags,omitempty"`
	// Match says how the hit matched the words of the query: the
	// language of the fields that matched, and "words" (as typed) or
	// "thesaurus" (only through a term of another language or a synonym).
	Match      *SearchMatch        `json:"match,omitempty"`
	Highlights map[string][]string `json:"highlights,omitempty"`
	// CanOpen: the caller holds a key slot for the document and may
	// fetch it.
	CanOpen bool `json:"can_open,omitempty"`
}

// SearchMatch is how a hit matched the query's words.
type SearchMatch struct {
	Language string `json:"language"`
	Via      string `json:"via"`
}

// SearchConcept is a thesaurus concept a query was expanded with.
type SearchConcept struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// FacetCount is the number of hits with one value of a facet.
type FacetCount struct {
	Term  string `json:"term"`
	Label string `json:"label,omitempty"` // in SearchParams.Labels' language
	Count int    `json:"count"`
}

// SearchResult is one page of search results.
type SearchResult struct {
	Total  uint64                  `json:"total"`
	From   int                     `json:"from"`
	Size   int                     `json:"size"`
	Hits   []SearchHit             `json:"hits"`
	Facets map[string][]FacetCount `json:"facets"`
	// Concepts are the thesaurus concepts whose terms, in every language,
	// the query also searched.
	Concepts []SearchConcept `json:"concepts,omitempty"`
	// TookMS is the time the server's index took, from the answer's
	// Server-Timing header; not part of the JSON answer.
	TookMS float64 `json:"-"`
}
