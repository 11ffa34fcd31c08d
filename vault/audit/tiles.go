package audit

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
)

// ErrNoTile is returned (wrapped) for a tile the log does not have yet.
var ErrNoTile = errors.New("audit: no such tile")

// Tile returns the C2SP tlog-tiles tile t of the log: for t.L >= 0 the W
// hashes it lists (tlog.ReadTileData), for t.L == -1 the entry bundle of
// the leaves N*256 … N*256+W-1. It returns ErrNoTile when the log is too
// small to hold all of t. A tile's bytes never change once the log holds
// it, whatever the log's later size.
func Tile(tx *bbolt.Tx, t tlog.Tile) ([]byte, error) {
	s, err := open(tx)
	if err != nil {
		return nil, err
	}
	if t.H != auditlog.TileHeight || t.L < -1 || t.N < 0 || t.W < 1 || t.W > auditlog.TileWidth {
		return nil, fmt.Errorf("%w: %+v", ErrNoTile, t)
	}
	n, err := s.size()
	if err != nil {
		return nil, err
	}
	// The tile needs the first (N*256+W) hashes at level 8L, so a tree of
	// at least that many times 2^(8L) events.
	if t.N > n/auditlog.TileWidth || t.L > 7 || t.N*auditlog.TileWidth+int64(t.W) > n>>(8*max(t.L, 0)) {
		return nil, fmt.Errorf("%w: %s (log size %d)", ErrNoTile, auditlog.TilePath(t), n)
	}
	if t.L >= 0 {
		data, err := tlog.ReadTileData(t, s)
		if err != nil {
			return nil, fmt.Errorf("audit: tile %s: %w", auditlog.TilePath(t), err)
		}
		return data, nil
	}
	var out []byte
	start := t.N * auditlog.TileWidth
	c := s.events.Cursor()
	i := start
	for k, v := c.Seek(itob(start)); k != nil && i < start+int64(t.W); k, v = c.Next() {
		if seq, ok := btoi(k); !ok || seq != i {
			return nil, fmt.Errorf("audit: event key %x where %d was expected", k, i)
		}
		if out, err = auditlog.AppendEntry(out, v); err != nil {
			return nil, fmt.Errorf("audit: event %d: %w", i, err)
		}
		i++
	}
	if i != start+int64(t.W) {
		return nil, fmt.Errorf("audit: events end at %d inside %s", i, auditlog.TilePath(t))
	}
	return out, nil
}
