package vault_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/amana-vault/amana/vault"
)

// decodeStrict decodes one JSON value the way the server decodes a deposit's
// meta part: unknown fields refused.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// checkInvalid asserts that a validation error is typed, names its field
// and stays short: it must never echo the (possibly personal) input.
func checkInvalid(t *testing.T, err error) {
	t.Helper()
	var inv *vault.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("untyped validation error %T: %v", err, err)
	}
	if inv.Field == "" || inv.Reason == "" {
		t.Fatalf("InvalidError without field or reason: %+v", inv)
	}
	if len(err.Error()) > 200 {
		t.Fatalf("validation error longer than 200 bytes (echoes input?): %q", err.Error())
	}
}

func noControl(s string, multiline bool) bool {
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t' || r == '\r') {
			continue
		}
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func samePublic(a, b vault.PublicMeta) bool {
	return a.Title == b.Title && a.Summary == b.Summary && a.TranscriptRedacted == b.TranscriptRedacted &&
		a.Language == b.Language && a.Governorate == b.Governorate && a.IncidentDate == b.IncidentDate &&
		slices.Equal(a.Tags, b.Tags) // nil and empty tags are the same
}

func cloneMeta(m vault.PublicMeta) vault.PublicMeta {
	m.Tags = slices.Clone(m.Tags)
	return m
}

var validLanguages = []string{"ar", "ckb", "kmr", "en"}

// FuzzPublicMetaJSON decodes public metadata as the server does and
// validates it. Accepted metadata is normalised (trimmed title, canonical
// governorate, sorted unique lowercase tags), within every limit,
// unchanged by a second Validate and by a JSON round trip. Refused

var publicMetaSeeds = []string{
	`{"title":"Testimony on checkpoint detentions","summary":"Fictional record.","language":"en","governorate":"Kirkuk","incident_date":"2017-06","tags":["detention","checkpoint"]}`,
	`{"title":"شهادة عن الاحتجاز","language":"ar","governorate":"nineveh","incident_date":"2014","tags":["Detention"," detention ","احتجاز"]}`,
	`{"title":"  Çîroka koçberiyê  ","language":"kmr","transcript_redacted":"[PERSON-1] got:\n\tline two","governorate":" Duhok "}`,
	`{"title":"گەواهی","language":"ckb","governorate":"Sulaymaniyah","incident_date":"2019-12"}`,
	`{"title":"","language":"en"}`,
	`{"title":"x","language":"fr"}`,
	`{"title":"x","language":"en","governorate":"Atlantis"}`,
	`{"title":"x","language":"en","incident_date":"2017-13"}`,
	`{"title":"x","language":"en","incident_date":"1899"}`,
	`{"title":"x","language":"en","tags":[""]}`,
	`{"title":"x","language":"en","tags":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","u","v","w","x","y","z","aa","bb","cc","dd","ee","ff","gg"]}`,
	`{"title":"bell\u0007","language":"en"}`,
	`{"title":"x","language":"en","summary":"nul\u0000"}`,
	`{"title":"x","language":"en","unknown":1}`,
	`{"title":"x","language":"en","tags":"detention"}`,
	`{"title":"\ud800","language":"en"}`,
	`{"title":"İSTANBUL","language":"en","tags":["İ","K"]}`,
	`null`,
	`[]`,
	`{"title":"x","language":"en"} trailing`,
}

// metadata fails with a short *vault.InvalidError.
func FuzzPublicMetaJSON(f *testing.F) {
	for _, s := range publicMetaSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m vault.PublicMeta
		if err := decodeStrict(b, &m); err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			checkInvalid(t, err)
			return
		}
		if m.Title == "" || m.Title != strings.TrimSpace(m.Title) || len(m.Title) > vault.MaxTitle || !utf8.ValidString(m.Title) || !noControl(m.Title, false) {
			t.Fatalf("accepted title %q", m.Title)
		}
		if len(m.Summary) > vault.MaxSummary || !utf8.ValidString(m.Summary) || !noControl(m.Summary, true) {
			t.Fatalf("accepted summary %q", m.Summary)
		}
		if len(m.TranscriptRedacted) > vault.MaxTranscript || !utf8.ValidString(m.TranscriptRedacted) || !noControl(m.TranscriptRedacted, true) {
			t.Fatal("accepted a transcript over the limit or with control characters")
		}
		if !slices.Contains(validLanguages, m.Language) {
			t.Fatalf("accepted language %q", m.Language)
		}
		if m.Governorate != "" && !slices.Contains(vault.Governorates, m.Governorate) {
			t.Fatalf("governorate %q is not canonical", m.Governorate)
		}
		if d := m.IncidentDate; d != "" {
			if _, err := time.Parse("2006-01", d); err != nil {
				if _, err := time.Parse("2006", d); err != nil {
					t.Fatalf("accepted incident_date %q", d)
				}
			}
		}
		if len(m.Tags) > vault.MaxTags || !slices.IsSorted(m.Tags) || len(slices.Compact(slices.Clone(m.Tags))) != len(m.Tags) {
			t.Fatalf("tags not sorted, unique and bounded: %q", m.Tags)
		}
		for _, tag := range m.Tags {
			if tag == "" || tag != strings.TrimSpace(tag) || tag != strings.ToLower(tag) || len(tag) > vault.MaxTag || !noControl(tag, false) {
				t.Fatalf("accepted tag %q", tag)
			}
		}
		again := cloneMeta(m)
		if err := again.Validate(); err != nil || !samePublic(again, m) {
			t.Fatalf("Validate is not idempotent: %v\n%+v\n%+v", err, m, again)
		}
		enc, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back vault.PublicMeta
		if err := decodeStrict(enc, &back); err != nil {
			t.Fatalf("accepted metadata does not decode again: %v\n%s", err, enc)
		}
		if err := back.Validate(); err != nil || !samePublic(back, m) {
			t.Fatalf("JSON round trip changed accepted metadata: %v\n%+v\n%+v", err, m, back)
		}
	})
}

