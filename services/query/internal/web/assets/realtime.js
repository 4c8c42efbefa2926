// Realtime panel: visitors of the last 5 minutes, refreshed every 10 s.
import { api } from './api.js';
import { STORES } from './state.js';
import { formatMetric } from './format.js';
import { h, storeKey, timing, errorBox } from './view.js';

export const REALTIME_EVERY_MS = 10000;

export class Realtime {
  constructor(panel) {
    this.panel = panel;
    this.body = panel.querySelector('#realtime-body');
    this.timer = null;
    this.abort = null;
    this.request = null;
  }

  // show (re)starts the refresh loop for a site and store.
  show(site, store) {
    this.request = { siteId: site, store: STORES[store].api };
    clearTimeout(this.timer);
    return this.tick();
  }

  async tick() {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    try {
      const resp = await api.realtime(this.request, abort.signal);
      this.render(resp);
    } catch (err) {
      if (err.name === 'AbortError') return;
      this.panel.querySelector('[data-role=timing]').replaceChildren();
      this.body.replaceChildren(errorBox(err));
    }
    if (this.abort === abort) this.timer = setTimeout(() => this.tick(), REALTIME_EVERY_MS);
  }

  render(resp) {
    const results = resp.results || [];
    this.panel.querySelector('[data-role=timing]').replaceChildren(...timing(resp));
    const blocks = results.map((r) => {
      const store = storeKey(r.store);
      const visitors = Number(r.visitors || 0);
      return h('div', { class: 'rt-store', dataset: { store } },
        h('p', { class: 'rt-count' },
          h('span', { class: 'pulse', 'aria-hidden': 'true' }),
          h('span', { class: 'num', dataset: { store, metric: 'visitors', value: visitors } }, formatMetric('visitors', visitors)),
          ` current visitor${visitors === 1 ? '' : 's'}${results.length > 1 ? ` (${STORES[store].label})` : ''}`),
        (r.topPages || []).length
          ? h('ol', { class: 'rt-pages', 'aria-label': 'Top pages right now' }, r.topPages.map((p) =>
            h('li', {}, h('span', { class: 'label' }, p.page || '/'),
              h('span', { class: 'num', dataset: { store, metric: 'visitors', value: Number(p.visitors || 0) } },
                formatMetric('visitors', p.visitors)))))
          : null);
    });
    this.body.replaceChildren(...blocks, h('p', { class: 'rt-note' }, 'Last 5 minutes, updated every 10 seconds.'));
  }
}
