// Package search is the full-text index over the public metadata of vault
// documents: title, summary, redacted transcript, language, governorate,
// incident date, tags, kind and collection.
//
// # Guarantees
//
//   - Only public, already-redacted metadata is indexed: the Doc type has
//     no other fields, and the index holds nothing else. The redaction guard
//     runs before a document reaches the vault, not here. Stored fields and
//     term dictionaries are plaintext on disk, which is acceptable only
//     because of this.
//   - The index is derived data. It can be deleted and rebuilt from the vault
//     at any time (Rebuild, used by `amana reindex`); a crash between a vault
//     commit and the matching Put is repaired by replaying the vault's outbox,
//     since Put is an upsert and Delete of an absent ID does nothing.
//   - Access control is part of every query: Search keeps only documents of
//     Request.Collections with a Bleve boolean filter, so hits, totals and
//     facet counts never include other collections. No collections means no
//     results.
//   - Nothing about other collections shapes a result: hits are ranked
//     without the index's term statistics (see localQuery), ties broken by
//     ID, so hits, order, totals, facets and highlights are the same whether
//     or not documents outside Request.Collections exist. Hit.Score is for
//     the server only; the HTTP API does not return it.
//   - Put and Delete return once the change is persisted (one Bleve batch,
//     all or nothing). Search and Put may run concurrently.
//   - Deleted documents leave the files. Bleve only marks a deleted document
//     deleted; after a Delete the index rewrites its segment files in the
//     background, so that no file holds the document's terms or stored
//     fields, and removes the old ones: measured from Delete to the last old
//     file gone, 20–60 ms for an index of tens of documents, 0.6–1.2 s for
//     10,000 and 3–8 s for 100,000 (BenchmarkDelete, 2 shared cores). Close
//     waits for a purge in progress; an index whose files still hold a
//     deleted document (a crash mid-purge) is purged by Open. Blocks freed
//     on the disk itself are not overwritten: use full-disk encryption.
//   - Query strings are bounded (MaxQueryLen, term counts, fuzzy and prefix
//     expansion, Bleve's term-searcher limit); what cannot be run safely is
//     refused with ErrBadQuery. No input makes the package panic.
//
// # Languages
//
// Each language has its own fields (title_ar, summary_ar, transcript_ar, …)
// analyzed by its own analyzer: Bleve's en (Porter), ar (normalizes hamza and
// alef forms, ta marbuta, alef maqsura, tatweel and harakat, and
// light-stems) and ckb (normalizes Arabic-keyboard letters, strips one
// Sorani suffix), and a Kurmanji analyzer that folds case and Latin
// diacritics (ŞAHÎD → sahid). A document's text goes into the fields of its
// language; a query runs against every language's fields, each analyzed with
// that field's analyzer, so one query string finds documents in any language
// it matches. Kurmanji has no stemmer: inflected forms (şahidê) do not match
// the bare word.
//
// Words that name a concept of the thesaurus (thesaurus.tsv: 179 concepts
// of the field in English, Arabic, Sorani and Kurmanji, CC0, see its
// header for sources and review status) also search the concept's terms
// in every language; Hit.Via says whether a hit matched the words typed
// or only a translation, and Request.Literal turns expansion off. The
// Arabic analyzer tells شهادة, testimony, from شهادة الميلاد, birth
// certificate (see arSenseFilter).
//
// # Speed
//
// Hits are found and scored by Bleve, leaf by leaf (termAtATime), and
// collected here: the access filter, filters, facet counts and the order
// read in-memory columns built once per index segment from its postings
// (columnCache); only the page's documents are then read, with their
// highlights.
//
// Query syntax, facets, filters, date ranges, sorting and highlighting are
// described on Request.
package search
