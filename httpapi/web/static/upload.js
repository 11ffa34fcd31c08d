// Sealing a file and uploading it, slice by slice, for the deposit page:
// the WebAssembly module seals each slice of the file, tus.js sends its
// ciphertext, which goes on after the connection drops.
//
// After a reload of the page the same file, chosen again by the same user
// for the same collection, continues its upload: the page keeps in
// localStorage, under a hash of the user, collection and the file's name,
// size and date, the upload's path, the head of the age file (header and
// payload nonce), the depositor's own key slot and the length and SHA-256
// of the ciphertext the server acknowledged, all of which the server saw
// or could see: no plaintext, no private metadata, no document key, no
// session token. Once the user has logged in again, the identity opens the
// slot, the module makes the same ciphertext from the file (from its first
// byte: the hashes cover all of it), checks it against the SHA-256 kept and
// sends only what the server lacks.

import { t, fmtNum } from './i18n.js';
import { APIError } from './api.js';
import { wasmCall } from './wasm.js';
import { createUpload, sendAt, uploadState, terminate } from './tus.js';

/** How much of the file is read and sealed at a time. */
const SLICE = 4 << 20;
/** The prefix of the localStorage keys of unfinished uploads. */
const RESUME_PREFIX = 'amana.upload.';
/** How long an unfinished upload is kept: the server forgets one a day after its last byte. */
const RESUME_MAX_AGE = 3 * 24 * 3600 * 1000;

/**
 * What the page keeps of an unfinished upload (see the top of this file).
 * @typedef {{v: 1, path: string, head: string, slot: string, length: number, at: number, check?: {length: number, sha256: string}}} ResumeRecord
 */

/**
 * The localStorage key of the upload of file by user to collection: a hash,
 * so that the file's name is not written in the clear.
 * @param {string} user
 * @param {string} collection
 * @param {File} file
 * @returns {Promise<string>}
 */
export async function resumeKey(user, collection, file) {
  const id = new TextEncoder().encode(JSON.stringify(['amana upload', user, collection, file.name, file.size, file.lastModified]));
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', id));
  return RESUME_PREFIX + Array.from(d, x => x.toString(16).padStart(2, '0')).join('');
}

/**
 * The record kept under key, if it is one and recent enough.
 * @param {string} key
 * @returns {ResumeRecord | null}
 */
export function loadRecord(key) {
  try {
    const r = JSON.parse(localStorage.getItem(key) || 'null');
    if (r && r.v === 1 && typeof r.path === 'string' && typeof r.head === 'string' && typeof r.slot === 'string' && Date.now() - r.at < RESUME_MAX_AGE) return r;
  } catch (_) { /* not ours, or damaged */ }
  localStorage.removeItem(key);
  return null;
}

/**
 * @param {string} key
 * @param {ResumeRecord} r
 */
function saveRecord(key, r) {
  // Storage full or disabled: the deposit goes on, but cannot survive a reload.
  try { localStorage.setItem(key, JSON.stringify(r)); } catch (_) { /* see above */ }
}

/**
 * Forgets the records of the upload at path, which was cancelled.
 * @param {string} path
 */
export function forgetUpload(path) {
  for (const k of Object.keys(localStorage)) if (k.startsWith(RESUME_PREFIX) && loadRecord(k)?.path === path) localStorage.removeItem(k);
}

/**
 * The paths of the uploads this browser keeps records of.
 * @returns {Set<string>}
 */
export function localUploads() {
  const out = new Set();
  for (const k of Object.keys(localStorage)) {
    const r = k.startsWith(RESUME_PREFIX) ? loadRecord(k) : null;
    if (r) out.add(r.path);
  }
  return out;
}

/** Drops the records of uploads the server has forgotten. */
export function dropStale() {
  for (const k of Object.keys(localStorage)) if (k.startsWith(RESUME_PREFIX)) loadRecord(k);
}

/** @param {Uint8Array} b */
const base64 = b => { let s = ''; for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000)); return btoa(s); };

class FileChanged extends Error {}

/**
 * Seals file and uploads it: from where the upload kept under key stopped,
 * if there is one that can go on (and fresh is false), else from the
 * start. It returns null if the file turned out not to be the one whose
 * upload began (the caller starts afresh).
 * @param {AmanaWasm} w
 * @param {File} file
 * @param {AmanaDepositRequest} req
 * @param {string} key
 * @param {string} user
 * @param {boolean} fresh
 * @param {HTMLProgressElement} progress
 * @param {HTMLElement} note
 * @param {(offset: number) => void} onResume
 * @returns {Promise<{start: AmanaWasmStreamStart, sealed: AmanaWasmStreamEnd, path: string} | null>}
 */
