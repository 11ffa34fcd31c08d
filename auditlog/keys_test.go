package auditlog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func bindingEvent(action, user, recipient, signingKey string) *Event {
	d := map[string]string{DetailRecipient: recipient}
	if signingKey != "" {
		d[DetailSigningKey] = signingKey
	}
	return &Event{Time: testTime, Actor: "l.custodian", Action: action, Target: user, Outcome: OutcomeOK, Detail: d}
}

// userKeys answers for event seq at checkpoint size, from since.
func (l *memLog) userKeys(t testing.TB, user string, seq, size, since int64) *UserKeys {
	t.Helper()
	b, err := ParseBinding(l.leaves[seq])
	if err != nil {
		t.Fatal(err)
	}
	p, err := tlog.ProveRecord(size, seq, l.hashes)
	if err != nil {
		t.Fatal(err)
	}
	k := &UserKeys{User: user, Recipient: b.Recipient, SigningKey: b.SigningKey, Seq: seq, Event: l.leaves[seq],
		Proof: p, Checkpoint: string(l.checkpoints[size]), Since: since}
	if 0 < since && since < size {
		if k.Consistency, err = l.ProveTree(since, size); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

const (
	testRecipient   = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	testRecipient2  = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg"
	testSigningKey  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGPGYMyLzyl79FQZU6llmdPxFYeonUhkDO0zOxiIKXrE"
	testSigningKey2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF6bq4bvq526fEEDW1EZr5bAz0LgcS99szoZh61w3vdB"
)

func TestVerifyUserKeys(t *testing.T) {
	l := newMemLog(t, 3)
	l.appendEvent(t, bindingEvent("user.create", "r.hassan", testRecipient, testSigningKey)) // 3
	for range 4 {
		l.add(t)
	}
	// 8: a failed change, which binds nothing; 9: another user.
	failed := bindingEvent("user.update", "r.hassan", testRecipient2, "")
	failed.Outcome = OutcomeInvalid
	l.appendEvent(t, failed)
	l.appendEvent(t, bindingEvent("user.create", "a.karim", testRecipient2, ""))
	for range 3 {
		l.add(t)
	}
	size := int64(len(l.leaves))

	// A fresh client, and one that kept checkpoints before.
	for _, since := range []int64{0, 4, 9, size} {
		k := l.userKeys(t, "r.hassan", 3, size, since)
		var last []byte
		if since > 0 {
			last = l.checkpoints[since]
		}
		b, cp, err := VerifyUserKeys(k, "r.hassan", l.vkey, last)
		if err != nil {
			t.Fatalf("since %d: %v", since, err)
		}
		if b.User != "r.hassan" || b.Recipient != testRecipient || b.SigningKey != testSigningKey || b.Seq != 3 || cp.Size != size {
			t.Errorf("since %d: %+v at %d", since, b, cp.Size)
		}
	}
	// The answer survives JSON as the server sends it.
	k := l.userKeys(t, "r.hassan", 3, size, 4)
	data, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var back UserKeys
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if _, _, err := VerifyUserKeys(&back, "r.hassan", l.vkey, l.checkpoints[4]); err != nil {
		t.Fatalf("after JSON: %v", err)
	}

	other := newMemLog(t, int(size)+2) // another log, signed by the same key
	otherVKey := func() string { _, v := testSigner(t, "other"); return v }()
	for _, c := range []struct {
		name   string
		user   string
		edit   func(k *UserKeys)
		last   []byte
		vkey   string
		reason string
	}{
		{"swapped recipient", "r.hassan", func(k *UserKeys) { k.Recipient = testRecipient2 }, nil, "", "another recipient"},
		{"swapped signing key", "r.hassan", func(k *UserKeys) { k.SigningKey = testSigningKey2 }, nil, "", "another signing key"},
		{"signing key dropped", "r.hassan", func(k *UserKeys) { k.SigningKey = "" }, nil, "", "another signing key"},
		{"signing key added", "a.karim", func(k *UserKeys) { *k = *l.userKeys(t, "a.karim", 9, size, 0); k.SigningKey = testSigningKey }, nil, "", "another signing key"},
		{"signing key with a comment", "r.hassan", func(k *UserKeys) { k.SigningKey += " x" }, nil, "", "another signing key"},
		{"another user's binding", "r.hassan", func(k *UserKeys) {
			*k = *l.userKeys(t, "a.karim", 9, size, 0)
			k.User = "r.hassan"
		}, nil, "", `binds the keys of "a.karim"`},
		{"answer about another user", "a.karim", nil, nil, "", `not "a.karim"`},
		{"a failed change", "r.hassan", func(k *UserKeys) { *k = *l.userKeys(t, "r.hassan", 3, size, 0); k.Event = l.leaves[8]; k.Seq = 8 }, nil, "", "not a key binding"},
		{"not a binding", "r.hassan", func(k *UserKeys) { k.Event = l.leaves[2]; k.Seq = 2 }, nil, "", "not a key binding"},
		{"edited event", "r.hassan", func(k *UserKeys) {
			k.Event = bytes.Replace(k.Event, []byte(testRecipient), []byte(testRecipient2), 1)
			k.Recipient = testRecipient2
		}, nil, "", "not in the tree"},
		{"wrong seq", "r.hassan", func(k *UserKeys) { k.Seq = 4 }, nil, "", "names event 4"},
		{"proof of another event", "r.hassan", func(k *UserKeys) { k.Proof = l.userKeys(t, "a.karim", 9, size, 0).Proof }, nil, "", "not in the tree"},
		{"unsigned checkpoint", "r.hassan", nil, nil, otherVKey, "not signed"},
		{"rolled back", "r.hassan", func(k *UserKeys) { *k = *l.userKeys(t, "r.hassan", 3, 6, 0) }, l.checkpoints[size], "", "rolled back"},
		{"forked", "r.hassan", func(k *UserKeys) {
			k.Checkpoint = string(other.latest())
		}, l.checkpoints[size], "", "not consistent"},
		{"forked at the same size", "r.hassan", func(k *UserKeys) {
			k.Checkpoint = string(other.checkpoints[size])
		}, l.checkpoints[size], "", "not consistent"},
		{"consistency from elsewhere", "r.hassan", func(k *UserKeys) { k.Since = 5 }, l.checkpoints[4], "", "starts at 5"},
		{"bad consistency proof", "r.hassan", func(k *UserKeys) { k.Consistency = k.Consistency[1:] }, l.checkpoints[4], "", "not consistent"},
		{"damaged kept checkpoint", "r.hassan", nil, []byte("amana.test/audit\n4\n"), "", "kept before"},
	} {
		t.Run(c.name, func(t *testing.T) {
			since := int64(0)
			if c.last != nil {
				if cp, err := OpenCheckpoint(c.last, l.vkey); err == nil {
					since = cp.Size
				}
			}
			k := l.userKeys(t, "r.hassan", 3, size, since)
			if c.edit != nil {
				c.edit(k)
			}
			vkey := l.vkey
			if c.vkey != "" {
				vkey = c.vkey
			}
			_, _, err := VerifyUserKeys(k, c.user, vkey, c.last)
			if err == nil || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("got %v, want an error with %q", err, c.reason)
			}
		})
	}
}

func TestBindingOf(t *testing.T) {
	for _, c := range []struct {
		e    *Event
		want bool
	}{
		{bindingEvent("user.create", "r.hassan", testRecipient, ""), true},
		{bindingEvent("vault.init", "l.custodian", testRecipient, testSigningKey), true},
		{bindingEvent("user.bind", "l.custodian", testRecipient, testSigningKey), true},
		{bindingEvent("user.update", "r.hassan", testRecipient, testSigningKey), true},
		{&Event{Action: "user.update", Target: "r.hassan", Outcome: OutcomeOK, Detail: map[string]string{"recipient": testRecipient, "old_signing_key": testSigningKey}}, true},
		{bindingEvent("user.recipient", "r.hassan", testRecipient, ""), false},
		{bindingEvent("user.create", "", testRecipient, ""), false},
		{bindingEvent("user.create", "r.hassan", "", ""), false},
		{&Event{Action: "user.update", Target: "r.hassan", Outcome: OutcomeOK, Detail: map[string]string{"name": "changed"}}, false},
	} {
		if _, got := BindingOf(c.e); got != c.want {
			t.Errorf("%s of %q %v: binding %v", c.e.Action, c.e.Target, c.e.Detail, got)
		}
	}
	removed := &Event{Action: "user.update", Target: "r.hassan", Outcome: OutcomeOK, Detail: map[string]string{"recipient": testRecipient, "old_signing_key": testSigningKey}}
	if b, _ := BindingOf(removed); b.SigningKey != "" || b.OldSigningKey != testSigningKey {
		t.Errorf("a removal binds %+v", b)
	}
	if _, err := ParseBinding([]byte(`{"seq":1,"seq":2}`)); err == nil {
		t.Error("a leaf with two seqs binds")
	}
}

// chained is a binding event naming prev as the user's previous binding
// ("none" for its first).
func chained(e *Event, prev string) *Event {
	e.Detail[DetailPreviousBinding] = prev
	return e
}

// userKeysAt answers for the keys of user at event at: binding seq, and
// next (-1 for none), at checkpoint size, from since.
func (l *memLog) userKeysAt(t testing.TB, user string, seq, at, next, size, since int64) *UserKeys {
	t.Helper()
	k := l.userKeys(t, user, seq, size, since)
	k.At = at
	if next >= 0 {
		p, err := tlog.ProveRecord(size, next, l.hashes)
		if err != nil {
			t.Fatal(err)
		}
		k.Next = &BindingProof{Seq: next, Event: l.leaves[next], Proof: p}
	}
	return k
}

func TestVerifyUserKeysAt(t *testing.T) {
	l := newMemLog(t, 3)
	l.appendEvent(t, chained(bindingEvent("user.create", "r.hassan", testRecipient, testSigningKey), NoPreviousBinding)) // 3
	l.add(t)                                                                                                             // 4
	l.appendEvent(t, chained(bindingEvent("user.create", "a.karim", testRecipient2, ""), NoPreviousBinding))             // 5
	l.add(t)                                                                                                             // 6: a deposit
	l.appendEvent(t, chained(bindingEvent("user.update", "r.hassan", testRecipient, testSigningKey2), "3"))              // 7
	l.add(t)                                                                                                             // 8
	l.appendEvent(t, chained(bindingEvent("user.update", "r.hassan", testRecipient2, testSigningKey2), "7"))             // 9
	l.add(t)                                                                                                             // 10
	// Bindings written before the log chained them: 11 and 13.
	l.appendEvent(t, bindingEvent("user.create", "r.nadia", testRecipient, testSigningKey))                  // 11
	l.add(t)                                                                                                 // 12
	l.appendEvent(t, bindingEvent("user.update", "r.nadia", testRecipient, testSigningKey2))                 // 13
	l.appendEvent(t, chained(bindingEvent("user.update", "r.nadia", testRecipient2, testSigningKey2), "13")) // 14
	l.add(t)                                                                                                 // 15
	// A chained binding, then one that does not name it (16, 17).
	l.appendEvent(t, chained(bindingEvent("user.create", "r.omar", testRecipient, testSigningKey), NoPreviousBinding))
	l.appendEvent(t, bindingEvent("user.update", "r.omar", testRecipient, testSigningKey2))
	size := int64(len(l.leaves))

	for _, c := range []struct {
		user          string
		seq, at, next int64
		wantKey       string
		wantNext      int64
		gapless       bool
	}{
		{"r.hassan", 3, 6, 7, testSigningKey, 7, true},
		{"r.hassan", 3, 7, 7, testSigningKey, 7, true}, // the keys before event 7 applied
		{"r.hassan", 3, 6, -1, testSigningKey, -1, false},
		{"r.hassan", 7, 8, 9, testSigningKey2, 9, true},
		{"r.hassan", 9, 10, -1, testSigningKey2, -1, false},
		{"r.nadia", 11, 12, 13, testSigningKey, 13, false}, // neither names its predecessor: not proven
		{"r.nadia", 13, 14, 14, testSigningKey2, 14, true},
	} {
		for _, since := range []int64{0, 4} {
			var last []byte
			if since > 0 {
				last = l.checkpoints[since]
			}
			k := l.userKeysAt(t, c.user, c.seq, c.at, c.next, size, since)
			b, cp, err := VerifyUserKeysAt(k, c.user, c.at, l.vkey, last)
			if err != nil {
				t.Fatalf("%s at %d: %v", c.user, c.at, err)
			}
			next := int64(-1)
			if b.Next != nil {
				next = b.Next.Seq
			}
			if b.Seq != c.seq || b.SigningKey != c.wantKey || b.At != c.at || next != c.wantNext || b.Gapless != c.gapless || cp.Size != size {
				t.Errorf("%s at %d: %+v (next %d) at %d", c.user, c.at, b, next, cp.Size)
			}
		}
	}
	// The answer survives JSON as the server sends it.
	data, err := json.Marshal(l.userKeysAt(t, "r.hassan", 3, 6, 7, size, 4))
	if err != nil {
		t.Fatal(err)
	}
	var back UserKeys
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if b, _, err := VerifyUserKeysAt(&back, "r.hassan", 6, l.vkey, l.checkpoints[4]); err != nil || !b.Gapless {
		t.Fatalf("after JSON: %+v, %v", b, err)
	}
	// An answer about the keys at an event is not one about the latest.
	if _, _, err := VerifyUserKeys(&back, "r.hassan", l.vkey, l.checkpoints[4]); err == nil || !strings.Contains(err.Error(), "not the latest") {
		t.Errorf("VerifyUserKeys of an answer at event 6: %v", err)
	}

	for _, c := range []struct {
		name                 string
		user                 string
		seq, at, next, askAt int64
		edit                 func(k *UserKeys)
		reason               string
	}{
		{"binding after the event", "r.hassan", 7, 6, 9, 6, nil, "after event 6"},
		{"binding at the event", "r.hassan", 7, 7, 9, 7, nil, "after event 7"},
		{"answer for another event", "r.hassan", 3, 7, 7, 6, nil, "not at event 6"},
		{"no event before the first", "r.hassan", 3, 0, 7, 0, nil, "before event 0"},
		{"a later binding was in effect", "r.hassan", 3, 8, 7, 8, nil, "no longer in effect"},
		{"a binding hidden between", "r.hassan", 3, 8, 9, 8, nil, "another binding lies between"},
		{"next of another user", "r.hassan", 3, 6, 5, 6, nil, `binds the keys of "a.karim"`},
		{"next not a binding", "r.hassan", 3, 6, 7, 6, func(k *UserKeys) { k.Next.Event, k.Next.Seq = l.leaves[6], 6 }, "not a key binding"},
		{"next edited", "r.hassan", 3, 6, 7, 6, func(k *UserKeys) {
			k.Next.Event = bytes.Replace(k.Next.Event, []byte(`"previous_binding":"3"`), []byte(`"previous_binding":"2"`), 1)
		}, "not in the tree"},
		{"next misnamed", "r.hassan", 3, 6, 7, 6, func(k *UserKeys) { k.Next.Seq = 8 }, "names event 8 as the next"},
		{"next with another proof", "r.hassan", 3, 6, 7, 6, func(k *UserKeys) { k.Next.Proof = l.userKeysAt(t, "r.hassan", 3, 6, 9, size, 0).Next.Proof }, "not in the tree"},
		{"unchained after chained", "r.omar", 16, 17, 17, 17, nil, "does not name the binding"},
		{"binding of another user", "r.hassan", 5, 6, -1, 6, nil, `binds the keys of "a.karim"`},
		{"swapped signing key", "r.hassan", 3, 6, 7, 6, func(k *UserKeys) { k.SigningKey = testSigningKey2 }, "another signing key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := l.userKeysAt(t, c.user, c.seq, c.at, c.next, size, 0)
			if c.edit != nil {
				c.edit(k)
			}
			_, _, err := VerifyUserKeysAt(k, c.user, c.askAt, l.vkey, nil)
			if err == nil || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("got %v, want an error with %q", err, c.reason)
			}
		})
	}
}

