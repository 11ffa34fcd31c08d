// Messages and formats in the interface's language (English, Arabic or
// Sorani), from messages.json.
//
// Digits: one policy per language, the same on every page, in text, tables
// and charts alike. English uses Latin digits (1,234). Arabic and Sorani
// use Arabic-Indic digits (١٬٢٣٤), as Iraqi Arabic and Sorani are printed.
// Browsers have no Sorani number or date data (they fall back to English),
// so Sorani numbers are formatted with Iraqi Arabic's digits and
// separators, and Sorani dates are put together from the catalogue's month
// names (month.1 … month.12). Identifiers, hashes, codes and phone numbers
// are not numbers: they keep their own characters, isolated left to right.

import { state } from './state.js';

const RTL = new Set(['ar', 'ckb']);

/** @type {Record<string, string>} the locale of numbers and dates, by language */
const LOCALE = { en: 'en-GB', ar: 'ar-IQ-u-nu-arab', ckb: 'ar-IQ-u-nu-arab' };

/** @returns {string} */
function locale() { return LOCALE[state.lang] || 'en-GB'; }

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

/**
 * Whether the catalogue has key in the current language or in English.
 * @param {string} key
 * @returns {boolean}
 */
export function has(key) {
  const { messages, lang } = state;
  return !!((messages[lang] && messages[lang][key]) || (messages.en && messages.en[key]));
}

/**
 * The message for a count: key.zero, key.one, key.two, key.few, key.many
 * or key.other, as the language's plural rules choose for n (key.other if
 * the catalogue has no message for that form), with {n} the formatted
 * count.
 * @param {string} key
 * @param {number} n
 * @param {Record<string, string | number>} [vars]
 * @returns {string}
 */
export function tn(key, n, vars) {
  const form = new Intl.PluralRules(state.lang).select(n);
  const k = has(key + '.' + form) ? key + '.' + form : key + '.other';
  return t(k, Object.assign({ n: fmtNum(n) }, vars || {}));
}

/**
 * A value of a closed list (a governorate, a tag, a state, an audit
 * action…) in the current language: the message prefix + value, or the
 * value itself if the catalogue does not know it.
 * @param {string} prefix such as 'gov.' or 'action.'
 * @param {string} value
 * @returns {string}
 */
export function label(prefix, value) {
  return has(prefix + value) ? t(prefix + value) : value;
}

/** @param {number} n @returns {string} */
export function fmtNum(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

/**
 * A date and time in the language's format, in the browser's time zone.
 * @param {string} s a date and time as the server writes them
 * @returns {string}
 */
export function fmtDate(s) {
  const d = new Date(s);
  if (isNaN(d.getTime())) return s;
  if (state.lang === 'ckb') {
    const time = new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
    return fmtNum(d.getDate()) + 'ی ' + t('month.' + (d.getMonth() + 1)) + 'ی ' + new Intl.NumberFormat(locale(), { useGrouping: false }).format(d.getFullYear()) + '، ' + time;
  }
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(d);
}

/**
 * A year, without grouping (٢٠١٧ in Arabic and Sorani).
 * @param {string | number} y
 * @returns {string}
 */
export function fmtYear(y) {
  const n = Number(y);
  return isNaN(n) ? String(y) : new Intl.NumberFormat(locale(), { useGrouping: false }).format(n);
}

/**
 * A day, month or year as documents give them (2017, 2017-06,
 * 2017-06-12), in the language's words; anything else as it is.
 * @param {string} s
 * @returns {string}
 */
export function fmtDay(s) {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(s || '');
  if (!m || (m[2] && (Number(m[2]) < 1 || Number(m[2]) > 12))) return s;
  const parts = [];
  if (m[3]) parts.push(fmtNum(Number(m[3])));
  if (m[2]) parts.push(t('month.' + Number(m[2])));
  parts.push(fmtYear(m[1]));
  return parts.join(' ');
}

/**
 * A list of items as a sentence in the current language ("a, b and c").
 * @param {string[]} items
 * @returns {string}
 */
export function fmtList(items) {
  if (state.lang === 'ckb') {
    // No Sorani list data in browsers: "a، b و c".
    return items.length < 2 ? items.join('') : items.slice(0, -1).join('، ') + ' و ' + items[items.length - 1];
  }
  return new Intl.ListFormat(state.lang === 'ar' ? 'ar' : 'en-GB', { type: 'conjunction' }).format(items);
}

/** @param {string | undefined} l a language code @returns {'rtl' | 'ltr'} */
export function dirOf(l) { return l !== undefined && RTL.has(l) ? 'rtl' : 'ltr'; }
