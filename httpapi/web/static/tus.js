// Resumable uploads: the tus 1.0.0 protocol of /v1/uploads (core and
// creation), as much of it as the deposit page needs. The page seals a file
// slice by slice and hands each slice's ciphertext to sendAt, which sends
// it and, after a network error, waits, asks the server how much it holds
// (HEAD) and sends the rest. Only the slice being sent is held. After a
// reload of the page, uploadState tells how much of an upload begun before
// the server holds, and terminate gives up one that cannot go on.

import { state } from './state.js';
import { APIError } from './api.js';

/** The header every tus request carries. */
export const TUS_RESUMABLE = { 'Tus-Resumable': '1.0.0' };
/** What an upload's path looks like. */
const UPLOAD_PATH = /^\/v1\/uploads\/[a-z2-7]+$/;

/**
 * @param {Record<string, string>} [extra]
 * @returns {Record<string, string>}
 */
function headers(extra) {
  /** @type {Record<string, string>} */
  const h = Object.assign({}, TUS_RESUMABLE, extra || {});
  if (state.session) h['Authorization'] = 'Bearer ' + state.session.token;
  return h;
}

/**
 * @param {Response} resp
 * @returns {Promise<APIError>}
 */
async function refusal(resp) {
  let code = '', message = '';
  try { const e = (await resp.json()).error; code = e.code; message = e.message; } catch (_) { /* no JSON body */ }
  return new APIError(resp.status, code, message);
}

/**
 * Starts an upload of length bytes.
 * @param {number} length
 * @returns {Promise<string>} its path, /v1/uploads/ID
 */
export async function createUpload(length) {
  const resp = await fetch('/v1/uploads', { method: 'POST', headers: headers({ 'Upload-Length': String(length) }), credentials: 'omit', cache: 'no-store' });
  if (resp.status !== 201) throw await refusal(resp);
  const loc = resp.headers.get('Location') || '';
  if (!UPLOAD_PATH.test(loc)) throw new Error('the server named the upload ' + JSON.stringify(loc));
  return loc;
}

/**
 * How many bytes of the upload at path the server holds, and its length.
 * A 404 (APIError) means the server has no such upload of this user: it
 * expired, or a deposit consumed it.
 * @param {string} path
 * @returns {Promise<{offset: number, length: number}>}
 */
export async function uploadState(path) {
  if (!UPLOAD_PATH.test(path)) throw new APIError(404, '', 'not an upload: ' + path);
  const resp = await fetch(path, { method: 'HEAD', headers: headers(), credentials: 'omit', cache: 'no-store' });
  if (resp.status !== 200) throw new APIError(resp.status, '', 'HEAD ' + path);
  return { offset: Number(resp.headers.get('Upload-Offset')), length: Number(resp.headers.get('Upload-Length')) };
}

/**
 * Gives up the upload at path (tus termination), so that it no longer
 * counts against the user's quota; errors are ignored, as the server
 * sweeps abandoned uploads anyway.
 * @param {string} path
 * @returns {Promise<void>}
 */
export async function terminate(path) {
  if (!UPLOAD_PATH.test(path)) return;
  try { await fetch(path, { method: 'DELETE', headers: headers(), credentials: 'omit', cache: 'no-store' }); } catch (_) { /* swept later */ }
}

/**
 * @param {string} path
 * @param {number} offset
 * @param {Uint8Array<ArrayBuffer>} bytes
 * @returns {Promise<number>} the upload's new offset
 */
async function patch(path, offset, bytes) {
  const resp = await fetch(path, {
    method: 'PATCH', body: bytes, credentials: 'omit', cache: 'no-store',
    headers: headers({ 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' }),
  });
  if (resp.status !== 204) throw await refusal(resp);
  return Number(resp.headers.get('Upload-Offset'));
}

/**
 * Whether a refusal is one a later attempt may not get: a server error, a
 * conflict over the offset (another request still writing, say), or a body
 * that broke on the way (interrupted, stalled).
 * @param {APIError} e
 * @returns {boolean}
 */
function retryable(e) {
  return e.status >= 500 || e.status === 409 || e.status === 423 || e.status === 408 || e.code === 'interrupted';
}

/** @param {number} ms */
const sleep = ms => new Promise(r => setTimeout(r, ms));

/**
 * Sends bytes, which go at offset in the upload at path, until the server
 * holds them all. After a network error (or a 5xx, or a conflict over the
 * offset) it waits, a fifth of a second at first and doubling up to 30 s,
 * asks for the offset and goes on from there; ten failures in a row give
 * up. onResume is told each time it goes on.
 * @param {string} path
 * @param {number} offset
 * @param {Uint8Array<ArrayBuffer>} bytes
 * @param {(offset: number) => void} [onResume]
 * @returns {Promise<number>} offset + bytes.length
 */
export async function sendAt(path, offset, bytes, onResume) {
  const end = offset + bytes.length;
  let at = offset, failures = 0;
  while (at < end) {
    try {
      at = await patch(path, at, bytes.subarray(at - offset));
      failures = 0;
      continue;
    } catch (e) {
      if (e instanceof APIError && !retryable(e)) throw e;
      if (++failures > 10) throw e;
    }
    for (;;) {
      await sleep(Math.min(30000, 200 * 2 ** (failures - 1)));
      try {
        at = (await uploadState(path)).offset;
        break;
      } catch (e) {
        if (e instanceof APIError && e.status < 500) throw e;
        if (++failures > 10) throw e;
      }
    }
    if (at < offset || at > end) throw new Error('the server holds ' + at + ' bytes of the upload, outside ' + offset + '–' + end);
    if (onResume) onResume(at);
  }
  return end;
}
