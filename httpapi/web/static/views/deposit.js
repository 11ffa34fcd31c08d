// Deposit: the file is sealed here to the collection's recipients by the
// WebAssembly module, after a redaction preview made by the same code as
// the command line's, and the deposit's manifest is signed with the signing
// key loaded at login; only ciphertext, redacted public metadata and the
// signed manifest leave. The file is read, sealed and uploaded one slice at
// a time through a resumable upload (upload.js, tus.js), which goes on after
// the connection drops and, from the same file, after a reload of the page;
// the deposit then names the upload. Uploads of the user's that nothing
// continues are listed above the form, to be cancelled (uploads.js).

import { currentSession } from '../state.js';
import { t, fmtNum, label } from '../i18n.js';
import { h, find, status } from '../dom.js';
import { api, errText, upload, APIError } from '../api.js';
import { loadWasm, wasmCall } from '../wasm.js';
import { sendFile, resumeKey, loadRecord, dropStale } from '../upload.js';
import { verifiedKeys, keyErrorView, KeyCheckError } from '../keys.js';
import { pendingUploads } from './uploads.js';

const KINDS = ['testimony', 'interview', 'case_study', 'report', 'media'];
const SCOPES = ['research', 'advocacy', 'legal_proceedings', 'public_anonymised'];
const DOC_LANGS = ['ar', 'ckb', 'kmr', 'en'];
const GOVERNORATES = ['Anbar', 'Babil', 'Baghdad', 'Basra', 'Dhi Qar', 'Diyala', 'Duhok', 'Erbil', 'Halabja', 'Karbala', 'Kirkuk', 'Maysan', 'Muthanna', 'Najaf', 'Nineveh', 'Qadisiyyah', 'Salah al-Din', 'Sulaymaniyah', 'Wasit'];

/** @typedef {{id: string, members?: string[], custodians?: string[]}} Collection */

