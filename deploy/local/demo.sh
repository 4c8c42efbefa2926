#!/usr/bin/env bash
# `make run`, after `stack.sh up`: serve the SDK's example web app, drive demo
# traffic through it, wait until both writers have stored and committed
# everything, then print what landed in each store.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK=${FOOTPRINT_STACK_DIR:-$REPO/.stack}
LOGS="$STACK/logs"
WEBAPP_ADDR=${FOOTPRINT_WEBAPP_ADDR:-127.0.0.1:8080}
REQUESTS=${FOOTPRINT_DEMO_REQUESTS:-300}

log() { printf '[demo] %s\n' "$*" >&2; }
die() { printf '[demo] error: %s\n' "$*" >&2; exit 1; }

poll() { # description timeout-seconds command...
	local what=$1 timeout=$2
	shift 2
	local deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || die "$what within ${timeout}s"
		sleep 0.5
	done
}

mkdir -p "$STACK/bin" "$LOGS"
(cd "$REPO/sdk" && go build -o "$STACK/bin/webapp" ./examples/webapp && go build -o "$STACK/bin/demotraffic" ./examples/demotraffic)

log "starting the example web app on http://$WEBAPP_ADDR"
FOOTPRINT_WEBAPP_ADDR=$WEBAPP_ADDR "$STACK/bin/webapp" >>"$LOGS/webapp.log" 2>&1 &
webapp=$!
trap 'kill "$webapp" 2>/dev/null || true' EXIT
poll "the web app did not answer" 30 curl -fsS "http://$WEBAPP_ADDR/healthz"

log "sending $REQUESTS requests from simulated visitors"
"$STACK/bin/demotraffic" -target "http://$WEBAPP_ADDR" -requests "$REQUESTS"

# Browser visitors: the web app's single-page app (/app/), tracked by footprint.js from the
# collector's browser endpoint (127.0.0.1:8081), browsed by headless Chromium (stack.sh
# installs it). ?tour makes the page click through itself; the user agent is a normal
# browser's, since the collector drops "HeadlessChrome" as automation.
command -v chromium >/dev/null || die "chromium is missing: run make infra"
browse() { # user-agent window-size language
	local profile
	profile=$(mktemp -d)
	chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --disable-quic --user-data-dir="$profile" \
		--user-agent="$1" --window-size="$2" --lang="$3" --virtual-time-budget=10000 \
		--dump-dom "http://$WEBAPP_ADDR/app/?tour" >/dev/null 2>>"$LOGS/chromium.log" ||
		die "headless chromium failed (see $LOGS/chromium.log)"
	rm -rf "$profile"
}
log "browsing the single-page app with headless Chromium"
browse "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36" 1920,1080 en-US
browse "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36" 1366,768 de-DE
browse "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36" 412,915 fr-FR
browse "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1" 820,1180 ja-JP

# The Python SDK's FastAPI example app (sdk/python/examples/app.py, in the venv `make pyvenv`
# creates): the ASGI middleware and the asyncio client, on its own port.
PYAPP_ADDR=${FOOTPRINT_PYAPP_ADDR:-127.0.0.1:8083}
make -C "$REPO" -s pyvenv >/dev/null
log "starting the FastAPI example app on http://$PYAPP_ADDR"
FOOTPRINT_PYAPP_ADDR=$PYAPP_ADDR "$REPO/.cache/pyvenv/bin/python" "$REPO/sdk/python/examples/app.py" >>"$LOGS/pyapp.log" 2>&1 &
pyapp=$!
trap 'kill "$webapp" "$pyapp" 2>/dev/null || true' EXIT
poll "the FastAPI app did not answer" 30 curl -fsS "http://$PYAPP_ADDR/healthz"
log "sending requests through the FastAPI app"
"$REPO/.cache/pyvenv/bin/python" "$REPO/sdk/python/examples/traffic.py" "http://$PYAPP_ADDR" 60
# On SIGTERM uvicorn runs the app's shutdown (the client sends what is queued) and then
# exits by the signal (143).
kill -TERM "$pyapp"
wait "$pyapp" || [ $? -eq 143 ] || die "the FastAPI app did not shut down cleanly (see $LOGS/pyapp.log)"
grep -q 'undelivered 0$' "$LOGS/pyapp.log" || die "the FastAPI app left events undelivered (see $LOGS/pyapp.log)"

