package audit

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
)

func TestTiles(t *testing.T) {
	db, _, l := newLog(t, 0)
	appendEvents(t, db, l, 0, 300, 100)
	db.View(func(tx *bbolt.Tx) error {
		n, _ := Size(tx)
		s, _ := open(tx)
		// Hash tiles are tlog's, read back through tlog's own tile reader.
		for _, tl := range []tlog.Tile{{H: 8, L: 0, N: 0, W: 256}, {H: 8, L: 0, N: 1, W: int(n - 256)}, {H: 8, L: 0, N: 1, W: 3}} {
			got, err := Tile(tx, tl)
			if err != nil {
				t.Fatalf("%s: %v", auditlog.TilePath(tl), err)
			}
			want, _ := tlog.ReadTileData(tl, s)
			if !bytes.Equal(got, want) || len(got) != 32*tl.W {
				t.Fatalf("%s: %d bytes", auditlog.TilePath(tl), len(got))
			}
		}
		// Entry bundles hold the leaves, in order.
		b, err := Tile(tx, tlog.Tile{H: 8, L: -1, N: 1, W: 10})
		if err != nil {
			t.Fatal(err)
		}
		leaves, err := auditlog.SplitEntryBundle(b)
		want, _ := Events(tx, 256, 10)
		if err != nil || len(leaves) != 10 {
			t.Fatalf("bundle: %d leaves, %v", len(leaves), err)
		}
		for i := range leaves {
			if !bytes.Equal(leaves[i], want[i]) {
				t.Fatalf("bundle leaf %d", i)
			}
		}
		for _, tl := range []tlog.Tile{
			{H: 8, L: 0, N: 1, W: 256},     // not full yet
			{H: 8, L: 1, N: 0, W: 2},       // needs 512 events
			{H: 8, L: -1, N: 2, W: 1},      // beyond the log
			{H: 8, L: 0, N: 1 << 62, W: 1}, // overflow
			{H: 8, L: 9, N: 0, W: 1},       // no such level
			{H: 4, L: 0, N: 0, W: 1},       // other height
			{H: 8, L: 0, N: 0, W: 0},       // empty
			{H: 8, L: -2, N: 0, W: 1},      // no such level
			{H: 8, L: 0, N: -1, W: 1},      // negative
			{H: 8, L: 0, N: 0, W: 257},     // too wide
		} {
			if _, err := Tile(tx, tl); !errors.Is(err, ErrNoTile) {
				t.Errorf("%+v: %v, want ErrNoTile", tl, err)
			}
		}
		return nil
	})
	// An event too large for an entry bundle is refused, and nothing is
	// written.
	err := db.Update(func(tx *bbolt.Tx) error {
		e := testEvent(1000)
		e.Detail = map[string]string{"big": strings.Repeat("a", auditlog.MaxEntrySize)}
		return l.Append(tx, e)
	})
	if !errors.Is(err, auditlog.ErrInvalidEvent) {
		t.Fatalf("a 64 KiB event: %v", err)
	}
}

func TestCosignatures(t *testing.T) {
	db, _, _ := newLog(t, 3)
	sig := func(name string, hash byte) []byte {
		return []byte("— " + name + " " + base64.StdEncoding.EncodeToString(append([]byte{0, 0, 0, hash}, make([]byte, 72)...)) + "\n")
	}
	line, other := sig("example.org/w1", 1), sig("example.org/w2", 2)
	err := db.Update(func(tx *bbolt.Tx) error {
		if err := AddCosignature(tx, 99, line); err == nil {
			t.Error("a cosignature of a checkpoint that was never signed")
		}
		for _, bad := range [][]byte{[]byte("— example.org/w1 AAAA"), []byte("x example.org/w1 AAAAAQ==\n"), []byte("— a b c\n"), append(line, line...)} {
			if err := AddCosignature(tx, 3, bad); err == nil {
				t.Errorf("stored the malformed line %q", bad)
			}
		}
		for _, l := range [][]byte{line, line, other} {
			if err := AddCosignature(tx, 3, l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bbolt.Tx) error {
		msg, err := Cosigned(tx, 3)
		plain, _ := CheckpointAt(tx, 3)
		if err != nil || !bytes.Equal(msg, append(append(plain, line...), other...)) {
			t.Fatalf("Cosigned: %v\n%s", err, msg)
		}
		if sizes := CosignedSizes(tx, 10); len(sizes) != 1 || sizes[0] != 3 {
			t.Fatalf("CosignedSizes: %v", sizes)
		}
		return nil
	})
}

// BenchmarkTile reads a full tile of hashes at level 0 and 1, and a full
// entry bundle, from a log of 65,536 events.
func BenchmarkTile(b *testing.B) {
	db, _, l := newLog(b, 0)
	appendEvents(b, db, l, 0, 1<<16, 1<<16)
	for _, tl := range []tlog.Tile{{H: 8, L: 0, N: 100, W: 256}, {H: 8, L: 1, N: 0, W: 256}, {H: 8, L: -1, N: 100, W: 256}} {
		b.Run(auditlog.TilePath(tl), func(b *testing.B) {
			for b.Loop() {
				db.View(func(tx *bbolt.Tx) error {
					_, err := Tile(tx, tl)
					if err != nil {
						b.Fatal(err)
					}
					return nil
				})
			}
		})
	}
}
