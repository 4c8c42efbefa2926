// Unit tests of the dashboard's URL state and formatting (node --test; run by
// web_test.go's TestJavaScriptUnits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readState, writeState, baseRequest, timeDimension } from '../assets/state.js';
import { formatMetric, formatDuration, formatChange, changeTone } from '../assets/format.js';

const defaults = { tz: 'Europe/Berlin' };

test('a full view survives the URL round trip', () => {
  const state = {
    site: 'demo', range: 'custom', from: '2026-01-01', to: '2026-01-31', tz: 'America/New_York', store: 'both',
    filters: [{ op: 'is', dimension: 'event:page', value: '/a|b' }, { op: 'contains_not', dimension: 'event:props:plan', value: '' }],
    tabs: { pages: 'entry' }, prop: 'plan',
  };
  assert.deepEqual(readState(writeState(state), defaults), state);
});

test('defaults fill what the URL lacks', () => {
  const s = readState('?site=demo', defaults);
  assert.equal(s.range, '7d');
  assert.equal(s.tz, 'Europe/Berlin');
  assert.equal(s.store, 'postgres');
  assert.deepEqual(s.filters, []);
});

test('malformed values fall back instead of failing', () => {
  const s = readState('?site=x&range=decade&store=oracle&f=nope&f=is|time:day|2026-01-01&f=bad|event:page|/&range=custom', defaults);
  assert.equal(s.range, '7d'); // unknown preset; the second range is ignored
  assert.equal(s.store, 'postgres');
  assert.deepEqual(s.filters, []); // no separators, time dimension, unknown operator
  assert.equal(readState('?range=custom&from=2026-01-01', defaults).range, '7d'); // custom without `to`
});

test('the API request follows the view', () => {
  const s = readState('?site=demo&range=today&tz=UTC&store=clickhouse&f=is_not|visit:browser|Chrome', defaults);
  assert.deepEqual(baseRequest(s), {
    siteId: 'demo', dateRange: { preset: 'today' }, timeZone: 'UTC', store: 'STORE_CLICKHOUSE',
    filters: [{ dimension: 'visit:browser', operator: 'FILTER_OPERATOR_IS_NOT', values: ['Chrome'] }],
  });
  const custom = readState('?site=demo&range=custom&from=2026-02-01&to=2026-02-03', defaults);
  assert.deepEqual(baseRequest(custom).dateRange, { from: '2026-02-01', to: '2026-02-03' });
  assert.equal(baseRequest(custom).filters, undefined);
});

test('hours for a single day, days otherwise', () => {
  assert.equal(timeDimension(readState('?range=today', defaults)), 'time:hour');
  assert.equal(timeDimension(readState('?range=yesterday', defaults)), 'time:hour');
  assert.equal(timeDimension(readState('?range=custom&from=2026-01-05&to=2026-01-05', defaults)), 'time:hour');
  assert.equal(timeDimension(readState('?range=30d', defaults)), 'time:day');
});

test('metrics read as people expect', () => {
  assert.equal(formatMetric('visitors', 1234567), '1,234,567');
  assert.equal(formatMetric('views_per_visit', 2.345), '2.35');
  assert.equal(formatMetric('bounce_rate', 41.5), '41.5%');
  assert.equal(formatMetric('visitors', undefined), '0'); // protojson omits zeros
  assert.equal(formatDuration(59.6), '1m 00s');
  assert.equal(formatDuration(3725), '1h 02m');
  assert.equal(formatChange('visitors', -12.5), '↓ 12.5%');
  assert.equal(formatChange('bounce_rate', 3), '↑ 3 pt');
  assert.equal(changeTone('bounce_rate', 3), 'bad');
  assert.equal(changeTone('visitors', 3), 'good');
  assert.equal(changeTone('visitors', 0), 'flat');
});
