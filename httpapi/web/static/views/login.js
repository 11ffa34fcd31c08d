// Login: the user id, the age identity file and, to deposit, the signing
// key file (both read here, given to the WebAssembly module, never sent)
// and a TOTP code.

import { state } from '../state.js';
import { t } from '../i18n.js';
import { h, find, status } from '../dom.js';
import { api, APIError, errText } from '../api.js';
import { loadWasm, wasmCall, forgetIdentity, readFile } from '../wasm.js';

/** A signing key file the module refused, with the reason in the user's language. */
class SigningKeyError extends Error {}

/** @type {import('../app.js').View} */
export function viewLogin(main, _arg, app) {
  const err = h('p', { class: 'error', id: 'login-error', role: 'alert' });
  const form = h('form', { class: 'stack', id: 'login-form', autocomplete: 'off' },
    h('div', { class: 'field' }, h('label', { for: 'login-user' }, t('login.user')), h('input', { type: 'text', id: 'login-user', required: true, autocomplete: 'username', spellcheck: 'false', dir: 'ltr' })),
    h('div', { class: 'field' }, h('label', { for: 'login-identity' }, t('login.identity')),
      h('span', { class: 'hint', id: 'identity-hint' }, t('login.identity.hint')),
      h('input', { type: 'file', id: 'login-identity', required: true, 'aria-describedby': 'identity-hint' })),
    h('div', { class: 'field' }, h('label', { for: 'login-signing-key' }, t('login.signing')),
      h('span', { class: 'hint', id: 'signing-hint' }, t('login.signing.hint')),
      h('input', { type: 'file', id: 'login-signing-key', 'aria-describedby': 'signing-hint' })),
    h('div', { class: 'field' }, h('label', { for: 'login-totp' }, t('login.totp')), h('input', { type: 'text', id: 'login-totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6,8}', required: true, dir: 'ltr' })),
    h('button', { type: 'submit', id: 'login-submit' }, t('login.submit')),
    err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const btn = find(form, 'button', HTMLButtonElement);
    btn.disabled = true;
    const fileInput = find(form, '#login-identity', HTMLInputElement);
    const signInput = find(form, '#login-signing-key', HTMLInputElement);
    try {
      const w = await loadWasm();
      const file = fileInput.files && fileInput.files[0];
      if (!file) throw new Error(t('login.nofile'));
      const bytes = await readFile(file);
      const r = w.loadIdentity(bytes);
      bytes.fill(0);
      fileInput.value = '';
      wasmCall(r);
      const signFile = signInput.files && signInput.files[0];
      /** @type {{publicKey: string, fingerprint: string} | null} */
      let signingKey = null;
      if (signFile) {
        const sb = await readFile(signFile);
        const sr = w.loadSigningKey(sb);
        sb.fill(0);
        signInput.value = '';
        if (sr.error !== undefined) {
          throw new SigningKeyError(sr.code === 'security_key' ? t('login.signing.sk') : sr.code === 'passphrase' ? t('login.signing.passphrase') : t('login.signing.bad', { msg: sr.error }));
        }
        signingKey = { publicKey: sr.public_key, fingerprint: sr.fingerprint };
      }
      const user = find(form, '#login-user', HTMLInputElement).value.trim();
      /** @type {{challenge: string, challenge_id: string}} */
      const ch = await api('POST', '/v1/auth/challenge', { json: { user } });
      const ans = wasmCall(w.answerChallenge(ch.challenge));
      /** @type {{token: string, user: string, role: import('../state.js').Role, expires_at: string}} */
      const s = await api('POST', '/v1/auth/login', { json: { user, challenge_id: ch.challenge_id, response: ans.response, totp: find(form, '#login-totp', HTMLInputElement).value.trim() } });
      state.session = { token: s.token, user: s.user, role: s.role, expiresAt: s.expires_at, signingKey };
      state.lastActivity = Date.now();
      location.hash = '#/' + app.homeFor(s.role);
      app.render();
      status(t('login.done', { user: s.user }), 'ok');
    } catch (e) {
      forgetIdentity();
      fileInput.value = '';
      signInput.value = '';
      err.textContent = e instanceof SigningKeyError ? e.message : e instanceof APIError ? (e.status === 401 || e.status === 404 ? t('login.refused') : errText(e)) : t('login.badidentity', { msg: errMessage(e) });
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
