// Breakdown panels: the top values of one dimension with counts and a
// percentage bar. Clicking a row filters the whole dashboard by that value.
import { formatMetric, METRIC_LABELS } from './format.js';
import { STORES } from './state.js';
import { h, storeKey, timing, errorBox, unionKeys } from './view.js';

const ROWS = 10;

// PANELS: each panel has tabs; each tab is one dimension.
export const PANELS = [
  { id: 'pages', title: 'Pages', tabs: [
    { id: 'page', label: 'Top pages', dimension: 'event:page', column: 'Page' },
    { id: 'entry', label: 'Entry pages', dimension: 'visit:entry_page', column: 'Entry page' },
    { id: 'exit', label: 'Exit pages', dimension: 'visit:exit_page', column: 'Exit page' },
  ] },
  { id: 'sources', title: 'Sources', tabs: [
    { id: 'source', label: 'Sources', dimension: 'visit:source', column: 'Source', empty: 'Direct / none' },
    { id: 'referrer', label: 'Referrers', dimension: 'visit:referrer', column: 'Referrer', empty: 'Direct / none' },
  ] },
  { id: 'utm', title: 'Campaigns', tabs: [
    { id: 'source', label: 'Source', dimension: 'visit:utm_source', column: 'utm_source' },
    { id: 'medium', label: 'Medium', dimension: 'visit:utm_medium', column: 'utm_medium' },
    { id: 'campaign', label: 'Campaign', dimension: 'visit:utm_campaign', column: 'utm_campaign' },
  ] },
  { id: 'devices', title: 'Devices', tabs: [
    { id: 'browser', label: 'Browsers', dimension: 'visit:browser', column: 'Browser' },
    { id: 'os', label: 'OS', dimension: 'visit:os', column: 'Operating system' },
    { id: 'device', label: 'Devices', dimension: 'visit:device', column: 'Device' },
  ] },
  { id: 'http', title: 'HTTP', tabs: [
    { id: 'method', label: 'Methods', dimension: 'event:http_method', column: 'Method' },
    { id: 'status', label: 'Statuses', dimension: 'event:http_status', column: 'Status', empty: 'unknown (0)' },
  ] },
  { id: 'events', title: 'Events', tabs: [
    { id: 'name', label: 'Custom events', dimension: 'event:name', column: 'Event', metrics: ['visitors', 'events', 'percentage'], custom: true },
    { id: 'props', label: 'Properties', dimension: 'event:props:', column: 'Value', metrics: ['visitors', 'events', 'percentage'], prop: true },
  ] },
];

export function activeTab(panel, state) {
  return panel.tabs.find((t) => t.id === state.tabs[panel.id]) || panel.tabs[0];
}

// tabDimension resolves the properties tab's dimension from the chosen key.
export function tabDimension(tab, state) {
  return tab.prop ? (state.prop ? `event:props:${state.prop}` : '') : tab.dimension;
}

export function panelRequest(panel, state, base) {
  const tab = activeTab(panel, state);
  const dimension = tabDimension(tab, state);
  if (!dimension) return null;
  const req = {
    ...base,
    metrics: tab.metrics || ['visitors', 'percentage'],
    dimensions: [dimension],
    limit: ROWS,
    include: { totalRows: true },
  };
  // "Custom events" leaves page views out, unless the user filters on names.
  if (tab.custom && !(base.filters || []).some((f) => f.dimension === 'event:name')) {
    req.filters = [...(base.filters || []), { dimension: 'event:name', operator: 'FILTER_OPERATOR_IS_NOT', values: ['page_view'] }];
  }
  return req;
}

// buildPanels creates the panels' frames once; renderPanel fills one.
export function buildPanels(container, state, handlers) {
  const els = {};
  for (const panel of PANELS) {
    const tab = activeTab(panel, state);
    const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': panel.title },
      panel.tabs.map((t) => h('button', {
        type: 'button', role: 'tab', id: `tab-${panel.id}-${t.id}`,
        'aria-selected': String(t === tab), 'aria-controls': `panel-${panel.id}-body`,
        tabindex: t === tab ? '0' : '-1', dataset: { tab: t.id },
        onclick: () => handlers.onTab(panel.id, t.id),
        onkeydown: (e) => tabKeys(e, panel, t, handlers),
      }, t.label)));
    const el = h('section', { class: 'panel breakdown', id: `panel-${panel.id}`, 'aria-labelledby': `panel-${panel.id}-title` },
      h('header', { class: 'panel-head' },
        h('h2', { id: `panel-${panel.id}-title` }, panel.title),
        h('span', { class: 'timing', dataset: { role: 'timing' } })),
      tabs,
      h('div', { class: 'panel-body', id: `panel-${panel.id}-body`, role: 'tabpanel', 'aria-labelledby': `tab-${panel.id}-${tab.id}` }));
    els[panel.id] = el;
    container.append(el);
  }
  return els;
}

function tabKeys(e, panel, tab, handlers) {
  const i = panel.tabs.indexOf(tab);
  let next = null;
  if (e.key === 'ArrowRight') next = panel.tabs[(i + 1) % panel.tabs.length];
  if (e.key === 'ArrowLeft') next = panel.tabs[(i - 1 + panel.tabs.length) % panel.tabs.length];
  if (!next) return;
  e.preventDefault();
  handlers.onTab(panel.id, next.id);
  document.getElementById(`tab-${panel.id}-${next.id}`)?.focus();
}