export async function sendFile(w, file, req, key, user, fresh, progress, note, onResume) {
  let rec = fresh ? null : loadRecord(key);
  /** @type {AmanaWasmStreamStart | null} */
  let start = null;
  let path = '', offset = 0;
  if (rec) {
    const r = rec;
    try {
      const st = await uploadState(r.path);
      const again = w.sealStart(JSON.stringify(req), file.size, r.slot, r.head);
      if (again.error === undefined && again.length === r.length && st.length === r.length && st.offset <= r.length) {
        start = again;
        path = r.path;
        offset = st.offset;
        progress.dataset.resumedFrom = String(offset);
        note.textContent = t('deposit.resumed', { pct: fmtNum(Math.floor(100 * offset / r.length)) });
      }
    } catch (e) {
      // Offline: try again later with the record kept. Anything else (the
      // upload expired or was consumed) means starting afresh.
      if (!(e instanceof APIError)) throw e;
    }
    if (!start) {
      note.textContent = t('deposit.resume.cannot');
      await terminate(r.path);
      localStorage.removeItem(key);
      rec = null;
    }
  }
  if (!start) {
    start = wasmCall(w.sealStart(JSON.stringify(req), file.size));
    path = await createUpload(start.length);
    // Without a key slot of their own the depositor could not recover the
    // document key after a reload: nothing is kept.
    const slot = start.slots[user];
    if (slot) {
      rec = { v: 1, path, head: base64(start.content), slot, length: start.length, at: Date.now() };
      saveRecord(key, rec);
    }
  }
  const check = rec && rec.check;
  let made = 0;
  /**
   * Sends what the server lacks of the ciphertext ct, which follows what
   * was made so far (whose SHA-256 is sum, if known); what the server then
   * holds is kept to be checked after a reload.
   * @param {Uint8Array<ArrayBuffer>} ct
   * @param {string} [sum]
   */
  const send = async (ct, sum) => {
    const end = made + ct.length;
    if (check && made < check.length && end >= check.length) {
      // The same file makes the same ciphertext: a file changed in place
      // (same name, size and date) must not be sealed again under the same
      // keys and nonces.
      if (end !== check.length || sum !== check.sha256) throw new FileChanged();
    }
    if (end > offset) {
      offset = await sendAt(path, Math.max(offset, made), ct.subarray(Math.max(0, offset - made)), onResume);
      if (rec && sum && offset === end) {
        rec.check = { length: end, sha256: sum };
        rec.at = Date.now();
        saveRecord(key, rec);
      }
    }
    made = end;
    progress.value = Math.floor(100 * made / (start ? start.length : 1));
  };
  try {
    await send(start.content);
    // One buffer for the plaintext and one for the ciphertext of every
    // slice, reused: memory stays flat however long the file. The module
    // is never handed a slice's own ArrayBuffer: it would keep a reference
    // to each until its own collector runs, which a module that allocates
    // little seldom does, and the slices would pile up. Left unreferenced
    // they are garbage whose size makes the browser collect, and with them
    // its copies of the requests sent.
    const out = new Uint8Array(SLICE + (1 << 20));
    const inBuf = new Uint8Array(SLICE);
    for await (const slice of slices(file)) {
      inBuf.set(slice);
      slice.fill(0);
      const plain = inBuf.subarray(0, slice.length);
      const r = wasmCall(w.sealWrite(plain, out));
      plain.fill(0);
      await send(out.subarray(0, r.n), r.sha256);
    }
    const sealed = wasmCall(w.sealFinish());
    await send(sealed.content);
    return { start, sealed, path };
  } catch (e) {
    if (e instanceof FileChanged) {
      note.textContent = t('deposit.resume.cannot');
      await terminate(path);
      localStorage.removeItem(key);
      return null;
    }
    // Refused for good (gone, over quota, too large): nothing to go on with.
    if (e instanceof APIError && e.status >= 400 && e.status < 500 && ![408, 409, 423, 429].includes(e.status)) localStorage.removeItem(key);
    throw e;
  }
}

/**
 * The file, SLICE bytes at a time, each in a new ArrayBuffer.
 * @param {Blob} file
 * @returns {AsyncGenerator<Uint8Array<ArrayBuffer>>}
 */
async function* slices(file) {
  for (let pos = 0; pos < file.size; pos += SLICE) yield new Uint8Array(await file.slice(pos, pos + SLICE).arrayBuffer());
}
