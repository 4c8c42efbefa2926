#!/usr/bin/env bash
# Footprint's local stack: Apache Kafka (KRaft, from Maven Central), PostgreSQL 15 and
# ClickHouse, plus the Footprint services once they are built.
#
#   stack.sh up        install what is missing, start everything (idempotent)
#   stack.sh down      stop exactly what `up` started (by PID)
#   stack.sh status    show what runs
#   stack.sh infra     like up, without the Footprint services (what the tests need)
#
# All data, logs and PIDs live in $FOOTPRINT_STACK_DIR (default: <repo>/.stack, git-ignored).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$REPO/deploy/local"
# The multi-node profile (docs/deploy.md) has its own script, ports and data dir; it sources
# this file for its functions, so the switch and the command below run only when executed.
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${FOOTPRINT_STACK_PROFILE:-}" = cluster ]; then
	exec bash "$HERE/cluster.sh" "$@"
fi
STACK=${FOOTPRINT_STACK_DIR:-$REPO/.stack}
LOGS="$STACK/logs"
PIDS="$STACK/pids"

KAFKA_PORT=${FOOTPRINT_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${FOOTPRINT_KAFKA_CONTROLLER_PORT:-9093}
KAFKA_PARTITIONS=${FOOTPRINT_KAFKA_PARTITIONS:-6}
TOPIC=${FOOTPRINT_KAFKA_TOPIC:-footprint.events.v1}
PG_PORT=${FOOTPRINT_PG_PORT:-5432}
CH_TCP_PORT=${FOOTPRINT_CH_PORT:-9000}
CH_HTTP_PORT=${FOOTPRINT_CH_HTTP_PORT:-8123}
CH_INTERSERVER_PORT=${FOOTPRINT_CH_INTERSERVER_PORT:-9009}

# Development credentials of the local stack. They are documented in the README and
# must never be used anywhere else.
PG_SUPERUSER_PASSWORD=postgres
PG_WRITER_PASSWORD=footprint_writer
PG_READER_PASSWORD=footprint_reader
CH_WRITER_PASSWORD=footprint_writer
DEV_API_KEY=fp_dev_key
# The query service's read key (separate from ingest keys); the demo site is also public
# in the local stack, so the dashboard opens without a key.
DEV_READ_KEY=fp_dev_read_key
CH_READER_PASSWORD=footprint_reader
PG_NOTIFIER_PASSWORD=footprint_notifier
# The notifier API key (NotificationService on 127.0.0.1:50053) of the demo site.
DEV_NOTIFIER_KEY=fp_dev_notifier_key
DEV_SITE=demo
# Fixed so that cookieless visitor ids survive a collector restart in the local stack.
DEV_VISITOR_SECRET=footprint-local-development-only

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# PostgreSQL refuses to run as root; when we are root, run its tools as `postgres`.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pid_alive() { # name
	local f="$PIDS/$1.pid"
	[ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port that is open while our own process is not running belongs to someone else.
require_free_port() { # port name
	if port_open "$1"; then
		die "port $1 (needed by $2) is already in use by another process; stop it or set the FOOTPRINT_*_PORT variables"
	fi
}

wait_for() { # description timeout-seconds command...
	local what=$1 timeout=$2
	shift 2
	local deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			die "$what did not become ready within ${timeout}s (logs in $LOGS)"
		fi
		sleep 0.5
	done
}

apt_updated=0
apt_install() {
	if [ $apt_updated -eq 0 ]; then
		log "apt-get update"
		as_root apt-get update -qq
		apt_updated=1
	fi
	log "installing $*"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_missing() {
	local pkgs=()
	command -v java >/dev/null || pkgs+=(openjdk-17-jre-headless)
	command -v mvn >/dev/null || pkgs+=(maven)
	[ -n "$(pg_bindir)" ] || pkgs+=(postgresql)
	command -v psql >/dev/null || pkgs+=(postgresql-client)
	command -v clickhouse-server >/dev/null || pkgs+=(clickhouse-server)
	command -v clickhouse-client >/dev/null || pkgs+=(clickhouse-client)
	command -v kcat >/dev/null || pkgs+=(kcat)
	# headless browser for the tracker's real-browser tests and the demo's browser pages
	command -v chromium >/dev/null || pkgs+=(chromium)
	if [ ${#pkgs[@]} -gt 0 ]; then apt_install "${pkgs[@]}"; fi
	if [ ! -f "$STACK/kafka/libs/.complete" ]; then
		log "fetching the Kafka broker from Maven Central (first run only)"
		rm -rf "$STACK/kafka/libs"
		mvn -q -B -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
			-DincludeScope=runtime -DoutputDirectory="$STACK/kafka/libs" >"$LOGS/maven.log" 2>&1 ||
			die "maven could not fetch Kafka (see $LOGS/maven.log)"
		touch "$STACK/kafka/libs/.complete"
	fi
}

kafka_java() { # main-class args...
	java -Xms256m -Xmx768m -Dlog4j2.configurationFile="$HERE/kafka/log4j2.xml" \
		-Dkafka.logs.dir="$LOGS" -cp "$STACK/kafka/libs/*" "$@"
}

kafka_topics() { kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" "$@"; }

start_kafka() {
	if pid_alive kafka; then return; fi
	require_free_port "$KAFKA_PORT" kafka
	require_free_port "$KAFKA_CONTROLLER_PORT" "kafka controller"
	local dir="$STACK/kafka"
	mkdir -p "$dir/data"
	sed -e "s#@DATA@#$dir/data#" -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
		-e "s#@PARTITIONS@#$KAFKA_PARTITIONS#" "$HERE/kafka/server.properties" >"$dir/server.properties"
	if [ ! -f "$dir/data/meta.properties" ]; then
		local cluster
		cluster=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$LOGS/kafka.log")
		kafka_java kafka.tools.StorageTool format -t "$cluster" -c "$dir/server.properties" --standalone \
			>>"$LOGS/kafka.log" 2>&1 || die "formatting Kafka storage failed (see $LOGS/kafka.log)"
	fi
	log "starting kafka on 127.0.0.1:$KAFKA_PORT"
	nohup java -Xms512m -Xmx1g -Dlog4j2.configurationFile="$HERE/kafka/log4j2.xml" -Dkafka.logs.dir="$LOGS" \
		-cp "$STACK/kafka/libs/*" kafka.Kafka "$dir/server.properties" >>"$LOGS/kafka.log" 2>&1 9>&- &
	echo $! >"$PIDS/kafka.pid"
}

ensure_topics() {
	wait_for "kafka" 90 kafka_topics --list
	local existing
	existing=$(kafka_topics --list 2>/dev/null)
	for t in "$TOPIC" "$TOPIC.dlq" footprint.notifications.v1.dlq; do
		if ! grep -qx "$t" <<<"$existing"; then
			log "creating topic $t ($KAFKA_PARTITIONS partitions)"
			kafka_topics --create --if-not-exists --topic "$t" --partitions "$KAFKA_PARTITIONS" \
				--replication-factor 1 >>"$LOGS/kafka.log" 2>&1
		fi
	done
}

# The footprint command's topics (docs/operations.md) and the events topic's retention.
# `footprint replay` rebuilds a store from the events topic, so the local stack keeps every
# event (retention.ms=-1, set on an existing topic too; the broker default is 7 days).
# Erasure records are compacted (the latest request per visitor or user, kept for good);
# audit records are kept.
ensure_ops_topics() {
	local existing
	existing=$(kafka_topics --list 2>/dev/null)
	if ! grep -qx footprint.erasures.v1 <<<"$existing"; then
		log "creating topic footprint.erasures.v1 (compacted)"
		kafka_topics --create --if-not-exists --topic footprint.erasures.v1 --partitions 1 \
			--replication-factor 1 --config cleanup.policy=compact >>"$LOGS/kafka.log" 2>&1
	fi
	if ! grep -qx footprint.audit.v1 <<<"$existing"; then
		log "creating topic footprint.audit.v1"
		kafka_topics --create --if-not-exists --topic footprint.audit.v1 --partitions 1 \
			--replication-factor 1 --config retention.ms=-1 >>"$LOGS/kafka.log" 2>&1
	fi
	kafka_java kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter --entity-type topics \
		--entity-name "$TOPIC" --add-config retention.ms=-1 >>"$LOGS/kafka.log" 2>&1 ||
		die "could not set the retention of $TOPIC (see $LOGS/kafka.log)"
}

# PostgreSQL runs as `postgres` when we are root, and that user must be able to reach its
# data dir. When the repo sits under a directory `postgres` cannot traverse (a home
# directory with mode 700, say), the data dir moves under /var/lib/postgresql and
# .stack/postgres becomes a symlink to it.
pg_dir() {
	local dir="$STACK/postgres"
	if [ "$(id -u)" -eq 0 ] && [ ! -L "$dir" ] && [ ! -d "$dir/data" ]; then
		mkdir -p "$dir"
		chown postgres "$dir"
		if ! runuser -u postgres -- test -w "$dir"; then
			local alt
			alt="/var/lib/postgresql/footprint-$(printf '%s' "$STACK" | md5sum | cut -c1-12)"
			log "postgres cannot reach $dir; keeping its data in $alt (symlinked)"
			mkdir -p "$alt"
			chown postgres "$alt"
			rmdir "$dir"
			ln -s "$alt" "$dir"
		fi
	fi
	echo "$dir"
}

pg_ready() { PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc 'select 1'; }

start_postgres() {
	if pid_alive postgres; then return; fi
	require_free_port "$PG_PORT" postgres
	local bin dir
	bin=$(pg_bindir)
	dir=$(pg_dir)
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		log "initialising postgres data dir"
		local pwfile="$dir/.pw"
		echo "$PG_SUPERUSER_PASSWORD" >"$pwfile"
		[ "$(id -u)" -eq 0 ] && chown postgres "$pwfile"
		as_pg "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 \
			-E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || die "initdb failed (see $dir/initdb.log)"
		rm -f "$pwfile"
	fi
	mkdir -p "$dir/run"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir/run"
	log "starting postgres on 127.0.0.1:$PG_PORT"
	as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
		-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$dir/run -c max_connections=200 -c shared_buffers=256MB -c synchronous_commit=on" \
		>/dev/null 9>&- || die "postgres did not start (see $dir/postgres.log)"
	head -n 1 "$dir/data/postmaster.pid" >"$PIDS/postgres.pid"
}

# Idempotent, so every `up` converges an existing data dir on the current grants.
provision_postgres() {
	wait_for postgres 60 pg_ready
	PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'footprint_writer') THEN
    CREATE ROLE footprint_writer LOGIN PASSWORD '$PG_WRITER_PASSWORD';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'footprint_reader') THEN
    CREATE ROLE footprint_reader LOGIN PASSWORD '$PG_READER_PASSWORD';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'footprint_notifier') THEN
    CREATE ROLE footprint_notifier LOGIN PASSWORD '$PG_NOTIFIER_PASSWORD';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE footprint' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'footprint')\gexec
SQL
	# The writer owns only the schema it migrates; the reader may only read it.
	PGPASSWORD=$PG_SUPERUSER_PASSWORD PGOPTIONS='-c client_min_messages=warning' psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d footprint -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
REVOKE ALL ON DATABASE footprint FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE footprint TO footprint_writer, footprint_reader;
-- The writer bulk-loads through a temporary staging table (COPY, then INSERT ... ON CONFLICT).
GRANT TEMPORARY ON DATABASE footprint TO footprint_writer;
CREATE SCHEMA IF NOT EXISTS footprint AUTHORIZATION footprint_writer;
ALTER ROLE footprint_writer SET search_path = footprint;
ALTER ROLE footprint_reader SET search_path = footprint;
GRANT USAGE ON SCHEMA footprint TO footprint_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE footprint_writer IN SCHEMA footprint GRANT SELECT ON TABLES TO footprint_reader;
-- The notifier owns only its inbox schema (it migrates it).
GRANT CONNECT ON DATABASE footprint TO footprint_notifier;
CREATE SCHEMA IF NOT EXISTS notifier AUTHORIZATION footprint_notifier;
ALTER ROLE footprint_notifier SET search_path = notifier;
SQL
}

ch_client() { clickhouse-client --host 127.0.0.1 --port "$CH_TCP_PORT" "$@"; }

start_clickhouse() {
	if pid_alive clickhouse; then return; fi
	require_free_port "$CH_TCP_PORT" "clickhouse native"
	require_free_port "$CH_HTTP_PORT" "clickhouse http"
	local dir="$STACK/clickhouse"
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
	sed -e "s#@DIR@#$dir#g" -e "s#@LOGS@#$LOGS#g" -e "s#@TCP_PORT@#$CH_TCP_PORT#" \
		-e "s#@HTTP_PORT@#$CH_HTTP_PORT#" -e "s#@INTERSERVER_PORT@#$CH_INTERSERVER_PORT#" \
		"$HERE/clickhouse/config.xml" >"$dir/config.xml"
	sed -e "s#@WRITER_PASSWORD@#$CH_WRITER_PASSWORD#" "$HERE/clickhouse/users.xml" >"$dir/users.xml"
	log "starting clickhouse on 127.0.0.1:$CH_TCP_PORT (native) and :$CH_HTTP_PORT (http)"
	(
		cd "$dir" || exit 1
		nohup clickhouse-server --config-file="$dir/config.xml" >>"$LOGS/clickhouse-stdout.log" 2>&1 9>&- &
		echo $! >"$PIDS/clickhouse.pid")
	wait_for clickhouse 60 ch_client --query 'SELECT 1'
	ch_client --query 'CREATE DATABASE IF NOT EXISTS footprint'
}

# --- Footprint services -------------------------------------------------------------

SERVICES=(collector pg-writer ch-writer query notifier)

service_env() { # name: prints the env the local stack runs a service with
	cat <<EOF
FOOTPRINT_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
FOOTPRINT_KAFKA_TOPIC=$TOPIC
FOOTPRINT_COLLECTOR_API_KEYS=$DEV_API_KEY=$DEV_SITE
FOOTPRINT_COLLECTOR_VISITOR_SECRET=$DEV_VISITOR_SECRET
FOOTPRINT_COLLECTOR_BROWSER_SITES=$DEV_SITE=http://127.0.0.1:8080
FOOTPRINT_PG_URL=postgres://footprint_writer:$PG_WRITER_PASSWORD@127.0.0.1:$PG_PORT/footprint
FOOTPRINT_CH_ADDR=127.0.0.1:$CH_TCP_PORT
FOOTPRINT_CH_DATABASE=footprint
FOOTPRINT_CH_USER=footprint_writer
FOOTPRINT_CH_PASSWORD=$CH_WRITER_PASSWORD
FOOTPRINT_QUERY_PG_URL=postgres://footprint_reader:$PG_READER_PASSWORD@127.0.0.1:$PG_PORT/footprint
FOOTPRINT_QUERY_CH_ADDR=127.0.0.1:$CH_TCP_PORT
FOOTPRINT_QUERY_CH_USER=footprint_reader
FOOTPRINT_QUERY_CH_PASSWORD=$CH_READER_PASSWORD
FOOTPRINT_QUERY_READ_KEYS=$DEV_READ_KEY=$DEV_SITE
FOOTPRINT_QUERY_PUBLIC_SITES=$DEV_SITE
FOOTPRINT_NOTIFIER_PG_URL=postgres://footprint_notifier:$PG_NOTIFIER_PASSWORD@127.0.0.1:$PG_PORT/footprint
FOOTPRINT_NOTIFIER_API_KEYS=$DEV_NOTIFIER_KEY=$DEV_SITE
EOF
}

service_admin_addr() {
	case $1 in
	collector) echo 127.0.0.1:9464 ;;
	pg-writer) echo 127.0.0.1:9465 ;;
	ch-writer) echo 127.0.0.1:9466 ;;
	query) echo 127.0.0.1:9467 ;;
	notifier) echo 127.0.0.1:9468 ;;
	esac
}

