// A document: its public metadata, consent, key holders and custody
// trail; opening it (decrypted here), granting and revoking access.

import { state, currentSession } from '../state.js';
import { t, fmtNum, fmtDate, fmtDay, fmtList, label, dirOf } from '../i18n.js';
import { h, kv, find, status, ltrRuns, code } from '../dom.js';
import { api, APIError, errText, needsStepUp } from '../api.js';
import { loadWasm, wasmCall } from '../wasm.js';
import { verifiedKeys, keyErrorView } from '../keys.js';
import { exportSection } from './export.js';
import { mayAsk, requestSection, keeperRequests, grantSlot } from './requests.js';

/**
 * @typedef {object} Doc a document as GET /v1/documents/ID returns it
 * @property {string} id
 * @property {string} collection
 * @property {string} kind
 * @property {string} depositor
 * @property {string} deposited_at
 * @property {number} size
 * @property {string} state
 * @property {string} cipher_sha256
 * @property {string[]} [slot_holders]
 * @property {{scopes?: string[], recorded_at: string, recorded_by: string}} consent
 * @property {{title?: string, language?: string, governorate?: string, incident_date?: string, tags?: string[], summary?: string, transcript_redacted?: string}} [public]
 */

/** @typedef {{time: string, actor: string, action: string, outcome: string}} CustodyEvent */

/** @type {import('../app.js').View} */
export function viewDoc(main, id, app) {
  const session = currentSession();
  main.append(h('h1', {}, t('doc.title')));
  const box = h('div', { id: 'doc' }, h('p', {}, t('loading')));
  main.append(box);
  (async () => {
    /** @type {Doc} */
    let doc;
    // The record's exact text: its public_signed is hashed as the server sent it.
    let record = '';
    try {
      record = await api('GET', '/v1/documents/' + encodeURIComponent(id), { as: 'text' });
      doc = JSON.parse(record);
    } catch (e) {
      box.replaceChildren(h('p', { class: 'alert', id: 'doc-refused', role: 'alert' }, e instanceof APIError && (e.status === 404 || e.status === 403) ? t('doc.noaccess') : errText(e)));
      return;
    }
    const p = doc.public || {};
    const d = dirOf(p.language);
    const holder = (doc.slot_holders || []).includes(session.user);
    // Only the revocations the server would allow (vault/policy.go): an
    // admin any, a keeper (the depositor, a custodian of the collection)
    // any, anyone their own slot.
    let custodian = false;
    if (session.role !== 'admin' && doc.depositor !== session.user && holder) {
      try {
        /** @type {{collections?: {id: string, custodians?: string[]}[]}} */
        const cols = await api('GET', '/v1/collections');
        custodian = (cols.collections || []).some(c => c.id === doc.collection && (c.custodians || []).includes(session.user));
      } catch (_) { /* then only one's own slot */ }
    }
    /** @param {string} u */
    const mayRevoke = u => session.role === 'admin' || u === session.user || (holder && (doc.depositor === session.user || custodian));
    const anyRevoke = (doc.slot_holders || []).some(mayRevoke);
    const revokeErr = h('p', { class: 'error', id: 'revoke-error', role: 'alert' });
    const revokeTOTP = anyRevoke ? h('div', { class: 'field' }, h('label', { for: 'revoke-totp' }, t('doc.revoke.totp')), h('input', { type: 'text', id: 'revoke-totp', inputmode: 'numeric', autocomplete: 'one-time-code', dir: 'ltr' })) : null;
    const custody = h('div', { id: 'custody' }, t('loading'));
    if (!box.isConnected) return; // the page changed (another language, another route) while this one loaded
    box.replaceChildren(...[
      h('h2', { lang: p.language, dir: d, id: 'doc-title' }, p.title),
      kv([
        [t('doc.id'), code(doc.id)],
        [t('facet.collection'), code(doc.collection)],
        [t('facet.kind'), t('kind.' + doc.kind)],
        [t('facet.language'), t('doclang.' + p.language)],
        [t('facet.governorate'), p.governorate ? label('gov.', p.governorate) : null],
        [t('doc.incident'), p.incident_date ? fmtDay(p.incident_date) : null],
        [t('facet.tags'), (p.tags || []).length ? (p.tags || []).map(x => h('span', { class: 'tag', dir: 'auto' }, label('tag.', x))) : null],
        [t('doc.summary'), p.summary, { lang: p.language, dir: d }],
        [t('doc.depositor'), code(doc.depositor)],
        [t('doc.deposited'), fmtDate(doc.deposited_at)],
        [t('doc.size'), fmtNum(doc.size)],
        [t('doc.state'), label('state.', doc.state)],
      ]),
      p.transcript_redacted ? [h('h3', {}, t('doc.transcript')), h('pre', { class: 'preview', lang: p.language, dir: d }, p.transcript_redacted)] : null,
      h('h2', {}, t('doc.consent')),
      kv([[t('doc.scopes'), fmtList((doc.consent.scopes || []).map(s => t('scope.' + s)))],
        [t('doc.recorded'), fmtDay(doc.consent.recorded_at)], [t('doc.recordedby'), code(doc.consent.recorded_by)]]),
      h('h2', {}, t('doc.holders')),
      revokeTOTP,
      h('ul', { id: 'holders' }, (doc.slot_holders || []).map(u => h('li', {}, code(u),
        mayRevoke(u) ? [' ', h('button', { type: 'button', class: 'secondary', 'data-revoke': u, onclick: () => revoke(u) }, t('doc.revoke'))] : null))),
      revokeErr,
      openSection(doc, record, holder),
      holder ? exportSection(doc, record) : null,
      !holder && mayAsk(doc, session.role) ? requestSection(doc) : null,
      holder ? keeperRequests(doc, app) : null,
      holder ? grantSection(doc, app) : null,
      session.role === 'admin' ? shredSection(doc, app) : null,
      h('h2', {}, t('doc.custody')),
      custody].flat(Infinity).filter(x => x instanceof Node));
    /** @param {string} u */
    async function revoke(u) {
      revokeErr.textContent = '';
      try {
        const totp = find(box, '#revoke-totp', HTMLInputElement).value.trim();
        await api('DELETE', '/v1/documents/' + encodeURIComponent(doc.id) + '/grants/' + encodeURIComponent(u), { headers: { 'X-Amana-TOTP': totp } });
        status(t('doc.revoked', { user: u }), 'ok');
        app.render();
      } catch (e) { revokeErr.textContent = needsStepUp(e) ? t('stepup.needed') : errText(e); }
    }
    try {
      /** @type {{events: CustodyEvent[]}} */
      const c = await api('GET', '/v1/documents/' + encodeURIComponent(doc.id) + '/custody');
      const rows = c.events.map(e => h('tr', {}, h('td', {}, fmtDate(e.time)), h('td', {}, code(e.actor)), h('td', {}, label('action.', e.action)), h('td', {}, t('outcome.' + e.outcome))));
      custody.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, [t('audit.time'), t('audit.actor'), t('audit.action'), t('audit.outcome')].map(x => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows)));
    } catch (e) { custody.replaceChildren(h('p', { class: 'error' }, errText(e))); }
  })();
}

