// The dashboard's whole view state lives in the URL's query string, so a view
// can be bookmarked, shared and restored with the back button.

export const PRESETS = ['today', 'yesterday', '7d', '30d', 'month', 'year', 'custom'];

export const STORES = {
  postgres: { api: 'STORE_POSTGRES', label: 'PostgreSQL', short: 'PG' },
  clickhouse: { api: 'STORE_CLICKHOUSE', label: 'ClickHouse', short: 'CH' },
  both: { api: 'STORE_BOTH', label: 'Both', short: 'Both' },
};

// Filter operators: URL name -> API enum and the chip's wording.
export const OPERATORS = {
  is: { api: 'FILTER_OPERATOR_IS', label: 'is' },
  is_not: { api: 'FILTER_OPERATOR_IS_NOT', label: 'is not' },
  contains: { api: 'FILTER_OPERATOR_CONTAINS', label: 'contains' },
  contains_not: { api: 'FILTER_OPERATOR_CONTAINS_NOT', label: 'does not contain' },
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;

// readState parses a query string. Unknown or malformed values fall back to
// the defaults instead of failing, so an edited link still opens.
export function readState(search, defaults) {
  const p = new URLSearchParams(search);
  const range = PRESETS.includes(p.get('range')) ? p.get('range') : '7d';
  const state = {
    site: p.get('site') || defaults.site || '',
    range,
    from: DATE.test(p.get('from') || '') ? p.get('from') : '',
    to: DATE.test(p.get('to') || '') ? p.get('to') : '',
    tz: p.get('tz') || defaults.tz || 'UTC',
    store: STORES[p.get('store')] ? p.get('store') : 'postgres',
    filters: p.getAll('f').map(parseFilter).filter(Boolean),
    tabs: {},
    prop: p.get('prop') || '',
  };
  for (const [k, v] of p) {
    if (k.startsWith('tab.')) state.tabs[k.slice(4)] = v;
  }
  if (state.range === 'custom' && (!state.from || !state.to)) state.range = '7d';
  return state;
}

// writeState is the inverse of readState: a canonical query string.
export function writeState(s) {
  const p = new URLSearchParams();
  p.set('site', s.site);
  p.set('range', s.range);
  if (s.range === 'custom') {
    p.set('from', s.from);
    p.set('to', s.to);
  }
  p.set('tz', s.tz);
  p.set('store', s.store);
  for (const f of s.filters) p.append('f', `${f.op}|${f.dimension}|${f.value}`);
  for (const [panel, tab] of Object.entries(s.tabs)) p.set(`tab.${panel}`, tab);
  if (s.prop) p.set('prop', s.prop);
  return '?' + p.toString();
}

// A filter in the URL is `op|dimension|value`; the value may contain `|`.
function parseFilter(text) {
  const i = text.indexOf('|');
  const j = text.indexOf('|', i + 1);
  if (i < 0 || j < 0) return null;
  const op = text.slice(0, i);
  const dimension = text.slice(i + 1, j);
  if (!OPERATORS[op] || !dimension || dimension.startsWith('time:')) return null;
  return { op, dimension, value: text.slice(j + 1) };
}

// baseRequest is the part of every Query request that the view decides.
export function baseRequest(s) {
  const req = {
    siteId: s.site,
    dateRange: s.range === 'custom' ? { from: s.from, to: s.to } : { preset: s.range },
    timeZone: s.tz,
    store: STORES[s.store].api,
  };
  if (s.filters.length) {
    req.filters = s.filters.map((f) => ({
      dimension: f.dimension,
      operator: OPERATORS[f.op].api,
      values: [f.value],
    }));
  }
  return req;
}

// The chart shows hours when the range is a single day.
export function timeDimension(s) {
  if (s.range === 'today' || s.range === 'yesterday') return 'time:hour';
  if (s.range === 'custom' && s.from === s.to) return 'time:hour';
  return 'time:day';
}
