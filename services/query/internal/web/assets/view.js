// Small DOM helpers shared by the dashboard's parts.
import { STORES } from './state.js';
import { formatMs } from './format.js';

// h builds an element: h('p', {class: 'x', dataset: {a: 1}}, 'text', child).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') el.style.cssText = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// storeKey maps the API's Store enum to the dashboard's store names.
export function storeKey(apiStore) {
  for (const [key, s] of Object.entries(STORES)) {
    if (s.api === apiStore) return key;
  }
  return 'postgres'; // STORE_UNSPECIFIED (omitted by protojson) means PostgreSQL
}

// timing shows how long each store took and, for two stores, whether their
// answers match (protojson omits a false `match`).
export function timing(resp) {
  const results = resp.results || [];
  const parts = results.map((r) =>
    h('span', { class: 'took', dataset: { store: storeKey(r.store), ms: r.durationMs || 0 } },
      `${STORES[storeKey(r.store)].label} ${formatMs(r.durationMs)}`));
  if (results.length > 1) parts.push(parityBadge(resp.parity));
  return parts;
}

// parityBadge says whether both stores agree; a mismatch opens (mouse,
// keyboard or screen reader alike) to the differences the service found.
function parityBadge(parity) {
  if (parity?.match === true) {
    return h('span', { class: 'badge match', dataset: { parity: 'match' }, title: 'Both stores returned identical rows' }, 'match');
  }
  const diffs = parity?.differences || [];
  return h('details', { class: 'badge mismatch', dataset: { parity: 'mismatch' } },
    h('summary', {}, 'mismatch'),
    h('ul', { class: 'diffs' }, diffs.length ? diffs.map((d) => h('li', {}, d)) : h('li', {}, 'The stores returned different rows.')));
}

export function errorBox(err) {
  return h('p', { class: 'panel-error', role: 'status' }, err.message || String(err));
}

// unionKeys lists the keys of every store's items, the first store's order
// first, so Both can show a row that only one store returned.
export function unionKeys(results, items, key) {
  const keys = [];
  for (const r of results) {
    for (const item of items(r)) {
      const k = key(item);
      if (!keys.includes(k)) keys.push(k);
    }
  }
  return keys;
}