/**
 * The content, opened in the browser: the key slot, private metadata and
 * content are fetched encrypted and opened by the WebAssembly module, which
 * first verifies the deposit's signed manifest against the record with the
 * depositor's signing key, as the audit log proves it, and then the
 * content against the manifest. Nothing is shown unless all of it holds.
 * @param {Doc} doc
 * @param {string} record the record's JSON text, as the server sent it
 * @param {boolean} holder whether the user holds a key slot
 * @returns {HTMLElement}
 */
function openSection(doc, record, holder) {
  const out = h('div', { id: 'opened' });
  const sec = h('section', { 'aria-labelledby': 'open-h' }, h('h2', { id: 'open-h' }, t('doc.content')),
    holder ? h('p', { class: 'hint' }, t('doc.open.hint')) : h('p', { class: 'notice', id: 'no-slot' }, t('doc.noslot')),
    h('button', { type: 'button', id: 'open', onclick: open }, t('doc.open')), out);
  async function open() {
    out.replaceChildren(h('p', {}, t('doc.opening')));
    const base = '/v1/documents/' + encodeURIComponent(doc.id);
    try {
      const w = await loadWasm();
      const slot = await api('GET', base + '/keyslot', { as: 'bytes' });
      const depositorKey = (await verifiedKeys([doc.depositor]))[doc.depositor].signingKey;
      const priv = await api('GET', base + '/private', { as: 'bytes' });
      const content = await api('GET', base + '/content', { as: 'bytes' });
      const opened = w.openDocument(slot, priv, content, record, depositorKey);
      if (opened.error !== undefined && opened.code === 'integrity') {
        out.replaceChildren(h('div', { class: 'alert', id: 'open-error', 'data-code': 'integrity', role: 'alert' },
          h('p', {}, h('strong', {}, t('doc.integrity.title'))), h('p', {}, t('doc.integrity', { user: doc.depositor })),
          h('p', { class: 'hint', dir: 'ltr' }, opened.error)));
        return;
      }
      const r = wasmCall(opened);
      /** @type {Record<string, unknown>} */
      const pm = JSON.parse(r.private || 'null') || {};
      const mt = typeof pm.media_type === 'string' ? pm.media_type.split(';')[0].trim().toLowerCase() : '';
      const type = /^[\w.+-]+\/[\w.+-]+$/.test(mt) ? mt : 'application/octet-stream';
      const blob = new Blob([r.plain], { type });
      const url = URL.createObjectURL(blob);
      state.objectURLs.push(url);
      let preview = null;
      if (type.startsWith('text/') || type === 'application/json') preview = h('pre', { class: 'preview', id: 'plaintext', dir: 'auto' }, new TextDecoder().decode(r.plain));
      else if (type.startsWith('image/')) preview = h('img', { class: 'preview', src: url, alt: t('doc.preview') });
      else if (type.startsWith('audio/')) preview = h('audio', { controls: true, src: url });
      else if (type.startsWith('video/')) preview = h('video', { controls: true, src: url });
      else if (type === 'application/pdf') preview = h('p', {}, h('a', { href: url, target: '_blank', rel: 'noopener' }, t('doc.pdf')));
      const name = typeof pm.file_name === 'string' && pm.file_name ? pm.file_name.replace(/[\/\\]/g, '_') : doc.id;
      /** @type {[string, import('../dom.js').Child, {dir: string}][]} */
      const shown = Object.entries(pm).map(([k, v]) => [label('pm.', k), privateValue(k, v), { dir: 'auto' }]);
      out.replaceChildren(
        h('p', { class: 'ok', id: 'verified' }, t('doc.verified', { user: doc.depositor, sha: r.plain_sha256.slice(0, 16) })),
        h('p', {}, h('a', { href: url, download: name, id: 'download' }, t('doc.download', { name }))),
        preview || '',
        h('h3', {}, t('doc.private')),
        h('div', { id: 'private' }, kv(shown)));
    } catch (e) {
      out.replaceChildren(h('div', { id: 'open-error' }, keyErrorView(e, e instanceof APIError && (e.status === 403 || e.status === 404) ? t('doc.noslot.refused') : t('doc.openfailed', { msg: errText(e) }), open)));
    }
  }
  return sec;
}

