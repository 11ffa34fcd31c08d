package client_test

import (
	"os"
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
// as amana deposit does. "paired" runs one of each per iteration, in
// alternating order, so that both see the same load of a shared machine,
// and reports the median time of each (ms), the median of the
// per-iteration ratios resumable / single, and the median CPU time of
// each (client and server: both run in this process), which depends
// less on what else the machine runs. The vault's blobs are dropped from
// the page cache after each deposit (outside the times measured): a run
// stores gigabytes, which would otherwise fill the memory and make the
// later iterations pay for reclaiming it, the resumable ones more (their
// spool takes page cache too).
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
	blobs := filepath.Join(s.Dir, "blobs")
	if _, err := os.Stat(blobs); err != nil {
		b.Fatal(err)
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
			b.StopTimer()
			dropCache(blobs)
			b.StartTimer()
		}
	})
	b.Run("resumable", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			resumable(b)
			b.StopTimer()
			dropCache(blobs)
			b.StartTimer()
		}
	})
	b.Run("paired", func(b *testing.B) {
		var one, res, ratio, oneCPU, resCPU []float64
		for i := 0; b.Loop(); i++ {
			// Alternate which goes first.
			var d, cpu [2]time.Duration
			for j := range 2 {
				k := (i + j) % 2
				t, c := time.Now(), cpuTime()
				if k == 0 {
					single(b)
				} else {
					resumable(b)
				}
				d[k], cpu[k] = time.Since(t), cpuTime()-c
				dropCache(blobs)
			}
			one = append(one, float64(d[0])/1e6)
			res = append(res, float64(d[1])/1e6)
			ratio = append(ratio, float64(d[1])/float64(d[0]))
			oneCPU = append(oneCPU, float64(cpu[0])/1e6)
			resCPU = append(resCPU, float64(cpu[1])/1e6)
		}
		b.ReportMetric(median(one), "single-ms")
		b.ReportMetric(median(res), "resumable-ms")
		b.ReportMetric(median(ratio), "ratio")
		b.ReportMetric(median(oneCPU), "single-cpu-ms")
		b.ReportMetric(median(resCPU), "resumable-cpu-ms")
	})
}

// median of xs.
func median(xs []float64) float64 {
	xs = slices.Sorted(slices.Values(xs))
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
