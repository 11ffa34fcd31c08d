// The audit log: its events, filtered and charted, and the verification
// of its signed checkpoint in the browser (the tree hash over the events
// the page shows, and consistency with the largest checkpoint this browser
// saw, kept in localStorage: a smaller or inconsistent one is refused),
// and, when the auditor names witnesses, their cosignatures on it.

import { t, tn, fmtNum, fmtDate, fmtList, label } from '../i18n.js';
import { h } from '../dom.js';
import { api, errText } from '../api.js';
import { loadWasm } from '../wasm.js';
import { chart } from './chart.js';

/**
 * @typedef {object} AuditEvent
 * @property {number} seq
 * @property {string} time
 * @property {string} actor
 * @property {string} action
 * @property {string} [doc]
 * @property {string} outcome
 */

/** @typedef {{events: AuditEvent[], next: number}} EventPage */

const FILTERS = /** @type {const} */ (['actor', 'action', 'doc', 'outcome']);

/** Where the witnesses this browser's auditor trusts are kept. */
const WITNESSES = 'amana.witnesses';

/** @returns {{keys: string[], quorum: number}} */
function savedWitnesses() {
  try {
    const w = JSON.parse(localStorage.getItem(WITNESSES) || '');
    if (Array.isArray(w.keys) && w.keys.every((/** @type {unknown} */ k) => typeof k === 'string') && Number.isInteger(w.quorum)) return w;
  } catch (_) { /* none kept */ }
  return { keys: [], quorum: 0 };
}

/**
 * The witnesses' verifier keys (one per line) and the quorum, which the
 * auditor gives this browser: public keys, learnt from the witnesses'
 * operators, never from this server.
 * @returns {HTMLElement}
 */
function witnessSettings() {
  const saved = savedWitnesses();
  const keys = h('textarea', { id: 'witness-keys', rows: '3', dir: 'ltr', spellcheck: 'false' });
  keys.value = saved.keys.join('\n');
  const quorum = h('input', { type: 'number', id: 'witness-quorum', min: '0', step: '1', dir: 'ltr', value: String(saved.quorum) });
  const status = h('p', { id: 'witness-status', 'aria-live': 'polite' });
  const form = h('form', {},
    h('div', { class: 'field' }, h('label', { for: 'witness-keys' }, t('audit.witnesses.keys')), keys),
    h('div', { class: 'field' }, h('label', { for: 'witness-quorum' }, t('audit.witnesses.quorum')), quorum),
    h('button', { type: 'submit', id: 'witness-save' }, t('audit.witnesses.save')), status);
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const list = keys.value.split('\n').map(l => l.trim()).filter(l => l);
    const q = Math.max(0, Math.min(list.length, Math.floor(Number(quorum.value) || 0)));
    if (list.length) localStorage.setItem(WITNESSES, JSON.stringify({ keys: list, quorum: q }));
    else localStorage.removeItem(WITNESSES);
    quorum.value = String(q);
    status.textContent = tn('audit.witnesses.saved', list.length, { n: fmtNum(list.length) });
  });
  return h('details', { id: 'witness-settings', open: saved.keys.length > 0 },
    h('summary', {}, t('audit.witnesses')), h('p', { class: 'hint' }, t('audit.witnesses.hint')), form);
}

/**
 * All events, or the first upTo.
 * @param {number} [upTo]
 * @returns {Promise<AuditEvent[]>}
 */
async function fetchEvents(upTo) {
  /** @type {AuditEvent[]} */
  const all = [];
  let after = 0;
  for (;;) {
    /** @type {EventPage} */
    const r = await api('GET', '/v1/audit/events?after=' + after + '&limit=1000');
    all.push(...r.events);
    // Reading the log is itself audited, so stop at a short page rather
    // than chase the events this listing adds.
    if (r.events.length < 1000 || (upTo && all.length >= upTo)) break;
    after = r.next;
  }
  return upTo ? all.slice(0, upTo) : all;
}

