package auditlog

import (
	"bytes"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestTilePath(t *testing.T) {
	for _, tc := range []struct {
		tile tlog.Tile
		path string
	}{
		{tlog.Tile{H: 8, L: 0, N: 0, W: 256}, "tile/0/000"},
		{tlog.Tile{H: 8, L: 1, N: 1234067, W: 7}, "tile/1/x001/x234/067.p/7"},
		{tlog.Tile{H: 8, L: -1, N: 1, W: 256}, "tile/entries/001"},
		{tlog.Tile{H: 8, L: -1, N: 0, W: 1}, "tile/entries/000.p/1"},
	} {
		if got := TilePath(tc.tile); got != tc.path {
			t.Errorf("TilePath(%+v) = %q, want %q", tc.tile, got, tc.path)
		}
		got, err := ParseTilePath(tc.path)
		if err != nil || got != tc.tile {
			t.Errorf("ParseTilePath(%q) = %+v, %v", tc.path, got, err)
		}
	}
	for _, bad := range []string{"", "tile/", "tile/0/0", "tile/0/000.p/256", "tile/0/000.p/0", "tile/data/000",
		"tile/8/0/000", "tile/entries/", "tile/entries/000.p/", "tile/0/x000/001", "tile/-1/000", "tiles/0/000", "tile/0/000/"} {
		if tl, err := ParseTilePath(bad); err == nil {
			t.Errorf("ParseTilePath(%q) = %+v, want an error", bad, tl)
		}
	}
}

func TestEntryBundle(t *testing.T) {
	leaves := [][]byte{[]byte(`{"seq":0}`), {}, bytes.Repeat([]byte("a"), MaxEntrySize)}
	var b []byte
	for _, l := range leaves {
		var err error
		if b, err = AppendEntry(b, l); err != nil {
			t.Fatal(err)
		}
	}
	got, err := SplitEntryBundle(b)
	if err != nil || len(got) != 3 || !bytes.Equal(got[2], leaves[2]) || len(got[1]) != 0 {
		t.Fatalf("SplitEntryBundle: %d entries, %v", len(got), err)
	}
	if _, err := AppendEntry(nil, make([]byte, MaxEntrySize+1)); err == nil {
		t.Error("AppendEntry took an entry longer than 65535 bytes")
	}
	for _, bad := range [][]byte{{0}, {0, 5, 'a'}, append(b, 1)} {
		if _, err := SplitEntryBundle(bad); err == nil {
			t.Errorf("SplitEntryBundle(%x) succeeded", bad)
		}
	}
}
