package client_test

import (
	"context"
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

	"github.com/amana-vault/amana/client"
)

// roundTripFunc is an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// loseCreation returns a transport that carries the first POST
// /v1/uploads to the server and then loses its answer, as a network that
// fails after the server acted does.
func loseCreation() http.RoundTripper {
	var lost atomic.Bool
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
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
// and creating a second one.
func TestResumableCreationAnswerLost(t *testing.T) {
	const size = 3 << 20
	s, requests := resumableServer(t)
	c := s.Login("r.hassan")
	c.HTTP = &http.Client{Transport: loseCreation()}
	res, rep, err := c.DepositResumable(ctx, sinjarDeposit(recording(size)), client.ResumeOptions{Spool: filepath.Join(t.TempDir(), "spool"), Size: size})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Found != 1 || rep.NewUploads != 0 {
		t.Errorf("report %+v: want the lost upload found, none created", rep)
	}
	n := 0
	for _, r := range requests() {
		if r == "POST /v1/uploads" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d uploads created: %q", n, requests())
	}
	if ups, err := c.Uploads(ctx); err != nil || len(ups) != 0 {
		t.Errorf("uploads left on the server: %+v, %v", ups, err)
	}
	readsBack(t, s, res.Document.ID, size)
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
// the creation of its upload and the saving of its address leaves it.
func forgetUpload(t *testing.T, spool string) {
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
		forgetUpload(t, spool)
		ups, err := c.Uploads(ctx)
		if err != nil || len(ups) != 1 {
			t.Fatalf("sealed %v: before the second run: %+v, %v", sealed, ups, err)
		}
		lost := ups[0].Location

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
		if ups, err := c.Uploads(ctx); err != nil || len(ups) != 0 {
			t.Errorf("sealed %v: uploads left on the server: %+v, %v", sealed, ups, err)
		}
		readsBack(t, s, res.Document.ID, size)
		if !strings.HasPrefix(lost, "/v1/uploads/") {
			t.Errorf("listed location %q", lost)
		}
	}
}
