package client_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amana-vault/amana/client"
)

// roundTripFunc is an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// loseCreation returns a transport that carries the first POST
// /v1/uploads to the server and then loses its answer, as a network that
// fails after the server acted does. With busy, the first listing of the
// uploads is answered 503 by a proxy on the way.
func loseCreation(busy bool) http.RoundTripper {
	var lost, refused atomic.Bool
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if busy && r.Method == http.MethodGet && r.URL.Path == "/v1/uploads" && refused.CompareAndSwap(false, true) {
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("busy")), Request: r}, nil
		}
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && r.Method == http.MethodPost && r.URL.Path == "/v1/uploads" && lost.CompareAndSwap(false, true) {
			resp.Body.Close()
			return nil, io.ErrUnexpectedEOF
		}
		return resp, err
	})
}

// TestResumableCreationAnswerLost: the server creates the upload but its
// answer is lost. The deposit finds the upload again by its spool's token
// and continues it, rather than leaving it on the server until it expires
// and creating a second one; also when the first listing meets a 503.
func TestResumableCreationAnswerLost(t *testing.T) {
	const size = 3 << 20
	for _, busy := range []bool{false, true} {
		s, requests := resumableServer(t)
		c := s.Login("r.hassan")
		c.HTTP = &http.Client{Transport: loseCreation(busy)}
		res, rep, err := c.DepositResumable(ctx, sinjarDeposit(recording(size)), client.ResumeOptions{Spool: filepath.Join(t.TempDir(), "spool"), Size: size})
		if err != nil {
			t.Fatalf("busy %v: %v", busy, err)
		}
		if rep.Found != 1 || rep.NewUploads != 0 {
			t.Errorf("busy %v: report %+v: want the lost upload found, none created", busy, rep)
		}
		n := 0
		for _, r := range requests() {
			if r == "POST /v1/uploads" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("busy %v: %d uploads created: %q", busy, n, requests())
		}
		if ups, err := c.Uploads(ctx); err != nil || len(ups) != 0 {
			t.Errorf("busy %v: uploads left on the server: %+v, %v", busy, ups, err)
		}
		readsBack(t, s, res.Document.ID, size)
	}
}

// stopAtPatch returns a transport that cancels the deposit at its first
// PATCH, as a kill would stop it, before sending it.
func stopAtPatch(cancel context.CancelFunc) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPatch {
			cancel()
			return nil, context.Canceled
		}
		return http.DefaultTransport.RoundTrip(r)
	})
}

