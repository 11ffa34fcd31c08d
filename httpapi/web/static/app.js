// Amana web interface. Plain ES module, no framework. Secrets (the age
// identity, plaintext, private metadata) live only in the WebAssembly
// module and in local variables; the session token only in `session`.
// localStorage holds the chosen language and the last audit checkpoint
// this browser verified, nothing else.

const IDLE_MS = 15 * 60 * 1000;
const RTL = new Set(['ar', 'ckb']);
const FACETS = ['collection', 'kind', 'language', 'governorate', 'tags', 'year'];
const KINDS = ['testimony', 'interview', 'case_study', 'report', 'media'];
const SCOPES = ['research', 'advocacy', 'legal_proceedings', 'public_anonymised'];
const DOC_LANGS = ['ar', 'ckb', 'kmr', 'en'];
const GOVERNORATES = ['Anbar', 'Babil', 'Baghdad', 'Basra', 'Dhi Qar', 'Diyala', 'Duhok', 'Erbil', 'Halabja', 'Karbala', 'Kirkuk', 'Maysan', 'Muthanna', 'Najaf', 'Nineveh', 'Qadisiyyah', 'Salah al-Din', 'Sulaymaniyah', 'Wasit'];
const PAGE = 10;

let messages = {};
let lang = 'en';
let session = null; // {token, user, role, expiresAt}
let lastActivity = Date.now();
let wasmReady = null;
let objectURLs = [];

// ---------- helpers ----------

function t(key, vars) {
  let s = (messages[lang] && messages[lang][key]) || (messages.en && messages.en[key]) || key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll('{' + k + '}', String(v));
  return s;
}

