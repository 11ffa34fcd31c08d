// Access requests. The requests page: those a keeper can grant, for every
// document it keeps (its deposits, its collections' documents as
// custodian, and as an admin holding a slot), each granted or declined
// with one click. On the document page: asking, the asker's own pending
// request, and the document's requests for its keepers.

import { currentSession } from '../state.js';
import { t, fmtDate } from '../i18n.js';
import { h, status, code } from '../dom.js';
import { api, errText, needsStepUp, APIError } from '../api.js';
import { loadWasm, wasmCall } from '../wasm.js';
import { verifiedKeys } from '../keys.js';

/** The event that a request was granted or declined here: the navigation's count is stale. */
export const REQUESTS_CHANGED = 'amana:requests-changed';

/** @type {Promise<{requests: AccessRequest[]}> | null} */
let listing = null;

/**
 * The pending requests the user keeps (GET /v1/requests), one listing for
 * all who ask at the same time: the navigation's count and this view
 * render together, and the listing unseals every record the user keeps.
 * @returns {Promise<{requests: AccessRequest[]}>}
 */
export function listRequests() {
  if (!listing) listing = api('GET', '/v1/requests').finally(() => { listing = null; });
  return listing;
}

/** @type {import('../app.js').View} */
export function viewRequests(main, _arg, app) {
  main.append(h('h1', { id: 'requests-h' }, t('requests.title')));
  const box = h('div', { id: 'all-requests' }, h('p', {}, t('loading')));
  main.append(box);
  (async () => {
    try {
      const r = await listRequests();
      if (!box.isConnected) return;
      box.replaceChildren(r.requests.length ? requestList(r.requests, app, true) : h('p', { id: 'requests-none' }, t('requests.none')));
    } catch (e) { box.replaceChildren(h('p', { class: 'error' }, errText(e))); }
  })();
}

/**
 * Whether a user of role could be granted a slot for doc, as the consent
 * decides (vault/policy.go): so whether asking for one makes sense.
 * Admins, who hold slots by custody, and auditors, who never do, are not
 * offered it.
 * @param {import('./doc.js').Doc} doc
 * @param {string} role
 * @returns {boolean}
 */
export function mayAsk(doc, role) {
  /** @type {Record<string, string>} */
  const scope = { researcher: 'research', lawyer: 'legal_proceedings' };
  return scope[role] !== undefined && (doc.consent.scopes || []).includes(scope[role]);
}

/**
 * Asking the document's keepers for a key slot: one click, no message.
 * @param {import('./doc.js').Doc} doc
 * @returns {HTMLElement}
 */
export function requestSection(doc) {
  const out = h('p', { id: 'request-status', role: 'status' });
  const button = h('button', { type: 'button', id: 'request-access', onclick: ask }, t('doc.request.submit'));
  /** @param {AccessRequest} r the caller's request, pending or declined */
  function show(r) {
    if (r.declined_at && r.ask_again_at) {
      out.className = 'declined';
      out.textContent = t('doc.request.declined', { date: fmtDate(r.declined_at), again: fmtDate(r.ask_again_at) });
    } else {
      out.className = 'ok';
      out.textContent = t('doc.request.pending', { date: fmtDate(r.requested_at) });
    }
    button.disabled = true;
  }
  // A request made before (another visit, another tab) is pending, or was
  // declined: the server says so to the requester only.
  async function load() {
    try {
      /** @type {AccessRequest} */
      const r = await api('GET', '/v1/documents/' + encodeURIComponent(doc.id) + '/requests/' + encodeURIComponent(currentSession().user));
      if (out.isConnected) show(r);
    } catch (_) { /* 404: none pending or declined */ }
  }
  async function ask() {
    out.textContent = ''; out.className = '';
    try {
      await api('POST', '/v1/documents/' + encodeURIComponent(doc.id) + '/requests');
      out.className = 'ok';
      out.textContent = t('doc.request.sent');
      button.disabled = true;
    } catch (e) {
      out.className = 'error';
      out.textContent = errText(e);
      if (e instanceof APIError && e.code === 'declined') await load();
    }
  }
  load();
  return h('section', { id: 'request', 'aria-labelledby': 'request-h' },
    h('h2', { id: 'request-h' }, t('doc.request')), h('p', { class: 'hint' }, t('doc.request.hint')), button, out);
}

/**
 * The document's pending access requests, for its keepers; anyone else is
 * answered 404 and sees nothing.
 * @param {import('./doc.js').Doc} doc
 * @param {import('../app.js').App} app
 * @returns {HTMLElement}
 */
