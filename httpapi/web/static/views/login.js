// Login: the user id, the age identity file (read here, given to the
// WebAssembly module, never sent) and a TOTP code.

import { state } from '../state.js';
import { t } from '../i18n.js';
import { h, find, status } from '../dom.js';
import { api, APIError, errText } from '../api.js';
import { loadWasm, wasmCall, forgetIdentity, readFile } from '../wasm.js';

/** @type {import('../app.js').View} */
export function viewLogin(main, _arg, app) {
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
    const btn = find(form, 'button', HTMLButtonElement);
    btn.disabled = true;
    const fileInput = find(form, '#identity', HTMLInputElement);
    try {
      const w = await loadWasm();
      const file = fileInput.files && fileInput.files[0];
      if (!file) throw new Error(t('login.nofile'));
      const bytes = await readFile(file);
      const r = w.loadIdentity(bytes);
      bytes.fill(0);
      fileInput.value = '';
      wasmCall(r);
      const user = find(form, '#user', HTMLInputElement).value.trim();
      /** @type {{challenge: string, challenge_id: string}} */
      const ch = await api('POST', '/v1/auth/challenge', { json: { user } });
      const ans = wasmCall(w.answerChallenge(ch.challenge));
      /** @type {{token: string, user: string, role: import('../state.js').Role, expires_at: string}} */
      const s = await api('POST', '/v1/auth/login', { json: { user, challenge_id: ch.challenge_id, response: ans.response, totp: find(form, '#totp', HTMLInputElement).value.trim() } });
      state.session = { token: s.token, user: s.user, role: s.role, expiresAt: s.expires_at };
      state.lastActivity = Date.now();
      location.hash = '#/' + app.homeFor(s.role);
      app.render();
      status(t('login.done', { user: s.user }), 'ok');
    } catch (e) {
      forgetIdentity();
      fileInput.value = '';
      err.textContent = e instanceof APIError ? (e.status === 401 || e.status === 404 ? t('login.refused') : errText(e)) : t('login.badidentity', { msg: errMessage(e) });
    } finally {
      btn.disabled = false;
    }
  });
  main.append(h('h1', {}, t('login.title')), h('p', { class: 'notice' }, t('login.explain')), form);
  loadWasm().catch(e => { err.textContent = t('wasm.failed', { msg: errMessage(e) }); });
}

/** @param {unknown} e @returns {string} */
function errMessage(e) {
  return e instanceof Error ? e.message : String(e);
}
