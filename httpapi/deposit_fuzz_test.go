package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"slices"
	"testing"

	"golang.org/x/time/rate"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/vault"
)

// fzEnv is one real vault, index and API handler shared by every input of
// a fuzz target; inputs go straight to the handler, without a socket.
type fzEnv struct {
	*env
	h      http.Handler
	tokens map[string]string // user -> session token
}

// newFzEnv builds the environment once per fuzz target, with the rate
// limits lifted (the fuzzer is one very fast client) and logs discarded.
// Without index, deposits do not start the index's background merges,
// whose coverage would make every input look new to the fuzzer.
func newFzEnv(tb testing.TB, index bool, users ...string) *fzEnv {
	tb.Helper()
	e := newEnv(tb, func(c *httpapi.Config) {
		c.Rate, c.Burst = rate.Inf, 1<<30
		c.AuthRate, c.AuthBurst = rate.Inf, 1<<30
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if !index {
			c.Indexer = nil
		}
	})
	fe := &fzEnv{env: e, h: e.srv.Config.Handler, tokens: map[string]string{}}
	for _, u := range users {
		fe.tokens[u] = e.login(u).Token
	}
	return fe
}

// serve sends r as user ("": anonymous) to the handler and checks what
// every answer must be: never 5xx, and every error a JSON error body.
func (fe *fzEnv) serve(t *testing.T, user string, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	if user != "" {
		r.Header.Set("Authorization", "Bearer "+fe.tokens[user])
	}
	w := httptest.NewRecorder()
	fe.h.ServeHTTP(w, r)
	if w.Code >= 500 {
		t.Fatalf("%s %s: %d %s", r.Method, r.URL, w.Code, w.Body.String())
	}
	if w.Code >= 400 {
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code == "" {
			t.Fatalf("%s %s: %d with a body that is not a JSON error: %q", r.Method, r.URL, w.Code, w.Body.String())
		}
	}
	return w
}

func (fe *fzEnv) activeDocs(t testing.TB) int {
	n := 0
	if err := fe.v.EachActive(func(*vault.Document) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// fzDeposit is a valid deposit by r.hassan into kirkuk-2018, as parts.
type fzDeposit struct {
	meta, content, final []byte
}

func newFzDeposit(tb testing.TB, e *env, plain []byte) fzDeposit {
	tb.Helper()
	recips, err := e.v.CollectionRecipients(vault.Caller{User: "r.hassan"}, "kirkuk-2018")
	if err != nil {
		tb.Fatal(err)
	}
	key, _ := envelope.NewDocKey()
	slots := map[string][]byte{}
	for id, s := range recips {
		r, err := recipient.Parse(s)
		if err != nil {
			tb.Fatal(err)
		}
		if slots[id], err = envelope.Wrap(key, r); err != nil {
			tb.Fatal(err)
		}
	}
	meta, _ := json.Marshal(map[string]any{
		"collection": "kirkuk-2018", "kind": "interview",
		"public": map[string]any{"title": "Interview on detentions at a checkpoint", "summary": "Fictional record.",
			"language": "en", "governorate": "Kirkuk", "incident_date": "2017-06", "tags": []string{"detention"}},
		"consent": map[string]any{"scopes": []string{"research", "legal_proceedings"}, "recorded_at": "2018-03-02", "recorded_by": "r.hassan"},
		"slots":   slots,
	})
	var c bytes.Buffer
	d, err := envelope.Encrypt(&c, bytes.NewReader(plain), key)
	if err != nil {
		tb.Fatal(err)
	}
	priv, _ := envelope.SealPrivate(key, []byte(`{"file_name":"interview.txt"}`))
	final, _ := json.Marshal(map[string]any{"cipher_sha256": hex.EncodeToString(d.CipherSHA256[:]), "private": priv})
	return fzDeposit{meta: meta, content: c.Bytes(), final: final}
}

const fzBoundary = "fz-boundary-7d3a"

// fzMultipart writes parts (name, content) as multipart/form-data.
func fzMultipart(parts ...[2][]byte) []byte {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.SetBoundary(fzBoundary)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p[0]))
		w, _ := mw.CreatePart(h)
		w.Write(p[1])
	}
	mw.Close()
	return b.Bytes()
}

var depositStatuses = []int{201, 400, 403, 404, 409, 413, 415, 422}

// checkDeposit checks a deposit answer: an allowed status; a refusal
// changes nothing; an accepted document reads back as uploaded.
func (fe *fzEnv) checkDeposit(t *testing.T, w *httptest.ResponseRecorder, before int, content []byte) {
	t.Helper()
	if !slices.Contains(depositStatuses, w.Code) {
		t.Fatalf("deposit answered %d %s", w.Code, w.Body.String())
	}
	after := fe.activeDocs(t)
	if w.Code != http.StatusCreated {
		if after != before {
			t.Fatalf("a refused deposit (%d) changed the number of documents from %d to %d", w.Code, before, after)
		}
		return
	}
	var doc client.Document
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.ID == "" {
		t.Fatalf("201 without a document: %v %q", err, w.Body.String())
	}
	if after != before+1 {
		t.Fatalf("an accepted deposit changed the number of documents from %d to %d", before, after)
	}
	if content != nil {
		got := fe.serve(t, "r.hassan", httptest.NewRequest("GET", "/v1/documents/"+doc.ID+"/content", nil))
		if got.Code != 200 || !bytes.Equal(got.Body.Bytes(), content) {
			t.Fatalf("accepted content does not read back: %d", got.Code)
		}
	}
	// Keep the vault small: the admin shreds what the fuzzer got in.
	if err := fe.v.Shred(vault.Caller{User: "l.custodian"}, doc.ID); err != nil {
		t.Fatal(err)
	}
}