function fmtNum(n) { return new Intl.NumberFormat(lang === 'ckb' ? 'ckb-IQ' : lang === 'ar' ? 'ar-IQ' : 'en').format(n); }
function fmtDate(s) {
  const d = new Date(s);
  if (isNaN(d)) return s;
  return new Intl.DateTimeFormat(lang === 'ckb' ? 'ckb-IQ' : lang === 'ar' ? 'ar-IQ' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

// h builds an element; children are nodes or strings (always text).
function h(tag, attrs, ...children) {
  const svg = ['svg', 'rect', 'text', 'g', 'line', 'title'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function dirOf(l) { return RTL.has(l) ? 'rtl' : 'ltr'; }

function status(msg, kind) {
  const s = document.getElementById('status');
  s.textContent = msg || '';
  s.className = kind || '';
}

class APIError extends Error {
  constructor(status, code, message) { super(message || code || String(status)); this.status = status; this.code = code; }
}

async function api(method, path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (session) headers['Authorization'] = 'Bearer ' + session.token;
  let body;
  if (opts.json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(opts.json); }
  const resp = await fetch(path, { method, headers, body, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
  if (!resp.ok) {
    let code = '', message = '';
    try { const e = (await resp.json()).error; code = e.code; message = e.message; } catch (_) { /* not JSON */ }
    if (resp.status === 401 && session && code !== 'step_up_required' && code !== 'invalid_totp') {
      logout(t('session.expired'));
    }
    throw new APIError(resp.status, code, message);
  }
  if (opts.as === 'bytes') return resp.status === 204 ? null : new Uint8Array(await resp.arrayBuffer());
  if (opts.as === 'text') return resp.text();
  if (resp.status === 204) return null;
  return resp.json();
}

function errText(e) {
  if (e instanceof APIError) {
    if (e.status === 404) return t('err.notfound');
    if (e.status === 403) return t('err.forbidden');
    if (e.status === 429) return t('err.ratelimited');
    return t('err.server', { msg: e.message });
  }
  return String(e && e.message || e);
}

function b64ToBytes(s) { const bin = atob(s); const b = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i); return b; }

function readFile(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(new Uint8Array(r.result));
    r.onerror = () => reject(r.error);
    r.readAsArrayBuffer(file);
  });
}

function loadWasm() {
  if (!wasmReady) {
    wasmReady = (async () => {
      const go = new Go();
      const res = await WebAssembly.instantiateStreaming(fetch('/ui/amana.wasm'), go.importObject);
      go.run(res.instance);
      if (!globalThis.amanaWasm) throw new Error('WebAssembly module did not start');
      return globalThis.amanaWasm;
    })();
  }
  return wasmReady;
}

function wasmCall(r) { if (r && r.error) throw new Error(r.error); return r; }

function revokeURLs() { for (const u of objectURLs) URL.revokeObjectURL(u); objectURLs = []; }

// ---------- session ----------

function logout(reason) {
  const s = session;
  session = null;
  if (globalThis.amanaWasm) globalThis.amanaWasm.forget();
  revokeURLs();
  if (s) fetch('/v1/auth/logout', { method: 'POST', headers: { Authorization: 'Bearer ' + s.token } }).catch(() => {});
  location.hash = '#/login';
  render();
  if (reason) status(reason, 'error');
}

for (const ev of ['keydown', 'pointerdown', 'input']) document.addEventListener(ev, () => { lastActivity = Date.now(); }, true);
setInterval(() => { if (session && Date.now() - lastActivity > IDLE_MS) logout(t('session.idle')); }, 10000);

// ---------- language ----------

function setLang(l) {
  lang = messages[l] ? l : 'en';
  try { localStorage.setItem('amana.lang', lang); } catch (_) { /* private mode */ }
  document.documentElement.lang = lang;
  document.documentElement.dir = dirOf(lang);
  document.getElementById('lang').value = lang;
  document.title = t('app.name');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  render();
}

// ---------- routing ----------

const views = { login: viewLogin, search: viewSearch, doc: viewDoc, deposit: viewDeposit, audit: viewAudit, stats: viewStats };
const NAV = {
  admin: ['search', 'stats', 'audit'],
  researcher: ['search', 'deposit', 'stats'],
  lawyer: ['search', 'stats'],
  auditor: ['audit'],
};

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { name: parts[0] || '', arg: parts[1] || '' };
}

function homeFor(role) { return (NAV[role] || ['search'])[0]; }

function render() {
  const main = document.getElementById('main');
  const nav = document.getElementById('nav');
  let { name, arg } = route();
  if (!session) name = 'login';
  else if (!views[name] || name === 'login') name = homeFor(session.role);
  nav.replaceChildren(...(session ? NAV[session.role] || [] : []).map(v =>
    h('a', { href: '#/' + v, 'aria-current': v === name ? 'page' : null, id: 'nav-' + v }, t('nav.' + v))));
  document.getElementById('logout').hidden = !session;
  document.getElementById('who').textContent = session ? t('who', { user: session.user, role: t('role.' + session.role) }) : '';
  revokeURLs();
  main.replaceChildren();
  main.dataset.view = name;
  views[name](main, arg);
}

window.addEventListener('hashchange', () => { status(''); render(); });

// ---------- login ----------

function viewLogin(main) {
  const err = h('p', { class: 'error', id: 'login-error', role: 'alert' });
  const form = h('form', { class: 'stack', id: 'login-form', autocomplete: 'off' },
    h('div', { class: 'field' }, h('label', { for: 'user' }, t('login.user')), h('input', { type: 'text', id: 'user', required: true, autocomplete: 'username', spellcheck: 'false', dir: 'ltr' })),
    h('div', { class: 'field' }, h('label', { for: 'identity' }, t('login.identity')),
      h('span', { class: 'hint', id: 'identity-hint' }, t('login.identity.hint')),
      h('input', { type: 'file', id: 'identity', required: true, 'aria-describedby': 'identity-hint' })),
    h('div', { class: 'field' }, h('label', { for: 'totp' }, t('login.totp')), h('input', { type: 'text', id: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6,8}', required: true, dir: 'ltr' })),
    h('button', { type: 'submit', id: 'login-submit' }, t('login.submit')),
    err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const btn = form.querySelector('button');
    btn.disabled = true;
    const fileInput = form.querySelector('#identity');
    try {
      const w = await loadWasm();
      const file = fileInput.files[0];
      if (!file) throw new Error(t('login.nofile'));
      const bytes = await readFile(file);
      const r = w.loadIdentity(bytes);
      bytes.fill(0);
      fileInput.value = '';
      wasmCall(r);
      const user = form.querySelector('#user').value.trim();
      const ch = await api('POST', '/v1/auth/challenge', { json: { user } });
      const ans = wasmCall(w.answerChallenge(ch.challenge));
      const s = await api('POST', '/v1/auth/login', { json: { user, challenge_id: ch.challenge_id, response: ans.response, totp: form.querySelector('#totp').value.trim() } });
      session = { token: s.token, user: s.user, role: s.role, expiresAt: s.expires_at };
      lastActivity = Date.now();
      location.hash = '#/' + homeFor(s.role);
      render();
      status(t('login.done', { user: s.user }), 'ok');
    } catch (e) {
      if (globalThis.amanaWasm) globalThis.amanaWasm.forget();
      fileInput.value = '';
      err.textContent = e instanceof APIError ? (e.status === 401 || e.status === 404 ? t('login.refused') : errText(e)) : t('login.badidentity', { msg: e.message });
    } finally {
      btn.disabled = false;
    }
  });
  main.append(h('h1', {}, t('login.title')), h('p', { class: 'notice' }, t('login.explain')), form);
  loadWasm().catch(e => { err.textContent = t('wasm.failed', { msg: e.message }); });
}

// ---------- search ----------

const searchState = { q: '', filters: {}, from: 0 };

// markedText turns a server fragment (HTML-escaped, matches in <mark>)
// into nodes, without ever parsing it as HTML.
function markedText(fragment) {
  const unescape = s => s.replace(/&(lt|gt|quot|#39|#34|amp);/g, (_, e) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", '#34': '"', amp: '&' })[e]);
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

function facetLabel(field, term) {
  if (field === 'language') return t('doclang.' + term);
  if (field === 'kind') return t('kind.' + term);
  return term;
}

function viewSearch(main) {
  const results = h('div', { id: 'results', 'aria-live': 'polite' });
  const facets = h('div', { class: 'facets', id: 'facets' });
  const q = h('input', { type: 'search', id: 'q', value: searchState.q, dir: 'auto' });
  const form = h('form', { role: 'search', id: 'search-form', class: 'row' },
    h('div', { class: 'field' }, h('label', { for: 'q' }, t('search.query')), q),
    h('button', { type: 'submit' }, t('search.submit')));
  form.addEventListener('submit', ev => { ev.preventDefault(); searchState.q = q.value; searchState.from = 0; run(); });

  let latest = 0;
  async function run() {
    const mine = ++latest;
    results.replaceChildren(h('p', {}, t('loading')));
    const p = new URLSearchParams();
    if (searchState.q) p.set('q', searchState.q);
    p.set('facets', FACETS.join(','));
    p.set('highlight', 'true');
    p.set('from', searchState.from);
    p.set('size', PAGE);
    for (const [f, vals] of Object.entries(searchState.filters)) for (const v of vals) p.append(f, v);
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
        h('p', { class: 'meta', lang, dir: dirOf(lang) },
          h('bdi', {}, hit.collection), ' · ', t('kind.' + hit.kind), ' · ', t('doclang.' + hit.language),
          hit.governorate ? [' · ', h('bdi', {}, hit.governorate)] : null, hit.incident_date ? [' · ', h('bdi', { dir: 'ltr' }, hit.incident_date)] : null),
        snippets));
    }
    const pager = h('div', { class: 'pager' },
      h('button', { type: 'button', class: 'secondary', id: 'prev', disabled: searchState.from === 0, onclick: () => { searchState.from = Math.max(0, searchState.from - PAGE); run(); } }, t('search.prev')),
      h('span', {}, t('search.page', { from: fmtNum(res.total ? searchState.from + 1 : 0), to: fmtNum(searchState.from + res.hits.length), total: fmtNum(res.total) })),
      h('button', { type: 'button', class: 'secondary', id: 'next', disabled: searchState.from + PAGE >= res.total, onclick: () => { searchState.from += PAGE; run(); } }, t('search.next')));
    results.replaceChildren(h('p', { id: 'total' }, t('search.total', { n: fmtNum(res.total) })), list, pager);
    results.dataset.q = searchState.q;
  }
  main.append(h('h1', {}, t('search.title')), form, h('div', { class: 'search-layout' }, h('aside', { 'aria-label': t('search.filters') }, facets), results));
  run();
}

// ---------- document ----------

function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(p => p[1] !== undefined && p[1] !== null && p[1] !== '').flatMap(([k, v, attrs]) => [h('dt', {}, k), h('dd', attrs || {}, v)]));
}

async function stepUpTOTP(prefix) {
  return document.getElementById(prefix + '-totp').value.trim();
}

function viewDoc(main, id) {
  main.append(h('h1', {}, t('doc.title')));
  const box = h('div', { id: 'doc' }, h('p', {}, t('loading')));
  main.append(box);
  (async () => {
    let doc;
    try { doc = await api('GET', '/v1/documents/' + encodeURIComponent(id)); } catch (e) {
      box.replaceChildren(h('p', { class: 'alert', id: 'doc-refused', role: 'alert' }, e.status === 404 || e.status === 403 ? t('doc.noaccess') : errText(e)));
      return;
    }
    const p = doc.public || {};
    const d = dirOf(p.language);
    const holder = (doc.slot_holders || []).includes(session.user);
    box.replaceChildren(...[
      h('h2', { lang: p.language, dir: d, id: 'doc-title' }, p.title),
      kv([
        [t('doc.id'), h('bdi', { dir: 'ltr' }, doc.id)],
        [t('facet.collection'), h('bdi', {}, doc.collection)],
        [t('facet.kind'), t('kind.' + doc.kind)],
        [t('facet.language'), t('doclang.' + p.language)],
        [t('facet.governorate'), p.governorate],
        [t('doc.incident'), p.incident_date],
        [t('facet.tags'), (p.tags || []).length ? (p.tags || []).map(x => h('span', { class: 'tag', dir: 'auto' }, x)) : null],
        [t('doc.summary'), p.summary, { lang: p.language, dir: d }],
        [t('doc.depositor'), h('bdi', {}, doc.depositor)],
        [t('doc.deposited'), fmtDate(doc.deposited_at)],
        [t('doc.size'), fmtNum(doc.size)],
        [t('doc.state'), doc.state],
      ]),
      p.transcript_redacted ? [h('h3', {}, t('doc.transcript')), h('pre', { class: 'preview', lang: p.language, dir: d }, p.transcript_redacted)] : null,
      h('h2', {}, t('doc.consent')),
      kv([[t('doc.scopes'), (doc.consent.scopes || []).map(s => t('scope.' + s)).join(lang === 'en' ? ', ' : '، ')],
        [t('doc.recorded'), doc.consent.recorded_at], [t('doc.recordedby'), h('bdi', {}, doc.consent.recorded_by)]]),
      h('h2', {}, t('doc.holders')),
      h('ul', { id: 'holders' }, (doc.slot_holders || []).map(u => h('li', {}, h('bdi', {}, u),
        (holder || session.role === 'admin') && u !== session.user ? [' ', h('button', { type: 'button', class: 'secondary', 'data-revoke': u, onclick: () => revoke(u) }, t('doc.revoke'))] : null))),
      openSection(doc, holder),
      holder ? grantSection(doc) : null,
      (holder || session.role === 'admin') ? h('div', { class: 'field' }, h('label', { for: 'revoke-totp' }, t('doc.revoke.totp')), h('input', { type: 'text', id: 'revoke-totp', inputmode: 'numeric', autocomplete: 'one-time-code', dir: 'ltr' })) : null,
      h('h2', {}, t('doc.custody')),
      h('div', { id: 'custody' }, t('loading'))].flat(Infinity).filter(Boolean));
    async function revoke(u) {
      try {
        await api('DELETE', '/v1/documents/' + encodeURIComponent(doc.id) + '/grants/' + encodeURIComponent(u), { headers: { 'X-Amana-TOTP': await stepUpTOTP('revoke') } });
        status(t('doc.revoked', { user: u }), 'ok');
        render();
      } catch (e) { status(e.code === 'step_up_required' || e.code === 'invalid_totp' ? t('stepup.needed') : errText(e), 'error'); }
    }
    try {
      const c = await api('GET', '/v1/documents/' + encodeURIComponent(doc.id) + '/custody');
      const rows = c.events.map(e => h('tr', {}, h('td', {}, fmtDate(e.time)), h('td', {}, h('bdi', {}, e.actor)), h('td', {}, h('bdi', { dir: 'ltr' }, e.action)), h('td', {}, t('outcome.' + e.outcome))));
      document.getElementById('custody').replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, [t('audit.time'), t('audit.actor'), t('audit.action'), t('audit.outcome')].map(x => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows)));
    } catch (e) { document.getElementById('custody').replaceChildren(h('p', { class: 'error' }, errText(e))); }
  })();
}

