package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
)

// bearer adds a session token to every request, as an auditor's tlog-tiles
// client would.
type bearer struct {
	token string
	rt    http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.rt.RoundTrip(r)
}

// tileFetcher returns torchwood's tlog-tiles fetcher for the server's log,
// signed in with token.
func tileFetcher(t *testing.T, s *amanatest.Server, token string) *torchwood.TileFetcher {
	t.Helper()
	hc := &http.Client{Transport: bearer{token, http.DefaultTransport}}
	f, err := torchwood.NewTileFetcher(s.URL+"/v1/audit/", torchwood.WithHTTPClient(hc), torchwood.WithConcurrencyLimit(4))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fetchCheckpoint reads the checkpoint through the tlog-tiles prefix and
// checks its signature, as a tlog client does.
func fetchCheckpoint(t *testing.T, f *torchwood.TileFetcher, vkey string) torchwood.Checkpoint {
	t.Helper()
	msg, err := f.ReadEndpoint(context.Background(), "checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	c, err := torchwood.ParseCheckpoint(n.Text)
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin != v.Name() {
		t.Fatalf("checkpoint origin %q, key name %q", c.Origin, v.Name())
	}
	return c
}

// TestTlogTilesClient mirrors the log with the tlog-tiles client of
// filippo.io/torchwood, which knows nothing of Amana: it fetches the
// checkpoint, the tiles and the entry bundles, checks every entry against
// the signed tree and the tree's consistency with an earlier checkpoint.
func TestTlogTilesClient(t *testing.T) {
	s := amanatest.NewServer(t, amanatest.Options{})
	ctx := context.Background()
	auditor := s.Login("auditor")
	f := tileFetcher(t, s, auditor.Token)
	vkey := s.Vault.VerifierKey()

	old := fetchCheckpoint(t, f, vkey)
	// More than a full tile of events, so that the client reads full and
	// partial tiles, and tiles of level 1.
	for i := range 300 {
		if err := s.Vault.Record(vault.Caller{User: "auditor"}, "test.event", "ok", map[string]string{"i": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	cur := fetchCheckpoint(t, f, vkey)
	if cur.N < old.N+300 {
		t.Fatalf("checkpoint of %d events after %d + 300", cur.N, old.N)
	}

	c, err := torchwood.NewClient(f)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for len(got) < int(cur.N) {
		before := len(got)
		for i, e := range c.Entries(ctx, cur.Tree, int64(len(got))) {
			if i != int64(len(got)) {
				t.Fatalf("entry %d after %d entries", i, len(got))
			}
			got = append(got, bytes.Clone(e))
		}
		if err := c.Err(); err != nil {
			t.Fatalf("tlog client: %v", err)
		}
		if len(got) == before {
			t.Fatalf("tlog client stopped at %d of %d entries", len(got), cur.N)
		}
	}
	// The entries are the events' leaf data, exactly as the API serves them.
	for i, leaf := range got {
		e, err := auditlog.ParseEvent(leaf)
		if err != nil || e.Seq != int64(i) {
			t.Fatalf("entry %d: %q, %v", i, leaf, err)
		}
	}
	served, _, err := auditor.AuditEvents(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if !bytes.Equal(got[i], served[i]) {
			t.Fatalf("entry %d differs from /v1/audit/events", i)
		}
	}
	// Inclusion of every entry, with proofs made from the tiles.
	for i := range cur.N {
		leaf, proof, err := c.Entry(ctx, cur.Tree, i)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(proof, cur.N, cur.Hash, i, tlog.RecordHash(leaf)); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	// Consistency with the earlier checkpoint, from the tiles.
	hr := torchwood.TileHashReaderWithContext(ctx, cur.Tree, f)
	proof, err := tlog.ProveTree(cur.N, old.N, hr)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(proof, cur.N, cur.Hash, old.N, old.Hash); err != nil {
		t.Fatalf("consistency with the earlier checkpoint: %v", err)
	}
	// A checkpoint of another tree is not consistent with it.
	forged := old.Tree
	forged.Hash[0] ^= 1
	if err := tlog.CheckTree(proof, cur.N, cur.Hash, forged.N, forged.Hash); err == nil {
		t.Fatal("a changed earlier tree passed the consistency check")
	}

	// A tile changed in transit is caught by the client.
	c2, _ := torchwood.NewClient(tamper{f})
	for range c2.Entries(ctx, cur.Tree, 0) {
	}
	if c2.Err() == nil {
		t.Fatal("the client accepted a tampered entry bundle")
	}
}

// tamper flips a byte of the first event of every entry bundle it reads.
type tamper struct{ torchwood.TileReader }

func (x tamper) ReadTiles(ctx context.Context, tiles []tlog.Tile) ([][]byte, error) {
	data, err := x.TileReader.ReadTiles(ctx, tiles)
	for i, tl := range tiles {
		if err == nil && tl.L == -1 && len(data[i]) > 10 {
			data[i] = bytes.Clone(data[i])
			data[i][10] ^= 1
		}
	}
	return data, err
}

func TestTileRoutes(t *testing.T) {
	s := amanatest.NewServer(t, amanatest.Options{})
	auditor := s.Login("auditor")
	for i := range 260 {
		if err := s.Vault.Record(vault.Caller{User: "auditor"}, "test.event", "ok", map[string]string{"i": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(token, path string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/audit/"+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	full, body := get(auditor.Token, "tile/0/000")
	if full.StatusCode != 200 || len(body) != 256*32 {
		t.Fatalf("full tile: %d, %d bytes", full.StatusCode, len(body))
	}
	if cc := full.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "private") {
		t.Errorf("full tile Cache-Control %q", cc)
	}
	part, pbody := get(auditor.Token, "tile/0/001.p/3")
	if part.StatusCode != 200 || len(pbody) != 3*32 || part.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("partial tile: %d, %d bytes, %q", part.StatusCode, len(pbody), part.Header.Get("Cache-Control"))
	}
	bundle, bbody := get(auditor.Token, "tile/entries/000.p/5")
	leaves, err := auditlog.SplitEntryBundle(bbody)
	if bundle.StatusCode != 200 || err != nil || len(leaves) != 5 {
		t.Fatalf("entry bundle: %d, %v, %d entries", bundle.StatusCode, err, len(leaves))
	}
	for i, l := range leaves {
		if tlog.RecordHash(l) != tlog.Hash(body[32*i:32*i+32]) {
			t.Fatalf("entry %d does not hash to the tile's hash %d", i, i)
		}
	}
	// A full tile stays the same as the log grows.
	if _, again := get(auditor.Token, "tile/0/000"); !bytes.Equal(again, body) {
		t.Fatal("a full tile changed")
	}

	for _, tc := range []struct {
		token, path string
		status      int
	}{
		{"", "tile/0/000", 401},
		{auditor.Token, "tile/0/x999/000", 404},     // beyond the log
		{auditor.Token, "tile/1/000", 404},          // needs 65536 events
		{auditor.Token, "tile/entries/005", 404},    // beyond the log
		{auditor.Token, "tile/0/000.p/256", 404},    // a full tile is not partial
		{auditor.Token, "tile/0/000.p/0", 404},      // no empty tiles
		{auditor.Token, "tile/0/0", 404},            // three digits
		{auditor.Token, "tile/data/000", 404},       // sumdb's layout, not tlog-tiles'
		{auditor.Token, "tile/8/0/000", 404},        // nor with the height
		{auditor.Token, "tile/-1/000", 404},         //
		{auditor.Token, "tile/0/000.p/3/x", 404},    //
		{auditor.Token, "tile/0/x000/001", 404},     // no leading zero groups
		{auditor.Token, "tile/64/000", 404},         // no such level
		{auditor.Token, "tile/entries/000.p/", 404}, //
	} {
		resp, _ := get(tc.token, tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
	}
	// Researchers and lawyers cannot read the log, and the attempt is audited.
	researcher := s.Login("r.hassan")
	if resp, _ := get(researcher.Token, "tile/0/000"); resp.StatusCode != 403 {
		t.Errorf("researcher: %d, want 403", resp.StatusCode)
	}
	events, _, err := auditor.AuditEvents(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var tileReads, refused int
	for _, raw := range events {
		e, _ := auditlog.ParseEvent(raw)
		if e.Action == "audit.read" && e.Detail["tile"] != "" {
			tileReads++
			if e.Actor == "r.hassan" && e.Outcome == "denied" {
				refused++
			}
		}
	}
	if tileReads < 5 || refused != 1 {
		t.Errorf("%d tile reads audited, %d refused for the researcher", tileReads, refused)
	}
}

// BenchmarkTlogTilesMirror mirrors a log of about 10,000 events with
// torchwood's client over HTTP on loopback: every entry checked against
// the signed tree. Each tile request is an audited read.
func BenchmarkTlogTilesMirror(b *testing.B) {
	s := amanatest.NewServer(b, amanatest.Options{})
	for i := range 10000 {
		if err := s.Vault.Record(vault.Caller{User: "auditor"}, "test.event", "ok", map[string]string{"i": fmt.Sprint(i)}); err != nil {
			b.Fatal(err)
		}
	}
	auditor := s.Login("auditor")
	hc := &http.Client{Transport: bearer{auditor.Token, http.DefaultTransport}}
	f, err := torchwood.NewTileFetcher(s.URL+"/v1/audit/", torchwood.WithHTTPClient(hc), torchwood.WithConcurrencyLimit(4))
	if err != nil {
		b.Fatal(err)
	}
	msg, err := f.ReadEndpoint(context.Background(), "checkpoint")
	if err != nil {
		b.Fatal(err)
	}
	v, _ := note.NewVerifier(s.Vault.VerifierKey())
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		b.Fatal(err)
	}
	cp, _ := torchwood.ParseCheckpoint(n.Text)
	for b.Loop() {
		c, _ := torchwood.NewClient(f)
		got := int64(0)
		for got < cp.N {
			for range c.Entries(context.Background(), cp.Tree, got) {
				got++
			}
			if c.Err() != nil {
				b.Fatal(c.Err())
			}
		}
	}
	b.ReportMetric(float64(cp.N), "entries/op")
}
