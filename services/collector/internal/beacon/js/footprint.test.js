// Unit tests of footprint.js with node's built-in runner: `node --test`.
// The tracker runs in a vm context with a small fake of the browser APIs it uses.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const source = fs.readFileSync(path.join(__dirname, 'footprint.js'), 'utf8');

function browser(opts = {}) {
  const attrs = { 'data-site': 'demo', ...opts.attrs };
  let url = new URL(opts.url || 'https://shop.example/');
  const listeners = {};
  const on = (prefix) => (type, fn) => (listeners[prefix + type] ||= []).push(fn);
  const sent = [];
  const beacons = [];
  const stored = new Map(Object.entries(opts.storage || {}));
  const writes = [];
  const document = {
    currentScript: {
      src: opts.src || 'https://collector.example/js/footprint.js',
      getAttribute: (n) => (n in attrs ? attrs[n] : null),
    },
    referrer: opts.referrer ?? 'https://search.example/q',
    title: 'Shop',
    hidden: false,
    cookie: '',
    addEventListener: on('d:'),
  };
  const win = {
    document,
    location: {
      get href() { return url.href; }, get pathname() { return url.pathname; }, get hash() { return url.hash; },
      get host() { return url.host; }, get hostname() { return url.hostname; }, get protocol() { return url.protocol; },
    },
    history: {
      pushState(_s, _t, u) { url = new URL(u, url); },
      replaceState(_s, _t, u) { url = new URL(u, url); },
    },
    navigator: {
      language: 'en-GB', webdriver: !!opts.webdriver,
      sendBeacon: (u, body) => { beacons.push({ url: u, body: JSON.parse(body) }); return true; },
    },
    screen: { width: 1280, height: 800 },
    localStorage: {
      getItem: (k) => (stored.has(k) ? stored.get(k) : null),
      setItem: (k, v) => writes.push([k, v]),
    },
    fetch: opts.noFetch ? undefined : (u, init) => {
      sent.push({ endpoint: u, init, ...JSON.parse(init.body) });
      return Promise.resolve({ status: 202 });
    },
    URL,
    addEventListener: on('w:'),
    __now: 1_000_000,
  };
  win.window = win;
  if (opts.queue) win.footprint = Object.assign(() => {}, { q: opts.queue });
  vm.createContext(win);
  vm.runInContext('Date.now = () => window.__now', win);
  vm.runInContext(source, win);
  const fire = (key, ev = {}) => (listeners[key] || []).forEach((fn) => fn(ev));
  return {
    win, sent, beacons, writes, document,
    go(u) { url = new URL(u, url); },
    fire,
    advance(ms) { win.__now += ms; },
    hide() { document.hidden = true; fire('d:visibilitychange'); },
    show() { document.hidden = false; fire('d:visibilitychange'); },
    click(href, extra = {}) {
      const a = { tagName: 'A', href: new URL(href, url).href, parentNode: null };
      fire('d:click', { type: 'click', target: { tagName: 'SPAN', parentNode: a }, ...extra });
    },
    names() { return sent.map((e) => e.n); },
  };
}

test('sends a page view on load with the page and client fields', () => {
  const b = browser({ url: 'https://shop.example/pricing?x=1' });
  assert.equal(b.sent.length, 1);
  const e = b.sent[0];
  assert.equal(e.endpoint, 'https://collector.example/api/event');
  assert.deepEqual(
    { n: e.n, s: e.s, u: e.u, r: e.r, t: e.t, sw: e.sw, sh: e.sh, l: e.l },
    { n: 'page_view', s: 'demo', u: 'https://shop.example/pricing?x=1', r: 'https://search.example/q', t: 'Shop', sw: 1280, sh: 800, l: 'en-GB' },
  );
  assert.equal(typeof e.z, 'string');
  assert.ok(e.z.length > 0);
  assert.equal(e.init.method, 'POST');
  assert.equal(e.init.keepalive, true);
  assert.equal(e.init.credentials, 'omit');
  assert.equal(e.init.headers, undefined, 'a string body is text/plain: no CORS preflight');
});

test('data-api overrides the endpoint', () => {
  const b = browser({ attrs: { 'data-api': '/fp/e' } });
  assert.equal(b.sent[0].endpoint, '/fp/e');
});

test('SPA navigation counts each new path once, with the previous page as referrer', () => {
  const b = browser();
  b.advance(1500);
  b.win.history.pushState({}, '', '/a');
  b.win.history.pushState({}, '', '/a?tab=2'); // same path: not a new page
  b.win.history.replaceState({}, '', '/b');
  b.go('/a');
  b.fire('w:popstate');
  b.fire('w:popstate'); // nothing changed
  assert.deepEqual(b.names(), ['page_view', 'engagement', 'page_view', 'engagement', 'page_view', 'engagement', 'page_view']);
  const views = b.sent.filter((e) => e.n === 'page_view');
  assert.deepEqual(views.map((e) => new URL(e.u).pathname), ['/', '/a', '/b', '/a']);
  assert.deepEqual(views.map((e) => e.r), ['https://search.example/q', 'https://shop.example/', 'https://shop.example/a', 'https://shop.example/b']);
  const firstEngagement = b.sent[1];
  assert.equal(firstEngagement.u, 'https://shop.example/');
  assert.equal(firstEngagement.e, 1500);
});

