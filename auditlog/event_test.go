package auditlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestLeafSeq(t *testing.T) {
	for _, tc := range []struct {
		leaf string
		seq  int64 // -1: error
	}{
		{`{"seq":0,"action":"x"}`, 0},
		{`{"seq":17}`, 17},
		{`{"seq":123456789012345678,"a":1}`, 123456789012345678},
		{`{"seq":1234567890123456789,"a":1}`, -1},
		{`{"seq":07,"a":1}`, -1},
		{`{"seq":-1,"a":1}`, -1},
		{`{"seq":1.5,"a":1}`, -1},
		{`{"seq":1`, -1},
		{`{"seq":1,"a":}`, -1},
		{`{"seq":1,"a":"\u00"}`, -1},
		{` {"seq":1}`, -1},
		{`{"action":"x","seq":1}`, -1},
		{`{"seq":"1"}`, -1},
		{``, -1},
		{"{\"seq\":1}\n", 1},
	} {
		seq, err := leafSeq([]byte(tc.leaf))
		if tc.seq < 0 && err == nil || tc.seq >= 0 && (err != nil || seq != tc.seq) {
			t.Errorf("leafSeq(%q) = %d, %v; want %d", tc.leaf, seq, err, tc.seq)
		}
	}
}

func TestLeafSeqOfEncodedEvents(t *testing.T) {
	// Whatever an event holds, its leaf encoding starts with its seq.
	for i, e := range []*Event{
		{Seq: 0, Action: "x", Outcome: "ok"},
		{Seq: 99, Actor: "\"}<>&\u2028", Action: "a\nb", Outcome: "ok", Detail: map[string]string{"seq": "5"}},
		{Seq: 1 << 40, Action: "x", Outcome: "ok", Hashed: map[string]string{"q": HMAC(testHMACKey("vault"), "x")}},
	} {
		leaf, err := e.Leaf()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.ContainsAny(leaf, "\n\r") || !json1Line(leaf) {
			t.Errorf("event %d: leaf is not one line of compact JSON: %q", i, leaf)
		}
		if seq, err := leafSeq(leaf); err != nil || seq != e.Seq {
			t.Errorf("event %d: leafSeq(%s) = %d, %v", i, leaf, seq, err)
		}
	}
}

func FuzzLeafSeq(f *testing.F) {
	f.Add([]byte(`{"seq":12,"time":"2018-03-02T09:00:00Z","actor":"a","action":"b","outcome":"ok"}`))
	f.Add([]byte(`{"seq":`))
	f.Fuzz(func(t *testing.T, leaf []byte) {
		seq, err := leafSeq(leaf)
		if err != nil {
			return
		}
		// Anything accepted is JSON that begins with the seq reported. (A
		// repeated "seq" member is not looked for: the tree hash, not this
		// check, protects an event's content.)
		if !json.Valid(leaf) {
			t.Fatalf("accepted invalid JSON %q", leaf)
		}
		if !bytes.HasPrefix(leaf, fmt.Appendf(nil, `{"seq":%d`, seq)) {
			t.Fatalf("leafSeq(%q) = %d", leaf, seq)
		}
		ParseEvent(leaf)
	})
}

func json1Line(b []byte) bool {
	var buf bytes.Buffer
	return json.Compact(&buf, b) == nil && bytes.Equal(buf.Bytes(), b)
}

func TestLeafEncoding(t *testing.T) {
	// The leaf bytes are the documented encoding, member for member.
	e := &Event{Seq: 1, Time: testTime, Actor: "admin", Action: "user.create", Target: "l.karim", Outcome: OutcomeOK,
		Hashed: map[string]string{"addr": HMAC(testHMACKey("vault"), "198.51.100.7")}, Detail: map[string]string{"b": "2", "a": "1"}}
	leaf, err := e.Leaf()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq":1,"time":"2018-03-02T09:00:00Z","actor":"admin","action":"user.create","target":"l.karim","outcome":"ok",` +
		`"hashed":{"addr":"` + e.Hashed["addr"] + `"},"detail":{"a":"1","b":"2"}}`
	if string(leaf) != want {
		t.Errorf("leaf =\n%s\nwant\n%s", leaf, want)
	}
	back, err := ParseEvent(leaf)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := back.Leaf(); !bytes.Equal(again, leaf) {
		t.Errorf("ParseEvent and Leaf do not round-trip: %s", again)
	}
	if _, err := ParseEvent([]byte(`{"seq":`)); err == nil {
		t.Error("ParseEvent accepted a truncated event")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    Event
	}{
		{"no action", Event{Actor: "a", Outcome: OutcomeOK}},
		{"no outcome", Event{Actor: "a", Action: "search"}},
		{"plaintext hashed value", Event{Actor: "a", Action: "search", Outcome: OutcomeOK, Hashed: map[string]string{"query": "Nadia Murad"}}},
		{"short hmac", Event{Actor: "a", Action: "search", Outcome: OutcomeOK, Hashed: map[string]string{"query": "hmac-sha256:abcd"}}},
		{"upper-case hmac", Event{Actor: "a", Action: "search", Outcome: OutcomeOK, Hashed: map[string]string{"query": "hmac-sha256:" + strings.Repeat("A", 64)}}},
	} {
		if err := tc.e.Validate(); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: Validate = %v, want ErrInvalidEvent", tc.name, err)
		}
	}
	ok := Event{Actor: "a", Action: "search", Outcome: OutcomeOK, Hashed: map[string]string{"query": HMAC(testHMACKey("x"), "q")}}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", ok, err)
	}
}

func FuzzOpenCheckpoint(f *testing.F) {
	s, vkey := testSigner(f, "vault")
	good, _ := note.Sign(&note.Note{Text: testOrigin + "\n3\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"}, s)
	f.Add(good)
	f.Add([]byte("x\n\n— x AAAAAAA=\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, err := OpenCheckpoint(msg, vkey)
		if err == nil && (c.Origin != testOrigin || c.Size < 0) {
			t.Fatalf("accepted %+v", c)
		}
	})
}