func TestVerifyEventProof(t *testing.T) {
	l := newMemLog(t, 9)
	size := int64(len(l.leaves))
	proof := func(seq, since int64) *EventProof {
		p, err := tlog.ProveRecord(size, seq, l.hashes)
		if err != nil {
			t.Fatal(err)
		}
		ep := &EventProof{Seq: seq, Event: l.leaves[seq], Proof: p, Checkpoint: string(l.latest()), Since: since}
		if since > 0 {
			if ep.Consistency, err = l.ProveTree(since, size); err != nil {
				t.Fatal(err)
			}
		}
		return ep
	}
	e, cp, err := VerifyEventProof(proof(6, 4), l.vkey, l.checkpoints[4])
	if err != nil || e.Seq != 6 || e.Doc != "d000006" || cp.Size != size {
		t.Fatalf("%+v at %d: %v", e, cp.Size, err)
	}
	for _, c := range []struct {
		name   string
		edit   func(p *EventProof)
		last   []byte
		reason string
	}{
		{"edited", func(p *EventProof) { p.Event = bytes.Replace(p.Event, []byte("d000006"), []byte("d000007"), 1) }, nil, "not in the tree"},
		{"misnamed", func(p *EventProof) { p.Seq = 5 }, nil, "names event 5"},
		{"two seqs", func(p *EventProof) { p.Event = append([]byte(`{"seq":6,"seq":5,`), p.Event[len(`{"seq":6,`):]...) }, nil, "names event 6, its event is"},
		{"forked", func(p *EventProof) { p.Checkpoint = string(newMemLog(t, int(size)+1).latest()) }, l.checkpoints[4], "not consistent"},
	} {
		t.Run(c.name, func(t *testing.T) {
			since := int64(0)
			if c.last != nil {
				since = 4
			}
			p := proof(6, since)
			c.edit(p)
			if _, _, err := VerifyEventProof(p, l.vkey, c.last); err == nil || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("got %v, want an error with %q", err, c.reason)
			}
		})
	}
}

func TestBindingOfChain(t *testing.T) {
	at := func(seq int64, prev string) *Event {
		e := chained(bindingEvent("user.update", "r.hassan", testRecipient, testSigningKey), prev)
		e.Seq = seq
		return e
	}
	for _, c := range []struct {
		e        *Event
		ok       bool
		chained  bool
		previous int64
	}{
		{bindingEvent("user.update", "r.hassan", testRecipient, ""), true, false, -1},
		{at(7, NoPreviousBinding), true, true, -1},
		{at(7, "3"), true, true, 3},
		{at(7, "0"), true, true, 0},
		{at(7, "7"), false, false, 0},
		{at(7, "8"), false, false, 0},
		{at(7, "03"), false, false, 0},
		{at(7, "-1"), false, false, 0},
		{at(7, ""), false, false, 0},
		{at(7, "three"), false, false, 0},
	} {
		b, ok := BindingOf(c.e)
		if ok != c.ok || ok && (b.Chained != c.chained || b.Previous != c.previous) {
			t.Errorf("%v: %+v, %v", c.e.Detail, b, ok)
		}
	}
}
