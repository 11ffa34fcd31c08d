package web_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
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
