// Advocacy statistics: counts of documents by governorate, year or kind,
// with small cells and their complements suppressed by the server ("suppressed").

import { state } from '../state.js';
import { t, fmtNum, fmtYear, label, dirOf } from '../i18n.js';
import { h, find } from '../dom.js';
import { api, errText } from '../api.js';

/**
 * @typedef {object} Stats
 * @property {string} total a number, or "suppressed"
 * @property {number} small_cell the suppression threshold
 * @property {{key: Record<string, string>, count: string}[]} cells
 */

/** @type {import('../app.js').View} */
export function viewStats(main) {
  const dims = ['governorate', 'year', 'kind'];
  const out = h('div', { id: 'stats' });
  const form = h('form', { class: 'row', id: 'stats-form' }, h('fieldset', {}, h('legend', {}, t('stats.by')),
    dims.map(d => h('label', { for: 'by-' + d, class: 'hint' }, h('input', { type: 'radio', name: 'by', id: 'by-' + d, value: d, checked: d === 'governorate' }), ' ', t('facet.' + d)))));
  form.addEventListener('change', run);
  main.append(h('h1', {}, t('stats.title')), h('p', { class: 'notice' }, t('stats.explain')), form, out);
  async function run() {
    const by = find(form, 'input[name=by]:checked', HTMLInputElement).value;
    out.replaceChildren(t('loading'));
    try {
      /** @type {Stats} */
      const r = await api('GET', '/v1/stats?by=' + by);
      /** @param {string} k */
      const name = k => by === 'kind' ? t('kind.' + k) : by === 'governorate' ? label('gov.', k) : by === 'year' ? fmtYear(k) : k;
      /** @param {string} c */
      const num = c => c === 'suppressed' ? t('stats.suppressed') : isNaN(Number(c)) ? c : fmtNum(Number(c));
      // Right to left in Arabic and Sorani: labels at the right edge, bars
      // growing leftwards, counts beyond the bars' ends. Counts are set left
      // to right, so that "<5" is never mirrored into "5>".
      const W = 640, rowH = 24, left = 170;
      const max = Math.max(1, ...r.cells.map(c => Number(c.count) || 0));
      const svg = h('svg', { class: 'chart', id: 'stats-chart', viewBox: `0 0 ${W} ${rowH * r.cells.length + 10}`, role: 'img', 'aria-label': t('stats.chart') });
      const rtl = dirOf(state.lang) === 'rtl';
      /** @param {number} x @param {number} [w] */
      const X = (x, w = 0) => rtl ? W - x - w : x;
      r.cells.forEach((c, i) => {
        const n = Number(c.count);
        const small = isNaN(n);
        const bw = small ? 4 : (W - left - 90) * n / max;
        const y = i * rowH + 17;
        svg.append(h('text', { x: X(6), y, direction: rtl ? 'rtl' : 'ltr', 'text-anchor': 'start' }, name(c.key[by])),
          h('rect', { x: X(left, bw), y: i * rowH + 5, width: bw, height: rowH - 8, fill: small ? '#6b7280' : '#0b5d55' }),
          h('text', { x: X(left + bw + 6), y, direction: 'ltr', 'text-anchor': rtl ? 'end' : 'start', 'unicode-bidi': 'isolate' }, num(c.count)));
      });
      out.replaceChildren(h('p', { id: 'stats-total' }, t('stats.total', { n: num(r.total) })), svg,
        h('table', { id: 'stats-table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('facet.' + by)), h('th', { scope: 'col' }, t('stats.count')))),
          h('tbody', {}, r.cells.map(c => h('tr', {}, h('td', {}, h('bdi', {}, name(c.key[by]))), h('td', {}, h('bdi', { dir: 'ltr' }, num(c.count))))))),
        h('p', { class: 'hint' }, t('stats.small', { n: fmtNum(r.small_cell) })));
    } catch (e) { out.replaceChildren(h('p', { class: 'error' }, errText(e))); }
  }
  run();
}
