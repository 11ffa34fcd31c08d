package vault

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/envelope"
)

func TestDepositRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	content := []byte("fictional content")
	tests := []struct {
		name   string
		by     testUser
		edit   func(*DepositRequest)
		check  func(error) bool
		reason string
	}{
		{"unknown collection", f.r1, func(r *DepositRequest) { r.Collection = "no-such" }, is(ErrNotFound), "not found"},
		{"not a member", f.r3, func(r *DepositRequest) {}, is(ErrNotFound), "not found"},
		{"lawyer deposits", f.lawyer, func(r *DepositRequest) {}, is(ErrForbidden), "forbidden"},
		{"auditor deposits", f.audit, func(r *DepositRequest) {}, is(ErrNotFound), "not found"},
		{"bad kind", f.r1, func(r *DepositRequest) { r.Kind = "rumour" }, isInvalidErr, ""},
		{"no title", f.r1, func(r *DepositRequest) { r.Public.Title = "  " }, isInvalidErr, ""},
		{"oversize title", f.r1, func(r *DepositRequest) { r.Public.Title = strings.Repeat("t", MaxTitle+1) }, isInvalidErr, ""},
		{"oversize transcript", f.r1, func(r *DepositRequest) { r.Public.TranscriptRedacted = strings.Repeat("t", MaxTranscript+1) }, isInvalidErr, ""},
		{"control characters", f.r1, func(r *DepositRequest) { r.Public.Title = "a\x00b" }, isInvalidErr, ""},
		{"invalid UTF-8", f.r1, func(r *DepositRequest) { r.Public.Summary = "\xff\xfe" }, isInvalidErr, ""},
		{"bad language", f.r1, func(r *DepositRequest) { r.Public.Language = "fr" }, isInvalidErr, ""},
		{"bad governorate", f.r1, func(r *DepositRequest) { r.Public.Governorate = "Atlantis" }, isInvalidErr, ""},
		{"bad date", f.r1, func(r *DepositRequest) { r.Public.IncidentDate = "June 2017" }, isInvalidErr, ""},
		{"bad month", f.r1, func(r *DepositRequest) { r.Public.IncidentDate = "2017-13" }, isInvalidErr, ""},
		{"too many tags", f.r1, func(r *DepositRequest) { r.Public.Tags = make([]string, MaxTags+1) }, isInvalidErr, ""},
		{"no consent", f.r1, func(r *DepositRequest) { r.Consent.Scopes = nil }, isInvalidErr, ""},
		{"unknown scope", f.r1, func(r *DepositRequest) { r.Consent.Scopes = []string{"marketing"} }, isInvalidErr, ""},
		{"bad consent date", f.r1, func(r *DepositRequest) { r.Consent.RecordedAt = "2018-02-30" }, isInvalidErr, ""},
		{"phone in summary", f.r1, func(r *DepositRequest) { r.Public.Summary = "Call 0770 123 4567 for details" }, isRedaction("summary", "phone"), ""},
		{"email in title", f.r1, func(r *DepositRequest) { r.Public.Title = "Contact witness.one@example.org" }, isRedaction("title", "email"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := sampleMeta()
			tt.edit(&req)
			before := f.logSize(t)
			_, _, err := f.tryDeposit(tt.by, req, content, nil)
			if !tt.check(err) {
				t.Fatalf("err = %v", err)
			}
			if tt.reason == "not found" {
				return // refused when fetching recipients, before any deposit
			}
			evs := f.eventsFrom(t, before)
			last := evs[len(evs)-1]
			if last.Action != "document.deposit" || last.Outcome == "ok" {
				t.Errorf("audit: %s %s, want a failed deposit", last.Action, last.Outcome)
			}
			assertNoDocuments(t, f)
		})
	}
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

func isRedaction(field, kind string) func(error) bool {
	return func(err error) bool {
		var r *RedactionError
		return errors.As(err, &r) && r.Field == field && r.Kind == kind
	}
}

// assertNoDocuments checks that nothing of a failed deposit is visible or
// left behind.
func assertNoDocuments(t testing.TB, f *fixture) {
	t.Helper()
	f.v.db.View(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketDocs, bucketUploads, bucketPrivate, bucketSlots} {
			if n := tx.Bucket(b).Stats().KeyN; n != 0 {
				t.Errorf("bucket %s holds %d keys after a failed deposit", b, n)
			}
		}
		return nil
	})
	if n, pending := storeBlobs(t, f.v); n != 0 || pending != 0 {
		t.Errorf("%d blobs and %d pending blobs left after a failed deposit", n, pending)
	}
}

