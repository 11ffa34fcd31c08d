package auditlog

import (
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestTreeMatchesTlog(t *testing.T) {
	// The one-pass tree must emit exactly tlog's stored hashes, at
	// tlog's indexes, and compute tlog's tree hash at every size.
	var stored memHashes
	var tr tree
	var leaves [][]byte
	for n := int64(0); n < 600; n++ {
		data := fmt.Appendf(nil, "record %d", n)
		want, err := tlog.StoredHashes(n, data, stored)
		if err != nil {
			t.Fatal(err)
		}
		var got []tlog.Hash
		err = tr.add(tlog.RecordHash(data), func(index int64, h tlog.Hash) error {
			if index != tlog.StoredHashIndex(0, n)+int64(len(got)) {
				t.Fatalf("record %d: hash emitted at index %d", n, index)
			}
			got = append(got, h)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("record %d: emitted %v, tlog stores %v", n, got, want)
		}
		stored = append(stored, want...)
		th, err := tlog.TreeHash(n+1, stored)
		if err != nil {
			t.Fatal(err)
		}
		if tr.root() != th {
			t.Fatalf("size %d: root %v, tlog %v", n+1, tr.root(), th)
		}
		leaves = append(leaves, data)
		if n%37 == 0 {
			if TreeRoot(leaves) != th {
				t.Fatalf("size %d: TreeRoot differs from tlog", n+1)
			}
		}
	}
	var empty tree
	if th, _ := tlog.TreeHash(0, stored); empty.root() != th || TreeRoot(nil) != th {
		t.Fatalf("empty root %v, TreeRoot %v, tlog %v", empty.root(), TreeRoot(nil), th)
	}
}
