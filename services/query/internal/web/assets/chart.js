// Time-series chart of visitors and pageviews (uPlot, vendored). The x axis
// is the bucket index, labelled with the API's own bucket strings, so the
// chart shows the requested time zone's hours and days, not the browser's.
import { STORES } from './state.js';
import { h, storeKey } from './view.js';

export function seriesRequest(base, dimension) {
  return {
    ...base,
    metrics: ['visitors', 'pageviews'],
    dimensions: [dimension],
    include: { timeLabels: true },
    limit: 10000,
  };
}

// previousRequest asks for the same buckets in the comparison period that the
// top-line answer resolved.
export function previousRequest(base, dimension, topline) {
  if (!topline.comparisonDateFrom || !topline.comparisonDateTo) return null;
  return {
    ...seriesRequest(base, dimension),
    dateRange: { from: topline.comparisonDateFrom, to: topline.comparisonDateTo },
  };
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function shortLabel(bucket, hourly) {
  if (hourly) return bucket.slice(11, 16) || bucket;
  return bucket.slice(5);
}

// Chart owns one uPlot instance inside a container and redraws it on resize.
export class Chart {
  constructor(container, table) {
    this.container = container;
    this.table = table;
    this.plot = null;
    this.last = null;
    new ResizeObserver(() => this.resize()).observe(container);
  }

  resize() {
    if (!this.plot) return;
    const w = this.container.clientWidth;
    if (w && w !== this.plot.width) this.plot.setSize({ width: w, height: this.height() });
  }

  height() {
    return this.container.clientWidth < 500 ? 200 : 260;
  }

  // render draws current (one or two stores) and previous-period series.
  render(resp, previous, hourly) {
    this.last = [resp, previous, hourly];
    const results = resp.results || [];
    const labels = (results[0]?.rows || []).map((r) => (r.dimensions || [''])[0]);
    const x = labels.map((_, i) => i);
    const colors = { visitors: cssVar('--c-visitors'), pageviews: cssVar('--c-pageviews') };
    const data = [x];
    const series = [{ label: hourly ? 'Hour' : 'Day', value: (u, v) => (v == null ? '' : labels[v] ?? '') }];
    results.forEach((r, k) => {
      const store = STORES[storeKey(r.store)];
      ['visitors', 'pageviews'].forEach((metric, m) => {
        data.push(x.map((i) => Number(((r.rows || [])[i]?.metrics || [])[m] || 0)));
        series.push({
          label: `${metric === 'visitors' ? 'Visitors' : 'Pageviews'}${results.length > 1 ? ` (${store.short})` : ''}`,
          stroke: colors[metric], width: 2, dash: k > 0 ? [4, 4] : undefined,
          fill: k === 0 && metric === 'visitors' ? cssVar('--c-visitors-fill') : undefined,
          points: { show: x.length < 40 },
        });
      });
    });
    const prevRows = previous?.results?.[0]?.rows || [];
    if (previous) {
      ['visitors', 'pageviews'].forEach((metric, m) => {
        data.push(x.map((i) => (i < prevRows.length ? Number((prevRows[i].metrics || [])[m] || 0) : null)));
        series.push({
          label: `${metric === 'visitors' ? 'Visitors' : 'Pageviews'} (previous)`,
          stroke: colors[metric], alpha: 0.3, width: 1.5, points: { show: false },
        });
      });
    }
    const axis = { stroke: cssVar('--fg-muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid') } };
    const opts = {
      width: this.container.clientWidth || 600,
      height: this.height(),
      scales: { x: { time: false } },
      series,
      axes: [
        { ...axis, values: (u, splits) => splits.map((i) => (Number.isInteger(i) && labels[i] ? shortLabel(labels[i], hourly) : '')) },
        { ...axis, size: 50, values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? v.toLocaleString('en-US') : '')) },
      ],
      cursor: { y: false },
      legend: { live: true },
    };
    this.plot?.destroy();
    this.container.replaceChildren();
    this.plot = new window.uPlot(opts, data, this.container);
    this.container.setAttribute('aria-label', describe(labels, data, results.length));
    this.table.replaceChildren(dataTable(labels, results, prevRows));
  }

  // rethemed redraws with the other palette when the system theme changes.
  rethemed() {
    if (this.last) this.render(...this.last);
  }
}

// dataTable holds the chart's numbers for screen readers (and the browser
// test): one row per bucket, one column per store and metric.
function dataTable(labels, results, prevRows) {
  const cols = results.flatMap((r) => ['visitors', 'pageviews'].map((metric, m) => ({ store: storeKey(r.store), metric, m, rows: r.rows || [] })));
  return h('table', {},
    h('caption', {}, 'Visitors and pageviews per bucket'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Bucket'),
      cols.map((c) => h('th', { scope: 'col' }, `${c.metric} (${STORES[c.store].label})`)),
      prevRows.length ? [h('th', { scope: 'col' }, 'visitors (previous)'), h('th', { scope: 'col' }, 'pageviews (previous)')] : null)),
    h('tbody', {}, labels.map((label, i) => h('tr', { dataset: { bucket: label } },
      h('th', { scope: 'row' }, label),
      cols.map((c) => {
        const v = Number((c.rows[i]?.metrics || [])[c.m] || 0);
        return h('td', { class: 'num', dataset: { store: c.store, metric: c.metric, value: v } }, v.toLocaleString('en-US'));
      }),
      prevRows.length ? [0, 1].map((m) => h('td', { dataset: { previous: m ? 'pageviews' : 'visitors' } },
        i < prevRows.length ? Number((prevRows[i].metrics || [])[m] || 0).toLocaleString('en-US') : '')) : null))));
}

// describe gives screen readers the chart's numbers in words.
function describe(labels, data, stores) {
  const sum = (a) => a.reduce((s, v) => s + (v || 0), 0);
  if (!labels.length) return 'No data for this range.';
  const visitors = data[1] || [];
  const peak = visitors.indexOf(Math.max(...visitors));
  return `Visitors and pageviews from ${labels[0]} to ${labels[labels.length - 1]}` +
    `${stores > 1 ? ' (PostgreSQL)' : ''}: ${sum(data[2] || []).toLocaleString('en-US')} pageviews in total; ` +
    `most visitors (${(visitors[peak] || 0).toLocaleString('en-US')}) at ${labels[peak]}.`;
}
