package amanatest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/amana-vault/amana/envelope"
)

// ForgeContent is what a keeper who holds document id's key could do to
// replace the evidence: as keeper (a custodian, say) it rekeys the document
// with plain as its content and private metadata sealed to match it (hash,
// size, a nonce of its own), through the real API with a step-up code. Every
// check that does not involve the depositor's signed manifest accepts the
// result; the tests show that readers refuse it.
func (s *Server) ForgeContent(keeper, id string, plain []byte, private map[string]any) {
	s.t.Helper()
	ctx := context.Background()
	c := s.Login(keeper)
	doc, err := c.Document(ctx, id)
	if err != nil {
		s.t.Fatalf("amanatest: forge: %v", err)
	}
	if _, err := c.OpenKey(ctx, id, s.user(keeper).Identities); err != nil {
		s.t.Fatalf("amanatest: forge: %s holds no key for %s: %v", keeper, id, err)
	}
	recips := map[string]string{}
	for _, u := range doc.SlotHolders {
		recips[u] = s.user(u).Recipient
	}
	rs, err := envelope.ParseRecipients(recips)
	if err != nil {
		s.t.Fatal(err)
	}
	next, err := envelope.NewDeposit(rs)
	if err != nil {
		s.t.Fatal(err)
	}
	var ct bytes.Buffer
	sealed, err := next.Seal(&ct, bytes.NewReader(plain), private)
	if err != nil {
		s.t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range []struct {
		name string
		v    any
	}{
		{"meta", map[string]any{"slots": next.Slots}},
		{"content", ct.Bytes()},
		{"final", map[string]any{"cipher_sha256": hex.EncodeToString(sealed.CipherSHA256[:]), "private": sealed.Private}},
	} {
		w, _ := mw.CreateFormField(p.name)
		if b, ok := p.v.([]byte); ok {
			w.Write(b)
		} else {
			json.NewEncoder(w).Encode(p.v)
		}
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPut, s.URL+"/v1/documents/"+id+"/content", &body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("X-Amana-TOTP", s.NextCode(keeper))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		s.t.Fatalf("amanatest: forge: the rekey as %s: %d %s", keeper, resp.StatusCode, b)
	}
}
