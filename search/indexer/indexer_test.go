package indexer_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/internal/demodata"
	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/redact"
	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/search/indexer"
	"github.com/amana-vault/amana/vault"
)

const pass = "indexer test"

var opts = vault.Options{ScryptWorkFactor: 10}

// setup creates a vault with one researcher in one collection.
func setup(t *testing.T, dir string) {
	t.Helper()
	admin, _ := age.GenerateX25519Identity()
	r, _ := age.GenerateX25519Identity()
	v, _, err := vault.Create(dir, pass, vault.NewUser{ID: "admin", Recipient: admin.Recipient().String()}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ac := vault.Caller{User: "admin"}
	if _, _, err := v.AddUser(ac, vault.NewUser{ID: "r.one", Role: vault.RoleResearcher, Recipient: r.Recipient().String()}); err != nil {
		t.Fatal(err)
	}
	for _, c := range demodata.Collections() {
		if _, err := v.CreateCollection(ac, vault.Collection{ID: c.ID, Members: []string{"r.one"}}); err != nil {
			t.Fatal(err)
		}
	}
	v.Close()
}

// deposit puts one synthetic document in the vault as r.one, redacted as
// a client would, and returns its id.
func deposit(v *vault.Vault, d demodata.Document) (string, error) {
	c := vault.Caller{User: "r.one"}
	red := redact.New(d.Persons)
	title, _ := red.Redact(d.Title)
	summary, _ := red.Redact(d.Summary)
	transcript, _ := red.Redact(d.Transcript)
	recips, err := v.CollectionRecipients(c, d.Collection, d.Consent.Scopes...)
	if err != nil {
		return "", err
	}
	key, _ := envelope.NewClassicDocKey()
	slots := map[string][]byte{}
	for id, s := range recips {
		r, _ := recipient.Parse(s)
		slots[id], _ = envelope.Wrap(key, r)
	}
	up, err := v.BeginDeposit(c, vault.DepositRequest{
		Collection: d.Collection, Kind: d.Kind,
		Public: vault.PublicMeta{Title: title, Summary: summary, TranscriptRedacted: transcript, Language: d.Language,
			Governorate: d.Governorate, IncidentDate: d.IncidentDate, Tags: d.Tags},
		Consent: vault.Consent{Scopes: d.Consent.Scopes, RecordedAt: d.Consent.RecordedAt, RecordedBy: d.Consent.RecordedBy},
		Slots:   slots,
	})
	if err != nil {
		return "", err
	}
	dg, err := envelope.Encrypt(up, bytes.NewReader(d.Content), key)
	if err != nil {
		return "", err
	}
	doc, err := up.Commit(dg.CipherSHA256, nil)
	if err != nil {
		return "", err
	}
	return doc.ID, nil
}

// indexed returns the ids in the index, and active returns those in the vault.
func indexed(t *testing.T, ix *search.Index) []string {
	t.Helper()
	var ids []string
	cols := []string{}
	for _, c := range demodata.Collections() {
		cols = append(cols, c.ID)
	}
	for off := 0; ; off += search.MaxSize {
		res, err := ix.Search(search.Request{Collections: cols, Offset: off, Size: search.MaxSize})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		if len(res.Hits) < search.MaxSize {
			break
		}
	}
	slices.Sort(ids)
	return ids
}

func active(t *testing.T, v *vault.Vault) []string {
	t.Helper()
	var ids []string
	if err := v.EachActive(func(d *vault.Document) error { ids = append(ids, d.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

func TestDrainAndShred(t *testing.T) {
	dir := t.TempDir()
	setup(t, dir)
	v, err := vault.Open(dir, pass, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ix, err := search.Open(filepath.Join(dir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	x := indexer.New(v, ix)
	docs := demodata.Generate(30, 3)
	var ids []string
	for _, d := range docs {
		id, err := deposit(v, d)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if got := indexed(t, ix); len(got) != 0 {
		t.Fatalf("indexed before Drain: %d", len(got))
	}
	n, err := x.Drain()
	if err != nil || n != 30 {
		t.Fatalf("Drain: %d, %v", n, err)
	}
	if !slices.Equal(indexed(t, ix), active(t, v)) {
		t.Fatal("index and vault differ after Drain")
	}
	if n, _ := x.Drain(); n != 0 {
		t.Fatalf("second Drain applied %d", n)
	}
	// Shred removes from the index, through the outbox.
	if err := v.Shred(vault.Caller{User: "admin"}, ids[0]); err != nil {
		t.Fatal(err)
	}
	x.Drain()
	if got := indexed(t, ix); slices.Contains(got, ids[0]) || len(got) != 29 {
		t.Fatalf("shredded document still indexed (%d docs)", len(got))
	}
	// Rebuild gives the same set.
	ix.Close()
	if _, err := indexer.Rebuild(v, filepath.Join(dir, "index")); err != nil {
		t.Fatal(err)
	}
	ix, err = search.Open(filepath.Join(dir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(indexed(t, ix), active(t, v)) {
		t.Fatal("rebuilt index differs from the vault")
	}
}

// TestIndexCanary scans every byte of the index directory for the planted
// personal data of the synthetic documents: names listed as persons, phone
// numbers and e-mail addresses must all have been redacted before indexing.
func TestIndexCanary(t *testing.T) {
	dir := t.TempDir()
	setup(t, dir)
	v, err := vault.Open(dir, pass, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ixDir := filepath.Join(dir, "index")
	ix, err := search.Open(ixDir)
	if err != nil {
		t.Fatal(err)
	}
	var planted []string
	for _, d := range demodata.Generate(100, 5) {
		if _, err := deposit(v, d); err != nil {
			t.Fatal(err)
		}
		for _, p := range d.Planted {
			if p.Kind == "person" || p.Kind == "phone" || p.Kind == "email" {
				planted = append(planted, p.Value)
			}
		}
		for _, p := range d.Persons {
			planted = append(planted, p)
		}
	}
	if len(planted) < 20 {
		t.Fatalf("only %d planted values: the test proves little", len(planted))
	}
	if _, err := indexer.New(v, ix).Drain(); err != nil {
		t.Fatal(err)
	}
	// Search, through every language's analyzer, finds none of them
	// (stored fields may be compressed on disk; the index's own view is
	// the stronger check).
	var cols []string
	for _, c := range demodata.Collections() {
		cols = append(cols, c.ID)
	}
	for _, p := range planted {
		q := `"` + strings.NewReplacer(`"`, ``, `\`, ``).Replace(p) + `"`
		res, err := ix.Search(search.Request{Query: q, Collections: cols})
		if err != nil {
			continue // a value the query syntax refuses (e.g. an e-mail's @) is checked by the scan below
		}
		if res.Total != 0 {
			t.Errorf("planted %q is searchable: %d hits", p, res.Total)
		}
	}
	ix.Close()
	var found []string
	filepath.Walk(ixDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, _ := os.ReadFile(path)
		for _, p := range planted {
			// Stored fields hold the text as given; the term dictionary
			// holds lower-cased words: look for the value and its words.
			needles := []string{p}
			for _, w := range strings.Fields(p) {
				if len(w) >= 5 {
					needles = append(needles, w, strings.ToLower(w))
				}
			}
			for _, needle := range needles {
				if containsWord(data, needle) {
					found = append(found, fmt.Sprintf("%q in %s", needle, filepath.Base(path)))
				}
			}
		}
		return nil
	})
	if len(found) > 0 {
		t.Fatalf("planted personal data in the index: %v", found)
	}
	// The scan works: public words are there.
	var sawPublic bool
	filepath.Walk(ixDir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if data, _ := os.ReadFile(path); bytes.Contains(data, []byte("Fictional demonstration")) || bytes.Contains(data, []byte("fictional")) {
				sawPublic = true
			}
		}
		return nil
	})
	if !sawPublic {
		t.Fatal("the scan finds no public text either: it proves nothing")
	}
}

// The crash test re-executes the test binary as a child that deposits and
// drains in a loop, and kills it with SIGKILL at random moments: between a
// vault commit and the index update, the outbox must repair the index at
// the next start.
const childEnv = "AMANA_INDEXER_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func crashChild(dir string) {
	v, err := vault.Open(dir, pass, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ix, err := search.Open(filepath.Join(dir, "index"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	x := indexer.New(v, ix)
	seed, _ := strconv.ParseUint(os.Getenv("AMANA_CRASH_SEED"), 10, 64)
	out := bufio.NewWriter(os.Stdout)
	for i, d := range demodata.Generate(1000, seed) {
		if _, err := deposit(v, d); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		if i%3 == 0 {
			if _, err := x.Drain(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(3)
			}
		}
		fmt.Fprintln(out, "ok")
		out.Flush()
	}
}

func TestCrashBetweenVaultAndIndex(t *testing.T) {
	cycles := 6
	if testing.Short() {
		cycles = 2
	}
	dir := t.TempDir()
	setup(t, dir)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	pendingSeen := 0
	for cycle := 0; cycle < cycles; cycle++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir, "AMANA_CRASH_SEED="+strconv.Itoa(cycle+1))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if stderr.Len() > 0 {
			t.Fatalf("child: %s", stderr.String())
		}
		v, err := vault.Open(dir, pass, opts)
		if err != nil {
			t.Fatal(err)
		}
		pending, _ := v.Outbox(0, 1<<20)
		if len(pending) > 0 {
			pendingSeen++
		}
		ix, err := search.Open(filepath.Join(dir, "index"))
		if err != nil {
			t.Fatalf("cycle %d: index after kill: %v", cycle, err)
		}
		// What the server does at start.
		if _, err := indexer.New(v, ix).Drain(); err != nil {
			t.Fatal(err)
		}
		want, got := active(t, v), indexed(t, ix)
		if !slices.Equal(want, got) {
			t.Fatalf("cycle %d: vault has %d documents, index %d", cycle, len(want), len(got))
		}
		t.Logf("cycle %d: %d documents, %d outbox entries repaired", cycle, len(want), len(pending))
		ix.Close()
		v.Close()
	}
	if pendingSeen == 0 {
		t.Log("no kill landed between a vault commit and the index update; the repair path was not exercised this run")
	}
}

// containsWord reports whether needle occurs in data as a whole word: not
// preceded or followed by a letter ("Bahar" is not in "Baharka camp").
func containsWord(data []byte, needle string) bool {
	n := []byte(needle)
	for i := 0; ; {
		j := bytes.Index(data[i:], n)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(n)
		before, _ := utf8.DecodeLastRune(data[:start])
		after, _ := utf8.DecodeRune(data[end:])
		if !unicode.IsLetter(before) && !unicode.IsLetter(after) {
			return true
		}
		i = start + 1
	}
}

// TestShredPurgesIndex shreds a document whose public metadata holds a
// word found nowhere else, and scans every byte of the index directory
// until the word is gone: deleting from a Bleve index only marks a
// document deleted, and its terms and stored fields stay in the segment
// files until they are rewritten.
func TestShredPurgesIndex(t *testing.T) {
	dir := t.TempDir()
	setup(t, dir)
	v, err := vault.Open(dir, pass, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ixDir := filepath.Join(dir, "index")
	ix, err := search.Open(ixDir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	x := indexer.New(v, ix)
	// Several drains, so that the index has several segments.
	const planted, kept = "Qorvexandrine", "Zelmorathic"
	var target, other string
	for i, d := range demodata.Generate(40, 11) {
		switch i {
		case 7:
			d.Language = "en"
			d.Title = planted + " " + d.Title
			d.Summary += " " + planted + " testimony"
			d.Transcript += " The " + strings.ToLower(planted) + " kilns."
		case 23:
			d.Language = "en"
			d.Title = kept + " " + d.Title
		}
		id, err := deposit(v, d)
		if err != nil {
			t.Fatal(err)
		}
		switch i {
		case 7:
			target = id
		case 23:
			other = id
		}
		if i%10 == 9 {
			if _, err := x.Drain(); err != nil {
				t.Fatal(err)
			}
		}
	}
	holding := func(word string) []string {
		var files []string
		filepath.Walk(ixDir, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil // removed while walking
			}
			if bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(word))) {
				files = append(files, filepath.Base(path))
			}
			return nil
		})
		return files
	}
	// The scan works: both words are on disk before the shred.
	if holding(planted) == nil || holding(kept) == nil {
		t.Fatalf("the scan does not find the planted words before the shred: it proves nothing (%v, %v)", holding(planted), holding(kept))
	}
	if err := v.Shred(vault.Caller{User: "admin"}, target); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := x.Drain(); err != nil {
		t.Fatal(err)
	}
	drained := time.Since(start)
	// Behaviour, not performance: a generous limit.
	const limit = 2 * time.Minute
	for files := holding(planted); files != nil; files = holding(planted) {
		if time.Since(start) > limit {
			t.Fatalf("%q still in %v %s after the shred", planted, files, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the shredded document's word left the index %s after the shred (Drain returned after %s)", time.Since(start), drained)
	// The rest of the index is intact.
	if holding(kept) == nil {
		t.Error("the other documents' words are gone too")
	}
	got := indexed(t, ix)
	if slices.Contains(got, target) || !slices.Contains(got, other) || len(got) != 39 {
		t.Fatalf("after the shred: %d documents indexed", len(got))
	}
	if n, err := ix.Count(); err != nil || n != 39 {
		t.Fatalf("Count: %d, %v", n, err)
	}
}
