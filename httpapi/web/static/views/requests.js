// The access requests a keeper can grant: those for every document it
// keeps (its deposits, its collections' documents as custodian, and as an
// admin holding a slot), each granted with one click.

import { t } from '../i18n.js';
import { h } from '../dom.js';
import { api, errText } from '../api.js';
import { requestList } from './doc.js';

/** @type {import('../app.js').View} */
export function viewRequests(main, _arg, app) {
  main.append(h('h1', { id: 'requests-h' }, t('requests.title')));
  const box = h('div', { id: 'all-requests' }, h('p', {}, t('loading')));
  main.append(box);
  (async () => {
    try {
      /** @type {{requests: import('./doc.js').AccessRequest[]}} */
      const r = await api('GET', '/v1/requests');
      if (!box.isConnected) return;
      box.replaceChildren(r.requests.length ? requestList(r.requests, app, true) : h('p', { id: 'requests-none' }, t('requests.none')));
    } catch (e) { box.replaceChildren(h('p', { class: 'error' }, errText(e))); }
  })();
}