function openSection(doc, holder) {
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
      const priv = await api('GET', base + '/private', { as: 'bytes' });
      const content = await api('GET', base + '/content', { as: 'bytes' });
      const r = wasmCall(w.open(slot, priv, content, doc.cipher_sha256));
      const pm = JSON.parse(r.private || 'null') || {};
      const mt = typeof pm.media_type === 'string' ? pm.media_type.split(';')[0].trim().toLowerCase() : '';
      const type = /^[\w.+-]+\/[\w.+-]+$/.test(mt) ? mt : 'application/octet-stream';
      const blob = new Blob([r.plain], { type });
      const url = URL.createObjectURL(blob);
      objectURLs.push(url);
      let preview = null;
      if (type.startsWith('text/') || type === 'application/json') preview = h('pre', { class: 'preview', id: 'plaintext', dir: 'auto' }, new TextDecoder().decode(r.plain));
      else if (type.startsWith('image/')) preview = h('img', { class: 'preview', src: url, alt: t('doc.preview') });
      else if (type.startsWith('audio/')) preview = h('audio', { controls: true, src: url });
      else if (type.startsWith('video/')) preview = h('video', { controls: true, src: url });
      else if (type === 'application/pdf') preview = h('p', {}, h('a', { href: url, target: '_blank', rel: 'noopener' }, t('doc.pdf')));
      const name = typeof pm.file_name === 'string' && pm.file_name ? pm.file_name.replace(/[\/\\]/g, '_') : doc.id;
      const shown = Object.entries(pm).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v), { dir: 'auto' }]);
      out.replaceChildren(
        h('p', { class: 'ok', id: 'verified' }, t('doc.verified', { sha: r.plain_sha256.slice(0, 16) })),
        h('p', {}, h('a', { href: url, download: name, id: 'download' }, t('doc.download', { name }))),
        preview || '',
        h('h3', {}, t('doc.private')),
        h('div', { id: 'private' }, kv(shown)));
    } catch (e) {
      out.replaceChildren(h('p', { class: 'alert', id: 'open-error', role: 'alert' }, e instanceof APIError && (e.status === 403 || e.status === 404) ? t('doc.noslot.refused') : t('doc.openfailed', { msg: errText(e) })));
    }
  }
  return sec;
}

