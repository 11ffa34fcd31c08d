package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/sshsig"
	"github.com/amana-vault/amana/vault"
)

// recording is n bytes of synthetic audio-like noise, the same every run.
func recording(n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{'a', 'm', 'a', 'n', 'a'}), n)
}

// TestResumableDepositThroughCuts deposits 128 MiB through a proxy that
// cuts every connection every 20 MiB: the deposit succeeds, reads back
// whole, and the proxy carried less than 1.15 times the file.
func TestResumableDepositThroughCuts(t *testing.T) {
	if testing.Short() {
		t.Skip("128 MiB deposit")
	}
	const size = 128 << 20
	s := amanatest.NewServer(t, amanatest.Options{
		Collections: []vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan"}, Custodians: []string{"l.custodian"}}},
	})
	u, _ := url.Parse(s.URL)
	p := amanatest.NewProxy(t, u.Host, 20<<20)
	c := s.Login("r.hassan")
	c.BaseURL = p.URL
	c.HTTP = nil

	spool := filepath.Join(t.TempDir(), "spool")
	res, rep, err := c.DepositResumable(ctx, client.DepositRequest{
		Collection: "kirkuk-2018", Kind: "interview",
		Public:  client.PublicMeta{Title: "An interview recorded in Sinjar", Language: "kmr"},
		Consent: client.Consent{Scopes: []string{"research"}, RecordedAt: "2019-03-02", RecordedBy: "r.hassan"},
		Content: recording(size),
	}, client.ResumeOptions{Spool: spool, Size: size})
	if err != nil {
		t.Fatalf("deposit through the cutting proxy: %v (after %d bytes, %d cuts)", err, p.Sent(), p.Cuts())
	}
	t.Logf("proxy carried %d bytes for a %d-byte file (%.3f×), %d cuts, %d resumptions at %v",
		p.Sent(), size, float64(p.Sent())/size, p.Cuts(), rep.Resumptions, rep.Offsets)
	if p.Cuts() < 6 {
		t.Fatalf("the proxy cut %d times, want at least 6", p.Cuts())
	}
	if rep.Resumptions != int(p.Cuts()) {
		t.Fatalf("%d resumptions reported, want one per cut", rep.Resumptions)
	}
	if got := float64(p.Sent()) / size; got >= 1.15 {
		t.Fatalf("the proxy carried %.3f× the file's bytes", got)
	}
	if _, err := os.Stat(spool); !os.IsNotExist(err) {
		t.Fatalf("spool left after the deposit: %v", err)
	}
	readsBack(t, s, res.Document.ID, size)
}

// resumableServer is a test server for resumable deposits that records
// the tus requests and deposits it serves ("METHOD /v1/uploads/ID",
// "POST /v1/documents").
func resumableServer(t *testing.T) (*amanatest.Server, func() []string) {
	var mu sync.Mutex
	var log []string
	s := amanatest.NewServer(t, amanatest.Options{
		Collections: []vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan"}, Custodians: []string{"l.custodian"}}},
		Wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/v1/uploads") || r.Method == http.MethodPost && r.URL.Path == "/v1/documents" {
					mu.Lock()
					log = append(log, r.Method+" "+r.URL.Path)
					mu.Unlock()
				}
				h.ServeHTTP(w, r)
			})
		},
	})
	return s, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(log)
	}
}

func sinjarDeposit(content io.Reader) client.DepositRequest {
	return client.DepositRequest{
		Collection: "kirkuk-2018", Kind: "interview",
		Public:  client.PublicMeta{Title: "An interview recorded in Sinjar", Language: "kmr"},
		Consent: client.Consent{Scopes: []string{"research"}, RecordedAt: "2019-03-02", RecordedBy: "r.hassan"},
		Content: content,
	}
}

// uploadOffsetOf asks the server for an upload's offset with c's session;
// -1 if the upload does not exist.
func uploadOffsetOf(t *testing.T, c *client.Client, path string) int64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, c.BaseURL+path, nil)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return -1
	}
	n, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("HEAD %s: %d %q", path, resp.StatusCode, resp.Header.Get("Upload-Offset"))
	}
	return n
}

// readsBack checks that document id decrypts to the size bytes of
// recording.
func readsBack(t *testing.T, s *amanatest.Server, id string, size int64) {
	t.Helper()
	h := sha256.New()
	got, err := s.Login("r.hassan").Get(ctx, id, s.Users["r.hassan"].Identities, h)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	io.Copy(want, recording(size))
	if !bytes.Equal(h.Sum(nil), want.Sum(nil)) || got.Digest.PlainSize != size {
		t.Fatal("the document read back differs from the file")
	}
}

