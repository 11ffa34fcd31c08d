package client_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
)

// BenchmarkDepositTransport deposits a 64 MiB file on loopback as one
// request (Deposit) and as a resumable upload (DepositResumable: sealed
// into a spool while it is uploaded with tus, then named by the deposit),
// as amana deposit does. "paired" alternates the two in each iteration,
// so that both see the same load of a shared machine, and reports the
// medians of each and their ratio.
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
	single := func(b *testing.B) {
		if _, err := c.Deposit(ctx, req()); err != nil {
			b.Fatal(err)
		}
	}
	spool := filepath.Join(b.TempDir(), "spool")
	resumable := func(b *testing.B) {
		if _, _, err := c.DepositResumable(ctx, req(), client.ResumeOptions{Spool: spool, Size: size}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("single", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			single(b)
		}
	})
	b.Run("resumable", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			resumable(b)
		}
	})
	b.Run("paired", func(b *testing.B) {
		var one, res []time.Duration
		for i := 0; b.Loop(); i++ {
			// Alternate which goes first.
			for j := range 2 {
				t := time.Now()
				if (i+j)%2 == 0 {
					single(b)
					one = append(one, time.Since(t))
				} else {
					resumable(b)
					res = append(res, time.Since(t))
				}
			}
		}
		m1, m2 := median(one), median(res)
		b.ReportMetric(float64(m1)/1e6, "single-ms")
		b.ReportMetric(float64(m2)/1e6, "resumable-ms")
		b.ReportMetric(float64(m2)/float64(m1), "ratio")
	})
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Sorted(slices.Values(ds))
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}
