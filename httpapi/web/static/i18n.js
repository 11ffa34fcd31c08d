// Messages and formats in the interface's language (English, Arabic or
// Sorani), from messages.json.

import { state } from './state.js';

const RTL = new Set(['ar', 'ckb']);

/**
 * The message key in the current language (English if it has none), with
 * {name} placeholders filled from vars.
 * @param {string} key
 * @param {Record<string, string | number>} [vars]
 * @returns {string}
 */
export function t(key, vars) {
  const { messages, lang } = state;
  let s = (messages[lang] && messages[lang][key]) || (messages.en && messages.en[key]) || key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll('{' + k + '}', String(v));
  return s;
}

/** @param {number} n @returns {string} */
export function fmtNum(n) {
  const lang = state.lang;
  return new Intl.NumberFormat(lang === 'ckb' ? 'ckb-IQ' : lang === 'ar' ? 'ar-IQ' : 'en').format(n);
}

/** @param {string} s a date and time as the server writes them @returns {string} */
export function fmtDate(s) {
  const lang = state.lang;
  const d = new Date(s);
  if (isNaN(d.getTime())) return s;
  return new Intl.DateTimeFormat(lang === 'ckb' ? 'ckb-IQ' : lang === 'ar' ? 'ar-IQ' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** @param {string | undefined} l a language code @returns {'rtl' | 'ltr'} */
export function dirOf(l) { return l !== undefined && RTL.has(l) ? 'rtl' : 'ltr'; }
