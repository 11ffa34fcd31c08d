// Package audit keeps Amana's tamper-evident audit log inside the vault's
// bbolt database. The log's formats (events, checkpoints, the Merkle tree)
// and its verifier are package auditlog's; this package is their storage.
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
//		if err := alog.Append(tx, &audit.Event{Actor: user, Action: "document.deposit", Doc: id, Outcome: auditlog.OutcomeOK}); err != nil {
//			return err // fail closed: no event, no action
//		}
//		return alog.Sign(tx)
//	})
//
// The action, its event and a checkpoint covering it commit together or
// not at all. The package owns the buckets whose names start with "audit.";
// it knows nothing about HTTP.
//
// # Storage
//
//	audit.events       seq (8-byte big-endian) -> the event's leaf data
//	audit.hashes       tlog stored hash index -> 32-byte hash (tlog.StoredHashes)
//	audit.checkpoints  size -> the checkpoint note signed at that size
//	audit.meta         "verifier" -> the public verifier key
//	audit.cosignatures size -> witnesses' cosignature lines of that checkpoint
//
// Append stores an event and the hashes tlog stores for it; Sign adds a
// checkpoint when the log grew, keeping one per size as a history. The
// stored hashes answer [InclusionProof] and [ConsistencyProof], which
// anyone checks with auditlog.CheckInclusion and auditlog.CheckConsistency.
// [Export] writes the directory auditlog.VerifyExport checks. [Tile] reads
// the log as C2SP tlog-tiles (tiles of hashes and entry bundles);
// [AddCosignature] and [Cosigned] keep the cosignatures witnesses return.
//
// # Guarantees
//
//   - [Verify] runs auditlog.Verify over the database: someone who can
//     rewrite the file but does not hold the signing key cannot change,
//     remove or reorder an event covered by a checkpoint an auditor kept,
//     nor truncate the log below it, without Verify failing and naming the
//     first sequence number it cannot vouch for (auditlog.TamperError).
//     The stored hashes are compared with the events, and the checkpoint
//     history narrows down where a change is.
//   - Verification needs no secret: the public verifier key is stored in
//     the database by Init, and exported. Since whoever rewrites the
//     database can replace it, auditors compare the report's VerifierKey
//     with the key published when the vault was created.
//   - Values that identify a person are stored only as keyed HMAC-SHA256
//     ([Log.HMAC]); Append refuses a Hashed value that is not one.
//
// Malformed stored data is reported as an error, never a panic.
package audit