// FuzzConsentJSON decodes a consent record as the server does and
// validates it. Accepted consent has sorted, unique, known scopes, a real
// calendar date and a valid recorder id, and is stable under Validate and

var consentSeeds = []string{
	`{"scopes":["research","legal_proceedings"],"recorded_at":"2018-03-02","recorded_by":"r.hassan"}`,
	`{"scopes":["advocacy","research","advocacy"],"recorded_at":"2020-02-29","recorded_by":"a.karim"}`,
	`{"scopes":["public_anonymised"],"recorded_at":"2019-12-31","recorded_by":"x"}`,
	`{"scopes":[],"recorded_at":"2018-03-02","recorded_by":"r.hassan"}`,
	`{"scopes":["marketing"],"recorded_at":"2018-03-02","recorded_by":"r.hassan"}`,
	`{"scopes":["research"],"recorded_at":"2021-02-30","recorded_by":"r.hassan"}`,
	`{"scopes":["research"],"recorded_at":"2018-3-2","recorded_by":"r.hassan"}`,
	`{"scopes":["research"],"recorded_at":"2018-03-02","recorded_by":"R.Hassan"}`,
	`{"scopes":["research"],"recorded_at":"2018-03-02","recorded_by":""}`,
	`{"scopes":["research"],"recorded_at":"2018-03-02T00:00:00Z","recorded_by":"r"}`,
	`{"scopes":null}`,
	`{"scopes":"research"}`,
}

// a JSON round trip.
func FuzzConsentJSON(f *testing.F) {
	for _, s := range consentSeeds {
		f.Add([]byte(s))
	}
	allScopes := []string{vault.ScopeResearch, vault.ScopeAdvocacy, vault.ScopeLegalProceedings, vault.ScopePublicAnonymised}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c vault.Consent
		if err := decodeStrict(b, &c); err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			checkInvalid(t, err)
			return
		}
		if len(c.Scopes) == 0 || !slices.IsSorted(c.Scopes) || len(slices.Compact(slices.Clone(c.Scopes))) != len(c.Scopes) {
			t.Fatalf("scopes not sorted, unique and non-empty: %q", c.Scopes)
		}
		for _, s := range c.Scopes {
			if !slices.Contains(allScopes, s) {
				t.Fatalf("accepted scope %q", s)
			}
			if !c.Covers(s) {
				t.Fatalf("Covers(%q) is false for an accepted scope", s)
			}
		}
		d, err := time.Parse("2006-01-02", c.RecordedAt)
		if err != nil || d.Format("2006-01-02") != c.RecordedAt {
			t.Fatalf("accepted recorded_at %q", c.RecordedAt)
		}
		if !vault.ValidID(c.RecordedBy) {
			t.Fatalf("accepted recorded_by %q", c.RecordedBy)
		}
		again := c
		again.Scopes = slices.Clone(c.Scopes)
		if err := again.Validate(); err != nil || !slices.Equal(again.Scopes, c.Scopes) || again.RecordedAt != c.RecordedAt || again.RecordedBy != c.RecordedBy {
			t.Fatalf("Validate is not idempotent: %v", err)
		}
		enc, _ := json.Marshal(c)
		var back vault.Consent
		if err := decodeStrict(enc, &back); err != nil {
			t.Fatal(err)
		}
		if err := back.Validate(); err != nil || !slices.Equal(back.Scopes, c.Scopes) || back.RecordedAt != c.RecordedAt || back.RecordedBy != c.RecordedBy {
			t.Fatalf("JSON round trip changed accepted consent: %v", err)
		}
	})
}
