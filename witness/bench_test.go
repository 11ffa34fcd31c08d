package witness_test

import (
	"context"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
	"github.com/amana-vault/amana/witness"
)

// BenchmarkCosign measures one write followed by a litewitness's
// cosignature of the checkpoint that covers it: the latency an auditor
// waits for at most, on loopback.
func BenchmarkCosign(b *testing.B) {
	v, c := benchSetup(b, true)
	ctx := context.Background()
	for b.Loop() {
		if err := v.Record(vault.Caller{User: "admin"}, "test.event", "ok", nil); err != nil {
			b.Fatal(err)
		}
		_, size, _ := v.LatestCheckpoint()
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		c.Wait(wctx, size)
		cancel()
		if st := c.Status()[0]; st.Size < size {
			b.Fatalf("not cosigned: %+v", st)
		}
	}
}

// BenchmarkWriteWithWitness measures writes (one audited transaction each)
// while a litewitness cosigns in the background, to compare with
// BenchmarkWriteWithoutWitness: the witness must not slow writes down.
func BenchmarkWriteWithWitness(b *testing.B)    { benchWrites(b, true) }
func BenchmarkWriteWithoutWitness(b *testing.B) { benchWrites(b, false) }

func benchWrites(b *testing.B, withWitness bool) {
	v, _ := benchSetup(b, withWitness)
	for b.Loop() {
		if err := v.Record(vault.Caller{User: "admin"}, "test.event", "ok", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSetup(b *testing.B, withWitness bool) (*vault.Vault, *witness.Cosigner) {
	dir := b.TempDir()
	id, _ := age.GenerateX25519Identity()
	v, _, err := vault.Create(dir+"/vault", pass, vault.NewUser{ID: "admin", Recipient: id.Recipient().String()}, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	if !withWitness {
		return v, nil
	}
	w := amanatest.StartWitness(b, "example.org/w1")
	w.AddLog("amana.local/vault", v.VerifierKey())
	c, err := witness.Start(witness.Config{Log: v, Witnesses: []witness.Witness{{Key: w.Key, URL: w.URL}}})
	if err != nil {
		b.Fatal(err)
	}
	v.OnCheckpoint(c.Notify)
	b.Cleanup(func() { v.OnCheckpoint(nil); c.Close() })
	return v, c
}
