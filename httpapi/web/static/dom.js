// Building the page: elements from plain values, never from HTML text.

/** @typedef {'svg' | 'rect' | 'text' | 'g' | 'line' | 'title'} SVGTag the SVG elements the charts use */
const SVG_TAGS = new Set(['svg', 'rect', 'text', 'g', 'line', 'title']);

/**
 * Attributes of h: on* values are event listeners; text sets the text
 * content; null, undefined and false leave the attribute out, true sets it
 * empty.
 * @typedef {Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>} Attrs
 */

/**
 * Children of h: nodes, or values shown as text; arrays are flattened;
 * null, undefined and false are skipped.
 * @typedef {Node | string | number | boolean | null | undefined | Child[]} Child
 */

/**
 * The element h makes for a tag: SVG for the chart tags, HTML otherwise.
 * @template {string} K
 * @typedef {K extends SVGTag ? SVGElementTagNameMap[K] : K extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[K] : Element} TagElement
 */

/**
 * h builds an element; children are nodes or strings (always text).
 * @template {string} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {TagElement<K>}
 */
export function h(tag, attrs, ...children) {
  const el = SVG_TAGS.has(tag) ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') { if (k.startsWith('on')) el.addEventListener(k.slice(2), v); }
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return /** @type {TagElement<K>} */ (el);
}

/** @param {Element} el @param {Child} c */
function append(el, c) {
  if (Array.isArray(c)) {
    for (const x of c) append(el, x);
    return;
  }
  if (c === null || c === undefined || c === false) return;
  el.append(c instanceof Node ? c : document.createTextNode(String(c)));
}

/**
 * A definition list of the pairs whose value is set.
 * @param {[string, Child, Attrs?][]} pairs label, value, attributes of the value
 * @returns {HTMLDListElement}
 */
export function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(p => p[1] !== undefined && p[1] !== null && p[1] !== '').flatMap(([k, v, attrs]) => [h('dt', {}, k), h('dd', attrs || {}, v)]));
}

/**
 * Shows a message in the status line, read out by screen readers.
 * @param {string} [msg]
 * @param {'ok' | 'error'} [kind]
 */
export function status(msg, kind) {
  const s = byId('status');
  s.textContent = msg || '';
  s.className = kind || '';
}

/**
 * The element with this id, which the page or the current view has.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error('no element #' + id);
  return el;
}

/**
 * The first element inside root that matches selector, which must be of
 * the given type (HTMLInputElement…).
 * @template {Element} E
 * @param {ParentNode} root
 * @param {string} selector
 * @param {{new (): E, prototype: E}} type
 * @returns {E}
 */
export function find(root, selector, type) {
  const el = root.querySelector(selector);
  if (!(el instanceof type)) throw new Error('no ' + type.name + ' ' + selector);
  return el;
}

/**
 * Text whose runs of digits (phone numbers, dates, amounts, in Latin or
 * Arabic-Indic digits, with their separators) are isolated left to right,
 * so that right-to-left text around them does not reverse their groups.
 * @param {string} s
 * @returns {Node[]}
 */
export function ltrRuns(s) {
  const re = /[+(]?[0-9\u0660-\u0669\u06F0-\u06F9](?:[0-9\u0660-\u0669\u06F0-\u06F9]|[\s\-().\/](?=[\s\-().\/]?[0-9\u0660-\u0669\u06F0-\u06F9]))*/g;
  /** @type {Node[]} */
  const out = [];
  let last = 0;
  for (const m of s.matchAll(re)) {
    const i = m.index || 0;
    if (i > last) out.push(document.createTextNode(s.slice(last, i)));
    out.push(h('bdi', { dir: 'ltr' }, m[0]));
    last = i + m[0].length;
  }
  if (last < s.length) out.push(document.createTextNode(s.slice(last)));
  return out;
}

/**
 * An identifier, hash, code or file name: isolated, left to right.
 * @param {string} s
 * @returns {HTMLElement}
 */
export function code(s) {
  return h('bdi', { dir: 'ltr' }, s);
}
