// The custodian's console: users (created with their recipient and signing
// key, enrolled by a QR code shown once, disabled, their keys changed),
// collections (created, their members and custodians changed) and the
// vault's backup. Every change goes through the same API routes as the
// command line, with the same step-up: a fresh authenticator code opens a
// short window in which the server accepts them, and the server's refusals
// are shown beside the control that caused them, in its words.

import { t, label, fmtDate } from '../i18n.js';
import { h, find, status, code } from '../dom.js';
import { api, errText, needsStepUp } from '../api.js';
import { state } from '../state.js';

const ROLES = ['admin', 'researcher', 'lawyer', 'auditor'];

/** How long the page counts on the server's step-up window (it is 5 minutes). */
const STEP_UP_MS = 4.5 * 60 * 1000;

/** @type {{token: string, at: number}} the session that last stepped up, and when */
const steppedUp = { token: '', at: 0 };

/** @returns {boolean} whether this session stepped up recently enough that the server still accepts changes */
function stepUpOpen() {
  return !!state.session && steppedUp.token === state.session.token && Date.now() - steppedUp.at < STEP_UP_MS;
}

/**
 * @typedef {object} User a user as GET /v1/users lists it
 * @property {string} id
 * @property {string} name
 * @property {string} role
 * @property {string} recipient
 * @property {string} [signing_key]
 * @property {string} state
 * @property {string} created_at
 */

/** @typedef {{id: string, name: string, members?: string[], custodians?: string[]}} Collection */

const USER_COLS = ['login.user', 'admin.name', 'admin.role', 'doc.state', 'admin.created', 'admin.actions'];
const COLLECTION_COLS = ['admin.collection', 'admin.name', 'admin.members', 'admin.custodians', 'admin.change'];

/**
 * A row's cells, each labelled with its column's heading (shown above the
 * value where a narrow screen stacks the cells, style.css table.cards).
 * @param {string[]} cols message keys of the headings
 * @param {import('../dom.js').Child[]} values
 * @returns {HTMLTableCellElement[]}
 */
function cells(cols, values) {
  return values.map((v, i) => h('td', { 'data-label': t(cols[i]), class: cols[i].replace('admin.', '') }, v));
}

/**
 * The step-up box: a code field and a button. ok runs with the headers
 * of a request that carries the code; afterwards the server's step-up
 * window lets the page's other changes through without one.
 * @param {(headers: Record<string, string>) => Promise<void>} ok
 * @returns {HTMLFormElement}
 */
function stepUpForm(ok) {
  const err = h('p', { class: 'error', id: 'stepup-error', role: 'alert' });
  const input = h('input', { type: 'text', id: 'stepup-totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6,8}', required: true, dir: 'ltr' });
  const form = h('form', { class: 'row', id: 'stepup-form' },
    h('div', { class: 'field' }, h('label', { for: 'stepup-totp' }, t('stepup.totp')), h('span', { class: 'hint', id: 'stepup-hint' }, t('admin.stepup.hint')), input),
    h('button', { type: 'submit', id: 'stepup-submit' }, t('admin.stepup.submit')), err);
  input.setAttribute('aria-describedby', 'stepup-hint');
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    err.textContent = '';
    try {
      const at = Date.now();
      await ok({ 'X-Amana-TOTP': input.value.trim() });
      if (state.session) Object.assign(steppedUp, { token: state.session.token, at });
      input.value = '';
    } catch (e) { err.textContent = needsStepUp(e) ? t('stepup.needed') : errText(e); }
  });
  return form;
}

/**
 * A refusal as shown beside a control: a step-up that lapsed asks for a
 * fresh code in the box at the top; anything else is the server's reason.
 * @param {unknown} e
 * @returns {string}
 */
function refusal(e) {
  return needsStepUp(e) ? t('admin.stepup.again') : errText(e);
}

