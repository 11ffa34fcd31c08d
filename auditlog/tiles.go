package auditlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// The log is also served as tiles (C2SP tlog-tiles): every tile is
// TileHeight levels of the tree high and at most TileWidth hashes wide.
const (
	TileHeight = 8
	TileWidth  = 1 << TileHeight
)

// MaxEntrySize is the largest leaf an entry bundle can hold: each entry is
// preceded by its length as a 16-bit big-endian integer.
const MaxEntrySize = 0xFFFF

// TilePath returns the C2SP tlog-tiles path of t, relative to the log's
// prefix: "tile/L/N[.p/W]" for a tile of hashes, "tile/entries/N[.p/W]"
// for an entry bundle (t.L == -1). N is written in groups of three digits,
// all but the last prefixed with "x" ("x001/234"). t.H must be TileHeight.
func TilePath(t tlog.Tile) string {
	if t.L == -1 {
		return "tile/entries/" + strings.TrimPrefix(t.Path(), "tile/8/data/")
	}
	return "tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
}

// ParseTilePath parses a C2SP tlog-tiles path as TilePath writes it. An
// entry bundle is returned as a tile of level -1.
func ParseTilePath(path string) (tlog.Tile, error) {
	var t tlog.Tile
	var err error
	if rest, ok := strings.CutPrefix(path, "tile/entries/"); ok {
		t, err = tlog.ParseTilePath("tile/8/data/" + rest)
	} else if rest, ok := strings.CutPrefix(path, "tile/"); ok && !strings.HasPrefix(rest, "data/") {
		t, err = tlog.ParseTilePath("tile/8/" + rest)
	} else {
		err = errors.New("no tile prefix")
	}
	if err != nil || t.H != TileHeight || TilePath(t) != path {
		return tlog.Tile{}, fmt.Errorf("malformed tile path %q", path)
	}
	return t, nil
}

// AppendEntry appends leaf to an entry bundle (C2SP tlog-tiles "log
// entries"): its length, two bytes big-endian, then its bytes.
func AppendEntry(bundle, leaf []byte) ([]byte, error) {
	if len(leaf) > MaxEntrySize {
		return nil, fmt.Errorf("audit: entry of %d bytes does not fit an entry bundle", len(leaf))
	}
	bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(leaf)))
	return append(bundle, leaf...), nil
}

// SplitEntryBundle returns the leaves of an entry bundle.
func SplitEntryBundle(bundle []byte) ([][]byte, error) {
	var out [][]byte
	for len(bundle) > 0 {
		if len(bundle) < 2 {
			return nil, errors.New("audit: entry bundle ends inside a length")
		}
		n := int(binary.BigEndian.Uint16(bundle))
		if len(bundle)-2 < n {
			return nil, errors.New("audit: entry bundle ends inside an entry")
		}
		out = append(out, bundle[2:2+n])
		bundle = bundle[2+n:]
	}
	return out, nil
}
