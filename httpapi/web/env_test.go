package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
)

// seeded is a document the env deposited, with what only its key holders
// may see.
type seeded struct {
	ID      string
	Content []byte
	Notes   string
}

// env is a demo-like server on loopback: the keys-example users, two
// collections and a few deposited documents.
type env struct {
	t     *testing.T
	url   string
	srv   *amanatest.Server
	users map[string]*amanatest.User
	docs  map[string]seeded // by name: "granted", "ungranted", "sorani"

	mu       sync.Mutex
	recorded []recordedRequest // every request the server received, with its body
}

type recordedRequest struct {
	Method, URL string
	Header      http.Header
	Body        []byte
}

const (
	arTitle    = "شهادة عن الاحتجاز في مخيم قرب كركوك"
	arSummary  = "تروي الناجية ظروف الاحتجاز والنقل بين المواقع"
	secretNote = "NOTES-CANARY: met at the clinic behind the market"
)

var grantedContent = []byte("نص الشهادة الكامل — PLAINTEXT-CANARY-granted\nline two\x00\x01\x02 binary tail")

func newEnv(t *testing.T, options ...func(*amanatest.Options)) *env {
	t.Helper()
	e := &env{t: t, docs: map[string]seeded{}}
	opts := amanatest.Options{
		Collections: []vault.Collection{
			{ID: "kirkuk-2018", Name: "kirkuk-2018", Members: []string{"r.hassan", "r.ahmed", "a.karim"}},
			{ID: "anbar-2018", Name: "anbar-2018", Members: []string{"r.hassan", "r.ahmed", "a.salih"}},
		},
		Passphrase: "web test passphrase",
		Wrap: func(api http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.ContentLength > 1<<20 {
					// A large upload's slices: recorded without their bodies.
					e.mu.Lock()
					e.recorded = append(e.recorded, recordedRequest{r.Method, r.URL.String(), r.Header.Clone(), nil})
					e.mu.Unlock()
					api.ServeHTTP(w, r)
					return
				}
				body, _ := io.ReadAll(r.Body)
				e.mu.Lock()
				e.recorded = append(e.recorded, recordedRequest{r.Method, r.URL.String(), r.Header.Clone(), body})
				e.mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(body))
				api.ServeHTTP(w, r)
			})
		},
	}
	for _, o := range options {
		o(&opts)
	}
	e.srv = amanatest.NewServer(t, opts)
	e.url, e.users = e.srv.URL, e.srv.Users
	e.seed()
	return e
}

// code returns a fresh TOTP code for user.
func (e *env) code(user string) string {
	e.t.Helper()
	return e.srv.NextCode(user)
}

func (e *env) login(user string) *client.Client {
	e.t.Helper()
	return e.srv.Login(user)
}

func (e *env) seed() {
	ctx := context.Background()
	c := e.login("r.ahmed")
	dep := func(name, col, kind string, pub client.PublicMeta, scopes []string, to []string, content []byte, mediaType string) {
		res, err := c.Deposit(ctx, client.DepositRequest{
			Collection: col, Kind: kind, Public: pub,
			Consent: client.Consent{Scopes: scopes, RecordedAt: "2024-03-02", RecordedBy: "r.ahmed"},
			Private: map[string]any{"notes": secretNote, "file_name": name + ".txt", "media_type": mediaType},
			To:      to, Content: bytes.NewReader(content),
		})
		if err != nil {
			e.t.Fatalf("deposit %s: %v", name, err)
		}
		e.docs[name] = seeded{ID: res.Document.ID, Content: content, Notes: secretNote}
	}
	dep("granted", "kirkuk-2018", "testimony", client.PublicMeta{Title: arTitle, Summary: arSummary, Language: "ar", Governorate: "Kirkuk", IncidentDate: "2017-06", Tags: []string{"احتجاز"}},
		[]string{"legal_proceedings", "advocacy", "research"}, []string{"a.karim"}, grantedContent, "text/plain; charset=utf-8")
	dep("ungranted", "kirkuk-2018", "interview", client.PublicMeta{Title: "Interview about displacement from Hawija", Summary: "Movement between camps in 2017", Language: "en", Governorate: "Kirkuk", IncidentDate: "2017-09"},
		[]string{"research", "advocacy"}, nil, []byte("PLAINTEXT-CANARY-ungranted"), "text/plain")
	dep("sorani", "anbar-2018", "case_study", client.PublicMeta{Title: "چیرۆکی ڕزگاربوویەک لە کەمپ", Summary: "باسی ژیان لە کەمپ دەکات", Language: "ckb", Governorate: "Anbar", IncidentDate: "2018-02"},
		[]string{"advocacy"}, nil, []byte("PLAINTEXT-CANARY-sorani"), "text/plain")
	for i := range 6 {
		dep("adv"+string(rune('a'+i)), "anbar-2018", "report", client.PublicMeta{Title: "تقرير ميداني عن الأنبار", Language: "ar", Governorate: "Anbar", IncidentDate: "2018-05"},
			[]string{"advocacy"}, nil, []byte("PLAINTEXT-CANARY-adv"), "text/plain")
	}
	c.Logout(ctx)
}

func (e *env) requests() []recordedRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]recordedRequest(nil), e.recorded...)
}

// depositStatement deposits content through c into kirkuk-2018 (Kirkuk,
// June 2017, consent for research and legal proceedings, recorded by
// r.ahmed) and returns the new document's id.
func depositStatement(t *testing.T, c *client.Client, kind, title, fileName, mediaType string, content []byte) string {
	t.Helper()
	res, err := c.Deposit(context.Background(), client.DepositRequest{
		Collection: "kirkuk-2018", Kind: kind,
		Public:  client.PublicMeta{Title: title, Language: "en", Governorate: "Kirkuk", IncidentDate: "2017-06"},
		Consent: client.Consent{Scopes: []string{"research", "legal_proceedings"}, RecordedAt: "2024-03-02", RecordedBy: "r.ahmed"},
		Private: map[string]any{"file_name": fileName, "media_type": mediaType},
		Content: bytes.NewReader(content),
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Document.ID
}