function grantSection(doc) {
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
    const user = form.querySelector('#grant-user').value.trim();
    const base = '/v1/documents/' + encodeURIComponent(doc.id);
    try {
      const w = await loadWasm();
      const rc = await api('GET', '/v1/users/' + encodeURIComponent(user) + '/recipient');
      const slot = await api('GET', base + '/keyslot', { as: 'bytes' });
      const r = wasmCall(w.rewrap(slot, rc.recipient));
      await api('POST', base + '/grants', { json: { user, slot: r.slot }, headers: { 'X-Amana-TOTP': form.querySelector('#grant-totp').value.trim() } });
      status(t('doc.granted', { user }), 'ok');
      render();
    } catch (e) {
      err.className = 'error';
      err.textContent = e.code === 'step_up_required' || e.code === 'invalid_totp' ? t('stepup.needed') : errText(e);
    }
  });
  return form;
}

// ---------- deposit ----------

function viewDeposit(main) {
  const field = (id, label, input, hint) => h('div', { class: 'field' }, h('label', { for: id }, label), hint ? h('span', { class: 'hint' }, hint) : null, input);
  const sel = (id, opts, labelFn) => h('select', { id }, opts.map(o => h('option', { value: o }, labelFn ? labelFn(o) : o)));
  const colSel = h('select', { id: 'collection', required: true });
  const today = new Date().toISOString().slice(0, 10);
  const preview = h('div', { id: 'redaction-preview', 'aria-live': 'polite' });
  const progress = h('progress', { id: 'progress', max: 100, value: 0, hidden: true });
  const result = h('div', { id: 'deposit-result', role: 'alert' });
  const form = h('form', { class: 'stack', id: 'deposit-form' },
    h('p', { class: 'notice' }, t('deposit.explain')),
    field('file', t('deposit.file'), h('input', { type: 'file', id: 'file', required: true }), t('deposit.file.hint')),
    field('collection', t('facet.collection'), colSel),
    h('div', { class: 'row' }, field('kind', t('facet.kind'), sel('kind', KINDS, k => t('kind.' + k))),
      field('doclang', t('facet.language'), sel('doclang', DOC_LANGS, l => t('doclang.' + l))),
      field('governorate', t('facet.governorate'), sel('governorate', ['', ...GOVERNORATES]))),
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
    h('section', { 'aria-labelledby': 'preview-h' }, h('h2', { id: 'preview-h' }, t('deposit.preview')), preview),
    h('button', { type: 'submit', id: 'deposit-submit' }, t('deposit.submit')), progress, result);
  main.append(h('h1', {}, t('deposit.heading')), form);

  api('GET', '/v1/collections').then(r => {
    colSel.replaceChildren(...(r.collections || []).filter(c => (c.members || []).includes(session.user) || (c.custodians || []).includes(session.user)).map(c => h('option', { value: c.id }, c.id)));
  }).catch(e => result.replaceChildren(h('p', { class: 'error' }, errText(e))));

  const val = id => form.querySelector('#' + id).value;
  const persons = () => val('persons').split('\n').map(s => s.trim()).filter(Boolean);
  const tags = () => val('tags').split(/[,،]/).map(s => s.trim()).filter(Boolean);
  let redacted = null;
  async function updatePreview() {
    const w = await loadWasm();
    const fields = { title: val('title'), summary: val('summary'), transcript: val('transcript') };
    tags().forEach((tg, i) => { fields['tag' + i] = tg; });
    const names = ['title', 'summary', ...tags().map((_, i) => 'tag' + i), 'transcript'];
    const r = JSON.parse(wasmCall(w.redact(JSON.stringify(persons()), JSON.stringify(names), JSON.stringify(fields))).json);
    redacted = r.fields;
    const counts = {};
    for (const x of r.removed) counts[x.kind] = (counts[x.kind] || 0) + 1;
    preview.replaceChildren(
      h('p', { id: 'removed' }, r.removed.length ? t('deposit.removed', { list: Object.entries(counts).map(([k, n]) => t('pii.' + k) + ' × ' + fmtNum(n)).join(', ') }) : t('deposit.nothing')),
      ...['title', 'summary', 'transcript'].filter(f => r.fields[f]).map(f => h('div', {}, h('h3', {}, t(f === 'title' ? 'deposit.title' : f === 'summary' ? 'doc.summary' : 'deposit.transcript')),
        h('div', { class: 'redacted', id: 'preview-' + f, dir: 'auto', lang: val('doclang') }, r.fields[f]))));
  }
  let timer = null;
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => updatePreview().catch(e => status(e.message, 'error')), 150); });

  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    result.replaceChildren();
    const btn = form.querySelector('#deposit-submit');
    btn.disabled = true;
    try {
      await updatePreview();
      const w = await loadWasm();
      const file = form.querySelector('#file').files[0];
      const col = colSel.value;
      const scopes = SCOPES.filter(s => form.querySelector('#scope-' + s).checked);
      status(t('deposit.sealing'));
      const rc = await api('GET', '/v1/collections/' + encodeURIComponent(col) + '/recipients');
      const recips = Object.assign({}, rc.recipients);
      const plain = await readFile(file);
      const priv = { file_name: file.name, media_type: file.type || 'application/octet-stream' };
      if (persons().length) priv.persons = persons();
      if (val('notes').trim()) priv.notes = val('notes');
      const sealed = wasmCall(w.seal(JSON.stringify(recips), JSON.stringify(priv), plain));
      plain.fill(0);
      const pub = { title: redacted.title, language: val('doclang') };
      if (redacted.summary) pub.summary = redacted.summary;
      if (redacted.transcript) pub.transcript_redacted = redacted.transcript;
      if (val('governorate')) pub.governorate = val('governorate');
      if (val('incident')) pub.incident_date = val('incident');
      const tg = tags().map((_, i) => redacted['tag' + i]);
      if (tg.length) pub.tags = tg;
      const meta = { collection: col, kind: val('kind'), public: pub, consent: { scopes, recorded_at: val('recorded'), recorded_by: session.user }, slots: sealed.slots };
      const fd = new FormData();
      fd.append('meta', new Blob([JSON.stringify(meta)], { type: 'application/json' }));
      fd.append('content', new Blob([sealed.content], { type: 'application/octet-stream' }), 'content.age');
      fd.append('final', new Blob([JSON.stringify({ cipher_sha256: sealed.cipher_sha256, private: sealed.private })], { type: 'application/json' }));
      progress.hidden = false;
      const doc = await upload(fd, pct => { progress.value = pct; });
      result.replaceChildren(h('p', { class: 'ok', id: 'deposited' }, t('deposit.done'), ' ', h('a', { href: '#/doc/' + encodeURIComponent(doc.id), id: 'deposited-link' }, h('bdi', { dir: 'ltr' }, doc.id))));
      status(t('deposit.done'), 'ok');
    } catch (e) {
      result.replaceChildren(h('p', { class: 'error' }, errText(e)));
    } finally { btn.disabled = false; }
  });
}

