package vault

import (
	"errors"
	"testing"
)

func TestStatsSuppressSmallCells(t *testing.T) {
	f := newFixture(t)
	dep := func(gov, date string, scopes ...string) {
		req := sampleMeta()
		req.Public.Governorate, req.Public.IncidentDate = gov, date
		req.Consent.Scopes = scopes
		f.deposit(t, f.r1, req, []byte("x"), nil)
	}
	for i := 0; i < 7; i++ {
		dep("Kirkuk", "2017-06", ScopeAdvocacy, ScopeResearch)
	}
	for i := 0; i < 2; i++ {
		dep("Nineveh", "2016", ScopeAdvocacy)
	}
	for i := 0; i < 6; i++ {
		dep("Duhok", "2016", ScopeResearch) // no advocacy consent: never counted
	}
	cells, total, err := f.v.Stats(f.lawyer.caller(), []string{"governorate", "year"})
	if err != nil {
		t.Fatal(err)
	}
	if total != "9" {
		t.Errorf("total %s, want 9", total)
	}
	got := map[string]string{}
	for _, c := range cells {
		got[c.Key["governorate"]+"/"+c.Key["year"]] = c.Count
	}
	want := map[string]string{"Kirkuk/2017": "7", "Nineveh/2016": "<5"}
	if len(got) != len(want) || got["Kirkuk/2017"] != "7" || got["Nineveh/2016"] != "<5" {
		t.Fatalf("cells %v, want %v", got, want)
	}
	// An outsider's collections hold nothing: the total is suppressed too.
	_, total, err = f.v.Stats(f.r3.caller(), []string{"kind"})
	if err != nil || total != "<5" {
		t.Fatalf("outsider: %s, %v", total, err)
	}
	if _, _, err := f.v.Stats(f.audit.caller(), nil); !errors.Is(err, ErrForbidden) {
		t.Errorf("auditor stats: %v", err)
	}
	if _, _, err := f.v.Stats(f.r1.caller(), []string{"persons"}); !isInvalidErr(err) {
		t.Errorf("bad dimension: %v", err)
	}
}
