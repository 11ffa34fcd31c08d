package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/internal/server"
	"github.com/amana-vault/amana/vault"
)

const pass = "server test passphrase"

// newVault creates a vault with one admin and returns its directory.
func newVault(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vault")
	users := []*amanatest.User{amanatest.NewUser(t, "l.custodian", vault.RoleAdmin, false)}
	if err := amanatest.CreateVault(dir, pass, users, nil, vault.Options{ScryptWorkFactor: amanatest.ScryptWorkFactor}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// logBuffer collects a server's JSON log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// messages returns the msg of each line.
func (l *logBuffer) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var m struct{ Msg string }
		json.Unmarshal([]byte(line), &m)
		out = append(out, m.Msg)
	}
	return out
}

func (l *logBuffer) has(msg string) bool {
	for _, m := range l.messages() {
		if m == msg {
			return true
		}
	}
	return false
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func get(t *testing.T, hc *http.Client, url string) (int, []byte) {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestStartServesAndStopsCleanly(t *testing.T) {
	dir := newVault(t)
	logs := &logBuffer{}
	s, err := server.Start(server.Config{
		DataDir: dir, Passphrase: pass, Listener: listen(t),
		Logger: slog.New(slog.NewJSONHandler(logs, nil)), Version: "v-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || s.URL() != "http://"+s.Addr().String() {
		t.Fatalf("URL %q, address %s", s.URL(), s.Addr())
	}
	status, body := get(t, http.DefaultClient, s.URL()+"/v1/health")
	var h struct {
		Status, Version string
		Unsealed        bool
	}
	if json.Unmarshal(body, &h); status != 200 || !h.Unsealed || h.Version != "v-test" {
		t.Fatalf("health: %d %s", status, body)
	}
	if status, _ := get(t, http.DefaultClient, s.URL()+"/"); status != 200 {
		t.Errorf("web interface: %d", status)
	}
	// The production limit on headers.
	req, _ := http.NewRequest("GET", s.URL()+"/v1/health", nil)
	req.Header.Set("X-Padding", strings.Repeat("p", 2*server.DefaultMaxHeaderBytes))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized header: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if !logs.has("serving") {
		t.Errorf("no serving line: %v", logs.messages())
	}

	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
	if !logs.has("stopped cleanly") {
		t.Errorf("no clean stop in the log: %v", logs.messages())
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed after Shutdown")
	}
	if _, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		t.Error("still listening after Shutdown")
	}
	// The vault was closed: it opens again at once.
	v, err := vault.Open(dir, pass, vault.Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("the vault is still held: %v", err)
	}
	v.Close()
}

func TestStartRefusesWrongPassphrase(t *testing.T) {
	dir := newVault(t)
	ln := listen(t)
	if _, err := server.Start(server.Config{DataDir: dir, Passphrase: "not it", Listener: ln}); err == nil {
		t.Fatal("started with a wrong passphrase")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("the listener was left open")
	}
	if _, err := server.Start(server.Config{DataDir: filepath.Join(t.TempDir(), "none"), Passphrase: pass, Addr: "127.0.0.1:0"}); !errors.Is(err, vault.ErrNoVault) {
		t.Errorf("no vault: %v", err)
	}
	if _, err := server.Start(server.Config{DataDir: dir, Passphrase: pass, Addr: "127.0.0.1:0", TLSCert: "cert.pem"}); err == nil {
		t.Error("started with a certificate but no key")
	}
}

// TestShutdownFinishesRequests: a request in flight completes before the
// vault closes, and none is taken after Shutdown began.
func TestShutdownFinishesRequests(t *testing.T) {
	dir := newVault(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s, err := server.Start(server.Config{
		DataDir: dir, Passphrase: pass, Listener: listen(t),
		Wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/slow" {
					once.Do(func() { close(entered) })
					<-release
					r.URL.Path = "/v1/health"
				}
				h.ServeHTTP(w, r)
			})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		body   []byte
		err    error
	}
	answers := make(chan answer, 1)
	go func() {
		resp, err := http.Get(s.URL() + "/slow")
		if err != nil {
			answers <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answers <- answer{resp.StatusCode, b, err}
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- s.Shutdown(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned while a request was in flight: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	a := <-answers
	if a.err != nil || a.status != 200 || !bytes.Contains(a.body, []byte(`"unsealed":true`)) {
		t.Fatalf("the request in flight got %d %s %v", a.status, a.body, a.err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}

// TestTickerUpdatesIndex: with the API's own index updates off, the
// periodic work still brings the index in step with the vault.
func TestTickerUpdatesIndex(t *testing.T) {
	s := amanatest.NewServer(t, amanatest.Options{
		Collections: []vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan"}}},
		API:         func(c *httpapi.Config) { c.Indexer = nil },
		Interval:    20 * time.Millisecond,
	})
	c := s.Login("r.hassan")
	_, err := c.Deposit(context.Background(), client.DepositRequest{
		Collection: "kirkuk-2018", Kind: "testimony",
		Public:  client.PublicMeta{Title: "Fictional testimony on the ticker", Language: "en", Governorate: "Kirkuk", IncidentDate: "2017-06"},
		Consent: client.Consent{Scopes: []string{"research"}, RecordedAt: "2018-03-02", RecordedBy: "r.hassan"},
		Private: map[string]any{"file_name": "t.txt"},
		Content: strings.NewReader("fictional content"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, err := s.Index.Count()
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d documents indexed 10 s after the deposit", n)
		}
	}
}

func TestRunStopsWithContext(t *testing.T) {
	dir := newVault(t)
	logs := &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	urls := make(chan string, 1)
	go func() {
		done <- server.Run(ctx, server.Config{
			DataDir: dir, Passphrase: pass, Addr: "127.0.0.1:0",
			Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		}, func(url string) { urls <- url })
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatalf("Run returned before ready: %v", err)
	}
	if status, _ := get(t, http.DefaultClient, url+"/v1/health"); status != 200 {
		t.Fatalf("health: %d", status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []string{"serving", "shutting down", "stopped cleanly"}
	var got []string
	for _, m := range logs.messages() {
		if m != "request" {
			got = append(got, m)
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("log %q, want %q", got, want)
	}
}

func TestTLS(t *testing.T) {
	dir := newVault(t)
	certFile, keyFile, pool := selfSigned(t)
	s, err := server.Start(server.Config{DataDir: dir, Passphrase: pass, Listener: listen(t), TLSCert: certFile, TLSKey: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL %s", s.URL())
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if status, _ := get(t, hc, s.URL()+"/v1/health"); status != 200 {
		t.Fatalf("health over TLS: %d", status)
	}
	if _, err := server.Start(server.Config{DataDir: dir, Passphrase: pass, Addr: "127.0.0.1:0", TLSCert: keyFile, TLSKey: keyFile}); err == nil {
		t.Error("started with a key for a certificate")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "amana test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// An index built by another version of Amana is rebuilt from the vault at
// start, not refused, and not served as it is.
func TestStartRebuildsIncompatibleIndex(t *testing.T) {
	s := amanatest.NewServer(t, amanatest.Options{
		Collections: []vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan"}}},
	})
	c := s.Login("r.hassan")
	_, err := c.Deposit(context.Background(), client.DepositRequest{
		Collection: "kirkuk-2018", Kind: "testimony",
		Public:  client.PublicMeta{Title: "Fictional testimony kept across versions", Language: "en", Governorate: "Kirkuk", IncidentDate: "2017-06"},
		Consent: client.Consent{Scopes: []string{"research"}, RecordedAt: "2018-03-02", RecordedBy: "r.hassan"},
		Private: map[string]any{"file_name": "t.txt"},
		Content: strings.NewReader("fictional content"),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	// What an older version left: a Bleve index without this version's
	// mapping (here, Bleve's default one and no documents).
	ixDir := filepath.Join(s.Dir, server.IndexDir)
	if err := os.RemoveAll(ixDir); err != nil {
		t.Fatal(err)
	}
	old, err := bleve.New(ixDir, bleve.NewIndexMapping())
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	logs := &logBuffer{}
	srv, err := server.Start(server.Config{DataDir: s.Dir, Passphrase: s.Passphrase, Listener: listen(t),
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatalf("start with an old index: %v", err)
	}
	defer srv.Shutdown(context.Background())
	n, err := srv.Index().Count()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d documents in the rebuilt index, want 1", n)
	}
	if !slices.Contains(logs.messages(), "search index built by another version: rebuilding it") {
		t.Errorf("the rebuild was not logged: %q", logs.messages())
	}
}