# Notifications (services/notifier): comments and likes on grace's blog posts through the
# web app's actions; a Subscribe stream for grace prints them as they arrive. The actors'
# ids are new each run, so every like changes its group even when a group of an earlier
# run is still open; grace's like of her own post notifies no one.
(cd "$REPO/services/notifier" && go build -o "$STACK/bin/notifier-watch" ./cmd/notifier-watch)
watch_out="$LOGS/notifier-watch.out" watch_ready="$STACK/notifier-watch.ready"
rm -f "$watch_ready"
"$STACK/bin/notifier-watch" -user grace -from-now -idle 3s -timeout 60s -ready-file "$watch_ready" >"$watch_out" 2>&1 &
watcher=$!
poll "the notifier's Subscribe stream did not open (see $watch_out)" 30 test -f "$watch_ready"
run=$RANDOM
act() { curl -fsS -o /dev/null -X POST --data "$2" "http://$WEBAPP_ADDR/blog/$1" || die "POST /blog/$1 failed"; }
log "commenting on and liking grace's posts"
act hello-world/comments "user=ada-$run&name=Ada&text=Great+post"
act hello-world/likes "user=ada-$run&name=Ada"
act hello-world/likes "user=linus-$run&name=Linus"
act hello-world/likes "user=grace&name=Grace"
act kafka-sinks/likes "user=ken-$run&name=Ken"
# Three notifications change: the comment, and the like group of each post (a group's
# intermediate states may collapse into its latest one).
wait "$watcher" || die "the Subscribe stream failed: $(cat "$watch_out")"
[ "$(grep -c cursor "$watch_out")" -ge 3 ] || die "grace's notifications did not all arrive: $(cat "$watch_out")"
echo
echo "== Notifications for grace, live from the notifier (Subscribe stream; a like group is sent again as it grows)"
cat "$watch_out"
echo

# SIGTERM makes the app close its SDK client, which flushes every queued event.
kill -TERM "$webapp"
wait "$webapp" || die "the web app did not shut down cleanly (see $LOGS/webapp.log)"
trap - EXIT

caught_up() { [ "$(bash "$REPO/deploy/local/stack.sh" lag "$1")" = 0 ]; }
log "waiting until both writers have stored and committed every event"
poll "pg-writer did not catch up" 120 caught_up footprint-pg-writer
poll "ch-writer did not catch up" 120 caught_up footprint-ch-writer

echo
echo "== PostgreSQL (footprint.events): page views by HTTP method"
PGPASSWORD=footprint_reader psql -h 127.0.0.1 -U footprint_reader -d footprint -P pager=off -c \
	"SELECT http_method, count(*) AS page_views, count(DISTINCT visitor_id) AS visitors
	   FROM footprint.events WHERE name = 'page_view' GROUP BY 1 ORDER BY 2 DESC"
echo "== ClickHouse (footprint.events): page views by HTTP method"
clickhouse-client --host 127.0.0.1 --user footprint_reader --password footprint_reader --format PrettyCompact --query \
	"SELECT http_method, count() AS page_views, uniqExact(visitor_id) AS visitors
	   FROM footprint.events FINAL WHERE name = 'page_view' GROUP BY http_method ORDER BY page_views DESC"
echo "== Top paths in each store"
PGPASSWORD=footprint_reader psql -h 127.0.0.1 -U footprint_reader -d footprint -P pager=off -c \
	"SELECT path, count(*) AS page_views FROM footprint.events WHERE name = 'page_view' GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
