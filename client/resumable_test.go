package client_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/amanatest"
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
	h := sha256.New()
	got, err := s.Login("r.hassan").Get(ctx, res.Document.ID, s.Users["r.hassan"].Identities, h)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	io.Copy(want, recording(size))
	if !bytes.Equal(h.Sum(nil), want.Sum(nil)) || got.Digest.PlainSize != size {
		t.Fatal("the document read back differs from the file")
	}
}