/**
 * Shredding (admins only, as the policy allows): the document's id typed
 * again confirms it, and a fresh code.
 * @param {Doc} doc
 * @param {import('../app.js').App} app
 * @returns {HTMLFormElement}
 */
function shredSection(doc, app) {
  const err = h('p', { class: 'error', id: 'shred-error', role: 'alert' });
  const form = h('form', { class: 'stack danger', id: 'shred-form' },
    h('h2', {}, t('doc.shred')), h('p', { class: 'hint', id: 'shred-hint' }, t('doc.shred.hint')),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'shred-confirm' }, t('doc.shred.confirm')), h('input', { type: 'text', id: 'shred-confirm', required: true, dir: 'ltr', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'shred-hint' })),
      h('div', { class: 'field' }, h('label', { for: 'shred-totp' }, t('stepup.totp')), h('input', { type: 'text', id: 'shred-totp', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, dir: 'ltr' })),
      h('button', { type: 'submit', id: 'shred-submit' }, t('doc.shred.submit'))), err);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    err.textContent = '';
    if (find(form, '#shred-confirm', HTMLInputElement).value.trim() !== doc.id) { err.textContent = t('doc.shred.mismatch'); return; }
    try {
      await api('POST', '/v1/documents/' + encodeURIComponent(doc.id) + '/shred', { headers: { 'X-Amana-TOTP': find(form, '#shred-totp', HTMLInputElement).value.trim() } });
      status(t('doc.shredded', { id: doc.id }), 'ok');
      app.render();
    } catch (e) { err.textContent = needsStepUp(e) ? t('stepup.needed') : errText(e); }
  });
  return form;
}

/**
 * A private metadata value as the page shows it: a list of names as a
 * list, hashes and file types as codes, text with its numbers (phone
 * numbers, dates) isolated left to right.
 * @param {string} key
 * @param {unknown} v
 * @returns {import('../dom.js').Child}
 */
function privateValue(key, v) {
  if (Array.isArray(v)) return h('ul', { class: 'plain' }, v.map(x => h('li', { dir: 'auto' }, ltrRuns(typeof x === 'string' ? x : JSON.stringify(x)))));
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (key === 'plain_sha256' || key === 'media_type' || key === 'file_name' || /^[0-9a-f]{32,}$/.test(s)) return code(s);
  return ltrRuns(s);
}

/**
 * Granting: the document key is wrapped here for the other user's
 * recipient; the server only stores the new slot.
 * @param {Doc} doc
 * @param {import('../app.js').App} app
 * @returns {HTMLFormElement}
 */
function grantSection(doc, app) {
  const err = h('p', { role: 'alert' });
  const form = h('form', { class: 'stack', id: 'grant-form' },
    h('h2', {}, t('doc.grant')),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'grant-user' }, t('doc.grant.user')), h('input', { type: 'text', id: 'grant-user', required: true, dir: 'ltr' })),
      h('div', { class: 'field' }, h('label', { for: 'grant-totp' }, t('stepup.totp')), h('input', { type: 'text', id: 'grant-totp', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, dir: 'ltr' })),
      h('button', { type: 'submit' }, t('doc.grant.submit'))), err);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    err.textContent = ''; err.className = '';
    const user = find(form, '#grant-user', HTMLInputElement).value.trim();
    try {
      await grantSlot(doc.id, user, find(form, '#grant-totp', HTMLInputElement).value.trim());
      status(t('doc.granted', { user }), 'ok');
      app.render();
    } catch (e) {
      err.className = 'error';
      err.textContent = needsStepUp(e) ? t('stepup.needed') : errText(e);
    }
  });
  return form;
}
