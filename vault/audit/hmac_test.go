package audit

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"regexp"
	"testing"

	"go.etcd.io/bbolt"
)

func TestHMAC(t *testing.T) {
	a := newTestLog(t, "vault")
	a2 := newTestLog(t, "vault")
	b := newTestLog(t, "other")
	format := regexp.MustCompile(`^hmac-sha256:[0-9a-f]{64}$`)
	for _, v := range []string{"", "198.51.100.7", "نادية مراد", "checkpoint detentions"} {
		h := a.HMAC(v)
		if !format.MatchString(h) {
			t.Errorf("HMAC(%q) = %q", v, h)
		}
		if a.HMAC(v) != h || a2.HMAC(v) != h {
			t.Errorf("HMAC(%q) differs for equal values and keys", v)
		}
		if b.HMAC(v) == h {
			t.Errorf("HMAC(%q) equal under different keys", v)
		}
		if a.HMAC(v+" ") == h {
			t.Errorf("HMAC(%q) equal for different values", v)
		}
	}

	// RFC 4231 test case 6 (a key longer than the block size).
	key := bytes.Repeat([]byte{0xaa}, 131)
	l, err := New(testOrigin, key, ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	const want = "hmac-sha256:60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
	if got := l.HMAC("Test Using Larger Than Block-Size Key - Hash Key First"); got != want {
		t.Errorf("RFC 4231 case 6: %s, want %s", got, want)
	}
}

func TestHMACCanary(t *testing.T) {
	// Person-identifying values go into events only as HMACs: the database
	// file must not contain them anywhere.
	canaries := []string{"CANARY-Nadia-7f3a9", "203.0.113.177", "كناري-أمانة-٤٢"}
	db, path := openDB(t)
	l := newTestLog(t, "vault")
	if err := db.Update(l.Init); err != nil {
		t.Fatal(err)
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		for i, c := range canaries {
			e := &Event{
				Actor:   "l.karim",
				Action:  "search",
				Outcome: OutcomeOK,
				Hashed:  map[string]string{"query": l.HMAC(c), "client": l.HMAC(canaries[(i+1)%len(canaries)])},
				Detail:  map[string]string{"hits": "3"},
			}
			if err := l.Append(tx, e); err != nil {
				return err
			}
		}
		return l.Sign(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range canaries {
		if bytes.Contains(file, []byte(c)) {
			t.Errorf("database file contains %q in clear", c)
		}
		if !bytes.Contains(file, []byte(l.HMAC(c))) {
			t.Errorf("database file lacks the HMAC of %q (is the scan looking at the right file?)", c)
		}
	}
}
