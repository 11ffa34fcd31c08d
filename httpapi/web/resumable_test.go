package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"maps"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/amana-vault/amana/internal/amanatest"
)

// TestBrowserDepositsLargeFileThroughCuts deposits a 300 MiB recording
// through the page, over a proxy that cuts every connection twice on the
// way: the page goes on from the server's offset, the proxy carries little
// more than the file, and the document reads back whole. The renderer's
// peak resident memory is logged (see BENCHMARKS.md).
func TestBrowserDepositsLargeFileThroughCuts(t *testing.T) {
	const size = 300 << 20
	e := newEnv(t)
	u, _ := url.Parse(e.url)
	p := amanatest.NewProxy(t, u.Host, 110<<20)
	e.url = p.URL
	ctx := browserFor(t, 10*time.Minute)

	file := filepath.Join(t.TempDir(), "interview-sinjar.m4a")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, io.LimitReader(rand.NewChaCha8([32]byte{'d', 'u', 'h', 'o', 'k'}), size)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	e.browserLogin(t, ctx, "r.ahmed")
	t.Logf("after login: renderer peak RSS %.1f MiB, %s", float64(rendererPeak(t, ctx))/(1<<20), rendererNow(ctx))
	// The largest resident memory of the renderers, sampled every second.
	stopSampling := make(chan struct{})
	samples := make(chan string, 1)
	go func() {
		var worst string
		var worstAnon int64
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-stopSampling:
				samples <- worst
				return
			case <-tk.C:
				if s := rendererNow(ctx); s != "" {
					var anon int64
					for _, part := range strings.Split(s, "; ") {
						var a int64
						fmt.Sscanf(part, "RssAnon %d", &a)
						anon = max(anon, a)
					}
					if anon >= worstAnon {
						worstAnon, worst = anon, s
					}
				}
			}
		}
	}()
	before := p.Sent()
	run(t, ctx,
		chromedp.Evaluate[chromedp.Void](`location.hash='#/deposit'`),
		chromedp.WaitVisible(chromedp.CSS(`#deposit-form`)),
		chromedp.WaitReady(chromedp.CSS(`#collection option`)),
		chromedp.SetValue(chromedp.CSS(`#collection`), "kirkuk-2018"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{file}),
		chromedp.SendKeys(chromedp.CSS(`#title`), "Interview recorded in Sinjar"),
		chromedp.Click(chromedp.CSS(`#deposit-submit`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('deposit-result').textContent !== ''`, chromedp.WithPollingInterval(time.Second), chromedp.WithPollingTimeout(6*time.Minute)),
	)
	if res := text(t, ctx, "#deposit-result"); !strings.Contains(res, "Deposited") && eval[bool](t, ctx, `document.getElementById('deposited-link') === null`) {
		t.Fatalf("the deposit failed: %s", res)
	}
	close(stopSampling)
	t.Logf("largest sample during the deposit: %s", <-samples)
	sent := p.Sent() - before
	resumed, _ := strconv.Atoi(eval[string](t, ctx, `document.getElementById('progress').dataset.resumed`))
	peak := rendererPeak(t, ctx)
	t.Logf("proxy carried %d bytes for a %d-byte file (%.3f×), %d cuts, the page resumed %d times; renderer peak RSS %.1f MiB",
		sent, size, float64(sent)/size, p.Cuts(), resumed, float64(peak)/(1<<20))
	if p.Cuts() != 2 {
		t.Fatalf("the proxy cut %d times, want 2", p.Cuts())
	}
	// Chromium retries a request whose connection broke on its own where it
	// can; what it cannot, the page resumes (progress's data-resumed): the
	// proxy's count shows that the bytes of each cut were not sent again
	// from the start.
	if float64(sent)/size >= 1.15 {
		t.Fatalf("the proxy carried %.3f× the file", float64(sent)/size)
	}
	if peak == 0 {
		t.Fatal("no renderer found to measure")
	}

	href := eval[string](t, ctx, `document.getElementById('deposited-link').textContent`)
	c := e.login("r.ahmed")
	h := newHashWriter()
	got, err := c.Get(t.Context(), strings.TrimSpace(href), e.users["r.ahmed"].Identities, h)
	if err != nil {
		t.Fatal(err)
	}
	want := newHashWriter()
	io.Copy(want, io.LimitReader(rand.NewChaCha8([32]byte{'d', 'u', 'h', 'o', 'k'}), size))
	if got.Digest.PlainSize != size || h.sum() != want.sum() {
		t.Fatal("the document read back differs from the file")
	}
	if got.Private["file_name"] != "interview-sinjar.m4a" {
		t.Errorf("private metadata %v", got.Private)
	}
}

// rendererPeak is the largest peak resident set (VmHWM) of the browser's
// renderer processes.
func rendererPeak(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	root := chromedp.FromContext(ctx).Browser.Process()
	if root == nil {
		t.Fatal("no browser process")
	}
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, en := range ents {
		pid, err := strconv.Atoi(en.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces.
		rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
		var state string
		var ppid int
		fmt.Sscan(rest, &state, &ppid)
		children[ppid] = append(children[ppid], pid)
	}
	var peak int64
	var walk func(int)
	walk = func(pid int) {
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.Contains(string(cmd), "--type=renderer") {
			st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			for _, line := range strings.Split(string(st), "\n") {
				if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
					peak = max(peak, n<<10)
				}
			}
		}
		for _, c := range children[pid] {
			walk(c)
		}
	}
	walk(root.Pid)
	return peak
}

type hashWriter struct{ h hash.Hash }

func newHashWriter() *hashWriter                  { return &hashWriter{sha256.New()} }
func (w *hashWriter) Write(p []byte) (int, error) { return w.h.Write(p) }
func (w *hashWriter) sum() string                 { return fmt.Sprintf("%x", w.h.Sum(nil)) }

// rendererNow describes the renderers' resident memory now, in MiB.
func rendererNow(ctx context.Context) string {
	root := chromedp.FromContext(ctx).Browser.Process()
	if root == nil {
		return ""
	}
	out := ""
	ents, _ := os.ReadDir("/proc")
	for _, en := range ents {
		pid, err := strconv.Atoi(en.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if !strings.Contains(string(cmd), "--type=renderer") || !descends(pid, root.Pid) {
			continue
		}
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		vals := map[string]int64{}
		for _, line := range strings.Split(string(st), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && strings.HasPrefix(k, "Rss") {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				vals[k] = n >> 10
			}
		}
		out += fmt.Sprintf("RssAnon %d RssFile %d RssShmem %d (pid %d); ", vals["RssAnon"], vals["RssFile"], vals["RssShmem"], pid)
	}
	return out
}

// descends reports whether process pid descends from root.
func descends(pid, root int) bool {
	for pid > 1 {
		if pid == root {
			return true
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
		var state string
		fmt.Sscan(rest, &state, &pid)
	}
	return false
}

// startDeposit fills the deposit form with file and submits it.
func startDeposit(t *testing.T, ctx context.Context, file, title string) {
	t.Helper()
	run(t, ctx,
		chromedp.Evaluate[chromedp.Void](`location.hash='#/deposit'`),
		chromedp.WaitVisible(chromedp.CSS(`#deposit-form`)),
		chromedp.WaitReady(chromedp.CSS(`#collection option[value="kirkuk-2018"]`)),
		chromedp.SetValue(chromedp.CSS(`#collection`), "kirkuk-2018"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{file}),
		chromedp.SendKeys(chromedp.CSS(`#title`), title),
		chromedp.Click(chromedp.CSS(`#deposit-submit`)),
	)
}

// waitDeposited waits for the deposit's result and returns the new
// document's id.
func waitDeposited(t *testing.T, ctx context.Context) string {
	t.Helper()
	run(t, ctx, chromedp.Poll[chromedp.Void](`document.getElementById('deposit-result').textContent !== ''`, chromedp.WithPollingInterval(500*time.Millisecond), chromedp.WithPollingTimeout(6*time.Minute)))
	if eval[bool](t, ctx, `document.getElementById('deposited-link') === null`) {
		t.Fatalf("the deposit failed: %s", text(t, ctx, "#deposit-result"))
	}
	return strings.TrimSpace(eval[string](t, ctx, `document.getElementById('deposited-link').textContent`))
}

// uploadRecords is what the page keeps of unfinished uploads: the text
// of each localStorage item under amana.upload.
const uploadRecords = `Object.keys(localStorage).filter(k => k.startsWith('amana.upload.')).map(k => localStorage.getItem(k))`

// waitAcknowledged waits until the page has kept a record of more than n
// bytes of a new upload acknowledged by the server (one not among the
// records kept before).
func waitAcknowledged(t *testing.T, ctx context.Context, before []string, n int64) {
	t.Helper()
	old, _ := json.Marshal(before)
	run(t, ctx, chromedp.Poll[chromedp.Void](fmt.Sprintf(`(%s).some(r => !%s.includes(r) && (JSON.parse(r).check || {}).length > %d)`, uploadRecords, old, n),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(4*time.Minute)))
}

// writeRecording writes size bytes of the pseudo-random stream seed to a
// new file named name and returns its path.
func writeRecording(t *testing.T, name string, seed byte, size int64) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, io.LimitReader(rand.NewChaCha8([32]byte{seed}), size)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return file
}