/** @type {import('../app.js').View} */
export function viewUsers(main) {
  const list = h('div', { id: 'users' }, h('p', { class: 'hint' }, t('admin.users.locked')));
  const created = h('div', { id: 'user-created', 'aria-live': 'polite' });
  main.append(h('h1', {}, t('admin.users.title')),
    stepUpForm(async headers => { await load(headers); }),
    list, createUserForm(created, () => load({})), created, backupSection());
  // Drawn again (another language, say) within the window: no new code needed.
  if (stepUpOpen()) load({}).catch(() => {});

  /** @param {Record<string, string>} headers */
  async function load(headers) {
    /** @type {{users: User[]}} */
    const r = await api('GET', '/v1/users', { headers });
    if (!list.isConnected) return;
    list.replaceChildren(h('table', { id: 'users-table', class: 'cards' },
      h('thead', {}, h('tr', {}, USER_COLS.map(k => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, r.users.map(u => userRow(u)))));
  }

  /** @param {User} u */
  function userRow(u) {
    const err = h('p', { class: 'error', role: 'alert', id: 'user-error-' + u.id });
    const keys = h('form', { class: 'stack', id: 'user-keys-' + u.id, hidden: true },
      h('div', { class: 'field' }, h('label', { for: 'rcpt-' + u.id }, t('admin.recipient')), h('input', { type: 'text', id: 'rcpt-' + u.id, value: u.recipient, dir: 'ltr', spellcheck: 'false' })),
      h('div', { class: 'field' }, h('label', { for: 'sk-' + u.id }, t('admin.signing')), h('input', { type: 'text', id: 'sk-' + u.id, value: u.signing_key || '', dir: 'ltr', spellcheck: 'false' })),
      h('button', { type: 'submit' }, t('admin.keys.save')));
    keys.addEventListener('submit', async ev => {
      ev.preventDefault();
      err.textContent = '';
      /** @type {{recipient?: string, signing_key?: string}} */
      const body = {};
      const rc = find(keys, '#rcpt-' + CSS.escape(u.id), HTMLInputElement).value.trim();
      const sk = find(keys, '#sk-' + CSS.escape(u.id), HTMLInputElement).value.trim();
      if (rc !== u.recipient) body.recipient = rc;
      if (sk !== (u.signing_key || '')) body.signing_key = sk;
      try {
        await api('PATCH', '/v1/users/' + encodeURIComponent(u.id), { json: body });
        status(t('admin.keys.saved', { user: u.id }), 'ok');
        await load({});
      } catch (e) { err.textContent = refusal(e); }
    });
    const me = state.session && state.session.user === u.id;
    const toggle = h('button', { type: 'button', class: 'secondary', 'data-toggle': u.id, disabled: me, onclick: async () => {
      err.textContent = '';
      try {
        await api('PATCH', '/v1/users/' + encodeURIComponent(u.id), { json: { state: u.state === 'active' ? 'disabled' : 'active' } });
        status(t(u.state === 'active' ? 'admin.disabled' : 'admin.enabled', { user: u.id }), 'ok');
        await load({});
      } catch (e) { err.textContent = refusal(e); }
    } }, t(u.state === 'active' ? 'admin.disable' : 'admin.enable'));
    const keysBtn = h('button', { type: 'button', class: 'secondary', 'data-keys': u.id, 'aria-expanded': 'false', 'aria-controls': 'user-keys-' + u.id, onclick: () => {
      keys.hidden = !keys.hidden;
      keysBtn.setAttribute('aria-expanded', String(!keys.hidden));
    } }, t('admin.keys'));
    return h('tr', { 'data-user': u.id }, cells(USER_COLS, [code(u.id), h('span', { dir: 'auto' }, u.name), h('span', { class: 'nowrap' }, t('role.' + u.role)), label('state.', u.state),
      fmtDate(u.created_at), [h('div', { class: 'row' }, toggle, keysBtn), keys, err]]));
  }
}

/**
 * The form that creates a user; the TOTP enrolment (QR code and secret)
 * is shown once, in shown, and never kept.
 * @param {HTMLElement} shown
 * @param {() => Promise<void>} reload
 * @returns {HTMLFormElement}
 */
function createUserForm(shown, reload) {
  const err = h('p', { class: 'error', id: 'user-create-error', role: 'alert' });
  /** @param {string} id @param {string} key @param {Record<string, string | boolean>} [attrs] */
  const field = (id, key, attrs) => h('div', { class: 'field' }, h('label', { for: id }, t(key)), h('input', Object.assign({ type: 'text', id, dir: 'ltr', spellcheck: 'false' }, attrs || {})));
  const form = h('form', { class: 'stack', id: 'user-create-form' },
    h('h2', {}, t('admin.users.create')),
    field('new-id', 'login.user', { required: true }),
    h('div', { class: 'field' }, h('label', { for: 'new-name' }, t('admin.name')), h('input', { type: 'text', id: 'new-name', dir: 'auto' })),
    h('div', { class: 'field' }, h('label', { for: 'new-role' }, t('admin.role')), h('select', { id: 'new-role', required: true }, h('option', { value: '' }, t('admin.role.choose')), ROLES.map(r => h('option', { value: r }, t('role.' + r))))),
    field('new-recipient', 'admin.recipient', { required: true, placeholder: 'age1…' }),
    field('new-signing', 'admin.signing', { placeholder: 'ssh-ed25519 …' }),
    h('button', { type: 'submit', id: 'user-create-submit' }, t('admin.users.create')), err);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    err.textContent = '';
    /** @param {string} id */
    const v = id => /** @type {HTMLInputElement | HTMLSelectElement} */ (find(form, '#' + id, HTMLElement)).value.trim();
    try {
      /** @type {{user: User, totp_url: string, totp_qr_png?: string}} */
      const r = await api('POST', '/v1/users', { json: { id: v('new-id'), name: v('new-name'), role: v('new-role'), recipient: v('new-recipient'), signing_key: v('new-signing') || undefined, qr: true } });
      form.reset();
      const secret = new URL(r.totp_url).searchParams.get('secret') || '';
      shown.replaceChildren(h('section', { class: 'notice', id: 'enrolment', 'aria-labelledby': 'enrolment-h' },
        h('h2', { id: 'enrolment-h' }, t('admin.enrol.title', { user: r.user.id })),
        h('p', {}, t('admin.enrol.once')),
        r.totp_qr_png ? h('img', { src: 'data:image/png;base64,' + r.totp_qr_png, alt: t('admin.enrol.qr', { user: r.user.id }), id: 'enrol-qr', width: 256, height: 256 }) : null,
        h('p', {}, t('admin.enrol.secret'), ' ', h('code', { id: 'enrol-secret', dir: 'ltr' }, secret)),
        h('button', { type: 'button', id: 'enrol-done', onclick: () => shown.replaceChildren() }, t('admin.enrol.done'))));
      status(t('admin.created.user', { user: r.user.id }), 'ok');
      await reload().catch(() => {});
    } catch (e) { err.textContent = refusal(e); }
  });
  return form;
}

