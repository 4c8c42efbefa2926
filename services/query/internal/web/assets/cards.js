// Top-line cards: totals of the range, each with its change against the
// previous period.
import { METRIC_LABELS, formatMetric, formatChange, changeTone } from './format.js';
import { STORES } from './state.js';
import { h, storeKey, timing } from './view.js';

export const TOPLINE = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'];

export function toplineRequest(base) {
  return {
    ...base,
    metrics: TOPLINE,
    include: { comparison: 'PERIOD_COMPARISON_PREVIOUS_PERIOD' },
  };
}

export function renderCards(container, resp) {
  const results = resp.results || [];
  const both = results.length > 1;
  const cards = TOPLINE.map((metric, i) => {
    const values = results.map((r) => {
      const row = (r.rows || [])[0] || {};
      const store = storeKey(r.store);
      const value = (row.metrics || [])[i] || 0;
      const change = (row.change || [])[i] || 0;
      const before = (row.comparisonMetrics || [])[i] || 0;
      return h('div', { class: 'card-value' },
        both ? h('span', { class: 'store-tag', title: STORES[store].label }, STORES[store].short) : null,
        h('span', { class: 'num', dataset: { store, metric, value } }, formatMetric(metric, value)),
        h('span', {
          class: `change ${changeTone(metric, change)}`,
          dataset: { store, metric, change },
          title: `Previous period: ${formatMetric(metric, before)}`,
          'aria-label': `${formatChange(metric, change)} against the previous period (${formatMetric(metric, before)})`,
        }, formatChange(metric, change)));
    });
    return h('div', { class: 'card', dataset: { metric }, role: 'group', 'aria-label': METRIC_LABELS[metric] },
      h('h2', { class: 'card-title' }, METRIC_LABELS[metric]), values);
  });
  container.classList.toggle('both', both);
  container.replaceChildren(h('div', { class: 'card-grid' }, cards), h('p', { class: 'cards-timing timing' }, timing(resp)));
}
