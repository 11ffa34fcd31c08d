// Package indexer keeps the search index in step with the vault.
//
// Every vault change that affects search writes an outbox entry in the same
// transaction as the change. The indexer applies the outbox to the index
// and only then deletes the entries, so a crash between the vault commit
// and the index update is repaired by the next Drain (which the server runs
// at start). Applying an entry twice is harmless: puts are upserts and
// deletes of absent documents do nothing.
package indexer

import (
	"sync"

	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/vault"
)

// batchSize bounds how many outbox entries one Drain step applies.
const batchSize = 500

// Indexer applies a vault's outbox to a search index.
type Indexer struct {
	v  *vault.Vault
	ix *search.Index
	mu sync.Mutex // one Drain at a time, so entries apply in order
}

// New returns an Indexer.
func New(v *vault.Vault, ix *search.Index) *Indexer { return &Indexer{v: v, ix: ix} }

// Drain applies every pending outbox entry and returns how many it applied.
func (x *Indexer) Drain() (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	total := 0
	for {
		entries, err := x.v.Outbox(0, batchSize)
		if err != nil || len(entries) == 0 {
			return total, err
		}
		if err := x.apply(entries); err != nil {
			return total, err
		}
		if err := x.v.AckOutbox(entries[len(entries)-1].Seq); err != nil {
			return total, err
		}
		total += len(entries)
	}
}

func (x *Indexer) apply(entries []vault.OutboxEntry) error {
	// The latest state of each document decides, whatever the order of
	// its entries: look each one up once.
	seen := map[string]bool{}
	var puts []search.Doc
	var dels []string
	for i := len(entries) - 1; i >= 0; i-- {
		id := entries[i].Doc
		if seen[id] {
			continue
		}
		seen[id] = true
		d, ok, err := x.v.PublicRecord(id)
		if err != nil {
			return err
		}
		if ok {
			puts = append(puts, Doc(d))
		} else {
			dels = append(dels, id)
		}
	}
	if len(puts) > 0 {
		if err := x.ix.Put(puts...); err != nil {
			return err
		}
	}
	if len(dels) > 0 {
		return x.ix.Delete(dels...)
	}
	return nil
}

// Doc converts a vault document to what the index holds: public metadata
// only.
func Doc(d *vault.Document) search.Doc {
	return search.Doc{
		ID:           d.ID,
		Collection:   d.Collection,
		Kind:         d.Kind,
		Title:        d.Public.Title,
		Summary:      d.Public.Summary,
		Transcript:   d.Public.TranscriptRedacted,
		Language:     d.Public.Language,
		Governorate:  d.Public.Governorate,
		IncidentDate: d.Public.IncidentDate,
		Tags:         d.Public.Tags,
		DepositedAt:  d.DepositedAt,
	}
}

// Rebuild builds a fresh index in dir from every active document of the
// vault and swaps it in place of the old one, then clears the outbox (the
// new index reflects everything up to its start).
func Rebuild(v *vault.Vault, dir string) (int, error) {
	entries, err := v.Outbox(0, 1<<30)
	if err != nil {
		return 0, err
	}
	docs := make(chan search.Doc, 256)
	errc := make(chan error, 1)
	go func() {
		errc <- v.EachActive(func(d *vault.Document) error {
			docs <- Doc(d)
			return nil
		})
		close(docs)
	}()
	n := 0
	err = search.Rebuild(dir, func() (search.Doc, bool, error) {
		d, ok := <-docs
		if ok {
			n++
		}
		return d, ok, nil
	})
	for range docs { // let the producer finish if Rebuild stopped early
	}
	if perr := <-errc; err == nil {
		err = perr
	}
	if err != nil {
		return n, err
	}
	if len(entries) > 0 {
		return n, v.AckOutbox(entries[len(entries)-1].Seq)
	}
	return n, nil
}
