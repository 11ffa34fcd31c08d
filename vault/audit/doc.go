// Package audit keeps Amana's tamper-evident audit log inside the vault's
// bbolt database.
//
// Every event is one record of an RFC 6962 Merkle tree, as in
// golang.org/x/mod/sumdb/tlog: its leaf data is the compact JSON encoding
// of the [Event], stored as is and exported as one line of events.jsonl, so
// any RFC 6962 implementation recomputes the tree hash (record hash =
// SHA-256(0x00 || leaf)). The log is signed with checkpoints in the C2SP
// tlog-checkpoint format ("origin\nsize\nbase64(root)\n" in a signed note,
// Ed25519, golang.org/x/mod/sumdb/note).
//
// # Use
//
// The vault creates the log once with [Log.Init], then, inside the same
// bbolt write transaction as each action it audits, calls [Log.Append], and
// before that transaction commits, [Log.Sign]:
//
//	err := db.Update(func(tx *bbolt.Tx) error {
//		if err := deposit(tx, doc); err != nil {
//			return err
//		}
//		if err := alog.Append(tx, &audit.Event{Actor: user, Action: "document.deposit", Doc: id, Outcome: audit.OutcomeOK}); err != nil {
//			return err // fail closed: no event, no action
//		}
//		return alog.Sign(tx)
//	})
//
// The action, its event and a checkpoint covering it commit together or
// not at all. The package owns the buckets whose names start with "audit.";
// it knows nothing about HTTP.
//
// # Guarantees
//
//   - Someone who can rewrite the database but does not hold the signing key
//     cannot change, remove or reorder an event covered by a checkpoint an
//     auditor kept, nor truncate the log below it, without [Verify] failing
//     and naming the first sequence number it cannot vouch for
//     ([TamperError]). Inclusion and consistency proofs ([InclusionProof],
//     [ConsistencyProof]) are checked with tlog.CheckRecord and
//     tlog.CheckTree by anyone.
//   - Without an earlier checkpoint, Verify still detects any change that is
//     not a truncation back to an earlier signed checkpoint, any event not
//     covered by a signature, and stored hashes that do not match the events.
//   - Verification needs no secret: the public verifier key is stored in the
//     database by Init, and exported. Since whoever rewrites the database
//     can replace it, auditors compare [Report.VerifierKey] with the key
//     published when the vault was created (an earlier checkpoint does that
//     implicitly: it will not verify under another key).
//   - Values that identify a person are stored only as keyed HMAC-SHA256
//     ([Log.HMAC]); Append refuses a Hashed value that is not one.
//   - Verify reads the log once, in order, with O(log n) memory; a million
//     events take a few seconds on two cores.
//
// Malformed stored data is reported as an error, never a panic.
package audit
