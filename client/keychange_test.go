package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/manifest"
	"github.com/amana-vault/amana/sshsig"
	"github.com/amana-vault/amana/vault"
)

// mitm is a man in the middle inside the server's handler: while set, it
// may rewrite each request before the server sees it and each answer
// before the client does.
type mitm struct {
	mu   sync.Mutex
	req  func(r *http.Request)
	resp func(r *http.Request, body []byte) []byte
}

func (m *mitm) set(req func(*http.Request), resp func(*http.Request, []byte) []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.req, m.resp = req, resp
}

func (m *mitm) clear() { m.set(nil, nil) }

func (m *mitm) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		req, resp := m.req, m.resp
		m.mu.Unlock()
		if req == nil && resp == nil {
			next.ServeHTTP(w, r)
			return
		}
		if req != nil {
			r = r.Clone(r.Context())
			req(r)
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if resp != nil {
			body = resp(r, body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// jsonString is s as it appears inside a JSON answer.
func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b[1 : len(b)-1]
}

func newSigner(t *testing.T) (ssh.Signer, string) {
	t.Helper()
	pemBytes, pub, err := sshsig.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.ParsePrivateKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return s, pub
}

// TestSigningKeyChange: after an admin replaces a depositor's signing key,
// the depositor's earlier deposits still open and verify, with the key
// that was bound to the depositor when each was deposited; the server
// refuses new deposits signed with the replaced key; and a reader refuses
// a manifest signed by a key bound only after the deposit or never bound
// to the depositor, and a server that hides a change of keys.
func TestSigningKeyChange(t *testing.T) {
	m := &mitm{}
	s := amanatest.NewServer(t, amanatest.Options{
		Collections: []vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan", "r.ahmed", "a.karim"}, Custodians: []string{"l.custodian"}}},
		Wrap:        m.wrap,
	})
	login := func(id string) (*client.Client, *client.KeyPins) {
		c := s.Login(id)
		pins := &client.KeyPins{File: t.TempDir() + "/" + client.KeyPinsFile, Server: s.URL}
		c.Keys = pins
		return c, pins
	}
	deposit := func(c *client.Client, signer ssh.Signer, content string) (*client.Deposited, error) {
		return c.Deposit(ctx, client.DepositRequest{
			Collection: "kirkuk-2018", Kind: "testimony",
			Public:  client.PublicMeta{Title: "A testimony on the kilns", Language: "en"},
			Consent: client.Consent{Scopes: []string{"research", "legal_proceedings"}, RecordedAt: "2018-05-02", RecordedBy: "r.hassan"},
			Content: strings.NewReader(content), To: []string{"a.karim"},
			Depositor: "r.hassan", Signer: signer,
		})
	}
	get := func(c *client.Client, id, as, want string) *client.Got {
		t.Helper()
		var buf bytes.Buffer
		got, err := c.Get(ctx, id, s.Users[as].Identities, &buf)
		if err != nil {
			t.Fatalf("%s reads %s: %v", as, id, err)
		}
		if buf.String() != want {
			t.Fatalf("%s read %q, want %q", as, buf.String(), want)
		}
		return got
	}

	hassan, _ := login("r.hassan")
	oldSigner, oldKey := s.Users["r.hassan"].Signer, s.Users["r.hassan"].SigningKey
	d1, err := deposit(hassan, oldSigner, "a testimony signed with the first key")
	if err != nil {
		t.Fatal(err)
	}
	doc1 := d1.Document.ID
	karim, karimPins := login("a.karim")
	if got := get(karim, doc1, "a.karim", "a testimony signed with the first key"); got.DepositorKey != oldKey {
		t.Fatalf("read with key %s, want %s", got.DepositorKey, oldKey)
	}
	if _, err := karimPins.Verify(ctx, karim, "r.hassan"); err != nil {
		t.Fatal(err)
	}

	// An admin replaces r.hassan's signing key (a lost laptop).
	newS, newKey := newSigner(t)
	admin := s.Login("l.custodian")
	if _, err := admin.SetSigningKey(ctx, "r.hassan", newKey); err != nil {
		t.Fatal(err)
	}

	// The earlier deposit still opens and verifies with the first key: for
	// a reader that pinned r.hassan's first keys, a fresh one, and a
	// client without a key verifier.
	fresh, _ := login("a.karim")
	bare := s.Login("l.custodian")
	for name, c := range map[string]*client.Client{"pinned": karim, "fresh": fresh, "no verifier": bare} {
		as := "a.karim"
		if c == bare {
			as = "l.custodian"
		}
		got := get(c, doc1, as, "a testimony signed with the first key")
		if got.DepositorKey != oldKey || got.Manifest == nil || got.Manifest.Depositor != "r.hassan" {
			t.Errorf("%s: read with key %s, manifest %+v", name, got.DepositorKey, got.Manifest)
		}
		doc, err := c.Document(ctx, doc1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.VerifyManifest(ctx, doc); err != nil {
			t.Errorf("%s: VerifyManifest: %v", name, err)
		}
	}
	// The pin of r.hassan's current keys is not moved by the read; using
	// them still needs the change accepted.
	if _, err := karimPins.Verify(ctx, karim, "r.hassan"); !errors.Is(err, client.ErrKeyChanged) {
		t.Errorf("r.hassan's current keys after the change: %v, want a key change", err)
	}
	// The depositor, with the new key, may still rekey the earlier deposit
	// (which checks its manifest).
	hassanNow := s.Login("r.hassan")
	hassanNow.Keys = &client.KeyPins{File: t.TempDir() + "/" + client.KeyPinsFile, Server: s.URL}
	if _, err := hassanNow.Rekey(ctx, doc1, s.Users["r.hassan"].Identities); err != nil {
		t.Fatalf("rekey after the change: %v", err)
	}
	get(karim, doc1, "a.karim", "a testimony signed with the first key")

	// The server refuses a new deposit signed with the replaced key, and
	// takes one signed with the new key, which then reads with it.
	_, err = deposit(hassanNow, oldSigner, "signed with the replaced key")
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest || !strings.Contains(ce.Message, "manifest_sig") {
		t.Fatalf("deposit signed with the replaced key: %v", err)
	}
	d2, err := deposit(hassanNow, newS, "a testimony signed with the second key")
	if err != nil {
		t.Fatal(err)
	}
	doc2 := d2.Document.ID
	if got := get(karim, doc2, "a.karim", "a testimony signed with the second key"); got.DepositorKey != newKey {
		t.Errorf("the later deposit read with key %s, want %s", got.DepositorKey, newKey)
	}

	// Forgeries, each refused. A manifest for doc1 re-signed by the key
	// bound after it, or by a key never bound to r.hassan.
	rec, err := karim.Document(ctx, doc1)
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := newSigner(t)
	isDoc := func(r *http.Request) bool { return r.URL.Path == "/v1/documents/"+doc1 }
	isDeposit := func(r *http.Request) bool { return r.URL.Path == "/v1/documents/"+doc1+"/manifest" }
	for _, f := range []struct {
		name   string
		signer ssh.Signer
	}{{"key bound after the deposit", newS}, {"key never bound", stranger}} {
		m1, err := manifest.Parse([]byte(rec.Manifest))
		if err != nil {
			t.Fatal(err)
		}
		sig, err := manifest.Sign(m1, f.signer)
		if err != nil {
			t.Fatal(err)
		}
		swap := func(body []byte) []byte {
			return bytes.ReplaceAll(body, jsonString(rec.ManifestSig), jsonString(string(sig)))
		}
		// Planted in the document's record: not what the log recorded.
		t.Run(f.name+"/record", func(t *testing.T) {
			m.set(nil, func(r *http.Request, body []byte) []byte {
				if isDoc(r) {
					return swap(body)
				}
				return body
			})
			defer m.clear()
			for _, c := range []*client.Client{karim, fresh, bare} {
				as := "a.karim"
				if c == bare {
					as = "l.custodian"
				}
				_, err := c.Get(ctx, doc1, s.Users[as].Identities, io.Discard)
				if !errors.Is(err, client.ErrIntegrity) || !strings.Contains(err.Error(), "not the one the audit log recorded") {
					t.Errorf("read of a planted manifest: %v", err)
				}
			}
		})
		// Planted in the record and in the log's answer: the proof fails.
		t.Run(f.name+"/record and log", func(t *testing.T) {
			m.set(nil, func(r *http.Request, body []byte) []byte {
				if isDoc(r) || isDeposit(r) {
					return swap(body)
				}
				return body
			})
			defer m.clear()
			for _, c := range []*client.Client{karim, fresh} {
				_, err := c.Get(ctx, doc1, s.Users["a.karim"].Identities, io.Discard)
				wantKeyError(t, "read of a manifest planted in the log's answer", err, "r.hassan")
			}
		})
	}

	// A server that names a later binding as the one in effect at the
	// deposit (the new key's, for doc1), or hides the change before a
	// deposit (the first key's, for doc2).
	keysAt := func(doc string) int64 {
		p, err := bare.DepositEvent(ctx, doc, 0)
		if err != nil {
			t.Fatal(err)
		}
		return p.Seq
	}
	at1, at2 := keysAt(doc1), keysAt(doc2)
	answerAt := func(real, claimed int64, dropNext bool) {
		m.set(func(r *http.Request) {
			q := r.URL.Query()
			if strings.HasSuffix(r.URL.Path, "/keys") && q.Get("at") == strconv.FormatInt(claimed, 10) {
				q.Set("at", strconv.FormatInt(real, 10))
				r.URL.RawQuery = q.Encode()
			}
		}, func(r *http.Request, body []byte) []byte {
			if !strings.HasSuffix(r.URL.Path, "/keys") || r.URL.Query().Get("at") != strconv.FormatInt(real, 10) {
				return body
			}
			var k auditlog.UserKeys
			if err := json.Unmarshal(body, &k); err != nil {
				return body
			}
			k.At = claimed
			if dropNext {
				k.Next = nil
			}
			b, _ := json.Marshal(&k)
			return b
		})
	}
	changeSeq := func() int64 {
		k, err := karim.KeyProof(ctx, "r.hassan", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		return k.Seq
	}()
	for _, c := range []struct {
		name          string
		doc           string
		real, claimed int64
		dropNext      bool
		reader        *client.Client
		want          string
	}{
		{"later binding", doc1, at2, at1, false, fresh, "after event"},
		{"later binding, no next", doc1, at2, at1, true, fresh, "after event"},
		{"earlier binding", doc2, changeSeq, at2, false, fresh, "no longer in effect"},
	} {
		t.Run(c.name, func(t *testing.T) {
			answerAt(c.real, c.claimed, c.dropNext)
			defer m.clear()
			_, err := c.reader.Get(ctx, c.doc, s.Users["a.karim"].Identities, io.Discard)
			wantKeyError(t, c.name, err, "r.hassan")
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v, want %q", c.name, err, c.want)
			}
		})
	}
	// Hiding the change and the binding after it: only a reader that
	// knows of the change (it pinned the new keys) can tell.
	if _, _, err := karimPins.Trust(ctx, karim, "r.hassan", func(o, n *client.PinnedKeys) error { return nil }); err != nil {
		t.Fatal(err)
	}
	answerAt(changeSeq, at2, true)
	_, err = karim.Get(ctx, doc2, s.Users["a.karim"].Identities, io.Discard)
	m.clear()
	wantKeyError(t, "a hidden change", err, "r.hassan")
	if !strings.Contains(err.Error(), "between them") {
		t.Errorf("a hidden change: %v", err)
	}
	// The honest server again: both read, each with its own key.
	if got := get(karim, doc1, "a.karim", "a testimony signed with the first key"); got.DepositorKey != oldKey {
		t.Errorf("doc1 read with %s", got.DepositorKey)
	}
	if got := get(karim, doc2, "a.karim", "a testimony signed with the second key"); got.DepositorKey != newKey {
		t.Errorf("doc2 read with %s", got.DepositorKey)
	}
}
