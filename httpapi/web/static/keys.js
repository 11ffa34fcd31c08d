// Authentic keys (docs/document-protocol.md, "Authentic keys"): the page
// encrypts to a user, or trusts a user's signature, only with keys the
// audit log proves it binds to that user (GET /v1/users/{id}/keys, checked
// by the WebAssembly module as the command line checks them), and pins
// them in localStorage, as ssh pins host keys: keys that later differ stop
// the deposit, grant or read until the user accepts the change. The proofs
// lead to the newest checkpoint this browser verified, the audit page's
// witness; the vault's verifier key is pinned the first time it is seen.

import { api } from './api.js';
import { t } from './i18n.js';
import { h } from './dom.js';
import { loadWasm } from './wasm.js';

const PINS = 'amana.keys';

/**
 * @typedef {object} Pins what this browser pinned for the vault
 * @property {string} verifier the vault's audit verifier key
 * @property {Record<string, unknown>} users each user's pin, as checkKeys returns it
 */

/** @typedef {{recipient: string, signingKey: string}} UserKeys a user's proven keys; signingKey "" for none */

/** A user's keys that cannot be used, with the reason in the user's language. */
export class KeyCheckError extends Error {
  /**
   * @param {string} user
   * @param {string} code "key_changed", "key_unproven", "verifier" or "mismatch"
   * @param {string} detail the module's explanation
   */
  constructor(user, code, detail) {
    const msg = code === 'key_changed' ? t('keys.changed', { user }) : code === 'verifier' ? t('keys.verifier') : code === 'mismatch' ? t('keys.mismatch', { user }) : t('keys.unproven', { user });
    super(detail ? msg + ' (' + detail + ')' : msg);
    this.user = user;
    this.code = code;
  }
}

/** @returns {Pins | null} */
function readPins() {
  try {
    const p = JSON.parse(localStorage.getItem(PINS) || 'null');
    return p && typeof p.verifier === 'string' && p.users && typeof p.users === 'object' ? p : null;
  } catch (_) { return null; }
}

/**
 * The proven keys of each user, in order. accept takes keys that differ
 * from the pinned ones (after the user confirmed the change out of band).
 * @param {string[]} users
 * @param {boolean} [accept]
 * @returns {Promise<Record<string, UserKeys>>}
 */
export async function verifiedKeys(users, accept = false) {
  const w = await loadWasm();
  const key = (await api('GET', '/v1/audit/verifier', { as: 'text' })).trim();
  const pins = readPins() || { verifier: key, users: {} };
  if (pins.verifier !== key) throw new KeyCheckError('', 'verifier', '');
  const witness = 'amana.witness.' + key.split('+')[0];
  /** @type {Record<string, UserKeys>} */
  const out = {};
  for (const user of users) {
    if (out[user]) continue;
    const last = localStorage.getItem(witness) || '';
    let since = 0;
    if (last) {
      const c = w.openCheckpoint(last, key);
      if (c.error === undefined) since = c.size;
    }
    const q = '?since=' + since + (accept ? '&purpose=trust' : '');
    const answer = await api('GET', '/v1/users/' + encodeURIComponent(user) + '/keys' + q, { as: 'text' });
    const pinned = pins.users[user];
    const r = w.checkKeys(user, answer, key, last, pinned ? JSON.stringify(pinned) : '', accept);
    if (r.error !== undefined) throw new KeyCheckError(user, r.code === 'key_changed' ? 'key_changed' : 'key_unproven', r.error);
    pins.users[user] = JSON.parse(r.pin);
    localStorage.setItem(PINS, JSON.stringify(pins));
    if (r.checkpoint && r.checkpoint !== last) localStorage.setItem(witness, r.checkpoint);
    out[user] = { recipient: r.recipient, signingKey: r.signing_key };
  }
  return out;
}

/**
 * The vault's verifier key this browser pinned, "" before any was.
 * @returns {string}
 */
export function pinnedVerifier() {
  const p = readPins();
  return p ? p.verifier : '';
}

/**
 * How a failure shows: for keys that changed, with a button that accepts
 * the new keys once the user has checked them with their owner; then again
 * calls retry.
 * @param {unknown} e
 * @param {string} fallback the message for any other failure
 * @param {() => void} retry
 * @returns {HTMLElement}
 */
export function keyErrorView(e, fallback, retry) {
  if (!(e instanceof KeyCheckError)) return h('p', { class: 'alert', role: 'alert' }, fallback);
  const box = h('div', { class: 'alert', id: 'key-error', 'data-code': e.code, role: 'alert' }, h('p', {}, e.message));
  if (e.code === 'key_changed') {
    const user = e.user;
    box.append(h('button', { type: 'button', id: 'trust-keys', class: 'secondary', onclick: async () => {
      try {
        await verifiedKeys([user], true);
        box.replaceChildren(h('p', { class: 'ok' }, t('keys.trusted', { user })));
        retry();
      } catch (e2) { box.replaceChildren(h('p', {}, e2 instanceof Error ? e2.message : String(e2))); }
    } }, t('keys.trust', { user })));
  }
  return box;
}
