// Package sshsig signs and verifies messages with SSH keys in OpenSSH's
// SSHSIG format (PROTOCOL.sshsig in OpenSSH's sources): what
// 'ssh-keygen -Y sign' writes and 'ssh-keygen -Y verify' checks. A
// depositor signs a deposit's manifest with its signing key, and anyone
// with OpenSSH alone can check the signature:
//
//	r.hassan namespaces="amana-deposit" ssh-ed25519 AAAAC3…   (allowed_signers)
//
//	ssh-keygen -Y verify -f allowed_signers -I r.hassan -n amana-deposit \
//	    -s manifest.json.sig < manifest.json
//
// Signing keys are Ed25519: a key file in OpenSSH's format, as
// 'ssh-keygen -t ed25519' or [GenerateSigningKey] write it, or a FIDO
// security key ('ssh-keygen -t ed25519-sk', type sk-ssh-ed25519@openssh.com),
// whose private part never leaves the token, so only OpenSSH can sign with
// it ([SignWithSSHKeygen]). Public keys are exchanged in authorized_keys
// format ("ssh-ed25519 AAAA…").
//
// Guarantees:
//
//   - [Sign] writes exactly what 'ssh-keygen -Y sign' writes for the same
//     key and message (Ed25519 signatures are deterministic; hash sha512).
//   - [Verify] accepts a signature only if it was made by the given key, in
//     the given namespace, over exactly the given message; a security key's
//     signature must also assert user presence (a touch), as sshd requires
//     by default ('ssh-keygen -Y verify' does not look at that flag). It
//     accepts the sha256 and sha512 hashes, as OpenSSH does.
//   - Every rejection of input that cannot be parsed wraps [ErrMalformed];
//     every signature that parses but does not hold wraps [ErrInvalid].
//     Nothing panics on input, and input larger than [MaxSize] is refused
//     before it is parsed.
//   - The package only parses and computes: no network and no files,
//     except [SignWithSSHKeygen], which runs ssh-keygen (not in the
//     browser).
package sshsig
