// The court bundle of 'amana export', made on the document page: the
// WebAssembly module opens the document and writes the bundle in memory,
// so the page offers it up to a size and names the command line beyond.

import { state, currentSession } from '../state.js';
import { t, fmtNum } from '../i18n.js';
import { h } from '../dom.js';
import { api, errText } from '../api.js';
import { loadWasm } from '../wasm.js';
import { verifiedKeys, keyErrorView, pinnedVerifier } from '../keys.js';

/** The largest document the page exports; the module refuses more (inbrowser.MaxExport). */
const EXPORT_MAX = 64 << 20;

/**
 * The court bundle of 'amana export', made in this browser for a slot
 * holder: the document is fetched encrypted, as for opening it, with its
 * custody trail and proofs; the module checks them, as bundle.Verify will,
 * and writes the zip in memory, so the page offers it only up to
 * EXPORT_MAX and names the command line beyond.
 * @param {import('./doc.js').Doc} doc
 * @param {string} record the record's JSON text, as the server sent it
 * @returns {HTMLElement}
 */
export function exportSection(doc, record) {
  const out = h('div', { id: 'export-out', role: 'status' });
  const cli = h('code', { dir: 'ltr', class: 'cmd' }, 'amana export ' + doc.id + ' -o bundle-' + doc.id + '.zip');
  if (doc.size > EXPORT_MAX) {
    return h('section', { id: 'export', 'aria-labelledby': 'export-h' }, h('h2', { id: 'export-h' }, t('doc.export')),
      h('p', { class: 'notice', id: 'export-too-large' }, t('doc.export.toolarge', { size: fmtNum(EXPORT_MAX >> 20) })), h('p', {}, cli));
  }
  const button = h('button', { type: 'button', id: 'export-bundle', class: 'secondary', onclick: run }, t('doc.export.submit'));
  async function run() {
    out.replaceChildren(h('p', {}, t('doc.export.working')));
    button.disabled = true;
    const base = '/v1/documents/' + encodeURIComponent(doc.id);
    try {
      const w = await loadWasm();
      const depositorKey = (await verifiedKeys([doc.depositor]))[doc.depositor].signingKey;
      const slot = await api('GET', base + '/keyslot', { as: 'bytes' });
      const priv = await api('GET', base + '/private', { as: 'bytes' });
      const content = await api('GET', base + '/content', { as: 'bytes' });
      const custody = await api('GET', base + '/custody', { as: 'text' });
      const verifier = pinnedVerifier();
      const r = w.exportBundle(slot, priv, content, { record, signing_key: depositorKey, custody, verifier, user: currentSession().user });
      if (r.error !== undefined) {
        out.replaceChildren(h('div', { class: 'alert', id: 'export-error', 'data-code': r.code, role: 'alert' },
          h('p', {}, r.code === 'integrity' ? t('doc.export.integrity') : t('doc.export.failed')), h('p', { class: 'hint', dir: 'ltr' }, r.error)));
        return;
      }
      const name = 'bundle-' + doc.id + '.zip';
      const url = URL.createObjectURL(new Blob(r.parts, { type: 'application/zip' }));
      state.objectURLs.push(url);
      out.replaceChildren(
        h('p', { class: 'ok' }, h('a', { href: url, download: name, id: 'bundle-download' }, t('doc.export.download', { name }))),
        h('p', { class: 'hint' }, t('doc.export.check')),
        h('p', {}, h('code', { dir: 'ltr', class: 'cmd', id: 'bundle-verify' }, 'amana verify-bundle ' + name + ' --verifier "' + verifier + '"')));
    } catch (e) {
      out.replaceChildren(h('div', { id: 'export-error' }, keyErrorView(e, t('doc.openfailed', { msg: errText(e) }), run)));
    } finally { button.disabled = false; }
  }
  return h('section', { id: 'export', 'aria-labelledby': 'export-h' }, h('h2', { id: 'export-h' }, t('doc.export')),
    h('p', { class: 'hint', id: 'export-hint' }, t('doc.export.hint', { size: fmtNum(EXPORT_MAX >> 20) })), button, out);
}
