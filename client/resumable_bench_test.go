package client_test

import (
	"path/filepath"
	"testing"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
)

// BenchmarkDepositTransport deposits a 64 MiB file on loopback as one
// request (Deposit) and as a resumable upload (DepositResumable: sealed
// into a spool, uploaded with tus, then named by the deposit).
//
//	go test ./client -run '^$' -bench DepositTransport -benchtime 5x -count 5
func BenchmarkDepositTransport(b *testing.B) {
	const size = 64 << 20
	s := amanatest.NewServer(b, amanatest.Options{
		Collections: []vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan"}, Custodians: []string{"l.custodian"}}},
	})
	c := s.Login("r.hassan")
	req := func() client.DepositRequest {
		return client.DepositRequest{
			Collection: "kirkuk-2018", Kind: "interview",
			Public:  client.PublicMeta{Title: "A benchmark recording", Language: "en"},
			Consent: client.Consent{Scopes: []string{"research"}, RecordedAt: "2019-03-02", RecordedBy: "r.hassan"},
			Content: recording(size),
		}
	}
	b.Run("single", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if _, err := c.Deposit(ctx, req()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("resumable", func(b *testing.B) {
		b.SetBytes(size)
		spool := filepath.Join(b.TempDir(), "spool")
		for b.Loop() {
			if _, _, err := c.DepositResumable(ctx, req(), client.ResumeOptions{Spool: spool}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
