package audit_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/vault/audit"
)

func Example() {
	dir, _ := os.MkdirTemp("", "audit-example")
	defer os.RemoveAll(dir)
	db, err := bbolt.Open(filepath.Join(dir, "vault.db"), 0o600, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// The vault derives both keys from its sealed server key.
	seed := sha256.Sum256([]byte("example only"))
	hmacKey := sha256.Sum256([]byte("example hmac key"))
	alog, err := audit.New("amana.example/audit", hmacKey[:], ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		log.Fatal(err)
	}
	if err := db.Update(alog.Init); err != nil {
		log.Fatal(err)
	}

	// An audited search: the action and its event commit together.
	err = db.Update(func(tx *bbolt.Tx) error {
		// ... the search itself ...
		e := &audit.Event{
			Actor:   "l.karim",
			Action:  "search",
			Outcome: auditlog.OutcomeOK,
			Hashed:  map[string]string{"query": alog.HMAC("checkpoint detentions")},
		}
		if err := alog.Append(tx, e); err != nil {
			return err
		}
		return alog.Sign(tx)
	})
	if err != nil {
		log.Fatal(err)
	}

	// An auditor, offline.
	db.View(func(tx *bbolt.Tx) error {
		rep, err := audit.Verify(tx, nil)
		fmt.Println(rep.Size, err)
		return nil
	})
	// Output: 1 <nil>
}
