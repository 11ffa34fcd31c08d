package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
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

func TestLeafSeqOfAppendedEvents(t *testing.T) {
	// Whatever an event holds, Append's encoding starts with its seq.
	l := newTestLog(t, "vault")
	for i, e := range []*Event{
		{Seq: 0, Action: "x", Outcome: "ok"},
		{Seq: 99, Actor: "\"}<>&\u2028", Action: "a\nb", Outcome: "ok", Detail: map[string]string{"seq": "5"}},
		{Seq: 1 << 40, Action: "x", Outcome: "ok", Hashed: map[string]string{"q": l.HMAC("x")}},
	} {
		leaf, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
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

func FuzzOpenCheckpoint(f *testing.F) {
	l := newTestLog(f, "vault")
	good, _ := note.Sign(&note.Note{Text: testOrigin + "\n3\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"}, l.signer)
	f.Add(good)
	f.Add([]byte("x\n\n— x AAAAAAA=\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, err := OpenCheckpoint(msg, l.VerifierKey())
		if err == nil && (c.Origin != testOrigin || c.Size < 0) {
			t.Fatalf("accepted %+v", c)
		}
	})
}
