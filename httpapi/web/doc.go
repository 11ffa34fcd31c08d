// Package web serves Amana's web interface: one HTML page at / and its
// assets under /ui/, all embedded in the binary, under a strict
// Content-Security-Policy (no inline script or style, no other origin).
//
// The page talks only to the /v1 API of the same origin. Everything that
// needs a private key or plaintext — answering the login challenge,
// sealing a deposit, opening a document, wrapping a grant, previewing
// redaction, verifying the audit log — runs in the browser, in the Go
// program cmd/amana-wasm compiled to WebAssembly (static/amana.wasm, rebuilt
// by build.sh). The server never receives an identity, plaintext content,
// private metadata or unredacted text from the page.
package web
