//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/crypto/ssh"
	"io"
	"maps"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/internal/demokeys"
	"github.com/amana-vault/amana/internal/weedtest"
	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/search/indexer"
	"github.com/amana-vault/amana/vault"
	"github.com/amana-vault/amana/vault/audit"
)

// The crash harness runs 'amana serve' as a child process, drives a random
// mix of deposits (up to 2 MB), grants, revokes, shreds and searches
// through the client, and kills the server with SIGKILL at a random moment
// while requests are in flight. After each kill it opens the vault file
// itself and checks that the file is sound, the audit log verifies and only
// grew, every acknowledged deposit reads back byte for byte, every
// acknowledged shred, grant and revoke held, no partial document is
// visible, and the search index agrees with the vault after the start-up
// repair. AMANA_CRASH_CYCLES sets the number of cycles (default 5, 2 with
// -short).

const crashPassphrase = "crash harness passphrase"

// crashUser is a keys-example user with its identity.
type crashUser struct {
	demoUser
	ids    []age.Identity
	signer ssh.Signer
}

// crashTOTP hands out TOTP codes for the real clock. The server accepts a
// code once only, for a time step later than the last one it accepted for
// that user (and that step survives restarts), within ±1 step of its
// clock: a user can log in at most three times in one 30 s step, then
// once per step.
type crashTOTP struct {
	mu   sync.Mutex
	last map[string]int64 // last step used per user
}

// code returns a code for the earliest usable step after the last one
// used, and false if none is usable now. A step before the current one is
// used only early in the current step, so that it is still within the
// server's window when the request arrives.
func (c *crashTOTP) code(u crashUser, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := now.Unix() / 30
	lo := cur - 1
	if now.Unix()%30 > 25 {
		lo = cur
	}
	s := max(lo, c.last[u.ID]+1)
	if s > cur+1 {
		return "", false
	}
	code, err := demokeys.Code(u.TOTPSecret, time.Unix(s*30, 0))
	if err != nil {
		return "", false
	}
	c.last[u.ID] = s
	return code, true
}

// crashBuf collects the server's log.
type crashBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *crashBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *crashBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Outcome of an operation: acknowledged, refused, or unknown (the server
// died before answering).
const (
	crashActive    = "active"
	crashShredded  = "shredded"
	crashUncertain = "uncertain"
)

// crashDoc is what the test knows of a deposit the server acknowledged.
type crashDoc struct {
	id, depositor string
	plain, cipher string // hex SHA-256
	state         string // crashActive, crashShredded or crashUncertain
	shreddedAt    time.Time
	lawyers       map[string]string // lawyer -> "granted", "revoked" or crashUncertain
	busy          bool              // an operation on it is in flight
}

// crashState is shared by the workers of a cycle and kept across cycles.
type crashState struct {
	mu       sync.Mutex
	docs     map[string]*crashDoc
	failures []string
	ops      map[string]int
}

func (s *crashState) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) < 50 {
		s.failures = append(s.failures, fmt.Sprintf(format, args...))
	}
}

func (s *crashState) count(op string) {
	s.mu.Lock()
	s.ops[op]++
	s.mu.Unlock()
}

// take picks a random active document matching ok and marks it busy, so
// that two workers never race on one document.
func (s *crashState) take(r *mrand.Rand, ok func(*crashDoc) bool) *crashDoc {
	s.mu.Lock()
	defer s.mu.Unlock()
	var c []*crashDoc
	for _, d := range s.docs {
		if d.state == crashActive && !d.busy && ok(d) {
			c = append(c, d)
		}
	}
	if len(c) == 0 {
		return nil
	}
	slices.SortFunc(c, func(a, b *crashDoc) int { return strings.Compare(a.id, b.id) })
	d := c[r.IntN(len(c))]
	d.busy = true
	return d
}

func (s *crashState) release(d *crashDoc, f func(*crashDoc)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f != nil {
		f(d)
	}
	d.busy = false
}

func crashEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// crashUsers indexes the keys-example users by id.
func crashUsers(list []*amanatest.User) map[string]crashUser {
	users := map[string]crashUser{}
	for _, u := range list {
		users[u.ID] = crashUser{demoUser: demoUser{ID: u.ID, Role: u.Role, Name: u.Name, IdentityFile: u.IdentityFile,
			Recipient: u.Recipient, TOTPSecret: u.TOTPSecret}, ids: u.Identities, signer: u.Signer}
	}
	return users
}

func TestServerCrash(t *testing.T) { serverCrash(t, "") }

// TestServerCrashS3: the same with the blob store in SeaweedFS.
func TestServerCrashS3(t *testing.T) {
	w := weedtest.Start(t)
	serverCrash(t, w.URL("crash"))
}

func serverCrash(t *testing.T, blobStore string) {
	cycles := crashEnvInt("AMANA_CRASH_CYCLES", 5)
	if testing.Short() && os.Getenv("AMANA_CRASH_CYCLES") == "" {
		cycles = 2
	}
	list := amanatest.DemoUsers(t)
	users := crashUsers(list)
	base := t.TempDir()
	data := filepath.Join(base, "vault")
	passFile := filepath.Join(base, "passphrase")
	if err := os.WriteFile(passFile, []byte(crashPassphrase+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := amanatest.CreateVault(data, crashPassphrase, list,
		[]vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan", "r.ahmed", "a.karim", "a.salih"}}},
		vault.Options{ScryptWorkFactor: amanatest.ScryptWorkFactor, BlobStore: blobStore}); err != nil {
		t.Fatal(err)
	}

	st := &crashState{docs: map[string]*crashDoc{}, ops: map[string]int{}}
	tot := &crashTOTP{last: map[string]int64{}}
	var prevCheckpoint []byte
	var prevSize int64
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d cycles", seed, cycles)
	rng := mrand.New(mrand.NewPCG(seed, 1))
	for cycle := 1; cycle <= cycles; cycle++ {
		killedAt := crashCycle(t, cycle, data, passFile, users, tot, st, rng)
		cp, size, repaired, active := crashVerify(t, data, users, st, prevCheckpoint, prevSize)
		prevCheckpoint, prevSize = cp, size
		st.mu.Lock()
		t.Logf("cycle %d: killed after %s; log size %d; %d active documents; %d index changes repaired; ops so far %v",
			cycle, killedAt.Round(time.Millisecond), size, active, repaired, st.ops)
		failures := slices.Clone(st.failures)
		st.mu.Unlock()
		if len(failures) > 0 {
			t.Fatalf("cycle %d failed:\n  %s", cycle, strings.Join(failures, "\n  "))
		}
	}
}

// crashCycle runs one server life: start, log in, traffic, SIGKILL.
func crashCycle(t *testing.T, cycle int, data, passFile string, users map[string]crashUser, tot *crashTOTP, st *crashState, rng *mrand.Rand) time.Duration {
	t.Helper()
	cmd := exec.Command(amanaBin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--passphrase-file", passFile)
	logs := &crashBuf{}
	pr, pw := io.Pipe()
	cmd.Stderr = io.MultiWriter(logs, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				select {
				case urls <- line.URL:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() { exited <- cmd.Wait(); pw.Close() }()
	var base string
	select {
	case base = <-urls:
	case err := <-exited:
		t.Fatalf("cycle %d: amana serve exited at start: %v\n%s", cycle, err, logs.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("cycle %d: amana serve not ready after 60 s:\n%s", cycle, logs.String())
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			<-exited
		}
	}()

	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	login := func(id string) *client.Client {
		u := users[id]
		for {
			if code, ok := tot.code(u, time.Now()); ok {
				c := client.New(base)
				c.HTTP = hc
				if _, err := c.Login(context.Background(), id, u.ids, code); err != nil {
					t.Fatalf("cycle %d: login %s: %v\n%s", cycle, id, err, logs.String())
				}
				c.Signer = u.signer
				return c
			}
			time.Sleep(time.Until(time.Unix((time.Now().Unix()/30+1)*30, 0)) + 200*time.Millisecond)
		}
	}
	// Alternate users between cycles to spare their TOTP steps; the admin
	// and the other researcher join only when a code is free now.
	researchers := []string{"r.hassan", "r.ahmed"}
	lawyers := []string{"a.karim", "a.salih"}
	clients := map[string]*client.Client{}
	for _, id := range []string{researchers[cycle%2], lawyers[cycle%2]} {
		clients[id] = login(id)
	}
	for _, id := range []string{"l.custodian", researchers[1-cycle%2]} {
		if _, ok := tot.peek(users[id], time.Now()); ok {
			clients[id] = login(id)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	var stopped atomic.Bool
	var wg sync.WaitGroup
	w := &crashWorker{st: st, users: users, cycle: cycle, stopped: &stopped}
	for id, c := range clients {
		n := 1
		if users[id].Role == vault.RoleResearcher {
			n = 2 // two uploads at a time
		}
		for i := range n {
			wg.Add(1)
			r := mrand.New(mrand.NewPCG(rng.Uint64(), uint64(i)))
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					w.step(ctx, r, id, c)
				}
			}()
		}
	}
	began := time.Now()
	time.Sleep(time.Duration(300+rng.IntN(2700)) * time.Millisecond)
	killedAfter := time.Since(began)
	stopped.Store(true)
	cmd.Process.Signal(syscall.SIGKILL)
	killed = true
	<-exited
	cancel()
	wg.Wait()
	if strings.Contains(logs.String(), `"level":"ERROR"`) || strings.Contains(logs.String(), "panic") {
		st.fail("cycle %d: the server logged errors:\n%s", cycle, crashErrorLines(logs.String()))
	}
	return killedAfter
}

func crashErrorLines(logs string) string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, "panic") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// peek reports whether code would hand out a code now, without using it.
func (c *crashTOTP) peek(u crashUser, now time.Time) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := now.Unix() / 30
	lo := cur - 1
	if now.Unix()%30 > 25 {
		lo = cur
	}
	s := max(lo, c.last[u.ID]+1)
	return s, s <= cur+1
}

type crashWorker struct {
	st      *crashState
	users   map[string]crashUser
	cycle   int
	stopped *atomic.Bool
}

// outcome classifies an error: nil (acknowledged), refused (the server
// answered an error) or unknown (no answer: the server was killed).
func (w *crashWorker) outcome(op string, err error) string {
	if err == nil {
		return "ok"
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		if ce.Status >= 500 || !w.stopped.Load() {
			w.st.fail("cycle %d: %s: %v", w.cycle, op, err)
		}
		return "refused"
	}
	if !w.stopped.Load() {
		w.st.fail("cycle %d: %s failed while the server was up: %v", w.cycle, op, err)
	}
	w.st.count(op + " cut by the kill")
	return crashUncertain
}

func crashPlain(r *mrand.Rand) []byte {
	n := 1 + r.IntN(64<<10)
	if r.IntN(2) == 0 {
		n = 1 + r.IntN(2<<20)
	}
	b := make([]byte, n)
	for i := 0; i < len(b); i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func (w *crashWorker) step(ctx context.Context, r *mrand.Rand, user string, c *client.Client) {
	if w.stopped.Load() {
		time.Sleep(10 * time.Millisecond)
		return
	}
	n := r.IntN(100)
	switch w.users[user].Role {
	case vault.RoleResearcher:
		switch {
		case n < 50:
			w.deposit(ctx, r, user, c)
		case n < 65:
			w.grant(ctx, r, user, c)
		case n < 75:
			w.revoke(ctx, r, user, c)
		default:
			w.search(ctx, r, user, c)
		}
	case vault.RoleAdmin:
		if n < 30 {
			w.shred(ctx, r, c)
		} else {
			w.search(ctx, r, user, c)
		}
	default:
		w.search(ctx, r, user, c)
	}
}

func (w *crashWorker) deposit(ctx context.Context, r *mrand.Rand, user string, c *client.Client) {
	plain := crashPlain(r)
	req := client.DepositRequest{
		Collection: "kirkuk-2018", Kind: "testimony",
		Public: client.PublicMeta{Title: fmt.Sprintf("Crash harness testimony %d on checkpoint detentions", r.IntN(1000)),
			Language: "en", Governorate: "Kirkuk", IncidentDate: "2017-06", Tags: []string{"detention"}},
		Consent: client.Consent{Scopes: []string{"research", "legal_proceedings"}, RecordedAt: "2018-03-02", RecordedBy: user},
		Private: map[string]any{"file_name": "testimony.bin"},
		Content: bytes.NewReader(plain),
	}
	d, err := c.Deposit(ctx, req)
	w.st.count("deposit")
	if w.outcome("deposit", err) != "ok" {
		return
	}
	sum := sha256.Sum256(plain)
	if got := hex.EncodeToString(d.Digest.PlainSHA256[:]); got != hex.EncodeToString(sum[:]) {
		w.st.fail("deposit digest %s, want %s", got, hex.EncodeToString(sum[:]))
	}
	w.st.mu.Lock()
	w.st.docs[d.Document.ID] = &crashDoc{id: d.Document.ID, depositor: user, plain: hex.EncodeToString(sum[:]),
		cipher: d.Document.CipherSHA256, state: crashActive, lawyers: map[string]string{}}
	w.st.mu.Unlock()
}

func (w *crashWorker) grant(ctx context.Context, r *mrand.Rand, user string, c *client.Client) {
	lawyer := []string{"a.karim", "a.salih"}[r.IntN(2)]
	d := w.st.take(r, func(d *crashDoc) bool {
		return d.depositor == user && d.lawyers[lawyer] != "granted" && d.lawyers[lawyer] != crashUncertain
	})
	if d == nil {
		w.deposit(ctx, r, user, c)
		return
	}
	err := c.Grant(ctx, d.id, lawyer, w.users[user].ids)
	w.st.count("grant")
	out := w.outcome("grant", err)
	w.st.release(d, func(d *crashDoc) {
		switch out {
		case "ok":
			d.lawyers[lawyer] = "granted"
		case crashUncertain:
			d.lawyers[lawyer] = crashUncertain
		}
	})
}

func (w *crashWorker) revoke(ctx context.Context, r *mrand.Rand, user string, c *client.Client) {
	d := w.st.take(r, func(d *crashDoc) bool {
		return d.depositor == user && slices.Contains(slices.Collect(maps.Values(d.lawyers)), "granted")
	})
	if d == nil {
		w.search(ctx, r, user, c)
		return
	}
	var lawyer string
	for _, l := range slices.Sorted(maps.Keys(d.lawyers)) {
		if d.lawyers[l] == "granted" {
			lawyer = l
		}
	}
	err := c.Revoke(ctx, d.id, lawyer)
	w.st.count("revoke")
	out := w.outcome("revoke", err)
	w.st.release(d, func(d *crashDoc) {
		switch out {
		case "ok":
			d.lawyers[lawyer] = "revoked"
		case crashUncertain:
			d.lawyers[lawyer] = crashUncertain
		}
	})
}

func (w *crashWorker) shred(ctx context.Context, r *mrand.Rand, c *client.Client) {
	d := w.st.take(r, func(*crashDoc) bool { return true })
	if d == nil {
		return
	}
	err := c.Shred(ctx, d.id)
	w.st.count("shred")
	out := w.outcome("shred", err)
	w.st.release(d, func(d *crashDoc) {
		switch out {
		case "ok":
			d.state, d.shreddedAt = crashShredded, time.Now()
		case crashUncertain:
			d.state = crashUncertain
		}
	})
}

// search checks that no document acknowledged as shredded before the
// search began is found.
func (w *crashWorker) search(ctx context.Context, r *mrand.Rand, user string, c *client.Client) {
	start := time.Now()
	q := []string{"detention", "crash harness", `"checkpoint detentions"`, "", "testimony"}[r.IntN(5)]
	res, err := c.Search(ctx, client.SearchParams{Query: q, Size: 100, Facets: []string{"kind", "year"}})
	w.st.count("search")
	if w.outcome("search", err) != "ok" {
		return
	}
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	for _, h := range res.Hits {
		if d := w.st.docs[h.ID]; d != nil && d.state == crashShredded && d.shreddedAt.Before(start) {
			w.st.failures = append(w.st.failures, fmt.Sprintf("cycle %d: search by %s found %s, shredded before the search", w.cycle, user, h.ID))
		}
	}
}

// crashVerify checks the vault after a kill and returns its latest
// checkpoint and log size, how many index changes the repair applied, and
// the number of active documents.
func crashVerify(t *testing.T, data string, users map[string]crashUser, st *crashState, prev []byte, prevSize int64) ([]byte, int64, int, int) {
	t.Helper()
	var cp []byte
	var size int64
	err := vault.ViewFile(data, func(tx *bbolt.Tx) error {
		rep, err := audit.Verify(tx, prev)
		if err != nil {
			return fmt.Errorf("audit log does not verify against the previous checkpoint: %w", err)
		}
		if rep.Size < prevSize {
			return fmt.Errorf("audit log shrank from %d to %d events", prevSize, rep.Size)
		}
		size = rep.Size
		cp, err = audit.LatestCheckpoint(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(data, crashPassphrase, vault.Options{})
	if err != nil {
		t.Fatalf("opening the vault after the kill: %v", err)
	}
	defer v.Close()
	// Check also holds the blob store to the records: no active record
	// without its blob at its size, no blob that is not an active
	// document's (what a kill between a blob's write and its record's
	// commit leaves, until Open's sweep).
	if err := v.Check(); err != nil {
		t.Fatalf("check after the kill: %v", err)
	}
	if n, err := v.PendingBlobs(); err != nil || n != 0 {
		t.Fatalf("after the sweep, %d pending blobs are left (%v)", n, err)
	}

	// Every active document is whole: its content hashes to its record,
	// decrypts with the custodian's key, and matches the plaintext hash
	// sealed in its private metadata.
	admin := users["l.custodian"]
	ac := vault.Caller{User: admin.ID}
	active := map[string]bool{}
	err = v.EachActive(func(d *vault.Document) error {
		active[d.ID] = true
		plain, cipher, size, err := crashRead(v, ac, admin.ids, d.ID)
		if err != nil {
			return fmt.Errorf("document %s: %w", d.ID, err)
		}
		if cipher != d.CipherSHA256 || size != d.Size {
			return fmt.Errorf("document %s: stored ciphertext (%s, %d bytes) does not match its record (%s, %d bytes)", d.ID, cipher, size, d.CipherSHA256, d.Size)
		}
		priv, err := v.Private(ac, d.ID)
		if err != nil {
			return err
		}
		key, err := crashKey(v, ac, admin.ids, d.ID)
		if err != nil {
			return err
		}
		pb, err := envelope.OpenPrivate(key, priv)
		if err != nil {
			return fmt.Errorf("document %s: private metadata: %w", d.ID, err)
		}
		var pm struct {
			PlainSHA256 string `json:"plain_sha256"`
		}
		if err := json.Unmarshal(pb, &pm); err != nil || pm.PlainSHA256 != plain {
			return fmt.Errorf("document %s: content decrypts to %s, private metadata says %q (%v)", d.ID, plain, pm.PlainSHA256, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// What the server acknowledged held.
	st.mu.Lock()
	docs := slices.Collect(maps.Values(st.docs))
	st.mu.Unlock()
	for _, d := range docs {
		switch d.state {
		case crashShredded:
			if active[d.id] {
				t.Errorf("document %s was shredded (acknowledged) but is active", d.id)
			}
			if _, err := v.GetDocument(ac, d.id); !errors.Is(err, vault.ErrNotFound) {
				t.Errorf("shredded document %s: %v", d.id, err)
			}
			continue
		case crashUncertain:
			if active[d.id] {
				d.state = crashActive // the shred did not commit
			} else {
				d.state = crashShredded
			}
			continue
		}
		if !active[d.id] {
			t.Errorf("document %s (deposited by %s, acknowledged) is gone", d.id, d.depositor)
			continue
		}
		dep := users[d.depositor]
		plain, cipher, _, err := crashRead(v, vault.Caller{User: dep.ID}, dep.ids, d.id)
		if err != nil || plain != d.plain || cipher != d.cipher {
			t.Errorf("document %s read back by its depositor: %v (plaintext %s, want %s)", d.id, err, plain, d.plain)
		}
		doc, err := v.GetDocument(ac, d.id)
		if err != nil {
			t.Errorf("document %s: %v", d.id, err)
			continue
		}
		for l, s := range d.lawyers {
			holds := doc.HoldsSlot(l)
			switch {
			case s == "granted" && !holds:
				t.Errorf("document %s: acknowledged grant to %s is lost", d.id, l)
			case s == "revoked" && holds:
				t.Errorf("document %s: acknowledged revocation of %s is lost", d.id, l)
			case s == crashUncertain:
				d.lawyers[l] = map[bool]string{true: "granted", false: "revoked"}[holds]
			}
		}
	}

	// The index agrees with the vault after the start-up repair.
	pending, err := v.Outbox(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := search.Open(filepath.Join(data, IndexDir))
	if err != nil {
		t.Fatalf("opening the index after the kill: %v", err)
	}
	defer ix.Close()
	if _, err := indexer.New(v, ix).Drain(); err != nil {
		t.Fatalf("index repair: %v", err)
	}
	indexed := map[string]bool{}
	for from := 0; ; from += search.MaxSize {
		res, err := ix.Search(search.Request{Collections: []string{"kirkuk-2018"}, Offset: from, Size: search.MaxSize, Sort: "deposited"})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			indexed[h.ID] = true
		}
		if len(res.Hits) < search.MaxSize {
			break
		}
	}
	if !maps.Equal(indexed, active) {
		var extra, missing []string
		for id := range indexed {
			if !active[id] {
				extra = append(extra, id)
			}
		}
		for id := range active {
			if !indexed[id] {
				missing = append(missing, id)
			}
		}
		t.Errorf("after repair the index holds %d documents, the vault %d active: in the index only %q, missing from it %q", len(indexed), len(active), extra, missing)
	}
	if t.Failed() {
		t.FailNow()
	}
	return cp, size, len(pending), len(active)
}

func crashKey(v *vault.Vault, c vault.Caller, ids []age.Identity, id string) (*envelope.DocKey, error) {
	slot, err := v.KeySlot(c, id)
	if err != nil {
		return nil, fmt.Errorf("key slot: %w", err)
	}
	return envelope.OpenSlot(slot, ids...)
}

// crashRead decrypts a document as c and returns the plaintext's and the
// ciphertext's SHA-256 and the ciphertext size.
func crashRead(v *vault.Vault, c vault.Caller, ids []age.Identity, id string) (plain, cipher string, size int64, err error) {
	key, err := crashKey(v, c, ids, id)
	if err != nil {
		return "", "", 0, err
	}
	r, err := v.OpenContent(c, id)
	if err != nil {
		return "", "", 0, err
	}
	defer r.Close()
	h := sha256.New()
	n := &crashCount{w: h}
	d, err := envelope.Decrypt(io.Discard, io.TeeReader(r, n), key)
	if err != nil {
		return "", "", 0, fmt.Errorf("decrypting: %w", err)
	}
	if _, err := io.Copy(n, r); err != nil { // anything after the age stream
		return "", "", 0, err
	}
	return hex.EncodeToString(d.PlainSHA256[:]), hex.EncodeToString(h.Sum(nil)), n.n, nil
}

type crashCount struct {
	w io.Writer
	n int64
}

func (c *crashCount) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}
