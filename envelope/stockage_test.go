//go:build !js

package envelope_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/recipient"
)

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// No lock-in: with only the stock age CLI, every kind of user recovers the
// document key from their slot, and with it the content and private metadata.
func TestStockAgeOpensDocument(t *testing.T) {
	ageCmd, _ := stockAge(t)
	users := map[string]*user{}
	for _, kind := range userKinds {
		users[kind] = newUser(t, kind)
	}
	plain := randomBytes(300 << 10)
	for _, classic := range []bool{false, true} {
		var opts []envelope.Option
		if classic {
			opts = append(opts, envelope.Classic())
		}
		s := seal(t, plain, users, opts...)
		dir := t.TempDir()
		content := writeFile(t, dir, "content.age", s.content)
		private := writeFile(t, dir, "private.age", s.private)
		for name, u := range users {
			userKey := writeFile(t, dir, "user.key", u.keyFile)
			slot := writeFile(t, dir, "slot.age", s.Slots[name])
			docKey := filepath.Join(dir, "doc.key")
			os.Remove(docKey)
			run(t, ageCmd, "-d", "-i", userKey, "-o", docKey, slot)
			got, err := os.ReadFile(docKey)
			if err != nil || string(got) != s.Key.String()+"\n" {
				t.Fatalf("%s: age -d of the slot gave %d bytes, want the document key", name, len(got))
			}
			if out := run(t, ageCmd, "-d", "-i", docKey, content); !bytes.Equal(out, plain) {
				t.Fatalf("%s (classic=%v): age -d -i doc.key content.age differs from the original", name, classic)
			}
			if out := run(t, ageCmd, "-d", "-i", docKey, private); string(out) != `{"notes":"private"}` {
				t.Fatalf("%s: private metadata via age: %q", name, out)
			}
		}
	}
}

// And the other way: a file the stock age encrypts to a document key's
// recipient (age-keygen -y doc.key) is read by Decrypt.
func TestStockAgeEncryptsForDocKey(t *testing.T) {
	ageCmd, keygenCmd := stockAge(t)
	dir := t.TempDir()
	for _, newKey := range []func() (*envelope.DocKey, error){envelope.NewDocKey, envelope.NewClassicDocKey} {
		k, err := newKey()
		if err != nil {
			t.Fatal(err)
		}
		keyFile := writeFile(t, dir, "doc.key", []byte(k.String()+"\n"))
		rcpt := strings.TrimSpace(string(run(t, keygenCmd, "-y", keyFile)))
		plain := randomBytes(70 << 10)
		in := writeFile(t, dir, "plain", plain)
		ct := filepath.Join(dir, "ct.age")
		os.Remove(ct)
		run(t, ageCmd, "-r", rcpt, "-o", ct, in)
		f, err := os.Open(ct)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		_, err = envelope.Decrypt(&out, f, k)
		f.Close()
		if err != nil || !bytes.Equal(out.Bytes(), plain) {
			t.Fatalf("Decrypt of a stock age file: %v", err)
		}
	}
}

// `amana keygen` output works with the stock tools, both ways.
func TestStockAgeUsesGeneratedIdentity(t *testing.T) {
	ageCmd, keygenCmd := stockAge(t)
	dir := t.TempDir()
	for _, pq := range []bool{false, true} {
		file, rcpt, err := envelope.GenerateIdentity(pq)
		if err != nil {
			t.Fatal(err)
		}
		keyFile := writeFile(t, dir, "my.key", []byte(file))
		if got := strings.TrimSpace(string(run(t, keygenCmd, "-y", keyFile))); got != rcpt {
			t.Fatalf("age-keygen -y gives %q, GenerateIdentity said %q", got, rcpt)
		}
		plain := []byte("testimony, pq=" + map[bool]string{true: "yes", false: "no"}[pq])
		in := writeFile(t, dir, "plain", plain)
		ct := filepath.Join(dir, "ct.age")
		os.Remove(ct)
		run(t, ageCmd, "-r", rcpt, "-o", ct, in)
		if out := run(t, ageCmd, "-d", "-i", keyFile, ct); !bytes.Equal(out, plain) {
			t.Fatal("age -d -i with a generated identity failed")
		}
		// A slot made by envelope opens with age and the generated key.
		r, err := recipient.Parse(rcpt)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := envelope.NewDocKey()
		slot, err := envelope.Wrap(k, r)
		if err != nil {
			t.Fatal(err)
		}
		if out := run(t, ageCmd, "-d", "-i", keyFile, writeFile(t, dir, "slot.age", slot)); string(out) != k.String()+"\n" {
			t.Fatal("age could not open a slot with a generated identity")
		}
	}
}

// Keys made by the stock age-keygen, X25519 and -pq, are read by
// ParseIdentities and open slots wrapped to their "# public key".
func TestStockKeygenReadable(t *testing.T) {
	_, keygenCmd := stockAge(t)
	dir := t.TempDir()
	for _, args := range [][]string{nil, {"-pq"}} {
		keyFile := filepath.Join(dir, "key"+strings.Join(args, ""))
		run(t, keygenCmd, append(args, "-o", keyFile)...)
		data, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := envelope.ParseIdentities(bytes.NewReader(data), nil)
		if err != nil {
			t.Fatalf("ParseIdentities(age-keygen %v): %v", args, err)
		}
		var rcpt string
		for _, line := range strings.Split(string(data), "\n") {
			if p, ok := strings.CutPrefix(line, "# public key: "); ok {
				rcpt = p
			}
		}
		wantKind := "x25519"
		if len(args) > 0 {
			wantKind = "pq"
			if _, ok := ids[0].(*age.HybridIdentity); !ok {
				t.Fatalf("age-keygen -pq key parsed as %T", ids[0])
			}
		}
		if kind, err := recipient.Kind(rcpt); err != nil || kind != wantKind {
			t.Fatalf("age-keygen %v public key: kind %q, %v", args, kind, err)
		}
		r, _ := recipient.Parse(rcpt)
		k, _ := envelope.NewDocKey()
		slot, err := envelope.Wrap(k, r)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := envelope.OpenSlot(slot, ids...); err != nil || got.String() != k.String() {
			t.Fatalf("age-keygen %v key does not open its slot: %v", args, err)
		}
	}
}
