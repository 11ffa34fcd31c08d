// The audit log's chart: events per day by action, as grouped bars (SVG).

import { t, fmtNum } from '../i18n.js';
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
  const W = 640, H = 220, left = 36, bottom = 30, groupW = (W - left - 10) / Math.max(1, days.length), barW = Math.max(2, (groupW - 6) / Math.max(1, actions.length));
  const svg = h('svg', { class: 'chart', id: 'audit-chart', viewBox: `0 0 ${W} ${H + 20 * Math.ceil(actions.length / 3)}`, role: 'img', 'aria-label': t('audit.chart') });
  svg.append(h('line', { x1: left, y1: H - bottom, x2: W - 5, y2: H - bottom, stroke: '#333' }), h('text', { x: 2, y: 14 }, fmtNum(max)), h('text', { x: 2, y: H - bottom }, fmtNum(0)));
  days.forEach((d, i) => {
    actions.forEach((a, j) => {
      const v = counts[i][j];
      const bh = (H - bottom - 10) * v / max;
      svg.append(h('rect', { x: left + i * groupW + j * barW, y: H - bottom - bh, width: barW - 1, height: bh, fill: colors[j] }, h('title', {}, `${d} ${a}: ${v}`)));
    });
    svg.append(h('text', { x: left + i * groupW, y: H - bottom + 14 }, d.slice(5)));
  });
  actions.forEach((a, j) => {
    const x = left + (j % 3) * 200, y = H + 20 * Math.floor(j / 3);
    svg.append(h('rect', { x, y: y - 10, width: 10, height: 10, fill: colors[j] }), h('text', { x: x + 14, y }, a));
  });
  return svg;
}
