package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/search/indexer"
	"github.com/amana-vault/amana/vault"
	"github.com/amana-vault/amana/envelope"
)

// clock is the fake time shared by the vault and the server, so that the
// test can compute TOTP codes; a code is accepted once, so every code
// moves it one 30 s step on.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type demoUser struct {
	ID           string `json:"id"`
	Role         string `json:"role"`
	Name         string `json:"name"`
	IdentityFile string `json:"identity_file"`
	Recipient    string `json:"recipient"`
	TOTPSecret   string `json:"totp_secret"`
}

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
	clock *clock
	users map[string]demoUser
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

func newEnv(t *testing.T) *env {
	t.Helper()
	b, err := os.ReadFile("../../keys-example/users.json")
	if err != nil {
		t.Fatal(err)
	}
	var list []demoUser
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, users: map[string]demoUser{}, docs: map[string]seeded{},
		clock: &clock{t: time.Now().UTC().Truncate(30 * time.Second)}}
	var admin demoUser
	for _, u := range list {
		abs, _ := filepath.Abs(filepath.Join("../../keys-example", u.IdentityFile))
		u.IdentityFile = abs
		e.users[u.ID] = u
		if u.Role == vault.RoleAdmin {
			admin = u
		}
	}
	dir := t.TempDir()
	v, _, err := vault.Create(filepath.Join(dir, "vault"), "web test passphrase",
		vault.NewUser{ID: admin.ID, Name: admin.Name, Recipient: admin.Recipient, TOTPSecret: admin.TOTPSecret},
		vault.Options{Now: e.clock.Now, ScryptWorkFactor: 10, ChunkSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	ac := vault.Caller{User: admin.ID}
	for _, u := range list {
		if u.ID != admin.ID {
			if _, _, err := v.AddUser(ac, vault.NewUser{ID: u.ID, Name: u.Name, Role: u.Role, Recipient: u.Recipient, TOTPSecret: u.TOTPSecret}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for id, members := range map[string][]string{
		"kirkuk-2018": {"r.hassan", "r.ahmed", "a.karim"},
		"anbar-2018":  {"r.hassan", "r.ahmed", "a.salih"},
	} {
		if _, err := v.CreateCollection(ac, vault.Collection{ID: id, Name: id, Members: members}); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := search.Open(filepath.Join(dir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(httpapi.Config{Vault: v, Index: ix, Indexer: indexer.New(v, ix), Now: e.clock.Now})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.recorded = append(e.recorded, recordedRequest{r.Method, r.URL.String(), r.Header.Clone(), body})
		e.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		ix.Close()
		v.Close()
	})
	e.url = srv.URL
	e.seed()
	return e
}

// code returns a fresh TOTP code for user.
func (e *env) code(user string) string {
	e.t.Helper()
	e.clock.Add(30 * time.Second)
	c, err := totp.GenerateCodeCustom(e.users[user].TOTPSecret, e.clock.Now(),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) login(user string) *client.Client {
	e.t.Helper()
	f, err := os.Open(e.users[user].IdentityFile)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	ids, err := envelope.ParseIdentities(f, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := client.New(e.url)
	if _, err := c.Login(context.Background(), user, ids, e.code(user)); err != nil {
		e.t.Fatalf("login %s: %v", user, err)
	}
	return c
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
