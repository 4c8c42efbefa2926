// Realtime panel: visitors of the last 5 minutes, refreshed every 10 s.
import { api } from './api.js';
import { STORES } from './state.js';
import { formatMetric } from './format.js';
import { h, storeKey, timing, errorBox, unionKeys } from './view.js';

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

  // render shows each store's count, then one list of the top pages with
  // a column per store (the pages of the first store first).
  render(resp) {
    const results = resp.results || [];
    const both = results.length > 1;
    this.panel.querySelector('[data-role=timing]').replaceChildren(...timing(resp));
    const counts = results.map((r) => {
      const store = storeKey(r.store);
      const visitors = Number(r.visitors || 0);
      return h('p', { class: 'rt-count', dataset: { store } },
        h('span', { class: 'pulse', 'aria-hidden': 'true' }),
        h('span', { class: 'num', dataset: { store, metric: 'visitors', value: visitors } }, formatMetric('visitors', visitors)),
        ` current visitor${visitors === 1 ? '' : 's'}${both ? ` (${STORES[store].label})` : ''}`);
    });
    const pages = unionKeys(results, (r) => r.topPages || [], (p) => p.page);
    const byStore = results.map((r) => new Map((r.topPages || []).map((p) => [p.page, Number(p.visitors || 0)])));
    const list = pages.length ? h('ol', { class: 'rt-pages', 'aria-label': 'Top pages right now' }, pages.map((page) =>
      h('li', {}, h('span', { class: 'label', title: page }, page || '/'),
        results.map((r, i) => {
          const store = storeKey(r.store);
          const v = byStore[i].get(page) || 0;
          return h('span', { class: 'rt-num', dataset: { store, value: v }, title: STORES[store].label }, formatMetric('visitors', v));
        })))) : null;
    const head = pages.length && both ? h('div', { class: 'rt-head', 'aria-hidden': 'true' }, h('span', {}, 'Page'),
      results.map((r) => h('span', { class: 'rt-num' }, STORES[storeKey(r.store)].short))) : null;
    this.body.replaceChildren(h('div', { class: 'rt-counts' }, counts), head, list,
      h('p', { class: 'rt-note' }, 'Last 5 minutes, updated every 10 seconds.'));
  }
}
