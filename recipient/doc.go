// Package recipient parses and checks the age public keys ("recipients") that
// Amana users register. It is shared by the server and the client and only
// ever handles public keys.
//
// Accepted, one per string, with surrounding whitespace ignored:
//
//   - native X25519: age1…
//   - post-quantum hybrid ML-KEM-768 + X25519: age1pq1…
//   - SSH: ssh-ed25519 … and ssh-rsa … (2048 bits or more)
//   - age plugin recipients: age1NAME1…, such as age1yubikey1…
//
// This is the set the stock age CLI accepts with -r, minus tagged recipients
// and github: shortcuts, so every stored recipient stays usable with age alone.
//
// Guarantees:
//
//   - [Parse] never runs an external program: a plugin recipient is only
//     decoded. The age-plugin-NAME binary is looked up on PATH, and run, only
//     when the returned [age.Recipient] wraps a file key (on the client).
//   - Every rejection wraps [ErrMalformed]. Error messages never contain more
//     than a short prefix of the input, and none of it when the input looks
//     like a private key that was pasted by mistake.
//   - Input larger than [MaxSize] is rejected before it is parsed.
package recipient
