// Footprint dashboard: reads the view from the URL, asks the query service,
// renders cards, chart, breakdown panels and the realtime panel.
import { api, ApiError, readKey, saveKey } from './api.js';
import { readState, writeState, baseRequest, timeDimension, OPERATORS } from './state.js';
import { toplineRequest, renderCards } from './cards.js';
import { Chart, seriesRequest, previousRequest } from './chart.js';
import { PANELS, buildPanels, panelRequest, renderPanel, renderPanelLoading, renderPanelError, selectTab } from './panels.js';
import { Realtime } from './realtime.js';
import { h, timing, errorBox } from './view.js';

const $ = (sel) => document.querySelector(sel);
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const app = {
  state: null,
  panels: {},
  chart: null,
  realtime: null,
  abort: null,
  pending: 0,
  renders: 0,
  realtimeFor: '',
};

// Pending work decides body[data-state]: "ready" once everything is drawn
// (the browser test and the render-time measurement wait for it).
function track(promise) {
  app.pending++;
  document.body.dataset.state = 'loading';
  return promise.finally(() => {
    app.pending--;
    if (app.pending === 0) {
      app.renders++;
      document.body.dataset.renders = String(app.renders);
      document.body.dataset.state = 'ready';
      if (app.renders === 1) performance.mark('dashboard-rendered');
    }
  });
}

function showStatus(message) {
  const el = $('#status');
  el.hidden = !message;
  el.textContent = message || '';
}

function handleAuth(err) {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    showStatus(`${err.message}. Enter a read key for site "${app.state.site}".`);
    $('#key-box').open = true;
    return true;
  }
  return false;
}

// navigate applies a change of the view: URL, controls, data.
function navigate(change, { push = true } = {}) {
  change(app.state);
  const search = writeState(app.state);
  if (search !== location.search) {
    if (push) history.pushState(null, '', search);
    else history.replaceState(null, '', search);
  }
  syncControls();
  document.title = `${app.state.site} · Footprint`;
  return refresh();
}

function refresh() {
  app.abort?.abort();
  const abort = new AbortController();
  app.abort = abort;
  const s = app.state;
  const base = baseRequest(s);
  showStatus('');
  renderFilters();
  const jobs = [track(loadToplineAndChart(base, abort.signal))];
  const realtimeFor = `${s.site}|${s.store}|${readKey()}`;
  if (realtimeFor !== app.realtimeFor) {
    app.realtimeFor = realtimeFor;
    jobs.push(track(app.realtime.show(s.site, s.store)));
  }
  for (const panel of PANELS) jobs.push(track(loadPanel(panel, base, abort.signal)));
  return Promise.allSettled(jobs);
}

async function loadToplineAndChart(base, signal) {
  const dimension = timeDimension(app.state);
  const hourly = dimension === 'time:hour';
  $('#cards').setAttribute('aria-busy', 'true');
  const series = api.query(seriesRequest(base, dimension), signal);
  series.catch(() => {}); // awaited below; avoid an unhandled rejection first
  try {
    const top = await api.query(toplineRequest(base), signal);
    renderCards($('#cards'), top);
    const prevReq = previousRequest(base, dimension, top);
    // The faint previous-period line is optional: without it the chart still
    // shows the range (for example when the earlier period is out of bounds).
    const previous = prevReq ? api.query(prevReq, signal).catch((err) => {
      if (err.name === 'AbortError') throw err;
      return null;
    }) : null;
    const [cur, prev] = await Promise.all([series, previous]);
    $('#panel-chart [data-role=timing]').replaceChildren(...timing(cur));
    app.chart.render(cur, prev, hourly);
  } catch (err) {
    if (err.name === 'AbortError') return;
    if (!handleAuth(err)) showStatus(err.message);
    $('#cards').replaceChildren(errorBox(err));
  } finally {
    $('#cards').removeAttribute('aria-busy');
  }
}

async function loadPanel(panel, base, signal) {
  const el = app.panels[panel.id];
  const req = panelRequest(panel, app.state, base);
  renderPanelLoading(el);
  try {
    const resp = req ? await api.query(req, signal) : null;
    renderPanel(el, panel, app.state, resp, handlers);
  } catch (err) {
    if (err.name === 'AbortError') return;
    handleAuth(err);
    renderPanelError(el, err);
  }
}

const handlers = {
  onFilter(dimension, value) {
    if (!dimension || dimension.startsWith('time:')) return;
    navigate((s) => {
      s.filters = s.filters.filter((f) => f.dimension !== dimension);
      s.filters.push({ op: 'is', dimension, value });
    });
  },
  onTab(panelId, tabId) {
    const panel = PANELS.find((p) => p.id === panelId);
    app.state.tabs[panelId] = tabId;
    if (tabId === panel.tabs[0].id) delete app.state.tabs[panelId];
    history.replaceState(null, '', writeState(app.state));
    selectTab(app.panels[panelId], panel, app.state);
    track(loadPanel(panel, baseRequest(app.state), app.abort.signal));
  },
  onProp(key) {
    app.state.prop = key;
    history.replaceState(null, '', writeState(app.state));
    const panel = PANELS.find((p) => p.id === 'events');
    track(loadPanel(panel, baseRequest(app.state), app.abort.signal));
  },
};