// readBack opens document id as r.ahmed with the Go client and returns
// the SHA-256 of its plaintext.
func (e *env) readBack(t *testing.T, id string) (sum string, size int64) {
	t.Helper()
	c := e.login("r.ahmed")
	h := newHashWriter()
	got, err := c.Get(t.Context(), id, e.users["r.ahmed"].Identities, h)
	if err != nil {
		t.Fatal(err)
	}
	return h.sum(), got.Digest.PlainSize
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := newHashWriter()
	io.Copy(h, f)
	return h.sum()
}

// TestBrowserDepositResumesAfterReload reloads the page in the middle of a
// 128 MiB deposit: after logging in again and choosing the same file, the
// page says it continues the upload, sends only what the server lacks
// (the proxy carries less than 1.15× the file over both lives of the
// page), and the document reads back as the file. What the page kept
// holds nothing secret, and is gone once the deposit succeeded.
func TestBrowserDepositResumesAfterReload(t *testing.T) {
	const size = 128 << 20
	e := newEnv(t)
	u, _ := url.Parse(e.url)
	p := amanatest.NewProxy(t, u.Host, 1<<40)
	e.url = p.URL
	ctx := browserFor(t, 10*time.Minute)
	file := writeRecording(t, "interview-duhok.m4a", 's', size)

	e.browserLogin(t, ctx, "r.ahmed")
	startDeposit(t, ctx, file, "Interview recorded in Duhok")
	waitAcknowledged(t, ctx, nil, 24<<20)
	kept := eval[[]string](t, ctx, uploadRecords)
	if len(kept) != 1 {
		t.Fatalf("the page keeps %d records of uploads, want 1", len(kept))
	}
	for _, secret := range []string{"interview-duhok", "AGE-SECRET-KEY", "Interview", "Bearer"} {
		if strings.Contains(kept[0], secret) {
			t.Errorf("the record kept in localStorage holds %q: %s", secret, kept[0])
		}
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(kept[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if fields := slices.Sorted(maps.Keys(rec)); !slices.Equal(fields, []string{"at", "check", "head", "length", "path", "slot", "v"}) {
		t.Errorf("the record holds %v", fields)
	}

	// A reload: the page, its WebAssembly memory and its session are gone.
	e.browserLogin(t, ctx, "r.ahmed")
	if n := eval[int](t, ctx, `(`+uploadRecords+`).length`); n != 1 {
		t.Fatalf("after the reload the page keeps %d records", n)
	}
	startDeposit(t, ctx, file, "Interview recorded in Duhok")
	id := waitDeposited(t, ctx)
	from, _ := strconv.ParseInt(eval[string](t, ctx, `document.getElementById('progress').dataset.resumedFrom || '0'`), 10, 64)
	note := text(t, ctx, "#deposit-resume")
	sent := p.Sent()
	t.Logf("resumed from %d bytes; proxy carried %d bytes for a %d-byte file (%.3f×); %q", from, sent, size, float64(sent)/size, note)
	if from < 24<<20 || !strings.Contains(note, "Continuing the interrupted upload") {
		t.Fatalf("the page did not resume (from %d): %q", from, note)
	}
	if float64(sent)/size >= 1.15 {
		t.Fatalf("the proxy carried %.3f× the file", float64(sent)/size)
	}
	if sum, n := e.readBack(t, id); n != size || sum != fileSum(t, file) {
		t.Fatal("the document read back differs from the file")
	}
	if n := eval[int](t, ctx, `(`+uploadRecords+`).length`); n != 0 {
		t.Errorf("%d records of uploads are left after the deposit", n)
	}
}

// TestBrowserDepositOfChangedFileStartsAfresh: a reload interrupts a
// deposit; the file chosen next differs. Another date (or size) is another
// file: its deposit starts from zero. The same name, size and date with
// other bytes is caught by the hash of what the server acknowledged: the
// page says it cannot continue, starts afresh under a new key, and the
// document is the new file.
func TestBrowserDepositOfChangedFileStartsAfresh(t *testing.T) {
	const size = 40 << 20
	e := newEnv(t)
	ctx := browserFor(t, 10*time.Minute)
	file := writeRecording(t, "interview-zakho.m4a", 'z', size)
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	interrupt := func() {
		e.browserLogin(t, ctx, "r.ahmed")
		before := eval[[]string](t, ctx, uploadRecords)
		startDeposit(t, ctx, file, "Interview recorded in Zakho")
		waitAcknowledged(t, ctx, before, 6<<20)
		e.browserLogin(t, ctx, "r.ahmed")
	}

	// Another date: no record matches, nothing says "continuing".
	interrupt()
	later := st.ModTime().Add(time.Hour)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	startDeposit(t, ctx, file, "Interview recorded in Zakho")
	id := waitDeposited(t, ctx)
	if from := eval[string](t, ctx, `document.getElementById('progress').dataset.resumedFrom || ''`); from != "" {
		t.Fatalf("a file with another date resumed from %s", from)
	}
	if note := eval[string](t, ctx, `document.getElementById('deposit-resume').textContent`); note != "" {
		t.Fatalf("a file with another date: %q", note)
	}
	if sum, n := e.readBack(t, id); n != size || sum != fileSum(t, file) {
		t.Fatal("the document read back differs from the file")
	}

	// Same name, size and date, other bytes at the start.
	interrupt()
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("an edited recording"), 1<<20)
	f.Close()
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	startDeposit(t, ctx, file, "Interview recorded in Zakho")
	id = waitDeposited(t, ctx)
	if note := text(t, ctx, "#deposit-resume"); !strings.Contains(note, "cannot be continued") {
		t.Fatalf("a file changed in place: %q", note)
	}
	if sum, n := e.readBack(t, id); n != size || sum != fileSum(t, file) {
		t.Fatal("the document read back differs from the changed file")
	}
	if n := eval[int](t, ctx, `(`+uploadRecords+`).length`); n != 1 {
		// The first interrupted upload (the old date) is still kept until it expires.
		t.Errorf("%d records of uploads are left, want 1 (the upload of the file before its date changed)", n)
	}
}
