package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amana-vault/amana/envelope"
)

// A custodian (a keeper: it may rekey) replaces a deposit's content with a
// rekey whose private metadata is re-sealed to match. The depositor's
// command line refuses it: get writes nothing, show and export fail, each
// with one line naming the mismatch.
func TestKeeperForgeryRefusedByCLI(t *testing.T) {
	e := newEnv(t)
	e.createCollection()
	e.login("r.hassan")
	id := strings.Trim(string(e.deposit("r.hassan", []byte("the interview as deposited\n"))["id"]), `"`)

	forgeContent(t, e, id, []byte("an interview that never took place\n"))

	out := filepath.Join(t.TempDir(), "copy.txt")
	for _, args := range [][]string{
		{"get", id, "-o", out},
		{"show", id},
		{"export", id, "-o", filepath.Join(t.TempDir(), "bundle.zip")},
	} {
		r := e.run("r.hassan", args...)
		if r.code != 1 || !strings.Contains(r.stderr, "not what r.hassan deposited") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("amana %s: exit %d, stderr %q; want 1 and one line naming the mismatch", args[0], r.code, r.stderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("get left %s behind (%v)", out, err)
	}
	if m, _ := filepath.Glob(out + "*"); len(m) != 0 {
		t.Errorf("get left %v behind", m)
	}
}

// forgeContent rekeys document id as the custodian l.custodian with other
// plaintext and private metadata sealed to match it.
func forgeContent(t *testing.T, e *env, id string, forged []byte) {
	t.Helper()
	ctx := context.Background()
	c := e.srv.Login("l.custodian")
	doc, err := c.Document(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	recips := map[string]string{}
	for _, u := range doc.SlotHolders {
		recips[u] = e.srv.Users[u].Recipient
	}
	rs, err := envelope.ParseRecipients(recips)
	if err != nil {
		t.Fatal(err)
	}
	next, err := envelope.NewDeposit(rs)
	if err != nil {
		t.Fatal(err)
	}
	var body, ct bytes.Buffer
	s, err := next.Seal(&ct, bytes.NewReader(forged), map[string]any{"file_name": "interview-07.txt"})
	if err != nil {
		t.Fatal(err)
	}
	mw := multipart.NewWriter(&body)
	for _, p := range []struct {
		name string
		v    any
	}{
		{"meta", map[string]any{"slots": next.Slots}},
		{"content", ct.Bytes()},
		{"final", map[string]any{"cipher_sha256": hex.EncodeToString(s.CipherSHA256[:]), "private": s.Private}},
	} {
		w, _ := mw.CreateFormField(p.name)
		if b, ok := p.v.([]byte); ok {
			w.Write(b)
		} else {
			json.NewEncoder(w).Encode(p.v)
		}
	}
	mw.Close()
	e.srv.Step()
	req, _ := http.NewRequest(http.MethodPut, e.url+"/v1/documents/"+id+"/content", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("X-Amana-TOTP", e.srv.Code("l.custodian"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the custodian's rekey: %d", resp.StatusCode)
	}
}
