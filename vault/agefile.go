package vault

import (
	"bufio"
	"bytes"
	"strings"

	"filippo.io/age"

	"github.com/amana-vault/amana/recipient"
)

// stanzaTypes parses the header of an age file and returns the type of each
// recipient stanza. The server cannot decrypt anything, but it can refuse
// what is not an age file, and key slots wrapped for the wrong kind of key.
func stanzaTypes(b []byte) ([]string, error) {
	hdr, err := age.ExtractHeader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var types []string
	sc := bufio.NewScanner(bytes.NewReader(hdr))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "-> "); ok {
			typ, _, _ := strings.Cut(rest, " ")
			types = append(types, typ)
		}
	}
	return types, nil
}

// stanzaFor maps a recipient kind to the stanza type its key slots carry.
// Plugin recipients define their own stanzas, so they are not checked.
var stanzaFor = map[string]string{
	"x25519":      "X25519",
	"pq":          "mlkem768x25519",
	"ssh-ed25519": "ssh-ed25519",
	"ssh-rsa":     "ssh-rsa",
}

// checkSlot validates a key slot wrapped for the user with recipient r.
func checkSlot(field string, slot []byte, r string) error {
	if len(slot) == 0 {
		return invalid(field, "empty key slot")
	}
	if len(slot) > MaxSlot {
		return &InvalidError{Field: field, Reason: "key slot larger than 16 KiB"}
	}
	types, err := stanzaTypes(slot)
	if err != nil {
		// age's parse errors quote the input: never echo it.
		return invalid(field, "not an age file (malformed header)")
	}
	if len(types) == 0 {
		return invalid(field, "age header has no recipient stanza")
	}
	kind, err := recipient.Kind(r)
	if err != nil {
		return invalid(field, "recipient: %v", err)
	}
	want, ok := stanzaFor[kind]
	if !ok {
		return nil
	}
	for _, t := range types {
		if t != want {
			return invalid(field, "key slot is not wrapped for the user's %s key", kind)
		}
	}
	return nil
}

// checkDocFile validates content or private metadata: an age file encrypted
// to exactly one document key.
func checkDocFile(field string, b []byte) error {
	types, err := stanzaTypes(b)
	if err != nil {
		return invalid(field, "not an age file (malformed header)")
	}
	if len(types) != 1 || (types[0] != "X25519" && types[0] != "mlkem768x25519") {
		return invalid(field, "must be encrypted to exactly one document key")
	}
	return nil
}
