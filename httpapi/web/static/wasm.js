// The WebAssembly module (cmd/amana-wasm): loaded once, on first use. Its
// API is typed in amana-wasm.d.ts.

import { state } from './state.js';

/**
 * The module's API, once it runs.
 * @returns {Promise<AmanaWasm>}
 */
export function loadWasm() {
  if (!state.wasm) {
    state.wasm = (async () => {
      const go = new Go();
      const res = await WebAssembly.instantiateStreaming(fetch('/ui/amana.wasm'), go.importObject);
      go.run(res.instance);
      if (!globalThis.amanaWasm) throw new Error('WebAssembly module did not start');
      return globalThis.amanaWasm;
    })();
  }
  return state.wasm;
}

/**
 * The result of a call, or its error thrown.
 * @template T
 * @param {AmanaWasmResult<T>} r
 * @returns {T}
 */
export function wasmCall(r) {
  if (r.error !== undefined) throw new Error(r.error);
  return r;
}

/** Drops the identities and the signing key from the module, if it runs. */
export function forgetIdentity() {
  if (globalThis.amanaWasm) globalThis.amanaWasm.forget();
}

/**
 * A file the user chose, as bytes.
 * @param {Blob} file
 * @returns {Promise<Uint8Array>}
 */
export function readFile(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(new Uint8Array(/** @type {ArrayBuffer} */ (r.result)));
    r.onerror = () => reject(r.error);
    r.readAsArrayBuffer(file);
  });
}