build_services() {
	mkdir -p "$STACK/bin"
	for s in "${SERVICES[@]}"; do
		[ -f "$REPO/services/$s/main.go" ] || continue
		(cd "$REPO/services/$s" && go build -o "$STACK/bin/$s" .) || die "building $s failed"
	done
}

service_ready() { curl -fsS "http://$(service_admin_addr "$1")/readyz"; }

start_services() {
	build_services
	for s in "${SERVICES[@]}"; do
		[ -x "$STACK/bin/$s" ] || continue
		pid_alive "$s" && continue
		log "starting $s (admin http://$(service_admin_addr "$s"))"
		(
			while IFS= read -r kv; do export "${kv?}"; done < <(service_env "$s")
			nohup "$STACK/bin/$s" >>"$LOGS/$s.log" 2>&1 9>&- &
			echo $! >"$PIDS/$s.pid"
		)
	done
	for s in "${SERVICES[@]}"; do
		pid_alive "$s" || continue
		wait_for "$s" 60 service_ready "$s"
	done
}

# --- commands ---------------------------------------------------------------------

# Prints the consumer group's total lag on the events topic: messages not yet
# written to its store and committed (a partition without a committed offset counts
# in full). Empty output when the group does not exist yet.
cmd_lag() { # group
	kafka_java org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
		--bootstrap-server "127.0.0.1:$KAFKA_PORT" --describe --group "$1" 2>/dev/null |
		awk -v topic="$TOPIC" '$2 == topic { lag += ($4 ~ /^[0-9]+$/) ? $6 : $5; n++ } END { if (n) print lag }'
}