/** @returns {HTMLElement} the backup download */
function backupSection() {
  const err = h('p', { class: 'error', id: 'backup-error', role: 'alert' });
  const out = h('p', { id: 'backup-result' });
  return h('section', { 'aria-labelledby': 'backup-h' }, h('h2', { id: 'backup-h' }, t('admin.backup')), h('p', { class: 'hint' }, t('admin.backup.hint')),
    h('button', { type: 'button', id: 'backup', onclick: async () => {
      err.textContent = '';
      out.replaceChildren(t('loading'));
      try {
        const b = await api('GET', '/v1/backup', { as: 'bytes' });
        const url = URL.createObjectURL(new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (b || new Uint8Array())], { type: 'application/octet-stream' }));
        state.objectURLs.push(url);
        const name = 'amana-backup-' + new Date().toISOString().slice(0, 10) + '.db';
        const a = h('a', { href: url, download: name, id: 'backup-link' }, t('admin.backup.save', { name }));
        out.replaceChildren(a);
        a.click();
      } catch (e) { out.replaceChildren(); err.textContent = refusal(e); }
    } }, t('admin.backup.run')), out, err);
}

/** @type {import('../app.js').View} */
export function viewCollections(main) {
  const list = h('div', { id: 'collections' }, t('loading'));
  main.append(h('h1', {}, t('admin.collections.title')), stepUpForm(async headers => {
    // A step-up on its own: the listing needs none, so the code goes with
    // a request that does (the users' listing), to open the window.
    await api('GET', '/v1/users', { headers });
    status(t('admin.stepup.done'), 'ok');
  }), list, createCollectionForm(load));
  load();

  async function load() {
    try {
      /** @type {{collections: Collection[]}} */
      const r = await api('GET', '/v1/collections');
      if (!list.isConnected) return;
      list.replaceChildren(h('table', { id: 'collections-table', class: 'cards' },
        h('thead', {}, h('tr', {}, COLLECTION_COLS.map(k => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, r.collections.map(c => collectionRow(c)))));
    } catch (e) { list.replaceChildren(h('p', { class: 'error' }, errText(e))); }
  }

  /** @param {Collection} c */
  function collectionRow(c) {
    const err = h('p', { class: 'error', role: 'alert', id: 'col-error-' + c.id });
    const uid = 'col-user-' + c.id, opid = 'col-op-' + c.id;
    const form = h('form', { class: 'stack', 'data-collection': c.id },
      h('div', { class: 'field' }, h('label', { for: uid }, t('login.user')), h('input', { type: 'text', id: uid, required: true, dir: 'ltr', spellcheck: 'false' })),
      h('div', { class: 'field' }, h('label', { for: opid }, t('admin.change')), h('select', { id: opid },
        ['add_members', 'remove_members', 'add_custodians', 'remove_custodians'].map(op => h('option', { value: op }, t('admin.op.' + op))))),
      h('button', { type: 'submit' }, t('admin.apply')), err);
    form.addEventListener('submit', async ev => {
      ev.preventDefault();
      err.textContent = '';
      const user = find(form, '#' + CSS.escape(uid), HTMLInputElement).value.trim();
      const op = find(form, '#' + CSS.escape(opid), HTMLSelectElement).value;
      try {
        await api('PATCH', '/v1/collections/' + encodeURIComponent(c.id), { json: { [op]: [user] } });
        status(t('admin.collection.changed', { id: c.id }), 'ok');
        await load();
      } catch (e) { err.textContent = refusal(e); }
    });
    /** @param {string[] | undefined} us */
    const people = us => h('ul', { class: 'plain' }, (us || []).map(u => h('li', {}, code(u))));
    return h('tr', { 'data-collection': c.id }, cells(COLLECTION_COLS, [code(c.id), h('span', { dir: 'auto' }, c.name), people(c.members), people(c.custodians), form]));
  }
}

/**
 * @param {() => Promise<void>} reload
 * @returns {HTMLFormElement}
 */
function createCollectionForm(reload) {
  const err = h('p', { class: 'error', id: 'collection-create-error', role: 'alert' });
  const form = h('form', { class: 'stack', id: 'collection-create-form' },
    h('h2', {}, t('admin.collections.create')),
    h('div', { class: 'field' }, h('label', { for: 'col-id' }, t('admin.collection')), h('input', { type: 'text', id: 'col-id', required: true, dir: 'ltr', spellcheck: 'false' })),
    h('div', { class: 'field' }, h('label', { for: 'col-name' }, t('admin.name')), h('input', { type: 'text', id: 'col-name', dir: 'auto' })),
    h('div', { class: 'field' }, h('label', { for: 'col-members' }, t('admin.members')), h('span', { class: 'hint', id: 'col-members-hint' }, t('admin.users.hint')), h('input', { type: 'text', id: 'col-members', dir: 'ltr', 'aria-describedby': 'col-members-hint' })),
    h('div', { class: 'field' }, h('label', { for: 'col-custodians' }, t('admin.custodians')), h('input', { type: 'text', id: 'col-custodians', dir: 'ltr', 'aria-describedby': 'col-members-hint' })),
    h('button', { type: 'submit', id: 'collection-create-submit' }, t('admin.collections.create')), err);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    err.textContent = '';
    /** @param {string} id */
    const v = id => find(form, '#' + id, HTMLInputElement).value.trim();
    /** @param {string} s */
    const users = s => s.split(/[\s,،]+/).filter(Boolean);
    try {
      const id = v('col-id');
      await api('POST', '/v1/collections', { json: { id, name: v('col-name') || id, members: users(v('col-members')), custodians: users(v('col-custodians')) } });
      form.reset();
      status(t('admin.collection.created', { id }), 'ok');
      await reload();
    } catch (e) { err.textContent = refusal(e); }
  });
  return form;
}