/** @type {import('../app.js').View} */
export function viewDeposit(main) {
  const session = currentSession();
  /**
   * @param {string} id
   * @param {string} label
   * @param {HTMLElement} input
   * @param {string} [hint]
   */
  const field = (id, label, input, hint) => h('div', { class: 'field' }, h('label', { for: id }, label), hint ? h('span', { class: 'hint' }, hint) : null, input);
  /**
   * @param {string} id
   * @param {string[]} opts
   * @param {(o: string) => string} [labelFn]
   */
  const sel = (id, opts, labelFn) => h('select', { id }, opts.map(o => h('option', { value: o }, labelFn ? labelFn(o) : o)));
  const colSel = h('select', { id: 'collection', required: true });
  const today = new Date().toISOString().slice(0, 10);
  const preview = h('div', { id: 'redaction-preview', 'aria-live': 'polite' });
  // What was found, with its reason; names nobody listed can be kept.
  const findings = h('div', { id: 'redaction-findings' });
  const progress = h('progress', { id: 'progress', max: 100, value: 0, hidden: true });
  // Says that the chosen file continues an upload a reload interrupted.
  const resumeNote = h('p', { id: 'deposit-resume', class: 'hint', 'aria-live': 'polite' });
  const result = h('div', { id: 'deposit-result', role: 'alert' });
  const form = h('form', { class: 'stack', id: 'deposit-form' },
    h('p', { class: 'notice' }, t('deposit.explain.streamed')),
    field('file', t('deposit.file'), h('input', { type: 'file', id: 'file', required: true }), t('deposit.file.hint')),
    field('collection', t('facet.collection'), colSel),
    h('div', { class: 'row' }, field('kind', t('facet.kind'), sel('kind', KINDS, k => t('kind.' + k))),
      field('doclang', t('facet.language'), sel('doclang', DOC_LANGS, l => t('doclang.' + l))),
      field('governorate', t('facet.governorate'), sel('governorate', ['', ...GOVERNORATES], g => g ? label('gov.', g) : '—'))),
    field('title', t('deposit.title'), h('input', { type: 'text', id: 'title', required: true, dir: 'auto' })),
    field('summary', t('doc.summary'), h('textarea', { id: 'summary', dir: 'auto' })),
    field('transcript', t('deposit.transcript'), h('textarea', { id: 'transcript', dir: 'auto' }), t('deposit.transcript.hint')),
    h('div', { class: 'row' }, field('incident', t('doc.incident'), h('input', { type: 'month', id: 'incident' })),
      field('recorded', t('doc.recorded'), h('input', { type: 'date', id: 'recorded', value: today, required: true }))),
    field('tags', t('facet.tags'), h('input', { type: 'text', id: 'tags', dir: 'auto' }), t('deposit.tags.hint')),
    h('fieldset', { id: 'scopes' }, h('legend', {}, t('doc.scopes')), SCOPES.map(s => h('label', { for: 'scope-' + s, class: 'hint' },
      h('input', { type: 'checkbox', id: 'scope-' + s, value: s, checked: s === 'research' }), ' ', t('scope.' + s)))),
    field('persons', t('deposit.persons'), h('textarea', { id: 'persons', dir: 'auto' }), t('deposit.persons.hint')),
    field('notes', t('deposit.notes'), h('textarea', { id: 'notes', dir: 'auto' }), t('deposit.notes.hint')),
    h('section', { 'aria-labelledby': 'preview-h' }, h('h2', { id: 'preview-h' }, t('deposit.preview')), preview, findings),
    h('button', { type: 'submit', id: 'deposit-submit' }, t('deposit.submit')), resumeNote, progress, result);
  const uploads = pendingUploads();
  main.append(h('h1', {}, t('deposit.heading')), uploads.el, form);
  uploads.refresh().catch(() => { /* the form still works */ });
  if (!session.signingKey) {
    // Without a signing key the server would refuse the deposit: say so now.
    form.prepend(h('p', { class: 'alert', id: 'no-signing-key', role: 'alert' }, t('deposit.nokey', { user: session.user })));
    find(form, '#deposit-submit', HTMLButtonElement).disabled = true;
  }

  api('GET', '/v1/collections').then((/** @type {{collections?: Collection[]}} */ r) => {
    // No default: a deposit in the wrong case file is worse than a question.
    colSel.replaceChildren(h('option', { value: '' }, t('deposit.collection.choose')), ...(r.collections || []).filter(c => (c.members || []).includes(session.user) || (c.custodians || []).includes(session.user)).map(c => h('option', { value: c.id }, c.id)));
  }).catch(e => result.replaceChildren(h('p', { class: 'error' }, errText(e))));

  /** @param {string} id @returns {string} */
  const val = id => {
    const el = form.querySelector('#' + id);
    if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return el.value;
    throw new Error('no field #' + id);
  };
  const persons = () => val('persons').split('\n').map(s => s.trim()).filter(Boolean);
  const tags = () => val('tags').split(/[,،]/).map(s => s.trim()).filter(Boolean);
  /** @type {Record<string, string> | null} the public fields as last redacted */
  let redacted = null;
  /** @type {Set<string>} names nobody listed that the depositor publishes */
  const kept = new Set();
  /**
   * A checkbox that keeps (publishes) a name nobody listed.
   * @param {string} name
   * @param {number} i
   */
  const keepBox = (name, i) => h('label', { class: 'hint', for: 'keep-' + i }, h('input', {
    type: 'checkbox', id: 'keep-' + i, class: 'keep', checked: kept.has(name),
    onchange: (/** @type {Event} */ ev) => {
      if (ev.target instanceof HTMLInputElement && ev.target.checked) kept.add(name); else kept.delete(name);
      updatePreview().catch(e => status(errText(e), 'error'));
    },
  }), ' ', t('deposit.keep'));
  async function updatePreview() {
    const w = await loadWasm();
    /** @type {Record<string, string>} */
    const fields = { title: val('title'), summary: val('summary'), transcript: val('transcript') };
    tags().forEach((tg, i) => { fields['tag' + i] = tg; });
    const names = ['title', 'summary', ...tags().map((_, i) => 'tag' + i), 'transcript'];
    /** @type {AmanaRedaction} */
    const r = JSON.parse(wasmCall(w.redact(JSON.stringify(persons()), JSON.stringify(names), JSON.stringify(fields), JSON.stringify([...kept]))).json);
    redacted = r.fields;
    /** @type {Record<string, number>} */
    const counts = {};
    for (const x of r.removed) counts[x.kind] = (counts[x.kind] || 0) + 1;
    preview.replaceChildren(
      h('p', { id: 'removed' }, r.removed.length ? t('deposit.removed', { list: Object.entries(counts).map(([k, n]) => t('pii.' + k) + ' × ' + fmtNum(n)).join(', ') }) : t('deposit.nothing')),
      ...['title', 'summary', 'transcript'].filter(f => r.fields[f]).map(f => h('div', {}, h('h3', {}, t(f === 'title' ? 'deposit.title' : f === 'summary' ? 'doc.summary' : 'deposit.transcript')),
        h('div', { class: 'redacted', id: 'preview-' + f, dir: 'auto', lang: val('doclang') }, r.fields[f]))));
    /** @param {string} f */
    const fieldName = f => t(f === 'title' ? 'deposit.title' : f === 'summary' ? 'doc.summary' : f === 'transcript' ? 'deposit.transcript' : 'facet.tags');
    let n = 0;
    const items = r.removed.map(x => h('li', { class: 'finding-' + x.kind },
      fieldName(x.field), ': ', t('pii.' + x.kind),
      x.text ? [' ', h('bdi', { lang: val('doclang') }, x.text)] : null,
      x.reason ? ' (' + t('pii.reason.' + x.reason) + ')' : null,
      x.kind === 'name' && x.text ? [' ', keepBox(x.text, n++)] : null));
    for (const name of kept) items.push(h('li', { class: 'finding-kept' }, t('pii.name'), ' ', h('bdi', { lang: val('doclang') }, name), ' ', keepBox(name, n++)));
    /** @type {HTMLElement[]} */
    const parts = items.length ? [h('p', {}, t('deposit.findings')), h('ul', { id: 'findings-list' }, items)] : [];
    if (r.removed.some(x => x.kind === 'name') || kept.size) parts.push(h('p', { class: 'hint' }, t('deposit.keep.hint')));
    findings.replaceChildren(...parts);
    return r.fields;
  }
  dropStale();
  /** The file chosen, if any. */
  const chosen = () => { const fs = find(form, '#file', HTMLInputElement).files; return fs && fs[0]; };
  form.addEventListener('change', async ev => {
    if (ev.target !== colSel && !(ev.target instanceof HTMLInputElement && ev.target.id === 'file')) return;
    const file = chosen();
    const found = file && colSel.value && loadRecord(await resumeKey(session.user, colSel.value, file));
    resumeNote.textContent = found ? t('deposit.resume.hint') : '';
  });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => updatePreview().catch(e => status(errText(e), 'error')), 150); });

  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    result.replaceChildren();
    const btn = find(form, '#deposit-submit', HTMLButtonElement);
    const signingKey = session.signingKey;
    if (!signingKey) return;
    btn.disabled = true;
    uploads.busy(true);
    try {
      redacted = await updatePreview();
      const w = await loadWasm();
      const files = find(form, '#file', HTMLInputElement).files;
      const file = files && files[0];
      if (!file) throw new Error(t('deposit.file'));
      const col = colSel.value;
      if (!col) { colSel.focus(); throw new Error(t('deposit.collection.choose')); }
      const scopes = SCOPES.filter(s => find(form, '#scope-' + s, HTMLInputElement).checked);
      if (!scopes.length) throw new Error(t('deposit.noscope'));
      status(t('deposit.sealing'));
      // Sealed to the depositor and the custodians whose role the consent
      // covers, as the server names them: it refuses a key slot for anyone
      // else (a lawyer custodian of a research-only deposit, say). Each
      // recipient, and the depositor's own signing key, must be what the
      // audit log binds to the user.
      /** @type {{recipients: Record<string, string>}} */
      const rc = await api('GET', '/v1/collections/' + encodeURIComponent(col) + '/recipients?scopes=' + encodeURIComponent(scopes.join(',')));
      const keys = await verifiedKeys([session.user, ...Object.keys(rc.recipients)]);
      /** @type {Record<string, string>} */
      const recips = {};
      for (const [u, r] of Object.entries(rc.recipients)) {
        if (keys[u].recipient !== r) throw new KeyCheckError(u, 'mismatch', '');
        recips[u] = keys[u].recipient;
      }
      if (keys[session.user].signingKey !== signingKey.publicKey) throw new Error(t('deposit.wrongkey', { user: session.user }));
      /** @type {{file_name: string, media_type: string, persons?: string[], notes?: string, redaction_kept?: string[]}} */
      const priv = { file_name: file.name, media_type: file.type || 'application/octet-stream' };
      if (persons().length) priv.persons = persons();
      // The decision to publish a name is sealed with the private metadata.
      if (kept.size) priv.redaction_kept = [...kept];
      if (val('notes').trim()) priv.notes = val('notes');
      /** @type {Record<string, string | string[]>} */
      const pub = { title: redacted.title, language: val('doclang') };
      if (redacted.summary) pub.summary = redacted.summary;
      if (redacted.transcript) pub.transcript_redacted = redacted.transcript;
      if (val('governorate')) pub.governorate = val('governorate');
      if (val('incident')) pub.incident_date = val('incident');
      const red = redacted;
      const tg = tags().map((_, i) => red['tag' + i]);
      if (tg.length) pub.tags = tg;
      /** @type {AmanaDepositRequest} */
      const req = { recipients: recips, private: priv, collection: col, kind: val('kind'), depositor: session.user, consent_scopes: scopes, public: pub };
      progress.hidden = false;
      progress.dataset.resumed = '0';
      delete progress.dataset.resumedFrom;
      resumeNote.textContent = '';
      const onResume = () => { progress.dataset.resumed = String(Number(progress.dataset.resumed) + 1); };
      const key = await resumeKey(session.user, col, file);
      /** @type {{start: AmanaWasmStreamStart, sealed: AmanaWasmStreamEnd, path: string} | null} */
      let sent = null;
      // A file that changed since its upload began starts afresh, once.
      for (let attempt = 0; !sent; attempt++) {
        sent = await sendFile(w, file, req, key, session.user, attempt > 0, progress, resumeNote, onResume);
      }
      const { start, sealed, path } = sent;
      // The public metadata goes exactly as signed: its text is spliced in, not serialised again.
      const head = JSON.stringify({ id: start.id, collection: col, kind: req.kind, consent: { scopes: start.consent_scopes, recorded_at: val('recorded'), recorded_by: session.user }, slots: start.slots, upload: path.slice('/v1/uploads/'.length) });
      const meta = head.slice(0, -1) + ',"public":' + start.public + '}';
      const fd = new FormData();
      fd.append('meta', new Blob([meta], { type: 'application/json' }));
      fd.append('final', new Blob([JSON.stringify({ cipher_sha256: sealed.cipher_sha256, private: sealed.private, manifest: sealed.manifest, manifest_sig: sealed.manifest_sig })], { type: 'application/json' }));
      let doc;
      try {
        doc = await upload(fd, () => {});
      } catch (e) {
        // A refused deposit consumed its upload: nothing to go on with.
        if (e instanceof APIError && e.status >= 400 && e.status < 500) localStorage.removeItem(key);
        throw e;
      }
      localStorage.removeItem(key);
      progress.value = 100;
      result.replaceChildren(h('p', { class: 'ok', id: 'deposited' }, t('deposit.done', { fp: signingKey.fingerprint }), ' ', h('a', { href: '#/doc/' + encodeURIComponent(doc.id), id: 'deposited-link' }, h('bdi', { dir: 'ltr' }, doc.id))));
      status(t('deposit.done', { fp: signingKey.fingerprint }), 'ok');
    } catch (e) {
      // Over the quota: the uploads that fill it are listed above, each
      // with its Cancel; waiting would not help.
      if (e instanceof APIError && (e.code === 'too_many_uploads' || e.code === 'upload_quota')) result.replaceChildren(h('p', { class: 'error', id: 'deposit-quota' }, t('uploads.full')));
      else result.replaceChildren(keyErrorView(e, errText(e), () => {}));
    } finally {
      btn.disabled = false;
      uploads.busy(false);
      uploads.refresh().catch(() => { /* see above */ });
    }
  });
}
