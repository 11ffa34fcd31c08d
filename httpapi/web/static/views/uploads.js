// The user's unfinished uploads on the server (GET /v1/uploads), each
// cancelled with one click (tus DELETE). An upload that neither this page
// nor the command line will continue (a browser whose storage was cleared,
// another machine) counts against the user's quota until it expires, a day
// after its last byte; here the user frees its place at once.

import { t, fmtNum, fmtDate } from '../i18n.js';
import { h, status } from '../dom.js';
import { api, errText } from '../api.js';
import { forgetUpload } from '../upload.js';

/** The server's limit on a user's unfinished uploads. */
const MAX_UPLOADS = 4;

/**
 * @typedef {{id: string, location: string, length: number, offset: number, created: string, expires: string}} PendingUpload
 */

/**
 * The section that lists the user's unfinished uploads, hidden while there
 * are none; refresh loads the list again.
 * @returns {{el: HTMLElement, refresh: () => Promise<void>}}
 */
export function pendingUploads() {
  const list = h('ul', { id: 'uploads-list' });
  const el = h('section', { id: 'uploads-pending', 'aria-labelledby': 'uploads-h', hidden: true },
    h('h2', { id: 'uploads-h' }, t('uploads.heading')),
    h('p', { class: 'hint' }, t('uploads.hint', { limit: fmtNum(MAX_UPLOADS) })), list);
  async function refresh() {
    /** @type {{uploads: PendingUpload[]}} */
    const r = await api('GET', '/v1/uploads');
    el.hidden = r.uploads.length === 0;
    list.replaceChildren(...r.uploads.map(u => {
      const desc = 'upload-' + u.id;
      return h('li', {},
        h('span', { id: desc }, t('uploads.item', { received: fmtNum(u.offset), length: fmtNum(u.length), created: fmtDate(u.created), expires: fmtDate(u.expires) })), ' ',
        h('button', { type: 'button', 'data-cancel-upload': u.id, 'aria-describedby': desc, onclick: () => cancel(u) }, t('uploads.cancel')));
    }));
  }
  /** @param {PendingUpload} u */
  async function cancel(u) {
    try {
      await api('DELETE', '/v1/uploads/' + encodeURIComponent(u.id), { headers: { 'Tus-Resumable': '1.0.0' } });
      forgetUpload(u.location);
      status(t('uploads.cancelled'), 'ok');
    } catch (e) {
      status(errText(e), 'error');
    }
    await refresh().catch(e => status(errText(e), 'error'));
  }
  return { el, refresh };
}
