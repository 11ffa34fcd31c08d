// The page's mutable state, all of it, in one object. Secrets (the age
// identity, the signing key, plaintext, private metadata) are never here:
// they live only in the WebAssembly module and in local variables. The
// session token lives only in state.session. localStorage holds the chosen
// language, the last audit checkpoint this browser verified and the users'
// public keys it pinned (keys.js), nothing else.

/** @typedef {'admin' | 'researcher' | 'lawyer' | 'auditor'} Role */

/**
 * @typedef {object} Session
 * @property {string} token
 * @property {string} user
 * @property {Role} role
 * @property {string} expiresAt
 * @property {{publicKey: string, fingerprint: string} | null} signingKey the public part of the signing key loaded at login, if any
 */

/** @typedef {Record<string, Record<string, string>>} Catalogue messages by language, then key */

/**
 * @typedef {object} SearchState what the search page shows, kept across pages
 * @property {string} q
 * @property {Record<string, string[]>} filters chosen facet terms, by facet
 * @property {number} from offset of the first hit shown
 * @property {boolean} openable only the documents the user can open
 */

/**
 * @typedef {object} State
 * @property {Catalogue} messages
 * @property {string} lang the interface's language
 * @property {Session | null} session
 * @property {number} lastActivity when the user last typed or clicked (ms)
 * @property {Promise<AmanaWasm> | null} wasm the module, once it is loading
 * @property {string[]} objectURLs blob: URLs of decrypted content, revoked on every page change
 * @property {SearchState} search
 */

/** @type {State} */
export const state = {
  messages: {},
  lang: 'en',
  session: null,
  lastActivity: Date.now(),
  wasm: null,
  objectURLs: [],
  search: { q: '', filters: {}, from: 0, openable: false },
};

/** Revokes the blob: URLs of decrypted content shown so far. */
export function revokeURLs() {
  for (const u of state.objectURLs) URL.revokeObjectURL(u);
  state.objectURLs = [];
}

/**
 * The signed-in session; views that need one are only shown with one.
 * @returns {Session}
 */
export function currentSession() {
  if (!state.session) throw new Error('not logged in');
  return state.session;
}