// FuzzDepositParts sends deposits whose meta, content and final parts are
// fuzzed (seeded with a valid deposit) to the real handler. fixHash makes
// the final part declare the content's real SHA-256, so the fuzzer can get
// past the hash check. No answer is 5xx; refusals change nothing.
func FuzzDepositParts(f *testing.F) {
	fe := newFzEnv(f, false, "r.hassan")
	d := newFzDeposit(f, fe.env, []byte("fictional interview transcript\n"))
	f.Add(d.meta, d.content, d.final, false)
	f.Add(d.meta, d.content, []byte(`{"cipher_sha256":"00"}`), true)
	f.Add(bytes.Replace(d.meta, []byte(`"language":"en"`), []byte(`"language":"xx"`), 1), d.content, d.final, false)
	f.Add(bytes.Replace(d.meta, []byte(`Interview on`), []byte(`Call +964 770 123 4567 about`), 1), d.content, d.final, false)
	f.Add(bytes.Replace(d.meta, []byte(`"slots":{`), []byte(`"slots":{"a.karim":"YWdl",`), 1), d.content, d.final, false)
	f.Add(bytes.Replace(d.meta, []byte(`kirkuk-2018`), []byte(`sinjar-2017`), 1), d.content, d.final, false)
	f.Add(d.meta, []byte("age-encryption.org/v1\n-> X25519 AAAA\nAAAA\n--- AAAA\n"), d.final, true)
	f.Add(d.meta, d.content[:100], d.final, true)
	f.Add([]byte(`{}`), d.content, d.final, false)
	f.Add([]byte(`{"collection":"kirkuk-2018","unknown":1}`), d.content, d.final, false)
	f.Add(d.meta, d.content, bytes.Replace(d.final, []byte(`"private":"`), []byte(`"private":"x`), 1), false)
	f.Fuzz(func(t *testing.T, meta, content, final []byte, fixHash bool) {
		if fixHash {
			var fin map[string]any
			if json.Unmarshal(final, &fin) == nil && fin != nil {
				sum := sha256.Sum256(content)
				fin["cipher_sha256"] = hex.EncodeToString(sum[:])
				final, _ = json.Marshal(fin)
			}
		}
		before := fe.activeDocs(t)
		r := httptest.NewRequest("POST", "/v1/documents", bytes.NewReader(fzMultipart([2][]byte{[]byte("meta"), meta}, [2][]byte{[]byte("content"), content}, [2][]byte{[]byte("final"), final})))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+fzBoundary)
		fe.checkDeposit(t, fe.serve(t, "r.hassan", r), before, content)
	})
}

// FuzzDepositMultipart sends fuzzed raw request bodies and Content-Type
// headers to the deposit endpoint: malformed multipart, parts out of
// order, odd part headers. No answer is 5xx; refusals change nothing.
func FuzzDepositMultipart(f *testing.F) {
	fe := newFzEnv(f, false, "r.hassan")
	d := newFzDeposit(f, fe.env, []byte("fictional testimony\n"))
	ct := "multipart/form-data; boundary=" + fzBoundary
	valid := fzMultipart([2][]byte{[]byte("meta"), d.meta}, [2][]byte{[]byte("content"), d.content}, [2][]byte{[]byte("final"), d.final})
	f.Add(valid, ct)
	f.Add(valid[:len(valid)-20], ct)
	f.Add(valid, "multipart/form-data")
	f.Add(valid, "multipart/mixed; boundary="+fzBoundary)
	f.Add(valid, "application/json")
	f.Add(fzMultipart([2][]byte{[]byte("content"), d.content}, [2][]byte{[]byte("meta"), d.meta}, [2][]byte{[]byte("final"), d.final}), ct)
	f.Add(fzMultipart([2][]byte{[]byte("meta"), d.meta}), ct)
	f.Add(fzMultipart([2][]byte{[]byte("meta"), d.meta}, [2][]byte{[]byte("content"), d.content}), ct)
	f.Add([]byte("--"+fzBoundary+"\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"+string(d.meta)+"\r\n--"+fzBoundary+"--\r\n"), ct)
	f.Add([]byte("--"+fzBoundary+"\r\nContent-Disposition: form-data; name*=UTF-8''meta\r\n\r\n{}\r\n--"+fzBoundary+"--\r\n"), ct)
	f.Add([]byte("--"+fzBoundary+"\r\n"+string(bytes.Repeat([]byte("X-A: b\r\n"), 200))+"\r\n\r\n--"+fzBoundary+"--\r\n"), ct)
	f.Add([]byte{}, ct)
	f.Add([]byte("--"+fzBoundary+"--\r\n"), `multipart/form-data; boundary="`+fzBoundary+`"; boundary=x`)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		before := fe.activeDocs(t)
		r := httptest.NewRequest("POST", "/v1/documents", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		fe.checkDeposit(t, fe.serve(t, "r.hassan", r), before, nil)
	})
}
