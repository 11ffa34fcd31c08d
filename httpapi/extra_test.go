package httpapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/vault"
)

func TestCustodyStatsBackup(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	var ids []string
	for i := 0; i < 6; i++ {
		d := sampleDeposit([]byte("stats"))
		d.Consent.Scopes = append(d.Consent.Scopes, "advocacy")
		dep, err := r.Deposit(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, dep.Document.ID)
	}

	// Custody trail: proofs check against the signed checkpoint.
	var cust struct {
		Events []json.RawMessage `json:"events"`
		Proofs []struct {
			Seq   int64       `json:"seq"`
			Proof []tlog.Hash `json:"proof"`
		} `json:"proofs"`
		Checkpoint, Verifier string
	}
	resp := e.raw(r, "GET", "/v1/documents/"+ids[0]+"/custody", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("custody: %d %s", resp.StatusCode, e.body(resp))
	}
	json.Unmarshal(e.body(resp), &cust)
	cp, err := auditlog.OpenCheckpoint([]byte(cust.Checkpoint), e.v.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if len(cust.Events) < 2 {
		t.Fatalf("custody has %d events", len(cust.Events))
	}
	for i, ev := range cust.Events {
		if err := tlog.CheckRecord(cust.Proofs[i].Proof, cp.Size, cp.Root, cust.Proofs[i].Seq, tlog.RecordHash(ev)); err != nil {
			t.Fatalf("custody proof %d: %v", i, err)
		}
	}
	if resp := e.raw(e.login("a.karim"), "GET", "/v1/documents/"+ids[0]+"/custody", nil, ""); resp.StatusCode != 403 {
		t.Errorf("custody for a member without slot: %d", resp.StatusCode)
	}

	// Stats: 6 advocacy documents in one cell; suppressed below 5.
	var st struct {
		Total string
		Cells []vault.StatsCell
	}
	resp = e.raw(r, "GET", "/v1/stats?by=governorate,kind", nil, "")
	json.Unmarshal(e.body(resp), &st)
	if st.Total != "6" || len(st.Cells) != 1 || st.Cells[0].Count != "6" || st.Cells[0].Key["governorate"] != "Kirkuk" {
		t.Fatalf("stats: %+v", st)
	}
	admin := e.login("l.custodian")
	if err := admin.Shred(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := admin.Shred(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	resp = e.raw(r, "GET", "/v1/stats?by=year", nil, "")
	json.Unmarshal(e.body(resp), &st)
	if st.Total != vault.Suppressed || st.Cells[0].Count != vault.Suppressed {
		t.Fatalf("4 documents not suppressed: %+v", st)
	}
	if resp := e.raw(r, "GET", "/v1/stats?by=persons", nil, ""); resp.StatusCode != 400 {
		t.Errorf("stats by persons: %d", resp.StatusCode)
	}

	// Backup: admins only, and the copy opens as a vault.
	if resp := e.raw(r, "GET", "/v1/backup", nil, ""); resp.StatusCode != 403 {
		t.Errorf("researcher backup: %d", resp.StatusCode)
	}
	resp = e.raw(admin, "GET", "/v1/backup", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("backup: %d", resp.StatusCode)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, vault.DBFile), e.body(resp), 0o600); err != nil {
		t.Fatal(err)
	}
	// The backup holds the records; the ciphertext is in the blob store,
	// copied (or mirrored) beside it.
	if err := os.CopyFS(filepath.Join(dir, "blobs"), os.DirFS(filepath.Join(e.v.Dir(), "blobs"))); err != nil {
		t.Fatal(err)
	}
	bv, err := vault.Open(dir, passphrase, vault.Options{})
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	defer bv.Close()
	if err := bv.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestCrossOriginRefusedAsJSON(t *testing.T) {
	e := newEnv(t)
	r := e.login("r.hassan")
	resp := e.raw(r, "POST", "/v1/auth/logout", nil, "", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	b := e.body(resp)
	if resp.StatusCode != 403 || !strings.Contains(string(b), `"cross_origin"`) {
		t.Fatalf("cross-origin POST: %d %s", resp.StatusCode, b)
	}
	// The session survived: the request was refused before the handler.
	if _, err := r.Collections(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPluginRecipientGetsAChallenge(t *testing.T) {
	e := newEnv(t)
	admin := e.login("l.custodian")
	// A plugin recipient whose plugin is not installed on the server.
	_, err := admin.AddUser(ctx, client.NewUser{ID: "r.yubi", Role: "researcher",
		Recipient: "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t"})
	if err != nil {
		t.Fatalf("a plugin recipient was refused: %v", err)
	}
	resp := e.raw(nil, "POST", "/v1/auth/challenge", bytes.NewReader([]byte(`{"user":"r.yubi"}`)), "application/json")
	if b := e.body(resp); resp.StatusCode != 200 || !strings.Contains(string(b), "BEGIN AGE ENCRYPTED FILE") {
		t.Fatalf("challenge for a plugin user: %d %s", resp.StatusCode, b)
	}
}
