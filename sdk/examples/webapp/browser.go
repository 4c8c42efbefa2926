package main

import (
	"html/template"
	"net/http"
)

// appPage is a single-page app tracked by footprint.js: links switch pages with
// history.pushState, as a client-side router does. data-allow-local lets the
// tracker run on 127.0.0.1; data-hash counts #fragment changes as pages.
var appPage = template.Must(template.New("app").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo Shop app</title>
<script>window.footprint = window.footprint || function () { (footprint.q = footprint.q || []).push(arguments) }</script>
<script defer data-site="{{.Site}}" {{if .Local}}data-allow-local {{end}}data-hash src="{{.Tracker}}"></script>
<link rel="stylesheet" href="/static/style.css"></head>
<body><nav>
<a href="/app/" data-route>App home</a> <a href="/app/products" data-route>Products</a>
<a href="/app/cart" data-route>Cart</a> <a href="/app/cart#details" id="details">Cart details</a>
</nav><main><h1 id="heading">App home</h1>
<p><a id="outbound" href="https://www.example.org/partner">Our partner</a>
<a id="download" href="/files/price-list.pdf" download>Price list (PDF)</a></p>
<button id="signup" type="button">Sign up for Pro</button>
</main>
<script>
document.addEventListener('click', function (e) {
  var a = e.target.closest('a[data-route]');
  if (!a) return;
  e.preventDefault();
  history.pushState({}, '', a.getAttribute('href'));
  document.getElementById('heading').textContent = a.textContent;
});
window.addEventListener('popstate', function () { document.getElementById('heading').textContent = location.pathname; });
document.getElementById('signup').addEventListener('click', function () {
  footprint('signup', { props: { plan: 'pro' } });
});
// ?tour: the page browses itself (what make run drives through headless Chromium).
if (/[?&]tour/.test(location.search)) {
  [function () { document.querySelector('a[href="/app/products"]').click() },
   function () { document.querySelector('a[href="/app/cart"]').click() },
   function () { document.getElementById('details').click() },
   function () { document.getElementById('signup').click() },
   function () { history.replaceState({}, '', '/app/checkout') }
  ].forEach(function (step, i) { setTimeout(step, 300 * (i + 1)) });
}
</script></body></html>
`))

// browserRoutes serves the single-page app under /app/ (with data-allow-local, for
// this local demo), the same app under /site/ as a production page would include
// the tracker (nothing is sent from 127.0.0.1 or an automated browser), and a file
// to download.
func browserRoutes(mux *http.ServeMux, site, tracker string) {
	serve := func(local bool) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = appPage.Execute(w, struct {
				Site, Tracker string
				Local         bool
			}{site, tracker, local})
		}
	}
	mux.HandleFunc("GET /app/", serve(true))
	mux.HandleFunc("GET /site/", serve(false))
	mux.HandleFunc("GET /files/price-list.pdf", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="price-list.pdf"`)
		_, _ = w.Write([]byte("%PDF-1.4\n% Demo Shop price list\n"))
	})
}