export function selectTab(el, panel, state) {
  const tab = activeTab(panel, state);
  for (const b of el.querySelectorAll('[role=tab]')) {
    const on = b.dataset.tab === tab.id;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
  }
  el.querySelector('[role=tabpanel]').setAttribute('aria-labelledby', `tab-${panel.id}-${tab.id}`);
}

export function renderPanelLoading(el) {
  el.classList.add('loading');
  el.setAttribute('aria-busy', 'true');
}

export function renderPanelError(el, err) {
  el.classList.remove('loading');
  el.removeAttribute('aria-busy');
  el.querySelector('[data-role=timing]').replaceChildren();
  el.querySelector('.panel-body').replaceChildren(errorBox(err));
}

// renderPanel shows one answer. With two stores (Both), each row holds both
// stores' counts side by side, in PostgreSQL's row order.
export function renderPanel(el, panel, state, resp, handlers) {
  el.classList.remove('loading');
  el.removeAttribute('aria-busy');
  const tab = activeTab(panel, state);
  const body = el.querySelector('.panel-body');
  el.querySelector('[data-role=timing]').replaceChildren(...(resp ? timing(resp) : []));
  const extra = tab.prop ? propPicker(state, handlers) : null;
  if (!resp) {
    body.replaceChildren(extra, h('p', { class: 'empty' }, 'Name a property key to break events down by its values.'));
    return;
  }
  const t = breakdown(resp);
  const dimension = resp.dimensions?.[0] || tabDimension(tab, state);
  const head = h('div', { class: 'cols', 'aria-hidden': 'true' },
    h('span', {}, tab.column),
    t.stores.flatMap((s) => t.shown.map((m) => h('span', { class: 'col-num' },
      t.stores.length > 1 ? `${STORES[s].short} ${METRIC_LABELS[m].toLowerCase()}` : METRIC_LABELS[m]))));
  const rows = t.rows.map((row) => rowButton(row, t, tab, dimension, handlers));
  const total = Math.max(0, ...(resp.results || []).map((r) => Number(r.totalRows || 0)));
  body.replaceChildren(...[
    extra,
    rows.length ? head : null,
    rows.length ? h('ol', { class: 'rows' }, rows) : h('p', { class: 'empty' }, 'No data for this range.'),
    total > rows.length ? h('p', { class: 'more' }, `Top ${rows.length} of ${total}`) : null,
  ].filter(Boolean));
}

// breakdown turns an answer into rows of values per store and metric; the
// percentage (first store's) becomes the bar, not a column.
function breakdown(resp) {
  const metrics = resp.metrics || [];
  const results = resp.results || [];
  const shown = metrics.filter((m) => m !== 'percentage');
  const pct = metrics.indexOf('percentage');
  const dim = (row) => (row.dimensions || [''])[0];
  const byStore = results.map((r) => new Map((r.rows || []).map((row) => [dim(row), row.metrics || []])));
  const rows = unionKeys(results, (r) => r.rows || [], dim).map((value) => {
    const first = byStore.map((m) => m.get(value)).find(Boolean) || [];
    return {
      value,
      share: pct >= 0 ? Number(first[pct] || 0) : null,
      values: byStore.map((m) => shown.map((metric) => Number((m.get(value) || [])[metrics.indexOf(metric)] || 0))),
    };
  });
  return { stores: results.map((r) => storeKey(r.store)), shown, rows };
}

function rowButton(row, t, tab, dimension, handlers) {
  const label = row.value === '' ? (tab.empty || '(none)') : row.value;
  const nums = t.stores.flatMap((s, i) => t.shown.map((m, j) =>
    h('span', { class: 'num', dataset: { store: s, metric: m, value: row.values[i][j] } }, formatMetric(m, row.values[i][j]))));
  const spoken = t.stores.map((s, i) =>
    `${t.stores.length > 1 ? STORES[s].label + ' ' : ''}${formatMetric(t.shown[0], row.values[i][0])} ${METRIC_LABELS[t.shown[0]].toLowerCase()}`).join(', ');
  const share = row.share ?? 0;
  return h('li', {},
    h('button', {
      type: 'button', class: 'row', style: `--pct:${Math.min(100, Math.max(0, share))}%`,
      dataset: { dimension, value: row.value, share },
      'aria-label': `Filter by ${tab.column} ${label}: ${spoken}${row.share === null ? '' : `, ${formatMetric('percentage', share)}`}`,
      onclick: () => handlers.onFilter(dimension, row.value),
    }, h('span', { class: 'label', title: label }, label), nums));
}

function propPicker(state, handlers) {
  const input = h('input', { type: 'text', id: 'prop-key', value: state.prop, placeholder: 'e.g. plan', spellcheck: 'false' });
  return h('form', { class: 'prop-picker', onsubmit: (e) => { e.preventDefault(); handlers.onProp(input.value.trim()); } },
    h('label', { for: 'prop-key' }, 'Property key'), input, h('button', { type: 'submit' }, 'Show'));
}
