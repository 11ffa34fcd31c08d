// Package auditlog defines Amana's tamper-evident audit log, independently
// of where it is stored: the events and their leaf encoding, the signed
// checkpoints, the Merkle tree, and the one verifier that checks a copy of
// the log, whether it is read from the vault's database, from an export
// directory, or from the server's API. It is pure Go over small interfaces,
// in the manner of golang.org/x/mod/sumdb/tlog: the storage is the
// caller's (package vault/audit keeps the log in bbolt), and the package
// builds for the browser (GOOS=js GOARCH=wasm).
//
// # Format
//
// Every event is one record of an RFC 6962 Merkle tree, as in
// golang.org/x/mod/sumdb/tlog: its leaf data is the compact JSON encoding
// of the [Event] ([Event.Leaf]), "seq" first, served and exported as is,
// so any RFC 6962 implementation recomputes the tree hash (record hash =
// SHA-256(0x00 || leaf)). The log is signed with checkpoints in the C2SP
// tlog-checkpoint format ("origin\nsize\nbase64(root)\n" in a signed note,
// Ed25519, golang.org/x/mod/sumdb/note): [SignCheckpoint],
// [OpenCheckpoint]. Values that identify a person are recorded only as
// keyed HMAC-SHA256, "hmac-sha256:<hex>" ([HMAC], [IsHMAC]). The
// repository's docs/audit-log.md describes all of it for a second
// implementation.
//
// # Verifying
//
// [Verify] reads a [Source] (the leaves in order, the newest checkpoint,
// and optionally the storage's stored hashes, its checkpoint history or a
// server's consistency proofs); [VerifyExport] does it for an export
// directory written with [CreateExport]. [CheckInclusion] and
// [CheckConsistency] check single proofs, as a court bundle or a browser
// does. [OpenCosigned] also requires the cosignatures of witnesses (C2SP
// tlog-cosignature), and [TilePath], [ParseTilePath] and [AppendEntry]
// give the C2SP tlog-tiles layout the server serves the log in.
//
// # Guarantees
//
//   - Someone who can rewrite a copy of the log but does not hold the
//     signing key cannot change, remove or reorder an event covered by a
//     checkpoint an auditor kept, nor truncate the log below it, without
//     Verify failing and naming the first sequence number it cannot vouch
//     for ([TamperError]).
//   - Without an earlier checkpoint, Verify still detects any change that
//     is not a truncation back to an earlier signed checkpoint, any event
//     not covered by a signature and, given the storage's hashes, stored
//     hashes that do not match the events.
//   - Verification needs no secret, only the public verifier key. Since
//     whoever rewrites a copy can replace the key stored with it, auditors
//     compare [Report.VerifierKey] with the key published when the vault
//     was created (an earlier checkpoint does that implicitly: it will not
//     verify under another key).
//   - Proofs served by an untrusted party are checked, never trusted: a
//     lying server can make verification fail, but not pass, and cannot
//     move the first bad sequence number past a changed event.
//   - Verify reads the leaves once, in order, with O(log n) memory (unless
//     it bisects with a server's proofs: then 64 bytes an event); a million
//     events take a few seconds on two cores.
//
// Malformed input is reported as an error, never a panic.
package auditlog
