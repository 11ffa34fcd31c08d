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
