// The user's unfinished uploads on the server (GET /v1/uploads), each
// cancelled with one click (tus DELETE). An upload that neither this page
// nor the command line will continue (a browser whose storage was cleared,
// another machine) counts against the user's quota until it expires, a day
// after its last byte; here the user frees its place at once.

import { t, fmtNum, fmtDate } from '../i18n.js';
import { h, status } from '../dom.js';
import { api, errText } from '../api.js';
import { forgetUpload, localUploads } from '../upload.js';
import { TUS_RESUMABLE } from '../tus.js';

/**
 * @typedef {{id: string, location: string, length: number, offset: number, created: string, expires: string}} PendingUpload
 */

/**
 * The section that lists the user's unfinished uploads, hidden while there
 * are none; refresh loads the list again, and busy turns its buttons off
 * while a deposit is being sent (it may be sending one of them).
 * @returns {{el: HTMLElement, refresh: () => Promise<void>, busy: (on: boolean) => void}}
 */
export function pendingUploads() {
  const list = h('ul', { id: 'uploads-list' });
  const hint = h('p', { class: 'hint' });
  const el = h('section', { id: 'uploads-pending', 'aria-labelledby': 'uploads-h', hidden: true },
    h('h2', { id: 'uploads-h' }, t('uploads.heading')), hint, list);
  let sending = false;
  /** @param {boolean} on */
  function busy(on) {
    sending = on;
    for (const b of list.querySelectorAll('button')) if (b instanceof HTMLButtonElement) b.disabled = on;
  }
  async function refresh() {
    /** @type {{uploads: PendingUpload[], max_uploads: number}} */
    const r = await api('GET', '/v1/uploads');
    const here = localUploads();
    hint.textContent = t('uploads.hint', { limit: fmtNum(r.max_uploads) });
    el.hidden = r.uploads.length === 0;
    list.replaceChildren(...r.uploads.map(u => {
      const desc = 'upload-' + u.id;
      return h('li', {},
        h('span', { id: desc }, t('uploads.item', { received: fmtNum(u.offset), length: fmtNum(u.length), created: fmtDate(u.created), expires: fmtDate(u.expires) }),
          here.has(u.location) ? ' ' + t('uploads.here') : ''), ' ',
        h('button', { type: 'button', 'data-cancel-upload': u.id, 'aria-describedby': desc, disabled: sending, onclick: () => cancel(u) }, t('uploads.cancel')));
    }));
  }
  /** @param {PendingUpload} u */
  async function cancel(u) {
    try {
      await api('DELETE', '/v1/uploads/' + encodeURIComponent(u.id), { headers: TUS_RESUMABLE });
      forgetUpload(u.location);
      status(t('uploads.cancelled'), 'ok');
    } catch (e) {
      status(errText(e), 'error');
    }
    await refresh().catch(e => status(errText(e), 'error'));
  }
  return { el, refresh, busy };
}