// TestResumableUnknownSize deposits an input of unknown size (a pipe, say):
// it is sealed into the spool first, then uploaded.
func TestResumableUnknownSize(t *testing.T) {
	const size = 3<<20 + 123
	s, requests := resumableServer(t)
	c := s.Login("r.hassan")
	spool := filepath.Join(t.TempDir(), "spool")
	var sealed int64
	res, rep, err := c.DepositResumable(ctx, sinjarDeposit(recording(size)), client.ResumeOptions{
		Spool:   spool,
		Sealing: func(done, total int64) { sealed = done },
	})
	if err != nil {
		t.Fatal(err)
	}
	if sealed != size || rep.NewUploads != 1 || rep.Sent != res.Document.Size {
		t.Fatalf("sealing reported %d bytes, %+v", sealed, rep)
	}
	if got := requests(); len(got) != 3 || got[0] != "POST /v1/uploads" || !strings.HasPrefix(got[1], "PATCH ") || got[2] != "POST /v1/documents" {
		t.Fatalf("requests %q, want the upload's POST, one PATCH, the deposit", got)
	}
	if _, err := os.Stat(spool); !os.IsNotExist(err) {
		t.Fatalf("spool left after the deposit: %v", err)
	}
	readsBack(t, s, res.Document.ID, size)
}

// TestResumableInputChanged gives a deposit of known size an input that
// is shorter or longer than it said: sealing fails, the upload is
// terminated, the spool removed, nothing deposited.
func TestResumableInputChanged(t *testing.T) {
	const size = 4 << 20
	for _, n := range []int64{size - 100, size + 1} {
		s, requests := resumableServer(t)
		c := s.Login("r.hassan")
		spool := filepath.Join(t.TempDir(), "spool")
		_, _, err := c.DepositResumable(ctx, sinjarDeposit(recording(n)), client.ResumeOptions{Spool: spool, Size: size})
		if err == nil || !strings.Contains(err.Error(), "did it change?") {
			t.Fatalf("input of %d bytes for %d: %v", n, size, err)
		}
		if _, err := os.Stat(spool); !os.IsNotExist(err) {
			t.Fatalf("spool left after a failed sealing: %v", err)
		}
		got := requests()
		if len(got) < 2 || !strings.HasPrefix(got[0], "POST ") || got[len(got)-1] != "DELETE "+strings.TrimPrefix(got[1], "PATCH ") {
			t.Fatalf("tus requests %q: the upload was not terminated", got)
		}
		if off := uploadOffsetOf(t, c, strings.TrimPrefix(got[1], "PATCH ")); off != -1 {
			t.Fatalf("the upload still exists, at %d", off)
		}
		if slices.Contains(got, "POST /v1/documents") {
			t.Fatalf("tus requests %q: a deposit was sent", got)
		}
	}
}

