// Package envelope is Amana's client-side encryption: it seals documents so
// that the server stores only ciphertext, and opens them again. It holds
// private keys, so it runs on the client (CLI or browser) and the server must
// never import it.
//
// # Design
//
// Every document gets its own age identity, the document key ([DocKey]):
// post-quantum hybrid (ML-KEM-768 + X25519) by default, X25519 on request.
//
//   - The content is a standard age file encrypted to the document key.
//   - A key slot is a small age file encrypted to one user's recipient whose
//     plaintext is the document key's string, AGE-SECRET-KEY-…, and a newline.
//     Each slot is its own file, so post-quantum and classic users can share
//     a document (age refuses to mix them in one header).
//   - Private metadata is a separate age file encrypted to the document key.
//
// Granting access is [OpenSlot] with the granter's identity followed by [Wrap]
// to the grantee: it never touches the content, so it costs the same for a
// 1 KiB note and a 1 GiB video. Revocation deletes a slot; [Rekey] re-encrypts
// the content under a new document key so that a copy of the old slot is
// useless against the new ciphertext.
//
// # No lock-in
//
// Everything is plain age. With the stock age tool alone, a user recovers a
// document from its key slot and content:
//
//	age -d -i my.key -o doc.key slot.age
//	age -d -i doc.key -o document content.age
//
// # Guarantees
//
//   - Streaming: [Seal], [Decrypt] and [Rekey] hold a bounded amount of
//     memory (a few 64 KiB chunks) whatever the document size.
//   - Integrity: age authenticates every chunk and the end of the stream;
//     modified, truncated or extended ciphertext is an error wrapping
//     [ErrMalformed]. An identity that matches no stanza gives
//     [ErrWrongIdentity]. Errors never contain plaintext or keys.
//   - A document is only as strong as its weakest key slot: the document key
//     is post-quantum, but its slot for an X25519 or SSH user is not.
package envelope