clickhouse-client --host 127.0.0.1 --user footprint_reader --password footprint_reader --format PrettyCompact --query \
	"SELECT path, count() AS page_views FROM footprint.events FINAL WHERE name = 'page_view' GROUP BY path ORDER BY page_views DESC LIMIT 5"
echo "== Browser events (footprint.js, /app/ pages) in each store"
PGPASSWORD=footprint_reader psql -h 127.0.0.1 -U footprint_reader -d footprint -P pager=off -c \
	"SELECT name, device_class, count(*) AS events FROM footprint.events WHERE path LIKE '/app/%' GROUP BY 1, 2 ORDER BY 1, 2"
clickhouse-client --host 127.0.0.1 --user footprint_reader --password footprint_reader --format PrettyCompact --query \
	"SELECT name, device_class, count() AS events FROM footprint.events FINAL WHERE path LIKE '/app/%' GROUP BY name, device_class ORDER BY name, device_class"
echo "== FastAPI example app (Python SDK, /articles/ pages) in each store"
PGPASSWORD=footprint_reader psql -h 127.0.0.1 -U footprint_reader -d footprint -P pager=off -c \
	"SELECT http_method, http_status, count(*) AS page_views FROM footprint.events WHERE path LIKE '/articles/%' GROUP BY 1, 2 ORDER BY 1, 2"
clickhouse-client --host 127.0.0.1 --user footprint_reader --password footprint_reader --format PrettyCompact --query \
	"SELECT http_method, http_status, count() AS page_views FROM footprint.events FINAL WHERE path LIKE '/articles/%' GROUP BY http_method, http_status ORDER BY http_method, http_status"

echo
echo "== One dashboard query answered by both stores (store: BOTH): today's top pages"
query_addr=${FOOTPRINT_QUERY_HTTP_ADDR:-127.0.0.1:8090}
answer=$(curl -fsS -H 'authorization: Bearer fp_dev_read_key' \
	-d '{"siteId":"demo","dateRange":{"preset":"today"},"metrics":["visitors","pageviews"],"dimensions":["event:page"],"limit":5,"store":"STORE_BOTH"}' \
	"http://$query_addr/api/v1/query") || die "the query service (http://$query_addr) did not answer"
python3 -c '
import json, sys
r = json.loads(sys.argv[1])
for res in r["results"]:
    print("  %s (%.1f ms)" % (res["store"], res.get("durationMs", 0)))
    for row in res.get("rows", []):
        print("    %-36s visitors %5g  pageviews %5g" % (row["dimensions"][0], row["metrics"][0], row["metrics"][1]))
p = r.get("parity", {})
print("  match: %s %s" % (str(p.get("match", False)).lower(), "; ".join(p.get("differences", []))))
sys.exit(0 if p.get("match") else 1)
' "$answer" || die "PostgreSQL and ClickHouse answered differently"

echo
echo "== Dashboard (demo site, today, both stores side by side):"
echo "   http://${FOOTPRINT_QUERY_HTTP_ADDR:-127.0.0.1:8090}/?site=demo&range=today&store=both"

echo
echo "== footprint consistency (docs/operations.md): PostgreSQL and ClickHouse hold the same demo events"
(cd "$REPO/cmd/footprint" && go build -o "$STACK/bin/footprint" .)
writers_caught_up() { # footprint lag: both writers' total lag is 0
	"$STACK/bin/footprint" lag --json |
		python3 -c 'import json, sys; sys.exit(0 if all(g["lag"] == 0 for g in json.load(sys.stdin)["groups"]) else 1)'
}
poll "the writers did not catch up" 120 writers_caught_up
"$STACK/bin/footprint" consistency --site demo --from "$(date -u -d '-7 days' +%F)" --to "$(date -u +%F)" ||
	die "PostgreSQL and ClickHouse disagree on the demo site (footprint consistency above)"
