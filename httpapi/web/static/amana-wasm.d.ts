// The boundary between the page and its Go: what cmd/amana-wasm (main.go)
// sets on globalThis.amanaWasm, and the Go class of wasm_exec.js, the
// toolchain's loader. Used by the type check only (tsconfig.json); the
// server does not serve it.
//
// Every function returns an object and never throws: a failure is
// {error, code}, with code the document protocol's class of error
// (envelope.ErrorCode). Bytes cross as Uint8Array, structured values as
// JSON text, and bytes inside JSON as standard base64.

/** A failure reported by the module instead of a result. */
interface AmanaWasmError {
  error: string;
  /**
   * Absent only for a panic inside the module ("internal error"). The
   * document protocol's codes, and the module's own (inbrowser.ErrorCode):
   * a signing key file of a security key or protected by a passphrase, no
   * signing key loaded, and a user's keys that differ from the pinned ones
   * or that the audit log does not prove.
   */
  code?: "wrong_identity" | "malformed" | "integrity" | "error" | "security_key" | "passphrase" | "no_signing_key" | "key_changed" | "key_unproven";
}

/** The result of a call: its value, or an error and never both. */
type AmanaWasmResult<T> = (T & { error?: undefined }) | AmanaWasmError;

interface AmanaWasmOK {
  ok: true;
}

interface AmanaWasmOpened {
  /** The decrypted content. */
  plain: Uint8Array<ArrayBuffer>;
  /** The private metadata, as JSON text of an object. */
  private: string;
  /** Hex SHA-256 of plain, checked against the deposit. */
  plain_sha256: string;
}

/** A deposit begun slice by slice (sealStart): what the meta part carries, the age file's length and its first bytes. */
interface AmanaWasmStreamStart {
  id: string;
  /** The public metadata as hashed into the manifest: send exactly this text as the meta part's "public". */
  public: string;
  consent_scopes: string[];
  slots: Record<string, string>;
  /** The length of the whole age file: the upload's Upload-Length. */
  length: number;
  /** The ciphertext so far (the age header). */
  content: Uint8Array<ArrayBuffer>;
}

/** The end of a deposit sealed slice by slice: the last ciphertext and what the final part carries. */
interface AmanaWasmStreamEnd {
  manifest: string;
  manifest_sig: string;
  content: Uint8Array<ArrayBuffer>;
  private: string;
  cipher_sha256: string;
  plain_sha256: string;
}

/** What sealStart's JSON text describes. */
interface AmanaDepositRequest {
  /** User id to age recipient, each proven by the audit log (checkKeys). */
  recipients: Record<string, string>;
  private: Record<string, unknown>;
  collection: string;
  kind: string;
  /** The logged-in user, whose signing key signs. */
  depositor: string;
  consent_scopes: string[];
  /** The redacted public metadata. */
  public: Record<string, unknown>;
}

/** A user's keys as proven by the audit log, and what to keep. */
interface AmanaWasmCheckedKeys {
  recipient: string;
  /** "" when the user has no signing key. */
  signing_key: string;
  /** The audit event that binds them. */
  seq: number;
  /** The keys to pin (JSON text, given back to checkKeys next time). */
  pin: string;
  /** The newest verified checkpoint, to keep as the last one. */
  checkpoint: string;
}

interface AmanaWasmCheckpoint {
  origin: string;
  /** Number of records the checkpoint signs. */
  size: number;
  /** Base64 tree hash. */
  root: string;
  /** Names of the witnesses asked for whose cosignature the note carries. */
  cosigned: string[];
}

/** What redact's JSON text holds (RedactPreview). */
interface AmanaRedaction {
  /** The redacted fields, by name. */
  fields: Record<string, string>;
  /** One entry per removal, in field order. */
  removed: {
    field: string;
    kind: "email" | "phone" | "national_id" | "gps" | "person" | "name";
    /** Why a person or name was found. */
    reason?: "listed" | "given_name" | "title";
    /** The name found, for names nobody listed only (the depositor may keep it). */
    text?: string;
  }[];
}