function dimensionLabel(dimension) {
  for (const p of PANELS) {
    for (const t of p.tabs) if (t.dimension === dimension) return t.column;
  }
  if (dimension.startsWith('event:props:')) return `Property ${dimension.slice(12)}`;
  return dimension;
}

function renderFilters() {
  const el = $('#filters');
  const chips = app.state.filters.map((f, i) => {
    const text = `${dimensionLabel(f.dimension)} ${OPERATORS[f.op].label} ${f.value === '' ? '(none)' : f.value}`;
    return h('span', { class: 'chip', dataset: { dimension: f.dimension, op: f.op, value: f.value } },
      h('span', {}, text),
      h('button', {
        type: 'button', 'aria-label': `Remove filter: ${text}`,
        onclick: () => navigate((s) => s.filters.splice(i, 1)),
      }, '×'));
  });
  if (chips.length > 1) {
    chips.push(h('button', { type: 'button', class: 'clear', onclick: () => navigate((s) => { s.filters = []; }) }, 'Clear all'));
  }
  el.hidden = chips.length === 0;
  el.replaceChildren(...chips);
}

// --- controls -------------------------------------------------------------

function fillTimeZones() {
  const zones = new Set(typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []);
  zones.add('UTC');
  zones.add(browserZone);
  zones.add(app.state.tz);
  $('#tz').replaceChildren(...[...zones].sort().map((z) => h('option', { value: z }, z)));
}

function fillSites(sites) {
  const all = new Set(sites);
  if (app.state.site) all.add(app.state.site);
  $('#site').replaceChildren(...[...all].sort().map((s) => h('option', { value: s }, s)));
}

function syncControls() {
  const s = app.state;
  $('#site').value = s.site;
  $('#range').value = s.range;
  $('#custom-range').hidden = s.range !== 'custom';
  $('#from').value = s.from;
  $('#to').value = s.to;
  $('#tz').value = s.tz;
  for (const r of document.querySelectorAll('input[name=store]')) r.checked = r.value === s.store;
  for (const panel of PANELS) selectTab(app.panels[panel.id], panel, s);
}

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

function wireControls() {
  $('#controls').addEventListener('submit', (e) => e.preventDefault());
  $('#site').addEventListener('change', (e) => navigate((s) => { s.site = e.target.value; s.filters = []; }));
  $('#tz').addEventListener('change', (e) => navigate((s) => { s.tz = e.target.value; }));
  $('#range').addEventListener('change', (e) => {
    const range = e.target.value;
    if (range === 'custom') {
      const to = new Date();
      const from = new Date(to.getTime() - 6 * 86400000);
      navigate((s) => { s.range = range; s.from = s.from || isoDay(from); s.to = s.to || isoDay(to); });
    } else {
      navigate((s) => { s.range = range; s.from = ''; s.to = ''; });
    }
  });
  const customChange = () => {
    const from = $('#from').value;
    const to = $('#to').value;
    if (from && to && from <= to) navigate((s) => { s.from = from; s.to = to; });
  };
  $('#from').addEventListener('change', customChange);
  $('#to').addEventListener('change', customChange);
  $('#store').addEventListener('change', (e) => navigate((s) => { s.store = e.target.value; }));
  $('#key-save').addEventListener('click', async () => {
    saveKey($('#key').value.trim());
    $('#key').value = '';
    $('#key-box').open = false;
    await loadSites();
    refresh();
  });
  $('#key-clear').addEventListener('click', () => {
    saveKey('');
    $('#key').value = '';
    refresh();
  });
  window.addEventListener('popstate', () => {
    app.state = readState(location.search, { tz: browserZone, site: app.state.site });
    syncControls();
    refresh();
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => app.chart.rethemed());
}

async function loadSites() {
  try {
    const resp = await api.sites();
    const sites = resp.siteIds || [];
    if (!app.state.site) app.state.site = sites[0] || 'demo';
    fillSites(sites);
  } catch (err) {
    if (!app.state.site) app.state.site = 'demo';
    fillSites([]);
    if (!handleAuth(err)) showStatus(err.message);
  }
}

async function start() {
  app.state = readState(location.search, { tz: browserZone });
  app.chart = new Chart($('#chart'), $('#chart-table'));
  app.realtime = new Realtime($('#panel-realtime'));
  app.panels = buildPanels($('#panels'), app.state, handlers);
  fillTimeZones();
  // One tracked task spans the start-up, so "ready" means the first full view.
  await track((async () => {
    await loadSites();
    syncControls();
    wireControls();
    navigate(() => {}, { push: false });
  })());
}

start();
