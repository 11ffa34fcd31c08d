// Amana web interface: the entry module. Plain ES modules, no framework,
// no bundler; types in JSDoc, checked by tsc (tsconfig.json). This module
// routes between the views, switches the language and ends sessions; the
// state they share is in state.js.

import { state, revokeURLs } from './state.js';
import { t, tn, fmtNum, dirOf } from './i18n.js';
import { h, byId, status } from './dom.js';
import { SESSION_EXPIRED } from './api.js';
import { forgetIdentity } from './wasm.js';
import { viewLogin } from './views/login.js';
import { viewSearch } from './views/search.js';
import { viewDoc } from './views/doc.js';
import { viewDeposit } from './views/deposit.js';
import { viewAudit } from './views/audit.js';
import { viewStats } from './views/stats.js';
import { viewUsers, viewCollections } from './views/admin.js';
import { viewRequests, listRequests, REQUESTS_CHANGED } from './views/requests.js';

/**
 * What a view may ask of the page.
 * @typedef {object} App
 * @property {() => void} render draws the current route again
 * @property {(role: import('./state.js').Role) => string} homeFor the first page of a role
 */

/**
 * A view draws one page into main; arg is the route's argument (a
 * document id).
 * @typedef {(main: HTMLElement, arg: string, app: App) => void} View
 */

const IDLE_MS = 15 * 60 * 1000;

/** @type {Record<string, View>} */
const views = { login: viewLogin, search: viewSearch, doc: viewDoc, deposit: viewDeposit, audit: viewAudit, stats: viewStats, users: viewUsers, collections: viewCollections, requests: viewRequests };

/** @type {Record<import('./state.js').Role, string[]>} */
const NAV = {
  admin: ['search', 'stats', 'audit', 'users', 'collections', 'requests'],
  researcher: ['search', 'deposit', 'stats', 'requests'],
  lawyer: ['search', 'stats', 'requests'],
  auditor: ['audit'],
};

/** @type {App} */
const app = { render, homeFor };

/** @returns {{name: string, arg: string}} */
function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { name: parts[0] || '', arg: parts[1] || '' };
}

/** @param {import('./state.js').Role} role @returns {string} */
function homeFor(role) { return (NAV[role] || ['search'])[0]; }

function render() {
  const main = byId('main');
  const nav = byId('nav');
  const session = state.session;
  let { name, arg } = route();
  if (!session) name = 'login';
  else if (!views[name] || name === 'login' || (name !== 'doc' && !(NAV[session.role] || []).includes(name))) name = homeFor(session.role);
  nav.replaceChildren(...(session ? NAV[session.role] || [] : []).map(v =>
    h('a', { href: '#/' + v, 'aria-current': v === name ? 'page' : null, id: 'nav-' + v }, t('nav.' + v))));
  if (session && (NAV[session.role] || []).includes('requests')) pendingBadge();
  byId('logout').hidden = !session;
  byId('who').textContent = session ? t('who', { user: session.user, role: t('role.' + session.role) }) : '';
  revokeURLs();
  main.replaceChildren();
  main.dataset.view = name;
  views[name](main, arg, app);
}

/**
 * The count of pending access requests and when it was fetched: listing
 * them reads every document the user keeps, so it is fetched again only
 * after a minute, for another user, or after a grant or a decline (the
 * REQUESTS_CHANGED event).
 */
let pendingCount = { at: 0, user: '', n: 0 };
document.addEventListener(REQUESTS_CHANGED, () => { pendingCount.at = 0; });

/**
 * The count of pending access requests the user keeps, beside the
 * Requests link: a number in a box, and in words for screen readers (the
 * link's name is "Requests, 2 pending"). Nothing when there are none.
 */
async function pendingBadge() {
  const link = byId('nav-requests');
  const user = state.session ? state.session.user : '';
  if (pendingCount.user !== user || Date.now() - pendingCount.at > 60000) {
    try {
      const r = await listRequests();
      pendingCount = { at: Date.now(), user, n: r.requests.length };
    } catch (_) { return; /* no badge */ }
  }
  const n = pendingCount.n;
  if (n === 0 || !link.isConnected || link.querySelector('.badge')) return;
  link.append(h('span', { class: 'badge', id: 'requests-badge', 'aria-hidden': 'true' }, fmtNum(n)),
    h('span', { class: 'sr' }, ', ' + tn('nav.requests.pending', n)));
}

/** @param {string} [reason] shown in the status line */
function logout(reason) {
  const s = state.session;
  state.session = null;
  forgetIdentity();
  revokeURLs();
  if (s) fetch('/v1/auth/logout', { method: 'POST', headers: { Authorization: 'Bearer ' + s.token } }).catch(() => {});
  // Without a hashchange, whose handler would clear the reason shown below.
  history.replaceState(null, '', '#/login');
  render();
  if (reason) status(reason, 'error');
}

/** @param {string} l */
function setLang(l) {
  const lang = state.messages[l] ? l : 'en';
  state.lang = lang;
  try { localStorage.setItem('amana.lang', lang); } catch (_) { /* private mode */ }
  document.documentElement.lang = lang;
  document.documentElement.dir = dirOf(lang);
  /** @type {HTMLSelectElement} */ (byId('lang')).value = lang;
  document.title = t('app.name');
  // The brand once: the Arabic logotype stands beside the name only where the name is not already it.
  /** @type {HTMLElement} */ (document.querySelector('.logo')).hidden = lang !== 'en';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(/** @type {HTMLElement} */ (el).dataset.i18n || '');
  render();
}

for (const ev of ['keydown', 'pointerdown', 'input']) document.addEventListener(ev, () => { state.lastActivity = Date.now(); }, true);
setInterval(() => { if (state.session && Date.now() - state.lastActivity > IDLE_MS) logout(t('session.idle')); }, 10000);
document.addEventListener(SESSION_EXPIRED, () => logout(t('session.expired')));
window.addEventListener('hashchange', () => { status(''); render(); });
// Skip links move the focus; they must not change the route.
document.addEventListener('click', ev => {
  const a = ev.target instanceof Element ? ev.target.closest('a.skip') : null;
  if (!a) return;
  ev.preventDefault();
  const target = document.getElementById((a.getAttribute('href') || '').slice(1));
  if (target) { target.focus(); target.scrollIntoView(); }
});

(async () => {
  try { state.messages = await (await fetch('/ui/messages.json')).json(); } catch (_) { state.messages = {}; }
  byId('lang').addEventListener('change', ev => setLang(/** @type {HTMLSelectElement} */ (ev.target).value));
  byId('logout').addEventListener('click', () => logout(t('logged.out')));
  let saved = null;
  try { saved = localStorage.getItem('amana.lang'); } catch (_) { /* private mode */ }
  const want = saved || (navigator.language || 'en').split('-')[0];
  setLang(want === 'ku' ? 'ckb' : want);
  document.body.dataset.ready = 'true';
})();
