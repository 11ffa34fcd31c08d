package vault

import (
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amana-vault/amana/envelope"
)

// benchSize is the document size for the deposit and get benchmarks:
// AMANA_BENCH_SIZE bytes (default 64 MiB; the target is for 1 GiB).
func benchSize() int64 {
	if s := os.Getenv("AMANA_BENCH_SIZE"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil && n > 0 {
			return n
		}
	}
	return 64 << 20
}

// pattern is an endless, cheap source of plaintext, so that the benchmark
// never holds the document in memory.
type pattern struct{ n, left int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	k := int64(len(b))
	if k > p.left {
		k = p.left
	}
	for i := range b[:k] {
		b[i] = byte(p.n + int64(i))
	}
	p.n += k
	p.left -= k
	return int(k), nil
}

func maxRSS() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024 // KiB on Linux -> MiB
}

// anonSampler records the peak of RssAnon (heap and stacks, without the
// file pages bbolt maps, which the kernel can drop at any time).
type anonSampler struct {
	stop chan struct{}
	done chan float64
}

func sampleAnon() *anonSampler {
	s := &anonSampler{stop: make(chan struct{}), done: make(chan float64)}
	go func() {
		peak := 0.0
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if v := rssAnon(); v > peak {
				peak = v
			}
			select {
			case <-s.stop:
				s.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *anonSampler) peak() float64 { close(s.stop); return <-s.done }

func rssAnon() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

func benchFixture(b *testing.B) *fixture {
	f := newFixture(b)
	f.v.opts.ChunkSize = 256 << 10 // production chunks
	return f
}

// BenchmarkDeposit measures client encryption + vault storage of one
// document, streaming: envelope.Encrypt writes straight into the Upload.
// Peak RSS of the whole process is reported as max-rss-MiB.
func BenchmarkDeposit(b *testing.B) {
	size := benchSize()
	f := benchFixture(b)
	b.SetBytes(size)
	anon := sampleAnon()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := f.tryDepositStream(f.r1, sampleMeta(), &pattern{left: size}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(anon.peak(), "peak-anon-MiB")
	b.ReportMetric(maxRSS(), "max-rss-MiB")
}

// BenchmarkGet measures reading a document back and decrypting it on the
// client, hashes verified.
func BenchmarkGet(b *testing.B) {
	size := benchSize()
	f := benchFixture(b)
	doc, _, err := f.tryDepositStream(f.r1, sampleMeta(), &pattern{left: size})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	anon := sampleAnon()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		slot, err := f.v.KeySlot(f.r1.caller(), doc.ID)
		if err != nil {
			b.Fatal(err)
		}
		key, err := envelope.OpenSlot(slot, f.r1.identity)
		if err != nil {
			b.Fatal(err)
		}
		c, err := f.v.OpenContent(f.r1.caller(), doc.ID)
		if err != nil {
			b.Fatal(err)
		}
		d, err := envelope.Decrypt(io.Discard, c, key)
		if err != nil {
			b.Fatal(err)
		}
		if hexSum(d.CipherSHA256) != doc.CipherSHA256 || d.PlainSize != size {
			b.Fatal("hash or size mismatch")
		}
	}
	b.StopTimer()
	b.ReportMetric(anon.peak(), "peak-anon-MiB")
	b.ReportMetric(maxRSS(), "max-rss-MiB")
}

// BenchmarkGrant measures a grant (open the granter's slot, wrap for the
// grantee, store the slot) on a small and a large document: the cost does
// not depend on the content size.
func BenchmarkGrant(b *testing.B) {
	for _, size := range []int64{1 << 10, benchSize()} {
		b.Run(strconv.FormatInt(size>>10, 10)+"KiB", func(b *testing.B) {
			f := benchFixture(b)
			doc, _, err := f.tryDepositStream(f.r1, sampleMeta(), &pattern{left: size})
			if err != nil {
				b.Fatal(err)
			}
			lr, _ := recipientOf(f.lawyer)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				slot, err := f.v.KeySlot(f.r1.caller(), doc.ID)
				if err != nil {
					b.Fatal(err)
				}
				key, err := envelope.OpenSlot(slot, f.r1.identity)
				if err != nil {
					b.Fatal(err)
				}
				s, err := envelope.Wrap(key, lr)
				if err != nil {
					b.Fatal(err)
				}
				if err := f.v.Grant(f.r1.caller(), doc.ID, f.lawyer.id, s); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := f.v.Revoke(f.r1.caller(), doc.ID, f.lawyer.id); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// tryDepositStream is tryDeposit for a content stream.
func (f *fixture) tryDepositStream(by testUser, req DepositRequest, content io.Reader) (*Document, *envelope.DocKey, error) {
	recips, err := f.v.CollectionRecipients(by.caller(), req.Collection)
	if err != nil {
		return nil, nil, err
	}
	key, err := envelope.NewDocKey()
	if err != nil {
		return nil, nil, err
	}
	req.Slots = map[string][]byte{}
	for id, s := range recips {
		r, err := recipientOfString(s)
		if err != nil {
			return nil, nil, err
		}
		if req.Slots[id], err = envelope.Wrap(key, r); err != nil {
			return nil, nil, err
		}
	}
	up, err := f.v.BeginDeposit(by.caller(), req)
	if err != nil {
		return nil, nil, err
	}
	d, err := envelope.Encrypt(up, content, key)
	if err != nil {
		up.Abort()
		return nil, nil, err
	}
	doc, err := up.Commit(d.CipherSHA256, nil)
	return doc, key, err
}