export function keeperRequests(doc, app) {
  const box = h('div', { id: 'doc-requests' });
  (async () => {
    try {
      /** @type {{requests: AccessRequest[]}} */
      const r = await api('GET', '/v1/documents/' + encodeURIComponent(doc.id) + '/requests');
      if (r.requests.length > 0 && box.isConnected) box.replaceChildren(requestList(r.requests, app, false));
    } catch (_) { /* not a keeper: nothing to show */ }
  })();
  return box;
}

/**
 * @typedef {object} AccessRequest a pending request, as GET /v1/requests lists it
 * @property {string} document
 * @property {string} collection
 * @property {string} user
 * @property {string} role
 * @property {string} requested_at
 * @property {string} [declined_at] set when a keeper declined it
 * @property {string} [ask_again_at] when its requester may ask again
 */

/**
 * Pending requests, each granted with one click: the document key is
 * wrapped here for the requester's verified recipient. One code field
 * serves them all, and may stay empty inside the step-up window.
 * @param {AccessRequest[]} reqs
 * @param {import('../app.js').App} app
 * @param {boolean} showDoc whether to name each request's document
 * @returns {HTMLElement}
 */
export function requestList(reqs, app, showDoc) {
  const err = h('p', { class: 'error', id: 'requests-error', role: 'alert' });
  const totp = h('input', { type: 'text', id: 'requests-totp', inputmode: 'numeric', autocomplete: 'one-time-code', dir: 'ltr' });
  /** @param {AccessRequest} q */
  async function grant(q) {
    err.textContent = '';
    try {
      await grantSlot(q.document, q.user, /** @type {HTMLInputElement} */ (totp).value.trim());
      status(t('doc.granted', { user: q.user }), 'ok');
      app.render();
    } catch (e) { err.textContent = needsStepUp(e) ? t('stepup.needed') : errText(e); }
  }
  /** @param {AccessRequest} q */
  async function decline(q) {
    err.textContent = '';
    try {
      await api('DELETE', '/v1/documents/' + encodeURIComponent(q.document) + '/requests/' + encodeURIComponent(q.user));
      status(t('requests.declined', { user: q.user }), 'ok');
      document.dispatchEvent(new Event(REQUESTS_CHANGED));
      app.render();
    } catch (e) { err.textContent = errText(e); }
  }
  // On the requests page its h1 is the heading.
  return h('section', { class: 'stack', id: 'requests', 'aria-labelledby': showDoc ? null : 'requests-h' },
    showDoc ? null : h('h2', { id: 'requests-h' }, t('requests.title')),
    h('p', { class: 'hint' }, t('requests.hint')),
    h('div', { class: 'field' }, h('label', { for: 'requests-totp' }, t('stepup.totp')), totp),
    h('ul', { id: 'requests-list', class: 'plain' }, reqs.map(q => h('li', { 'data-request': q.document + '/' + q.user },
      showDoc ? [h('a', { href: '#/doc/' + encodeURIComponent(q.document) }, code(q.document)), ' · '] : null,
      code(q.user), ' · ', t('role.' + q.role), ' · ', t('requests.asked', { date: fmtDate(q.requested_at) }), ' ',
      h('button', { type: 'button', 'data-grant-request': q.user, 'data-doc': q.document, onclick: () => grant(q) }, t('requests.grant')), ' ',
      h('button', { type: 'button', class: 'secondary', 'data-decline-request': q.user, 'data-doc': q.document, onclick: () => decline(q) }, t('requests.decline'))))),
    err);
}

/**
 * Grants user a key slot for document id: this user's slot is opened in
 * the WebAssembly module and the key wrapped for the recipient the audit
 * log binds to user; the server only stores the new slot.
 * @param {string} id
 * @param {string} user
 * @param {string} totp a step-up code, or '' inside the step-up window
 */
export async function grantSlot(id, user, totp) {
  const base = '/v1/documents/' + encodeURIComponent(id);
  const w = await loadWasm();
  const rc = (await verifiedKeys([user]))[user];
  const slot = await api('GET', base + '/keyslot', { as: 'bytes' });
  const r = wasmCall(w.rewrap(slot, rc.recipient));
  await api('POST', base + '/grants', { json: { user, slot: r.slot }, headers: totp ? { 'X-Amana-TOTP': totp } : {} });
  document.dispatchEvent(new Event(REQUESTS_CHANGED));
}
