package manifest_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/amana-vault/amana/manifest"
	"github.com/amana-vault/amana/sshsig"
)

func sample() *manifest.Manifest {
	return &manifest.Manifest{
		Format: manifest.Format, ID: "abcdefghijklmnopqrstuvwxyz", Collection: "kirkuk-2018", Kind: "testimony",
		Depositor: "r.hassan", DepositedAt: manifest.FormatTime(time.Date(2026, 3, 1, 9, 0, 0, 5, time.UTC)),
		CipherSHA256:    strings.Repeat("a", 64),
		PlainCommitment: strings.Repeat("b", 64),
		PublicSHA256:    manifest.PublicSHA256([]byte(`{"title":"t","language":"en"}`)),
		ConsentScopes:   []string{"legal_proceedings", "research"},
	}
}

func TestBytesParseRoundTrip(t *testing.T) {
	m := sample()
	b := m.Bytes()
	if !bytes.HasSuffix(b, []byte("}\n")) || bytes.Count(b, []byte("\n")) != 1 {
		t.Fatalf("not one compact line: %q", b)
	}
	if !bytes.HasPrefix(b, []byte(`{"format":"amana-deposit/1","id":`)) {
		t.Fatalf("field order: %s", b)
	}
	got, err := manifest.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), b) {
		t.Fatal("round trip changed the bytes")
	}
}

func TestParseRefuses(t *testing.T) {
	good := string(sample().Bytes())
	for name, in := range map[string]string{
		"empty":            "",
		"not JSON":         "hello",
		"unknown field":    strings.Replace(good, `"format"`, `"extra":1,"format"`, 1),
		"no newline":       strings.TrimSuffix(good, "\n"),
		"spaces":           strings.Replace(good, `,"id"`, `, "id"`, 1),
		"other format":     strings.Replace(good, "amana-deposit/1", "amana-deposit/2", 1),
		"upper-case hex":   strings.Replace(good, strings.Repeat("a", 64), strings.Repeat("A", 64), 1),
		"short hash":       strings.Replace(good, strings.Repeat("b", 64), "bb", 1),
		"unsorted scopes":  strings.Replace(good, `["legal_proceedings","research"]`, `["research","legal_proceedings"]`, 1),
		"repeated scope":   strings.Replace(good, `["legal_proceedings","research"]`, `["research","research"]`, 1),
		"no scope":         strings.Replace(good, `["legal_proceedings","research"]`, `[]`, 1),
		"local time":       strings.Replace(good, "2026-03-01T09:00:00Z", "2026-03-01T09:00:00+03:00", 1),
		"impossible date":  strings.Replace(good, "2026-03-01T09:00:00Z", "2026-02-31T09:00:00Z", 1),
		"path in id":       strings.Replace(good, `"id":"abcdefghijklmnopqrstuvwxyz"`, `"id":"../x"`, 1),
		"oversize":         good + strings.Repeat(" ", manifest.MaxSize),
		"trailing garbage": good + "{}",
	} {
		if _, err := manifest.Parse([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The commitment is the SHA-256 of a text line, so a shell reproduces it:
//
//	N=$(printf '%064x' 7); P=$(printf 'fictional\n' | sha256sum | cut -c1-64)
//	printf 'amana-plaintext/1 %s %s %d\n' "$N" "$P" 10 | sha256sum
func TestCommitmentShellVector(t *testing.T) {
	nonce := strings.Repeat("0", 63) + "7"
	plain := sha256.Sum256([]byte("fictional\n"))
	const want = "fd5a8025175b2a2adf5e0d33081ef33ef4722ae3f162d35197c42d14eec4fabe"
	m := sample()
	m.PlainCommitment = want
	if err := m.CheckPlaintext(nonce, plain, 10); err != nil {
		t.Fatalf("shell vector: %v", err)
	}
	for name, err := range map[string]error{
		"other size":      m.CheckPlaintext(nonce, plain, 11),
		"other plaintext": m.CheckPlaintext(nonce, sha256.Sum256([]byte("other\n")), 10),
		"other nonce":     m.CheckPlaintext(strings.Repeat("0", 63)+"8", plain, 10),
		"no nonce":        m.CheckPlaintext("", plain, 10),
		"bad nonce":       m.CheckPlaintext(strings.Repeat("z", 64), plain, 10),
	} {
		if !errors.Is(err, manifest.ErrMismatch) {
			t.Errorf("%s: %v, want ErrMismatch", name, err)
		}
	}
}

func TestMatch(t *testing.T) {
	m := sample()
	if err := m.Match(manifest.Expect{ID: m.ID, Collection: m.Collection, Depositor: "r.hassan", ConsentScopes: []string{"legal_proceedings", "research"}}); err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]manifest.Expect{
		"id":         {ID: "other"},
		"collection": {Collection: "mosul-2020"},
		"depositor":  {Depositor: "a.karim"},
		"cipher":     {CipherSHA256: strings.Repeat("c", 64)},
		"public":     {PublicSHA256: strings.Repeat("d", 64)},
		"consent":    {ConsentScopes: []string{"research"}},
	} {
		err := m.Match(e)
		if !errors.Is(err, manifest.ErrMismatch) || !strings.Contains(err.Error(), strings.Split(name, " ")[0]) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSignVerify(t *testing.T) {
	priv, pub, err := sshsig.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sshsig.ParseSigningKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	m := sample()
	sig, err := manifest.Sign(m, signer)
	if err != nil {
		t.Fatal(err)
	}
	got, err := manifest.Verify(m.Bytes(), sig, pub)
	if err != nil || got.ID != m.ID {
		t.Fatalf("Verify: %v", err)
	}
	_, other, _ := sshsig.GenerateSigningKey()
	if _, err := manifest.Verify(m.Bytes(), sig, other); !errors.Is(err, manifest.ErrSignature) {
		t.Errorf("another key: %v", err)
	}
	if _, err := manifest.Verify(m.Bytes(), sig, ""); !errors.Is(err, manifest.ErrSignature) {
		t.Errorf("no key: %v", err)
	}
	changed := *m
	changed.ConsentScopes = []string{"research"}
	if _, err := manifest.Verify(changed.Bytes(), sig, pub); !errors.Is(err, manifest.ErrSignature) {
		t.Errorf("changed consent: %v", err)
	}
}

// What binding a deposit costs: one signature by the depositor, one
// verification by each reader (the server's at deposit included).
func BenchmarkSignVerify(b *testing.B) {
	priv, pub, _ := sshsig.GenerateSigningKey()
	signer, _ := sshsig.ParseSigningKey(priv)
	m := sample()
	b.Run("sign", func(b *testing.B) {
		for b.Loop() {
			if _, err := manifest.Sign(m, signer); err != nil {
				b.Fatal(err)
			}
		}
	})
	sig, _ := manifest.Sign(m, signer)
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			if _, err := manifest.Verify(m.Bytes(), sig, pub); err != nil {
				b.Fatal(err)
			}
		}
	})
}
