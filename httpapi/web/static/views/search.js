// Search: a query over the redacted public metadata, facets to filter by,
// highlighted hits, pages of ten.

import { state } from '../state.js';
import { t, tn, fmtNum, fmtYear, fmtDay, label, dirOf } from '../i18n.js';
import { h, code } from '../dom.js';
import { api, errText } from '../api.js';

const FACETS = ['collection', 'kind', 'language', 'governorate', 'tags', 'year'];
const PAGE = 10;

/**
 * @typedef {object} Hit
 * @property {string} id
 * @property {string} title
 * @property {string} collection
 * @property {string} kind
 * @property {string} language
 * @property {string} [governorate]
 * @property {string} [incident_date]
 * @property {Record<string, string[]>} [highlights] HTML-escaped fragments, matches in <mark>, by field
 * @property {boolean} [can_open] the user holds a key slot and may open it
 */

/**
 * @typedef {object} SearchResult
 * @property {number} total
 * @property {Hit[]} hits
 * @property {Record<string, {term: string, count: number}[]>} facets
 */

/**
 * markedText turns a server fragment (HTML-escaped, matches in <mark>)
 * into nodes, without ever parsing it as HTML.
 * @param {string} fragment
 * @returns {Node[]}
 */
export function markedText(fragment) {
  /** @type {Record<string, string>} */
  const entities = { lt: '<', gt: '>', quot: '"', '#39': "'", '#34': '"', amp: '&' };
  /** @param {string} s */
  const unescape = s => s.replace(/&(lt|gt|quot|#39|#34|amp);/g, (_, e) => entities[e]);
  /** @type {Node[]} */
  const out = [];
  const parts = fragment.split(/(<mark>|<\/mark>)/);
  let inMark = false;
  for (const p of parts) {
    if (p === '<mark>') { inMark = true; continue; }
    if (p === '</mark>') { inMark = false; continue; }
    if (!p) continue;
    out.push(inMark ? h('mark', {}, unescape(p)) : document.createTextNode(unescape(p)));
  }
  return out;
}

/** @param {string} field @param {string} term @returns {string} */
function facetLabel(field, term) {
  if (field === 'language') return t('doclang.' + term);
  if (field === 'kind') return t('kind.' + term);
  if (field === 'governorate') return label('gov.', term);
  if (field === 'tags') return label('tag.', term);
  if (field === 'year') return fmtYear(term);
  return term;
}

/** @type {import('../app.js').View} */
export function viewSearch(main) {
  const searchState = state.search;
  const results = h('div', { id: 'results', 'aria-live': 'polite', tabindex: -1 });
  const facets = h('div', { class: 'facets', id: 'facets' });
  // Closed on a phone, so that the results come first.
  const panel = h('details', { class: 'facet-panel', open: matchMedia('(min-width: 48rem)').matches }, h('summary', {}, t('search.filters')), facets);
  const q = h('input', { type: 'search', id: 'q', value: searchState.q, dir: 'auto' });
  const openable = h('input', { type: 'checkbox', id: 'openable', checked: searchState.openable });
  openable.addEventListener('change', () => { searchState.openable = openable.checked; searchState.from = 0; run(); });
  const form = h('form', { role: 'search', id: 'search-form', class: 'row' },
    h('div', { class: 'field' }, h('label', { for: 'q' }, t('search.query')), q),
    h('button', { type: 'submit' }, t('search.submit')),
    h('label', { for: 'openable', class: 'hint' }, openable, ' ', t('search.openable')));
  form.addEventListener('submit', ev => { ev.preventDefault(); searchState.q = q.value; searchState.from = 0; run(); });

  let latest = 0;
  async function run() {
    const mine = ++latest;
    results.replaceChildren(h('p', {}, t('loading')));
    const p = new URLSearchParams();
    if (searchState.q) p.set('q', searchState.q);
    p.set('facets', FACETS.join(','));
    p.set('highlight', 'true');
    p.set('from', String(searchState.from));
    p.set('size', String(PAGE));
    if (searchState.openable) p.set('openable', 'true');
    for (const [f, vals] of Object.entries(searchState.filters)) for (const v of vals) p.append(f, v);
    /** @type {SearchResult} */
    let res;
    try { res = await api('GET', '/v1/search?' + p); } catch (e) { if (mine === latest) results.replaceChildren(h('p', { class: 'error' }, errText(e))); return; }
    if (mine !== latest) return; // a newer search is under way
    facets.replaceChildren(...FACETS.filter(f => (res.facets[f] || []).length).map(f => {
      const fs = h('fieldset', {}, h('legend', {}, t('facet.' + f)));
      for (const c of res.facets[f]) {
        const id = 'f-' + f + '-' + c.term.replace(/[^\p{L}\p{N}_-]/gu, '_');
        const checked = (searchState.filters[f] || []).includes(c.term);
        const cb = h('input', { type: 'checkbox', id, checked, 'data-facet': f, value: c.term });
        cb.addEventListener('change', () => {
          const cur = new Set(searchState.filters[f] || []);
          cb.checked ? cur.add(c.term) : cur.delete(c.term);
          searchState.filters[f] = [...cur];
          searchState.from = 0;
          run();
        });
        fs.append(h('label', { for: id }, cb, ' ', h('bdi', {}, facetLabel(f, c.term)), ' (' + fmtNum(c.count) + ')'));
      }
      return fs;
    }));
    const lang = state.lang;
    const list = h('ol', { class: 'hits', start: searchState.from + 1 });
    for (const hit of res.hits) {
      const d = dirOf(hit.language);
      const snippets = [];
      for (const field of ['title', 'summary', 'transcript']) {
        for (const frag of (hit.highlights || {})[field] || []) if (field !== 'title') snippets.push(h('p', { class: 'snippet', lang: hit.language, dir: d }, markedText(frag)));
      }
      const titleFrag = ((hit.highlights || {}).title || [])[0];
      list.append(h('li', { class: 'hit', lang: hit.language, dir: d, 'data-id': hit.id },
        h('h3', {}, h('a', { href: '#/doc/' + encodeURIComponent(hit.id) }, titleFrag ? markedText(titleFrag) : hit.title)),
        hit.can_open ? h('p', { class: 'can-open', lang, dir: dirOf(lang) }, t('search.canopen')) : null,
        h('p', { class: 'meta', lang, dir: dirOf(lang) },
          code(hit.collection), ' · ', t('kind.' + hit.kind), ' · ', t('doclang.' + hit.language),
          hit.governorate ? [' · ', h('bdi', {}, label('gov.', hit.governorate))] : null, hit.incident_date ? [' · ', h('bdi', {}, fmtDay(hit.incident_date))] : null),
        snippets));
    }
    const pager = h('div', { class: 'pager' },
      h('button', { type: 'button', class: 'secondary', id: 'prev', disabled: searchState.from === 0, onclick: () => { searchState.from = Math.max(0, searchState.from - PAGE); run(); } }, t('search.prev')),
      h('span', {}, t('search.page', { from: fmtNum(res.total ? searchState.from + 1 : 0), to: fmtNum(searchState.from + res.hits.length), total: fmtNum(res.total) })),
      h('button', { type: 'button', class: 'secondary', id: 'next', disabled: searchState.from + PAGE >= res.total, onclick: () => { searchState.from += PAGE; run(); } }, t('search.next')));
    results.replaceChildren(h('p', { id: 'total' }, tn('search.total', res.total)), list, pager);
    results.dataset.q = searchState.q;
  }
  const skip = h('a', { class: 'skip', href: '#results', 'data-skip': 'results' }, t('search.skip'));
  main.append(skip, h('h1', {}, t('search.title')), form, h('div', { class: 'search-layout' }, results, h('aside', { 'aria-label': t('search.filters') }, panel)));
  run();
}