test('hash changes are pages only with data-hash', () => {
  const plain = browser();
  plain.go('/#/settings');
  plain.fire('w:hashchange');
  plain.fire('w:popstate');
  assert.deepEqual(plain.names(), ['page_view']);

  const hashed = browser({ attrs: { 'data-hash': '' } });
  hashed.go('/#/settings');
  hashed.fire('w:popstate');
  hashed.fire('w:hashchange'); // both fire for one fragment navigation: counted once
  assert.deepEqual(hashed.names(), ['page_view', 'engagement', 'page_view']);
  assert.equal(hashed.sent[2].u, 'https://shop.example/#/settings');
  assert.equal(hashed.sent[2].hash, 1);
});

test('outbound links and downloads are events, internal links are not', () => {
  const b = browser({ url: 'https://shop.example/docs' });
  b.click('https://elsewhere.example/page');
  b.click('/files/report.PDF');
  b.click('/about');
  b.click('mailto:a@shop.example');
  b.fire('d:auxclick', { type: 'auxclick', button: 2, target: { tagName: 'A', href: 'https://x.example/' } });
  assert.deepEqual(b.names(), ['page_view', 'outbound_link', 'file_download']);
  assert.deepEqual(b.sent[1].p, { url: 'https://elsewhere.example/page' });
  assert.deepEqual(b.sent[2].p, { url: 'https://shop.example/files/report.PDF' });

  const custom = browser({ attrs: { 'data-downloads': 'epub' } });
  custom.click('/book.epub');
  custom.click('/report.pdf');
  assert.deepEqual(custom.names(), ['page_view', 'file_download']);
});

test('custom events: queued calls run after the page view, props become strings', () => {
  let called = 0;
  const b = browser({ queue: [['signup', { props: { plan: 'pro', seats: 3 } }]] });
  b.win.footprint('cta_click', { callback: () => called++ });
  assert.deepEqual(b.names(), ['page_view', 'signup', 'cta_click']);
  assert.deepEqual(b.sent[1].p, { plan: 'pro', seats: '3' });
  assert.equal(b.sent[2].p, undefined);
  assert.equal(called, 1);
});

test('engaged time counts visible time only and is sent once per hide', () => {
  const b = browser();
  b.advance(2000);
  b.hide();
  b.advance(60_000); // hidden: not engaged
  b.fire('w:pagehide');
  b.show();
  b.advance(500);
  b.fire('w:pagehide');
  assert.deepEqual(b.names(), ['page_view', 'engagement', 'engagement']);
  assert.equal(b.sent[1].e, 2000);
  assert.equal(b.sent[2].e, 500);
});

test('a page restored from the back/forward cache is counted again', () => {
  const b = browser();
  b.fire('w:pagehide');
  b.fire('w:pageshow', { persisted: false });
  b.fire('w:pageshow', { persisted: true });
  assert.deepEqual(b.names(), ['page_view', 'engagement', 'page_view']);
  assert.equal(b.sent[2].r, 'https://search.example/q');
});

test('localhost, file: and automated browsers send nothing unless data-allow-local', () => {
  for (const opts of [{ url: 'http://localhost:3000/' }, { url: 'http://127.0.0.1:8080/' }, { url: 'file:///tmp/a.html' }, { webdriver: true }]) {
    const b = browser(opts);
    b.win.footprint('signup');
    b.win.history.pushState({}, '', '/next');
    assert.equal(b.sent.length, 0, JSON.stringify(opts));
    const allowed = browser({ ...opts, attrs: { 'data-allow-local': '' } });
    assert.equal(allowed.sent.length, 1, JSON.stringify(opts));
  }
});

test('the opt-out flag wins over everything', () => {
  const b = browser({ storage: { footprint_ignore: 'true' }, attrs: { 'data-allow-local': '' } });
  b.win.footprint('signup');
  b.click('https://elsewhere.example/');
  assert.equal(b.sent.length, 0);
  assert.equal(typeof b.win.footprint, 'function');
});

test('falls back to sendBeacon without fetch', () => {
  const b = browser({ noFetch: true });
  assert.equal(b.beacons.length, 1);
  assert.equal(b.beacons[0].url, 'https://collector.example/api/event');
  assert.equal(b.beacons[0].body.n, 'page_view');
});

test('stores nothing: no cookie, no localStorage write', () => {
  const b = browser();
  b.win.history.pushState({}, '', '/a');
  b.win.footprint('signup', { props: { plan: 'pro' } });
  b.fire('w:pagehide');
  assert.equal(b.document.cookie, '');
  assert.deepEqual(b.writes, []);
});
