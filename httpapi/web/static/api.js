// The server's HTTP API (/v1), as the page uses it.

import { state } from './state.js';
import { t } from './i18n.js';

/** Fired on document when the server no longer accepts the session. */
export const SESSION_EXPIRED = 'amana:session-expired';

/** The codes of a 401 that asks for a (new) TOTP code: the session goes on. */
const STEP_UP_CODES = ['step_up_required', 'step_up_failed', 'invalid_totp'];

/** An answer of the server other than 2xx. */
export class APIError extends Error {
  /**
   * @param {number} status HTTP status
   * @param {string} [code] the error's code in the JSON body
   * @param {string} [message]
   */
  constructor(status, code, message) {
    super(message || code || String(status));
    this.status = status;
    this.code = code;
  }
}

/**
 * @typedef {object} APIOptions
 * @property {unknown} [json] a body sent as JSON
 * @property {Record<string, string>} [headers]
 * @property {'bytes' | 'text'} [as] how to read the answer (JSON by default)
 */

/**
 * @overload
 * @param {string} method
 * @param {string} path
 * @param {APIOptions & {as: 'bytes'}} opts
 * @returns {Promise<Uint8Array | null>}
 */
/**
 * @overload
 * @param {string} method
 * @param {string} path
 * @param {APIOptions & {as: 'text'}} opts
 * @returns {Promise<string>}
 */
/**
 * @overload
 * @param {string} method
 * @param {string} path
 * @param {APIOptions} [opts]
 * @returns {Promise<any>} the JSON answer (null for 204): callers give it its type
 */
/**
 * Calls the API with the session's token. A 401 other than for a TOTP
 * code ends the session (SESSION_EXPIRED) before the error is thrown.
 * @param {string} method
 * @param {string} path
 * @param {APIOptions} [opts]
 * @returns {Promise<any>}
 */
export async function api(method, path, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = Object.assign({}, opts.headers || {});
  if (state.session) headers['Authorization'] = 'Bearer ' + state.session.token;
  let body;
  if (opts.json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(opts.json); }
  const resp = await fetch(path, { method, headers, body, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
  if (!resp.ok) {
    let code = '', message = '';
    try { const e = (await resp.json()).error; code = e.code; message = e.message; } catch (_) { /* not JSON */ }
    if (resp.status === 401 && state.session && !STEP_UP_CODES.includes(code)) {
      document.dispatchEvent(new Event(SESSION_EXPIRED));
    }
    throw new APIError(resp.status, code, message);
  }
  if (opts.as === 'bytes') return resp.status === 204 ? null : new Uint8Array(await resp.arrayBuffer());
  if (opts.as === 'text') return resp.text();
  if (resp.status === 204) return null;
  return resp.json();
}

/**
 * A failure as the user reads it.
 * @param {unknown} e
 * @returns {string}
 */
export function errText(e) {
  if (e instanceof APIError) {
    if (e.status === 404) return t('err.notfound');
    if (e.status === 403) return t('err.forbidden');
    if (e.status === 429) return t('err.ratelimited');
    return t('err.server', { msg: e.message });
  }
  const msg = typeof e === 'object' && e !== null && 'message' in e ? e.message : undefined;
  return String(msg || e);
}

/**
 * Whether the server asked for a (new) TOTP code for a step-up.
 * @param {unknown} e
 * @returns {boolean}
 */
export function needsStepUp(e) {
  return e instanceof APIError && STEP_UP_CODES.includes(e.code || '');
}

/**
 * Posts a deposit (multipart) and reports the upload's progress in percent.
 * @param {FormData} fd
 * @param {(pct: number) => void} onProgress
 * @returns {Promise<{id: string}>} the new document
 */
export function upload(fd, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', '/v1/documents');
    if (state.session) x.setRequestHeader('Authorization', 'Bearer ' + state.session.token);
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
