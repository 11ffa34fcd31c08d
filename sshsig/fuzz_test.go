package sshsig

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/crypto/ssh"
)

// FuzzVerify: whatever the input, Verify returns an error, or nil only
// for the armor (give or take white space) of a genuine signature by that
// key (its reserved field aside); it never panics. The fuzzer gets armored input, and raw blobs that
// it armors, so that it reaches the parser behind the armor too. The
// parsers of keys get the same input.
func FuzzVerify(f *testing.F) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	msg := read("message.txt")
	type key struct {
		pub     ssh.PublicKey
		genuine [][]byte // raw blobs of its signatures over msg
	}
	var keys []key
	for pubFile, sigs := range map[string][]string{
		"ed25519.pub": {"ed25519.sig", "ed25519-sha256.sig"},
		"sk.pub":      {"sk.sig"},
	} {
		pub, err := ParsePublicKey(string(read(pubFile)))
		if err != nil {
			f.Fatal(err)
		}
		k := key{pub: pub}
		for _, s := range sigs {
			armored := read(s)
			raw, err := dearmor(armored)
			if err != nil {
				f.Fatal(err)
			}
			k.genuine = append(k.genuine, raw)
			f.Add(armored, false)
			f.Add(raw, true)
			f.Add(raw[:len(raw)/2], true)
		}
		keys = append(keys, k)
	}
	f.Add([]byte(magic), true)
	f.Add([]byte(armorBegin+"\n"+armorEnd), false)
	f.Add([]byte{}, false)
	f.Add(read("ed25519.key"), false)
	f.Add(read("ed25519.pub"), false)
	f.Fuzz(func(t *testing.T, in []byte, wrap bool) {
		sig := in
		if wrap {
			sig = armor(in)
		}
		for _, k := range keys {
			if err := Verify(k.pub, DepositNamespace, msg, sig); err == nil {
				// The reserved field is not signed: PROTOCOL.sshsig says
				// to ignore it.
				raw, _ := dearmor(sig)
				b, _ := parseBlob(raw)
				b.Reserved = nil
				raw = append([]byte(magic), ssh.Marshal(b)...)
				if !slices.ContainsFunc(k.genuine, func(g []byte) bool { return bytes.Equal(g, raw) }) {
					t.Fatalf("%s: accepted %q", k.pub.Type(), sig)
				}
			}
		}
		ParsePublicKey(string(in))
		ParseSigningKey(in)
	})
}