// TestResumableKilledWhileSealing kills a deposit while it seals (its
// input blocks half-way) and once the server holds part of its upload:
// that spool can never be completed, since the rest of its ciphertext
// needs a document key that was never written down. Run again, the
// deposit terminates the old upload and deposits afresh.
func TestResumableKilledWhileSealing(t *testing.T) {
	const size, half = 8 << 20, 4 << 20
	if dir := os.Getenv("AMANA_TEST_SEALING_CHILD"); dir != "" {
		sealingChild(t, dir, size, half)
		return
	}
	s, requests := resumableServer(t)
	u, _ := url.Parse(s.URL)
	p := amanatest.NewProxy(t, u.Host, 0)
	c := s.Login("r.hassan")
	dir := t.TempDir()
	spool := filepath.Join(dir, "spool")
	args := map[string]string{"url": p.URL, "token": c.Token, "key": s.Users["r.hassan"].SigningKeyFile, "spool": spool}
	b, _ := json.Marshal(args)
	os.WriteFile(filepath.Join(dir, "child.json"), b, 0o600)

	// The proxy holds after 2 MiB, in the PATCH (the sealer has written
	// 4 MiB and waits for more input).
	held := p.HoldAt(2 << 20)
	cmd := exec.Command(os.Args[0], "-test.run=^TestResumableKilledWhileSealing$")
	cmd.Env = append(os.Environ(), "AMANA_TEST_SEALING_CHILD="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("the child ended before it could be killed: %v", err)
	case <-held:
	}
	cmd.Process.Kill()
	<-done
	p.Release()

	var st struct {
		Upload string `json:"upload"`
		Sealed bool   `json:"sealed"`
		Size   int64  `json:"size"`
	}
	b, err := os.ReadFile(filepath.Join(spool, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &st)
	fi, err := os.Stat(filepath.Join(spool, "content.age"))
	if err != nil || st.Sealed || st.Upload == "" || fi.Size() >= st.Size {
		t.Fatalf("spool after the kill: %+v, content %v", st, err)
	}
	// The server acknowledges what arrived of the broken PATCH.
	for {
		off := uploadOffsetOf(t, c, st.Upload)
		if off < 0 {
			t.Fatal("the upload vanished after the kill")
		}
		if off > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	res, rep, err := c.DepositResumable(ctx, sinjarDeposit(recording(size)), client.ResumeOptions{Spool: spool, Size: size})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Restarted || rep.Terminated != 1 || rep.NewUploads != 1 || rep.Resumptions != 0 {
		t.Fatalf("second run: %+v", rep)
	}
	if !slices.Contains(requests(), "DELETE "+st.Upload) || uploadOffsetOf(t, c, st.Upload) != -1 {
		t.Fatalf("the old upload was not terminated: %q", requests())
	}
	readsBack(t, s, res.Document.ID, size)
}

// sealingChild is the deposit TestResumableKilledWhileSealing kills: its
// input gives half its bytes, then blocks.
func sealingChild(t *testing.T, dir string, size, half int64) {
	b, err := os.ReadFile(filepath.Join(dir, "child.json"))
	if err != nil {
		t.Fatal(err)
	}
	var args map[string]string
	json.Unmarshal(b, &args)
	key, err := os.ReadFile(args["key"])
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(args["url"])
	c.Token, c.User = args["token"], "r.hassan"
	if c.Signer, err = sshsig.ParseSigningKey(key); err != nil {
		t.Fatal(err)
	}
	block := readerFunc(func([]byte) (int, error) { select {} })
	_, _, err = c.DepositResumable(ctx, sinjarDeposit(io.MultiReader(recording(half), block)), client.ResumeOptions{Spool: args["spool"], Size: size})
	t.Fatalf("the deposit ended: %v", err)
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestResumableDamagedSpool stops a deposit once its spool is sealed and
// part of it uploaded, then damages the spool as a crash of the machine
// could (the spool is not fsynced): the next run finds that it no longer
// hashes to what was recorded, terminates the upload and deposits afresh.
// Undamaged, the same spool continues its upload.
func TestResumableDamagedSpool(t *testing.T) {
	const size = 16 << 20
	for _, damage := range []bool{false, true} {
		s, requests := resumableServer(t)
		u, _ := url.Parse(s.URL)
		p := amanatest.NewProxy(t, u.Host, 0)
		c := s.Login("r.hassan")
		c.BaseURL, c.HTTP = p.URL, nil
		spool := filepath.Join(t.TempDir(), "spool")

		held := p.HoldAt(p.Sent() + 4<<20)
		stop, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, _, err := c.DepositResumable(stop, sinjarDeposit(recording(size)), client.ResumeOptions{Spool: spool, Size: size})
			done <- err
		}()
		<-held
		var st struct {
			Upload string `json:"upload"`
			Sealed bool   `json:"sealed"`
		}
		for !st.Sealed {
			select {
			case err := <-done:
				t.Fatalf("the deposit ended before it could be stopped: %v", err)
			case <-time.After(10 * time.Millisecond):
			}
			b, _ := os.ReadFile(filepath.Join(spool, "state.json"))
			json.Unmarshal(b, &st)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped deposit: %v", err)
		}
		p.Release()
		if damage {
			f, err := os.OpenFile(filepath.Join(spool, "content.age"), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt(make([]byte, 4096), size/2)
			f.Close()
		}

		res, rep, err := c.DepositResumable(ctx, sinjarDeposit(recording(size)), client.ResumeOptions{Spool: spool, Size: size})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("damaged %v: %+v", damage, rep)
		terminated := slices.Contains(requests(), "DELETE "+st.Upload)
		if damage && (rep.Restarted || rep.Terminated != 1 || rep.NewUploads != 1 || !terminated) ||
			!damage && (!rep.Restarted || rep.Terminated != 0 || rep.NewUploads != 0 || terminated) {
			t.Fatalf("damaged %v: second run %+v, requests %q", damage, rep, requests())
		}
		readsBack(t, s, res.Document.ID, size)
	}
}