function upload(fd, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', '/v1/documents');
    x.setRequestHeader('Authorization', 'Bearer ' + session.token);
    x.upload.onprogress = e => { if (e.lengthComputable) onProgress(Math.round(100 * e.loaded / e.total)); };
    x.onload = () => {
      let body = null;
      try { body = JSON.parse(x.responseText); } catch (_) { /* not JSON */ }
      if (x.status >= 200 && x.status < 300) { onProgress(100); resolve(body); } else reject(new APIError(x.status, body && body.error && body.error.code, body && body.error && body.error.message));
    };
    x.onerror = () => reject(new Error(t('err.network')));
    x.send(fd);
  });
}

// ---------- audit ----------

async function fetchEvents(upTo) {
  const all = [];
  let after = 0;
  for (;;) {
    const r = await api('GET', '/v1/audit/events?after=' + after + '&limit=1000');
    all.push(...r.events);
    // Reading the log is itself audited, so stop at a short page rather
    // than chase the events this listing adds.
    if (r.events.length < 1000 || (upTo && all.length >= upTo)) break;
    after = r.next;
  }
  return upTo ? all.slice(0, upTo) : all;
}

function chart(events) {
  // Events per day by action (the six most frequent), as grouped bars.
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

function viewAudit(main) {
  const verify = h('div', { id: 'verify', 'aria-live': 'polite' });
  const list = h('div', { id: 'events' }, t('loading'));
  const filters = {};
  const filterForm = h('form', { class: 'row', id: 'audit-filters' }, ['actor', 'action', 'doc', 'outcome'].map(f => {
    const inp = h('input', { type: 'text', id: 'filter-' + f, dir: 'ltr' });
    inp.addEventListener('input', () => { filters[f] = inp.value.trim(); draw(); });
    return h('div', { class: 'field' }, h('label', { for: 'filter-' + f }, t('audit.' + f)), inp);
  }));
  filterForm.addEventListener('submit', ev => ev.preventDefault());
  main.append(h('h1', {}, t('audit.title')),
    h('section', {}, h('h2', {}, t('audit.verify')), h('p', { class: 'hint' }, t('audit.verify.hint')), h('button', { type: 'button', id: 'verify-btn', onclick: runVerify }, t('audit.verify.run')), verify),
    h('h2', {}, t('audit.events')), filterForm, list);
  let events = [];
  function draw() {
    const shown = events.filter(e => Object.entries(filters).every(([f, v]) => !v || String(e[f] || '').includes(v)));
    const rows = shown.slice(-300).reverse().map(e => h('tr', {}, h('td', {}, fmtNum(e.seq)), h('td', {}, fmtDate(e.time)), h('td', {}, h('bdi', {}, e.actor)), h('td', {}, h('bdi', { dir: 'ltr' }, e.action)),
      h('td', {}, e.doc ? h('a', { href: '#/doc/' + encodeURIComponent(e.doc) }, h('bdi', { dir: 'ltr' }, e.doc)) : ''), h('td', {}, t('outcome.' + e.outcome))));
    list.replaceChildren(h('p', {}, t('audit.count', { n: fmtNum(shown.length), total: fmtNum(events.length) })), chart(shown),
      h('table', {}, h('thead', {}, h('tr', {}, ['#', t('audit.time'), t('audit.actor'), t('audit.action'), t('audit.doc'), t('audit.outcome')].map(x => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows)));
  }
  fetchEvents().then(raw => { events = raw; draw(); }).catch(e => list.replaceChildren(h('p', { class: 'error' }, errText(e))));

  async function runVerify() {
    verify.replaceChildren(h('p', {}, t('audit.verifying')));
    const fail = msg => verify.replaceChildren(h('p', { class: 'alert', id: 'verify-result', 'data-ok': 'false', role: 'alert' }, t('audit.fails', { msg })));
    try {
      const w = await loadWasm();
      const key = (await api('GET', '/v1/audit/verifier', { as: 'text' })).trim();
      const note = await api('GET', '/v1/audit/checkpoint', { as: 'text' });
      const cp = w.openCheckpoint(note, key);
      if (cp.error) return fail(cp.error);
      // The events this page shows must be exactly those the checkpoint signs.
      const raw = await rawEvents(cp.size);
      if (raw.length !== cp.size) return fail(t('audit.short', { n: raw.length, size: cp.size }));
      const root = w.treeRoot('[' + raw.join(',') + ']');
      if (root.error || root.root !== cp.root) return fail(t('audit.rootdiffers'));
      events = raw.map(x => JSON.parse(x)); draw();
      const store = 'amana.witness.' + key.split('+')[0];
      const old = localStorage.getItem(store);
      let against = t('audit.firstvisit');
      if (old) {
        const oc = w.openCheckpoint(old, key);
        if (oc.error) return fail(oc.error);
        let proof = '';
        if (oc.size > 0 && oc.size < cp.size) proof = JSON.stringify(await api('GET', `/v1/audit/proof/consistency?old=${oc.size}&new=${cp.size}`));
        const c = w.checkConsistency(old, note, key, proof);
        if (c.error) return fail(c.error);
        against = t('audit.consistent', { n: fmtNum(oc.size) });
      }
      localStorage.setItem(store, note);
      verify.replaceChildren(h('p', { class: 'ok', id: 'verify-result', 'data-ok': 'true' }, t('audit.verified', { n: fmtNum(cp.size), key: key.split('+')[0] }), ' ', against));
    } catch (e) { fail(errText(e)); }
  }
}

// rawEvents fetches events as the exact leaf bytes (JSON text), for hashing.
async function rawEvents(n) {
  const out = [];
  let after = 0;
  while (out.length < n) {
    const text = await api('GET', '/v1/audit/events?after=' + after + '&limit=1000', { as: 'text' });
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

// splitEvents returns the source text of each element of the "events" array.
function splitEvents(text) {
  const start = text.indexOf('[', text.indexOf('"events"'));
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

// ---------- statistics ----------

function viewStats(main) {
  const dims = ['governorate', 'year', 'kind'];
  const out = h('div', { id: 'stats' });
  const form = h('form', { class: 'row', id: 'stats-form' }, h('fieldset', {}, h('legend', {}, t('stats.by')),
    dims.map(d => h('label', { for: 'by-' + d, class: 'hint' }, h('input', { type: 'radio', name: 'by', id: 'by-' + d, value: d, checked: d === 'governorate' }), ' ', t('facet.' + d)))));
  form.addEventListener('change', run);
  main.append(h('h1', {}, t('stats.title')), h('p', { class: 'notice' }, t('stats.explain')), form, out);
  async function run() {
    const by = form.querySelector('input[name=by]:checked').value;
    out.replaceChildren(t('loading'));
    try {
      const r = await api('GET', '/v1/stats?by=' + by);
      const label = k => by === 'kind' ? t('kind.' + k) : k;
      const num = c => c === '<' + r.small_cell || isNaN(Number(c)) ? c : fmtNum(Number(c));
      const W = 640, rowH = 22, left = 150;
      const max = Math.max(1, ...r.cells.map(c => Number(c.count) || 0));
      const svg = h('svg', { class: 'chart', id: 'stats-chart', viewBox: `0 0 ${W} ${rowH * r.cells.length + 10}`, role: 'img', 'aria-label': t('stats.chart') });
      r.cells.forEach((c, i) => {
        const n = Number(c.count);
        const small = isNaN(n);
        const bw = small ? 4 : (W - left - 60) * n / max;
        const rtl = dirOf(lang) === 'rtl';
        svg.append(h('text', { x: rtl ? W - 4 : 4, y: i * rowH + 16, 'text-anchor': rtl ? 'end' : 'start' }, label(c.key[by])),
          h('rect', { x: rtl ? W - left - bw : left, y: i * rowH + 4, width: bw, height: rowH - 8, fill: small ? '#9ca3af' : '#0b5d55' }),
          h('text', { x: rtl ? W - left - bw - 4 : left + bw + 4, y: i * rowH + 16, 'text-anchor': rtl ? 'end' : 'start' }, num(c.count)));
      });
      out.replaceChildren(h('p', { id: 'stats-total' }, t('stats.total', { n: num(r.total) })), svg,
        h('table', { id: 'stats-table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('facet.' + by)), h('th', { scope: 'col' }, t('stats.count')))),
          h('tbody', {}, r.cells.map(c => h('tr', {}, h('td', {}, h('bdi', {}, label(c.key[by]))), h('td', {}, h('bdi', { dir: 'ltr' }, num(c.count))))))),
        h('p', { class: 'hint' }, t('stats.small', { n: r.small_cell })));
    } catch (e) { out.replaceChildren(h('p', { class: 'error' }, errText(e))); }
  }
  run();
}

// ---------- start ----------

(async () => {
  try { messages = await (await fetch('/ui/messages.json')).json(); } catch (_) { messages = {}; }
  document.getElementById('lang').addEventListener('change', ev => setLang(ev.target.value));
  document.getElementById('logout').addEventListener('click', () => logout(t('logged.out')));
  let saved = null;
  try { saved = localStorage.getItem('amana.lang'); } catch (_) { /* private mode */ }
  const want = saved || (navigator.language || 'en').split('-')[0];
  setLang(want === 'ku' ? 'ckb' : want);
  document.body.dataset.ready = 'true';
})();