// forgetUpload rewrites the spool's state as a process killed between
// the creation of its upload and the saving of its address leaves it, and
// returns the spool's token.
func forgetUpload(t *testing.T, spool string) string {
	t.Helper()
	path := filepath.Join(spool, "state.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]json.RawMessage // the signed public metadata keeps its bytes
	if err := json.Unmarshal(b, &st); err != nil || st["upload"] == nil || st["token"] == nil {
		t.Fatalf("state %s: %v", b, err)
	}
	delete(st, "upload")
	b, _ = json.Marshal(st)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var token string
	json.Unmarshal(st["token"], &token)
	return token
}

// TestResumableKilledBeforeUploadSaved: a process killed after the server
// created its upload but before the address reached the spool. Sealed,
// the next run finds the upload by the spool's token and continues it;
// killed while sealing, the next run finds it and terminates it. Either
// way no upload is left to wait for its expiry against the quota.
func TestResumableKilledBeforeUploadSaved(t *testing.T) {
	const size = 2 << 20
	for _, sealed := range []bool{true, false} {
		s, requests := resumableServer(t)
		c := s.Login("r.hassan")
		spool := filepath.Join(t.TempDir(), "spool")

		run, cancel := context.WithCancel(ctx)
		killed := *c
		killed.HTTP = &http.Client{Transport: stopAtPatch(cancel)}
		opts := client.ResumeOptions{Spool: spool}
		content := recording(size)
		if !sealed {
			// Half the input, then it waits for more until the kill.
			opts.Size = size
			content = io.MultiReader(recording(size/2), readerFunc(func([]byte) (int, error) {
				<-run.Done()
				return 0, run.Err()
			}))
		}
		if _, _, err := killed.DepositResumable(run, sinjarDeposit(content), opts); !errors.Is(err, context.Canceled) {
			t.Fatalf("sealed %v: the first run ended with %v", sealed, err)
		}
		token := forgetUpload(t, spool)
		ups, err := c.Uploads(ctx)
		if err != nil || len(ups) != 1 {
			t.Fatalf("sealed %v: before the second run: %+v, %v", sealed, ups, err)
		}
		lost := ups[0].Location
		// An upload with the spool's token but another length is not
		// this spool's: it is neither continued nor terminated.
		decoy := s.CreateUpload(c, 10, "amana-spool "+base64.StdEncoding.EncodeToString([]byte(token)))

		res, rep, err := c.DepositResumable(ctx, sinjarDeposit(recording(size)), client.ResumeOptions{Spool: spool, Size: opts.Size})
		if err != nil {
			t.Fatalf("sealed %v: %v", sealed, err)
		}
		if sealed && (!rep.Restarted || rep.Found != 1 || rep.NewUploads != 0 || rep.Terminated != 0) {
			t.Errorf("sealed: report %+v: want the upload found and continued", rep)
		}
		if !sealed && (rep.Restarted || rep.Terminated != 1 || rep.NewUploads != 1) {
			t.Errorf("while sealing: report %+v: want the upload found and terminated", rep)
		}
		if deleted := slices.Contains(requests(), "DELETE "+lost); deleted == sealed {
			t.Errorf("sealed %v: DELETE of the lost upload: %v; requests %q", sealed, deleted, requests())
		}
		if ups, err := c.Uploads(ctx); err != nil || len(ups) != 1 || ups[0].Location != decoy {
			t.Errorf("sealed %v: uploads left on the server: %+v, %v; want the decoy only", sealed, ups, err)
		}
		readsBack(t, s, res.Document.ID, size)
	}
}

// TestResumableSpoolBusy: a second run of the same deposit while the first
// is still sending is refused with ErrSpoolBusy and changes nothing; the
// first completes, and its lock file goes with its spool.
func TestResumableSpoolBusy(t *testing.T) {
	const size = 1 << 20
	s, requests := resumableServer(t)
	c := s.Login("r.hassan")
	spool := filepath.Join(t.TempDir(), "uploads", "spool")
	release := make(chan struct{})
	src := recording(size)
	content := io.MultiReader(io.LimitReader(src, size/2), readerFunc(func(p []byte) (int, error) {
		<-release
		return 0, io.EOF
	}), src)
	type result struct {
		res *client.Deposited
		err error
	}
	first := make(chan result, 1)
	go func() {
		res, _, err := c.DepositResumable(ctx, sinjarDeposit(content), client.ResumeOptions{Spool: spool, Size: size})
		first <- result{res, err}
	}()
	// Wait until the first run has made its upload.
	for !slices.Contains(requests(), "POST /v1/uploads") {
		time.Sleep(5 * time.Millisecond)
	}
	before := len(requests())
	if _, _, err := c.DepositResumable(ctx, sinjarDeposit(recording(size)), client.ResumeOptions{Spool: spool, Size: size}); !errors.Is(err, client.ErrSpoolBusy) {
		t.Fatalf("a second run: %v", err)
	}
	if got := requests()[before:]; len(got) != 0 {
		t.Errorf("the second run sent %q", got)
	}
	close(release)
	r := <-first
	if r.err != nil {
		t.Fatal(r.err)
	}
	if _, err := os.Stat(spool + ".lock"); !os.IsNotExist(err) {
		t.Errorf("the lock file is left: %v", err)
	}
	readsBack(t, s, r.res.Document.ID, size)
}