stop_pid() { # name
	local f="$PIDS/$1.pid"
	[ -f "$f" ] || return 0
	local pid
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		log "stopping $1 (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 120); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "$1 did not stop within 30s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$f"
}

cmd_infra() {
	mkdir -p "$LOGS" "$PIDS"
	install_missing
	start_kafka
	start_postgres
	provision_postgres
	start_clickhouse
	ensure_topics
	ensure_ops_topics
	log "infrastructure is up (kafka 127.0.0.1:$KAFKA_PORT, postgres 127.0.0.1:$PG_PORT, clickhouse 127.0.0.1:$CH_TCP_PORT)"
}

cmd_up() {
	cmd_infra
	start_services
	log "dev API key: $DEV_API_KEY (site '$DEV_SITE')"
	if pid_alive query; then
		log "dashboard: http://127.0.0.1:8090/ (query API: http://127.0.0.1:8090/api/v1/, gRPC 127.0.0.1:50052, read key $DEV_READ_KEY)"
	fi
	if pid_alive notifier; then
		log "notifications: gRPC 127.0.0.1:50053 (footprint.notifier.v1.NotificationService, key $DEV_NOTIFIER_KEY)"
	fi
}

cmd_down() {
	mkdir -p "$PIDS"
	for s in "${SERVICES[@]}"; do stop_pid "$s"; done
	if pid_alive postgres; then
		log "stopping postgres"
		as_pg "$(pg_bindir)/pg_ctl" -D "$STACK/postgres/data" -m fast -w stop >/dev/null || true
		rm -f "$PIDS/postgres.pid"
	fi
	stop_pid clickhouse
	stop_pid kafka
}

# Exit status 3 when a piece of the infrastructure is not running.
cmd_status() {
	mkdir -p "$PIDS"
	local rc=0
	for s in kafka postgres clickhouse "${SERVICES[@]}"; do
		if pid_alive "$s"; then
			printf '%-11s running (pid %s)\n' "$s" "$(cat "$PIDS/$s.pid")"
		else
			printf '%-11s stopped\n' "$s"
			case $s in kafka | postgres | clickhouse) rc=3 ;; esac
		fi
	done
	return $rc
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then return 0; fi # sourced by cluster.sh

# One stack command at a time: parallel `make up` calls would race on ports and data dirs.
mkdir -p "$STACK"
exec 9>"$STACK/.lock"
flock 9

case ${1:-} in
up) cmd_up ;;
infra) cmd_infra ;;
down) cmd_down ;;
status) cmd_status ;;
lag) cmd_lag "${2:?usage: $0 lag <consumer-group>}" ;;
*)
	echo "usage: $0 up|infra|down|status|lag <group>" >&2
	exit 2
	;;
esac
