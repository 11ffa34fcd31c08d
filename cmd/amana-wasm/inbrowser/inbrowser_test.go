package inbrowser

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/redact"
)

type demoUser struct {
	ID, Role, IdentityFile, Recipient string
}

func demoUsers(t *testing.T) map[string]demoUser {
	t.Helper()
	b, err := os.ReadFile("../../../keys-example/users.json")
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		ID           string `json:"id"`
		Role         string `json:"role"`
		IdentityFile string `json:"identity_file"`
		Recipient    string `json:"recipient"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]demoUser{}
	for _, u := range list {
		out[u.ID] = demoUser{u.ID, u.Role, filepath.Join("../../../keys-example", u.IdentityFile), u.Recipient}
	}
	return out
}

func keyring(t *testing.T, u demoUser) *Keyring {
	t.Helper()
	b, err := os.ReadFile(u.IdentityFile)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKeyring(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestAnswerChallenge(t *testing.T) {
	users := demoUsers(t)
	for _, id := range []string{"l.custodian", "r.ahmed", "a.karim", "auditor"} {
		u := users[id]
		r, err := recipient.Parse(u.Recipient)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		aw := armor.NewWriter(&buf)
		w, err := age.Encrypt(aw, r)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "challenge-for-%s", id)
		w.Close()
		aw.Close()
		got, err := keyring(t, u).AnswerChallenge(buf.String())
		if err != nil || got != "challenge-for-"+id {
			t.Errorf("%s: got %q, %v", id, got, err)
		}
		// Someone else's identity does not open it.
		if _, err := keyring(t, users["r.hassan"]).AnswerChallenge(buf.String()); err == nil {
			t.Errorf("%s: r.hassan's identity opened the challenge", id)
		}
	}
}

func TestKeyringRefusesJunkAndForgets(t *testing.T) {
	for _, in := range []string{"", "hello", "AGE-PLUGIN-YUBIKEY-1XXXX", strings.Repeat("#", 70<<10)} {
		if _, err := ParseKeyring([]byte(in)); err == nil {
			t.Errorf("ParseKeyring(%.20q) accepted", in)
		}
	}
	k := keyring(t, demoUsers(t)["r.ahmed"])
	k.Forget()
	if _, err := k.AnswerChallenge("x"); err == nil || !strings.Contains(err.Error(), "no identity") {
		t.Errorf("forgotten keyring: %v", err)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	users := demoUsers(t)
	plain := make([]byte, 200<<10+17)
	rand.Read(plain)
	recips := map[string]string{"r.ahmed": users["r.ahmed"].Recipient, "l.custodian": users["l.custodian"].Recipient}
	s, err := Seal(recips, map[string]any{"notes": "met at the clinic", "persons": []string{"Amina"}}, plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s.Content, plain[:64]) || bytes.Contains(s.Private, []byte("clinic")) {
		t.Fatal("sealed output holds plaintext")
	}
	for id := range recips {
		o, err := keyring(t, users[id]).Open(s.Slots[id], s.Private, s.Content, s.CipherSHA256, nil)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if !bytes.Equal(o.Plain, plain) || o.Private["notes"] != "met at the clinic" || o.Private["plain_sha256"] != s.PlainSHA256 {
			t.Errorf("%s: round trip differs: %v", id, o.Private)
		}
	}
	k := keyring(t, users["r.ahmed"])
	// A wrong recorded ciphertext hash is refused.
	if _, err := k.Open(s.Slots["r.ahmed"], s.Private, s.Content, strings.Repeat("0", 64), nil); !errors.Is(err, ErrIntegrity) {
		t.Errorf("wrong cipher hash: %v", err)
	}
	// A lawyer without a slot opens nothing.
	if _, err := keyring(t, users["a.karim"]).Open(s.Slots["r.ahmed"], s.Private, s.Content, s.CipherSHA256, nil); err == nil {
		t.Error("a.karim opened r.ahmed's slot")
	}
	// A grant: the slot rewrapped for a.karim opens for a.karim.
	slot, err := k.Rewrap(s.Slots["r.ahmed"], users["a.karim"].Recipient)
	if err != nil {
		t.Fatal(err)
	}
	if o, err := keyring(t, users["a.karim"]).Open(slot, s.Private, s.Content, s.CipherSHA256, nil); err != nil || !bytes.Equal(o.Plain, plain) {
		t.Errorf("granted open: %v", err)
	}
	// Private metadata from another document (plaintext hash mismatch) is refused.
	s2, _ := Seal(recips, nil, []byte("other"))
	if _, err := k.Open(s.Slots["r.ahmed"], s2.Private, s.Content, s.CipherSHA256, nil); err == nil {
		t.Error("foreign private metadata accepted")
	}
}

func TestRedactPreview(t *testing.T) {
	fields := map[string]string{
		"title":      "Interview with Layla Hassan",
		"summary":    "Call +964 770 123 4567 or write to layla@example.org",
		"transcript": "Layla Hassan said the camp was near 36.3566, 43.1580.",
	}
	out, removed := RedactPreview([]string{"Layla Hassan"}, nil, []string{"title", "summary", "transcript"}, fields)
	for name, s := range out {
		for _, secret := range []string{"Layla", "770", "layla@", "36.3566"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s still holds %q: %q", name, secret, s)
			}
		}
	}
	kinds := map[string]bool{}
	for _, r := range removed {
		kinds[r.Kind] = true
	}
	for _, k := range []string{"person", "phone", "email", "gps"} {
		if !kinds[k] {
			t.Errorf("no %s removal reported: %v", k, removed)
		}
	}
	for _, r := range removed {
		if r.Text != "" {
			t.Errorf("a %s removal carries its value", r.Kind)
		}
		if r.Kind == "person" && r.Reason != "listed" {
			t.Errorf("person removal without its reason: %+v", r)
		}
	}
	// The same person gets the same pseudonym in every field.
	if !strings.Contains(out["title"], "[PERSON-1]") || !strings.Contains(out["transcript"], "[PERSON-1]") {
		t.Errorf("pseudonyms differ: %q / %q", out["title"], out["transcript"])
	}
}

func TestRedactPreviewNames(t *testing.T) {
	fields := map[string]string{"summary": "Reviewed by Dr Karim Salih with Bushra."}
	out, removed := RedactPreview(nil, nil, []string{"summary"}, fields)
	if out["summary"] != "Reviewed by Dr [NAME-1] with [NAME-2]." {
		t.Errorf("summary %q", out["summary"])
	}
	want := []Removal{{"summary", "name", "title", "Karim Salih"}, {"summary", "name", "given_name", "Bushra"}}
	if !slices.Equal(removed, want) {
		t.Errorf("removed %+v, want %+v", removed, want)
	}
	out, removed = RedactPreview(nil, []string{"Karim Salih"}, []string{"summary"}, fields)
	if out["summary"] != "Reviewed by Dr Karim Salih with [NAME-1]." || len(removed) != 1 {
		t.Errorf("kept: %q %+v", out["summary"], removed)
	}
}

// testLog is a log of n events with a signer, like the vault's, built with
// tlog and note alone.
type testLog struct {
	leaves [][]byte
	hashes storedHashes
	signer note.Signer
	key    string
}

// storedHashes are a tree's hashes in tlog's layout.
type storedHashes []tlog.Hash

func (m storedHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

func newTestLog(t *testing.T) *testLog {
	skey, vkey, err := note.GenerateKey(rand.Reader, "amana-test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{signer: s, key: vkey}
}

func (l *testLog) add(t *testing.T, n int) {
	for range n {
		leaf := fmt.Appendf(nil, `{"seq":%d,"action":"x"}`, len(l.leaves))
		hs, err := tlog.StoredHashes(int64(len(l.leaves)), leaf, l.hashes)
		if err != nil {
			t.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
		l.leaves = append(l.leaves, leaf)
	}
}

func (l *testLog) checkpoint(t *testing.T) []byte {
	root, err := tlog.TreeHash(int64(len(l.leaves)), l.hashes)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: fmt.Sprintf("amana-test\n%d\n%s\n", len(l.leaves), root)}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestCheckpointVerification(t *testing.T) {
	l := newTestLog(t)
	l.add(t, 7)
	oldMsg := l.checkpoint(t)
	l.add(t, 30)
	newMsg := l.checkpoint(t)

	older, err := OpenCheckpoint(oldMsg, l.key)
	if err != nil {
		t.Fatal(err)
	}
	newer, err := OpenCheckpoint(newMsg, l.key)
	if err != nil || newer.Size != 37 {
		t.Fatal(newer, err)
	}
	if root, err := TreeRoot(l.leaves); err != nil || root != newer.Root {
		t.Errorf("TreeRoot of the events differs from the checkpoint: %v", err)
	}
	if root, err := TreeRoot(l.leaves[:7]); err != nil || root != older.Root {
		t.Errorf("TreeRoot of the first events differs from their checkpoint: %v", err)
	}
	// The verifier key as the page fetches it, with its newline.
	if c, err := OpenCheckpoint(newMsg, l.key+"\n"); err != nil || c != newer {
		t.Errorf("OpenCheckpoint with the key's newline: %+v, %v", c, err)
	}
	proof, err := tlog.ProveTree(37, 7, l.hashes)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckConsistency(older, newer, proof); err != nil {
		t.Errorf("honest log: %v", err)
	}
	if err := CheckConsistency(older, older, nil); err != nil {
		t.Errorf("same checkpoint: %v", err)
	}
	if err := CheckConsistency(newer, older, proof); err == nil {
		t.Error("a shrunk log verified")
	}

	// A rewritten history: event 3 edited, everything re-signed.
	t.Run("tampered", func(t *testing.T) {
		l2 := &testLog{signer: l.signer, key: l.key}
		l2.add(t, 37)
		l2.leaves[3] = []byte(`{"seq":3,"action":"edited"}`)
		l2.hashes = nil
		leaves := l2.leaves
		l2.leaves = nil
		for _, lf := range leaves {
			hs, _ := tlog.StoredHashes(int64(len(l2.leaves)), lf, l2.hashes)
			l2.hashes = append(l2.hashes, hs...)
			l2.leaves = append(l2.leaves, lf)
		}
		bad, err := OpenCheckpoint(l2.checkpoint(t), l.key)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := tlog.ProveTree(37, 7, l2.hashes)
		if err := CheckConsistency(older, bad, p); err == nil {
			t.Error("a rewritten log verified against the old checkpoint")
		}
	})

	// A checkpoint signed by another key, or altered, is refused.
	other := newTestLog(t)
	if _, err := OpenCheckpoint(newMsg, other.key); err == nil {
		t.Error("checkpoint verified with the wrong key")
	}
	if _, err := OpenCheckpoint(bytes.Replace(newMsg, []byte("\n37\n"), []byte("\n38\n"), 1), l.key); err == nil {
		t.Error("altered checkpoint verified")
	}
}

// TestRedactPreviewMatchesCommandLine: on every sentence of the redaction
// corpus, the web preview reports the findings `amana redact` reports (the
// same redact.Redactor, seeded the same way), in order, with their reasons.
func TestRedactPreviewMatchesCommandLine(t *testing.T) {
	b, err := os.ReadFile("../../../redact/testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	adv, err := os.ReadFile("../../../redact/testdata/adversarial.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b)+string(adv), "\n") {
		if line == "" {
			continue
		}
		var c struct {
			Text    string   `json:"text"`
			Persons []string `json:"persons"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		out, removed := RedactPreview(c.Persons, nil, []string{"summary"}, map[string]string{"summary": c.Text})
		text, fs := redact.New(c.Persons).Redact(c.Text)
		if out["summary"] != text || len(removed) != len(fs) {
			t.Fatalf("preview %q %v, command line %q %v", out["summary"], removed, text, fs)
		}
		for i, f := range fs {
			if removed[i].Kind != f.Kind || removed[i].Reason != f.Reason {
				t.Errorf("finding %d: preview %+v, command line %+v", i, removed[i], f)
			}
		}
		n++
	}
	if n < 2500 {
		t.Errorf("only %d corpus cases", n)
	}
}