/** @type {import('../app.js').View} */
export function viewAudit(main) {
  const verify = h('div', { id: 'verify', 'aria-live': 'polite' });
  const list = h('div', { id: 'events' }, t('loading'));
  /** @type {Partial<Record<typeof FILTERS[number], string>>} */
  const filters = {};
  const filterForm = h('form', { class: 'row', id: 'audit-filters' }, FILTERS.map(f => {
    const inp = h('input', { type: 'text', id: 'filter-' + f, dir: 'ltr' });
    inp.addEventListener('input', () => { filters[f] = inp.value.trim(); draw(); });
    return h('div', { class: 'field' }, h('label', { for: 'filter-' + f }, t('audit.' + f)), inp);
  }));
  filterForm.addEventListener('submit', ev => ev.preventDefault());
  main.append(h('h1', {}, t('audit.title')),
    h('section', {}, h('h2', {}, t('audit.verify')), h('p', { class: 'hint' }, t('audit.verify.hint')), witnessSettings(), h('button', { type: 'button', id: 'verify-btn', onclick: runVerify }, t('audit.verify.run')), verify),
    h('h2', {}, t('audit.events')), filterForm, list);
  /** @type {AuditEvent[]} */
  let events = [];
  function draw() {
    const shown = events.filter(e => Object.entries(filters).every(([f, v]) => !v || String(e[/** @type {typeof FILTERS[number]} */ (f)] || '').includes(v)));
    const rows = shown.slice(-300).reverse().map(e => h('tr', {}, h('td', {}, fmtNum(e.seq)), h('td', {}, fmtDate(e.time)), h('td', {}, h('bdi', { dir: 'ltr' }, e.actor)), h('td', {}, h('bdi', { title: e.action }, label('action.', e.action))),
      h('td', {}, e.doc ? h('a', { href: '#/doc/' + encodeURIComponent(e.doc) }, h('bdi', { dir: 'ltr' }, e.doc)) : ''), h('td', {}, t('outcome.' + e.outcome))));
    list.replaceChildren(h('p', {}, tn('audit.count', shown.length, { total: fmtNum(events.length) })), chart(shown),
      h('table', {}, h('thead', {}, h('tr', {}, ['#', t('audit.time'), t('audit.actor'), t('audit.action'), t('audit.doc'), t('audit.outcome')].map(x => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows)));
  }
  fetchEvents().then(raw => { events = raw; draw(); }).catch(e => list.replaceChildren(h('p', { class: 'error' }, errText(e))));

  async function runVerify() {
    verify.replaceChildren(h('p', {}, t('audit.verifying')));
    /** @param {string} msg */
    const fail = msg => verify.replaceChildren(h('p', { class: 'alert', id: 'verify-result', 'data-ok': 'false', role: 'alert' }, t('audit.fails', { msg })));
    try {
      const w = await loadWasm();
      const key = (await api('GET', '/v1/audit/verifier', { as: 'text' })).trim();
      const note = await api('GET', '/v1/audit/checkpoint', { as: 'text' });
      const wit = savedWitnesses();
      const cp = w.openCheckpoint(note, key, JSON.stringify(wit.keys), wit.quorum);
      if (cp.error !== undefined) return fail(cp.error);
      // The events this page shows must be exactly those the checkpoint signs.
      const raw = await rawEvents(cp.size);
      if (raw.length !== cp.size) return fail(t('audit.short', { n: raw.length, size: cp.size }));
      const root = w.treeRoot('[' + raw.join(',') + ']');
      if (root.error !== undefined || root.root !== cp.root) return fail(t('audit.rootdiffers'));
      events = raw.map(x => JSON.parse(x)); draw();
      const store = 'amana.witness.' + key.split('+')[0];
      const old = localStorage.getItem(store);
      let against = t('audit.firstvisit');
      if (old) {
        const oc = w.openCheckpoint(old, key);
        if (oc.error !== undefined) return fail(oc.error);
        let proof = '';
        if (oc.size > 0 && oc.size < cp.size) proof = JSON.stringify(await api('GET', `/v1/audit/proof/consistency?old=${oc.size}&new=${cp.size}`));
        const c = w.checkConsistency(old, note, key, proof);
        if (c.error !== undefined) return fail(c.error);
        against = t('audit.consistent', { n: fmtNum(oc.size) });
      }
      // Keep the largest checkpoint seen, with its witnesses' cosignature
      // lines: a smaller one (a rollback) never replaces it, and every later
      // one must be consistent with it (no split view).
      const kept = old ? w.openCheckpoint(old, key) : undefined;
      if (!kept || (kept.error === undefined && kept.size <= cp.size)) localStorage.setItem(store, note);
      verify.replaceChildren(h('p', { class: 'ok', id: 'verify-result', 'data-ok': 'true' }, t('audit.verified', { n: fmtNum(cp.size), key: key.split('+')[0] }), ' ', against,
        wit.keys.length ? ' ' + t('audit.cosigned', { names: fmtList(cp.cosigned) }) : ''));
    } catch (e) { fail(errText(e)); }
  }
}

/**
 * The first n events as the exact leaf bytes (JSON text), for hashing.
 * @param {number} n
 * @returns {Promise<string[]>}
 */
async function rawEvents(n) {
  /** @type {string[]} */
  const out = [];
  let after = 0;
  while (out.length < n) {
    const text = await api('GET', '/v1/audit/events?after=' + after + '&limit=1000', { as: 'text' });
    /** @type {EventPage} */
    const parsed = JSON.parse(text);
    if (!parsed.events.length) break;
    const short = parsed.events.length < 1000;
    // Re-serialising could change bytes; take each event's text from the answer.
    out.push(...splitEvents(text));
    after = parsed.next;
    if (short) break;
  }
  return out.slice(0, n);
}

/**
 * The source text of each element of the "events" array of an answer.
 * @param {string} text
 * @returns {string[]}
 */
export function splitEvents(text) {
  const start = text.indexOf('[', text.indexOf('"events"'));
  /** @type {string[]} */
  const out = [];
  let depth = 0, inStr = false, esc = false, begin = -1;
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (inStr) { if (esc) esc = false; else if (c === '\\') esc = true; else if (c === '"') inStr = false; continue; }
    if (c === '"') { inStr = true; continue; }
    if (c === '{') { if (depth === 0) begin = i; depth++; }
    else if (c === '}') { depth--; if (depth === 0) out.push(text.slice(begin, i + 1)); }
    else if (c === ']' && depth === 0) break;
  }
  return out;
}
