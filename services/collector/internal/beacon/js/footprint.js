// footprint.js: Footprint's browser tracker. Hand-written, no dependencies; the
// collector serves it with whole-line comments and indentation stripped, and a
// test keeps that under 1.5 KB gzipped.
//   <script defer data-site="demo" src="https://collector/js/footprint.js"></script>
// Options (attributes of the script tag): data-api (event endpoint, default
// <script origin>/api/event), data-hash (count #fragment changes as pages),
// data-downloads (file extensions counted as downloads, comma-separated),
// data-allow-local (also track localhost, file: and automated browsers).
// Custom events: footprint('signup', {props: {plan: 'pro'}}); calls made before
// the script loaded are queued by the stub
//   window.footprint = window.footprint || function () { (footprint.q = footprint.q || []).push(arguments) }
// Opt out: localStorage.footprint_ignore = 'true'. Sets no cookie, stores nothing.
(function (w) {
var d = w.document, L = w.location, H = w.history, N = w.navigator;
var s = d.currentScript, a = function (n) { return s && s.getAttribute('data-' + n) };
var site = a('site'), api = a('api') || (s && new URL(s.src).origin + '/api/event');
var hashMode = a('hash') != null, local = a('allow-local') != null;
var ext = (a('downloads') || 'pdf,zip,gz,dmg,exe,csv,xlsx,docx,pptx,txt,mp3,mp4').split(',');
var queued = (w.footprint && w.footprint.q) || [];
var off = false;
try { off = w.localStorage.getItem('footprint_ignore') == 'true' } catch (e) {}
// Localhost, file: pages and automated browsers are not visitors, unless allowed.
if (!local && (/^(localhost|127(\.\d+){3}|\[::1\])$/.test(L.hostname) || L.protocol == 'file:' || N.webdriver)) off = true;
if (!site || !api) off = true;

var last, lastURL, ref = d.referrer;
// Engagement: visible time on the current page, reported when it is hidden or left.
var engaged = 0, since = 0, pending = false;

function post(body) {
  // text/plain (fetch's default for a string body): a simple request, no CORS preflight.
  try {
    w.fetch(api, { method: 'POST', body: body, keepalive: true, credentials: 'omit' }).catch(function () {});
  } catch (e) {
    N.sendBeacon && N.sendBeacon(api, body);
  }
}

function send(name, props, extra) {
  if (off) return;
  var e = { n: name, s: site, u: lastURL || L.href, r: ref, t: d.title, sw: w.screen.width, sh: w.screen.height, l: N.language };
  try { e.z = Intl.DateTimeFormat().resolvedOptions().timeZone } catch (x) {}
  if (hashMode) e.hash = 1;
  if (props) e.p = props;
  for (var k in extra) e[k] = extra[k];
  post(JSON.stringify(e));
}

function tick() {
  if (since) engaged += Date.now() - since;
  since = d.hidden ? 0 : Date.now();
}

function flush() {
  tick();
  if (pending) send('engagement', null, { e: engaged });
  pending = false;
  engaged = 0;
}

function page(force) {
  var key = L.pathname + (hashMode ? L.hash : '');
  if (key == last && !force) return;
  if (last != null) {
    flush();
    // A page restored from the bfcache keeps its referrer; an SPA page's is the previous page.
    if (!force) ref = lastURL;
  }
  last = key;
  lastURL = L.href;
  engaged = 0;
  since = d.hidden ? 0 : Date.now();
  pending = !!since;
  send('page_view');
}

function wrap(m) {
  var orig = H[m];
  if (!orig) return;
  H[m] = function () {
    var r = orig.apply(this, arguments);
    page();
    return r;
  };
}

function click(ev) {
  var el = ev.target;
  while (el && !(el.tagName == 'A' && el.href)) el = el.parentNode;
  if (!el || (ev.type == 'auxclick' && ev.button != 1)) return;
  var u = new URL(el.href, L.href), x = u.pathname.split('.').pop().toLowerCase();
  if (/^https?:$/.test(u.protocol) && u.host != L.host) send('outbound_link', { url: el.href });
  else if (u.pathname.indexOf('.') > 0 && ext.indexOf(x) >= 0) send('file_download', { url: el.href });
}

function footprint(name, o) {
  var p = o && o.props, q = {};
  for (var k in p) q[k] = String(p[k]);
  send(name, p && q);
  o && o.callback && o.callback();
}

w.footprint = footprint;
if (off) return;
wrap('pushState');
wrap('replaceState');
w.addEventListener('popstate', function () { page() });
if (hashMode) w.addEventListener('hashchange', function () { page() });
d.addEventListener('click', click);
d.addEventListener('auxclick', click);
d.addEventListener('visibilitychange', function () {
  if (d.hidden) flush();
  else { tick(); pending = true }
});
w.addEventListener('pagehide', flush);
// A page restored from the back/forward cache is a new page view.
w.addEventListener('pageshow', function (e) { if (e.persisted) page(true) });
page();
for (var i = 0; i < queued.length; i++) footprint.apply(null, queued[i]);
})(window);
