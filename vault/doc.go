// Package vault is Amana's store: one bbolt file that holds users,
// collections, documents (records, key slots, sealed private metadata),
// the tamper-evident audit log and the index outbox, beside a blob store
// (package blobstore) that holds each document's ciphertext, and that
// decides who may do what. It runs on the server only: it never sees a user's private key,
// plaintext content or private metadata, and it never imports HTTP.
//
// # Layout
//
// The file DIR/vault.db has these buckets:
//
//	meta          format version (the layout, see migrate.go), the sealed
//	              server key, the audit log's origin, the blob store's URL
//	users         user id → user record (role, recipient, state, lockout
//	              counters); the TOTP secret inside is sealed
//	collections   collection id → the collection record (name, members,
//	              custodians), sealed like document records; the id names a
//	              case file (kirkuk-2018), not a person
//	docs          document id → the document record, sealed (AES-256-GCM under
//	              a key derived from the server key, bound to the id); it
//	              lists the slot holders
//	slots         document id → bucket of holder key → key slot (an age
//	              file); the holder key is an HMAC-SHA256 of the document and
//	              user ids under a key derived from the server key, so the
//	              file does not say whose slot it is
//	private       document id → private metadata, an age file to the document key
//	refs          ciphertext SHA-256 → state (active, shredded, replaced by a
//	              rekey) and document id: what the blob store's blobs are
//	blobs         layout 2 only: blob id → bucket of chunk index → ciphertext
//	              of documents not yet moved by 'amana migrate-blobs'
//	uploads       deposits and rekeys in progress (their pending blob, and the
//	              hash it is about to be committed under); swept when the
//	              vault opens
//	outbox        sequence → index change, applied by search/indexer
//	custody       document id "/" audit sequence → nil: each document's trail
//	audit.*       the audit log (package vault/audit): events, Merkle hashes,
//	              signed checkpoints
//
// # Every action commits with its audit event
//
// Every operation that reads or changes data — including every refusal —
// appends its audit event in the same bbolt write transaction as the action.
// If the event cannot be written, the action fails: there is no action
// without its event and no event without its action. Reads are audited too,
// so a read is a write transaction.
//
// Writes go through group commit (commit.go): one goroutine runs every
// queued write in a single transaction, signs one checkpoint for the result
// and commits. Concurrent requests share one fsync (≈ 1.6 ms on a 2-core
// machine) and one Ed25519 signature instead of paying for one each, which
// is what lets audited searches run at thousands per second; and since every
// committed state of the log is signed, even the newest events cannot be
// changed without the signing key. A write that fails rolls the batch back
// and the others run again alone, so one failure never undoes another's work.
//
// # Authorisation
//
// Every method takes a [Caller] (the authenticated user, the request id and
// the client address) and decides from the caller's role, its relation to
// the document or collection (member, slot holder, depositor, custodian),
// the document's consent and its state. Anything the caller may not know
// exists is [ErrNotFound]; a known thing the caller may not do is
// [ErrForbidden]. Both are audited. The whole policy is one table, [Policy],
// read by [Authorize]: role × action × the caller's relation to the object
// → allow, deny or not found.
//
// # Guarantees
//
//   - A seized file reveals no content, no private metadata, no TOTP secret
//     and no session token: content and private metadata are encrypted on
//     the client to keys the server never holds; records and TOTP secrets are
//     sealed under the server key, which is itself an age file sealed with
//     the server passphrase (scrypt). Nor does it say who holds a key slot
//     for which document or who belongs to which collection, outside the
//     audit log, which names the actor and the target of every event so
//     that auditors can verify who did what (a grant names its grantee).
//     The user records themselves (ids, roles, recipients) are not sealed.
//   - A deposit becomes visible only when its ciphertext hashes to what the
//     client declared; a crash mid-deposit leaves nothing behind once the
//     vault is opened again.
//   - Shredding deletes the ciphertext, the private metadata and every key
//     slot; the audit trail keeps hashes only.
//   - Malformed input is an error ([InvalidError], [RedactionError],
//     [ErrTooLarge], …), never a panic, and changes nothing.
//
// The formats a second implementation needs are in the repository's docs/:
// the document protocol, the court bundle and the audit log.
package vault