interface AmanaWasm {
  /** Parses an age identity file and keeps its identities in the module, replacing any before. */
  loadIdentity(file: Uint8Array): AmanaWasmResult<AmanaWasmOK>;
  /** Parses an OpenSSH Ed25519 signing key file (NAME.sign) and keeps it in the module, replacing any before. */
  loadSigningKey(file: Uint8Array): AmanaWasmResult<{ public_key: string; fingerprint: string }>;
  /** Drops the identities and the signing key. */
  forget(): AmanaWasmResult<AmanaWasmOK>;
  /** Decrypts the server's armored login challenge; the response to send back. */
  answerChallenge(challenge: string): AmanaWasmResult<{ response: string }>;
  /** Opens a document: its key slot, encrypted private metadata and content, the content's expected hex SHA-256 and, optionally, a deposit manifest the caller already verified (the protocol's vectors). */
  open(slot: Uint8Array | null, privateMeta: Uint8Array | null, content: Uint8Array | null, cipherSHA256: string, manifest?: string): AmanaWasmResult<AmanaWasmOpened>;
  /** Opens a document as the document page must: verifies the deposit's signed manifest in the record (the JSON of GET /v1/documents/{id}) with the depositor's signing key, then opens against it. */
  openDocument(slot: Uint8Array | null, privateMeta: Uint8Array | null, content: Uint8Array | null, record: string, signingKey: string): AmanaWasmResult<AmanaWasmOpened>;
  /** The court bundle of 'amana export' (a zip, in parts to join into a Blob; one of them is the content array given), made here: the key slot, encrypted private metadata and content, with the record and custody trail as the server sent them, the depositor's proven signing key, the pinned verifier key and the exporting user. Checks the document and the custody trail first; refuses content over 64 MiB. */
  exportBundle(slot: Uint8Array | null, privateMeta: Uint8Array | null, content: Uint8Array | null, input: { record: string; signing_key: string; custody: string; verifier: string; user: string }): AmanaWasmResult<{ parts: Uint8Array<ArrayBuffer>[] }>;
  /** Wraps the document key of a slot for another user's recipient; the new slot in base64. */
  rewrap(slot: Uint8Array | null, recipient: string): AmanaWasmResult<{ slot: string }>;
  /** Begins sealing a deposit of a file of size bytes, slice by slice; only one at a time. With slot and head (base64: the depositor's key slot of a deposit whose upload a reload interrupted, and the head of its age file, as the page kept them), goes on with that deposit: the identity loaded opens the slot, and the same file gives the same ciphertext. */
  sealStart(requestJSON: string, size: number, slot?: string, head?: string): AmanaWasmResult<AmanaWasmStreamStart>;
  /** Seals the next slice of the file and copies the ciphertext made since the last call into out (at least the slice's length + 1 MiB); n is its length, sha256 the SHA-256 (hex) of all the ciphertext made so far. */
  sealWrite(plain: Uint8Array, out: Uint8Array): AmanaWasmResult<{ n: number, sha256: string }>;
  /** Ends the file and signs the deposit's manifest with the signing key loaded. */
  sealFinish(): AmanaWasmResult<AmanaWasmStreamEnd>;
  /** Checks a user's keys: the answer of GET /v1/users/{id}/keys (its exact text), with the vault's verifier key, the last checkpoint verified ("" for none), the keys pinned for the user (a pin's JSON, "" for none), and whether to accept keys that differ from the pinned ones. */
  checkKeys(user: string, answer: string, verifierKey: string, lastCheckpoint: string, pinnedJSON: string, accept: boolean): AmanaWasmResult<AmanaWasmCheckedKeys>;
  /** Redacts the fields (JSON object) in the order of names (JSON array), with the persons (JSON array) and the names nobody listed that the depositor keeps (JSON array); json is an AmanaRedaction. */
  redact(personsJSON: string, namesJSON: string, fieldsJSON: string, keepJSON?: string): AmanaWasmResult<{ json: string }>;
  /** Verifies a signed checkpoint note against the verifier key and, given witnesses' verifier keys (JSON array), that at least quorum of them (all if 0 or absent) cosigned it. */
  openCheckpoint(note: string, verifierKey: string, witnessesJSON?: string, quorum?: number): AmanaWasmResult<AmanaWasmCheckpoint>;
  /** Checks that the newer checkpoint extends the older one; proof is the server's JSON {"proof": [...]} or "" when none is needed. */
  checkConsistency(olderNote: string, newerNote: string, verifierKey: string, proofJSON: string): AmanaWasmResult<AmanaWasmOK>;
  /** The tree hash over the events (a JSON array of the exact event texts). */
  treeRoot(eventsJSON: string): AmanaWasmResult<{ root: string }>;
}

/** Go's loader (wasm_exec.js), loaded as a classic script before the modules. */
declare class Go {
  importObject: WebAssembly.Imports;
  /** Runs the module; settles when the Go program exits, which it never does here. */
  run(instance: WebAssembly.Instance): Promise<void>;
}

/** Set by the module once it runs. */
declare var amanaWasm: AmanaWasm | undefined;
