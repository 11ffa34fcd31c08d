package audit

import (
	"bytes"
	"os"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/auditlog"
)

func TestLogHMAC(t *testing.T) {
	// The log hashes with its own key, as auditlog.HMAC defines the value.
	l := newTestLog(t, "vault")
	for _, v := range []string{"", "198.51.100.7", "نادية مراد"} {
		if got, want := l.HMAC(v), auditlog.HMAC(testHMACKey("vault"), v); got != want {
			t.Errorf("HMAC(%q) = %s, want %s", v, got, want)
		}
		if l.HMAC(v) == newTestLog(t, "other").HMAC(v) {
			t.Errorf("HMAC(%q) equal under different keys", v)
		}
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
				Outcome: auditlog.OutcomeOK,
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
