// Package httpapi serves the Amana vault over HTTP (the /v1 API).
//
// The server never sees a private key, plaintext content or private
// metadata: deposits arrive encrypted, downloads leave encrypted, and
// logins prove possession of an age identity by decrypting a challenge.
// Every request that reads or changes data is audited by the vault in the
// same transaction as the action.
//
// Every input is hostile: bodies are size-limited, JSON is decoded
// strictly, and bad input gets a 4xx JSON error and changes nothing.
// Errors are mapped to status codes in one place (errors.go). Session
// tokens exist only in memory, as hashes; nothing here logs a token, a
// query text or a body.
package httpapi