func TestDepositRefusesBadSlotsAndContent(t *testing.T) {
	f := newFixture(t)
	r1 := f.r1.caller()
	recips, err := f.v.CollectionRecipients(r1, "kirkuk-2018")
	if err != nil {
		t.Fatal(err)
	}
	if len(recips) != 2 || recips[f.r1.id] == "" || recips[f.admin.id] == "" {
		t.Fatalf("recipients = %v, want depositor and custodian", recips)
	}
	key, _ := envelope.NewDocKey()
	good := func() map[string][]byte {
		m := map[string][]byte{}
		for id, s := range recips {
			r, _ := recipientOfString(s)
			m[id], _ = envelope.Wrap(key, r)
		}
		return m
	}
	slotTests := []struct {
		name string
		edit func(map[string][]byte)
	}{
		{"missing custodian", func(m map[string][]byte) { delete(m, f.admin.id) }},
		{"missing depositor", func(m map[string][]byte) { delete(m, f.r1.id) }},
		{"empty slot", func(m map[string][]byte) { m[f.admin.id] = nil }},
		{"garbage slot", func(m map[string][]byte) { m[f.admin.id] = []byte("hello") }},
		{"truncated slot", func(m map[string][]byte) { m[f.admin.id] = m[f.admin.id][:40] }},
		{"armored slot", func(m map[string][]byte) {
			m[f.admin.id] = []byte("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n")
		}},
		{"oversize slot", func(m map[string][]byte) { m[f.admin.id] = bytes.Repeat([]byte("a"), MaxSlot+1) }},
		{"slot for wrong key kind", func(m map[string][]byte) { m[f.admin.id] = m[f.r1.id] }},
		{"unknown user", func(m map[string][]byte) { m["nobody"] = m[f.r1.id] }},
		{"non-member", func(m map[string][]byte) { m[f.r3.id] = m[f.admin.id] }},
		{"auditor", func(m map[string][]byte) { m[f.audit.id] = m[f.admin.id] }},
	}
	for _, tt := range slotTests {
		req := sampleMeta()
		req.Slots = good()
		tt.edit(req.Slots)
		if _, err := f.v.BeginDeposit(r1, req); !isInvalidErr(err) {
			t.Errorf("%s: %v, want InvalidError", tt.name, err)
		}
	}

	contentTests := []struct {
		name    string
		content func() ([]byte, [32]byte)
		private []byte
		check   func(error) bool
	}{
		{"empty content", func() ([]byte, [32]byte) { return nil, [32]byte{} }, nil, isInvalidErr},
		{"not an age file", func() ([]byte, [32]byte) { return sumOf([]byte("plain text, not encrypted")) }, nil, isInvalidErr},
		{"truncated age header", func() ([]byte, [32]byte) { return sumOf([]byte("age-encryption.org/v1\n-> X25519 ")) }, nil, isInvalidErr},
		{"hash mismatch", func() ([]byte, [32]byte) {
			c := sealTo(t, key, []byte("x"))
			return c, [32]byte{1}
		}, nil, is(ErrHashMismatch)},
		{"private not an age file", func() ([]byte, [32]byte) { return sumOf(sealTo(t, key, []byte("x"))) }, []byte("{\"plain\":true}"), isInvalidErr},
	}
	for _, tt := range contentTests {
		req := sampleMeta()
		req.Slots = good()
		up, err := f.v.BeginDeposit(r1, req)
		if err != nil {
			t.Fatal(err)
		}
		c, sum := tt.content()
		up.Write(c)
		if _, err := up.Commit(sum, tt.private); !tt.check(err) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	assertNoDocuments(t, f)
}

func TestDepositTooLarge(t *testing.T) {
	f := newFixture(t)
	f.v.opts.MaxContentSize = 10000
	_, _, err := f.tryDeposit(f.r1, sampleMeta(), bytes.Repeat([]byte("a"), 20000), nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize deposit: %v, want ErrTooLarge", err)
	}
	assertNoDocuments(t, f)
}

func TestUnfinishedUploadIsSweptOnOpen(t *testing.T) {
	f := newFixture(t)
	req := sampleMeta()
	key, _ := envelope.NewDocKey()
	recips, _ := f.v.CollectionRecipients(f.r1.caller(), req.Collection)
	req.Slots = map[string][]byte{}
	for id, s := range recips {
		r, _ := recipientOfString(s)
		req.Slots[id], _ = envelope.Wrap(key, r)
	}
	up, err := f.v.BeginDeposit(f.r1.caller(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write(sealTo(t, key, bytes.Repeat([]byte("z"), 100000))); err != nil {
		t.Fatal(err)
	}
	// The process "dies" here: no Commit, no Abort.
	if _, pending := storeBlobs(t, f.v); pending != 1 {
		t.Fatalf("%d pending blobs before the crash, want 1; the test proves nothing", pending)
	}
	f.reopen(t)
	assertNoDocuments(t, f)
	if err := f.v.Check(); err != nil {
		t.Fatal(err)
	}
}

func sumOf(b []byte) ([]byte, [32]byte) {
	return b, sha256Sum(b)
}

func sealTo(t testing.TB, key *envelope.DocKey, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := envelope.Encrypt(&buf, bytes.NewReader(plain), key); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
