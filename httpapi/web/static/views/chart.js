// The audit log's chart: events per day by action, as grouped bars (SVG).

import { state } from '../state.js';
import { t, fmtNum, label, dirOf } from '../i18n.js';
import { h } from '../dom.js';

/** @typedef {import('./audit.js').AuditEvent} AuditEvent */

/**
 * The six most frequent actions over the last fourteen days with events.
 * @param {AuditEvent[]} events
 * @returns {SVGSVGElement}
 */
export function chart(events) {
  /** @type {Record<string, number>} */
  const byAction = {};
  for (const e of events) byAction[e.action] = (byAction[e.action] || 0) + 1;
  const actions = Object.entries(byAction).sort((a, b) => b[1] - a[1]).slice(0, 6).map(x => x[0]);
  const days = [...new Set(events.map(e => e.time.slice(0, 10)))].sort().slice(-14);
  const counts = days.map(d => actions.map(a => events.filter(e => e.action === a && e.time.startsWith(d)).length));
  const max = Math.max(1, ...counts.flat());
  const colors = ['#0b5d55', '#b45309', '#1d4ed8', '#7c3aed', '#be123c', '#4d7c0f'];
  // Right to left in Arabic and Sorani: the days run from the right, the
  // axis's numbers stand at the right edge, the legend reads from the right.
  const rtl = dirOf(state.lang) === 'rtl';
  const dir = rtl ? 'rtl' : 'ltr';
  const W = 640, H = 220, left = 44, bottom = 30, legendW = 210, groupW = (W - left - 10) / Math.max(1, days.length), barW = Math.max(2, (groupW - 6) / Math.max(1, actions.length));
  /** @param {number} x @param {number} [w] */
  const X = (x, w = 0) => rtl ? W - x - w : x;
  const svg = h('svg', { class: 'chart', id: 'audit-chart', viewBox: `0 0 ${W} ${H + 22 * Math.ceil(actions.length / 3)}`, role: 'img', 'aria-label': t('audit.chart') });
  svg.append(h('line', { x1: X(left), y1: H - bottom, x2: X(W - 5), y2: H - bottom, stroke: '#333' }),
    h('text', { x: X(left - 4), y: 14, direction: 'ltr', 'text-anchor': rtl ? 'start' : 'end' }, fmtNum(max)),
    h('text', { x: X(left - 4), y: H - bottom, direction: 'ltr', 'text-anchor': rtl ? 'start' : 'end' }, fmtNum(0)));
  days.forEach((d, i) => {
    actions.forEach((a, j) => {
      const v = counts[i][j];
      const bh = (H - bottom - 10) * v / max;
      svg.append(h('rect', { x: X(left + i * groupW + j * barW, barW - 1), y: H - bottom - bh, width: barW - 1, height: bh, fill: colors[j] }, h('title', {}, `${d} ${label('action.', a)}: ${fmtNum(v)}`)));
    });
    svg.append(h('text', { x: X(left + i * groupW), y: H - bottom + 14, direction: dir, 'text-anchor': 'start' }, fmtNum(Number(d.slice(8, 10))) + '/' + fmtNum(Number(d.slice(5, 7)))));
  });
  actions.forEach((a, j) => {
    const x = 6 + (j % 3) * legendW, y = H + 22 * Math.floor(j / 3);
    svg.append(h('rect', { x: X(x, 10), y: y - 10, width: 10, height: 10, fill: colors[j] }),
      h('text', { x: X(x + 14), y, direction: dir, 'text-anchor': 'start' }, label('action.', a)));
  });
  return svg;
}
