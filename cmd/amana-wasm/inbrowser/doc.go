// Package inbrowser is what the web interface runs in the user's browser,
// compiled to WebAssembly: it answers the login challenge with the user's
// age identity, seals a deposit and opens a document, wraps a key slot for
// a grant, previews redaction with the same code as the CLI, and verifies
// the audit log's signed checkpoints and consistency proofs.
//
// It is ordinary Go with no browser dependency, so its tests run natively;
// the syscall/js glue lives in the parent package main. Nothing here talks
// to the network: the page fetches, this package computes. Identities stay
// inside a [Keyring] in WebAssembly memory and are never handed back.
package inbrowser
