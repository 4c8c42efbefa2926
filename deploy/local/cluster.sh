#!/usr/bin/env bash
# Footprint's local multi-node profile (docs/deploy.md, "The cluster profile"): the shape of a
# production deployment on one machine, from the same downloads as the single-node stack.
#
#   3 Kafka brokers (KRaft, combined broker+controller, static quorum), topics RF 3, min ISR 2
#   ZooKeeper (standalone, from Maven Central) for ClickHouse replication
#   2 ClickHouse servers: one shard, two replicas (Replicated*MergeTree in footprint_local,
#     Distributed tables in footprint, created by the ch-writer's cluster-aware migrations)
#   PostgreSQL primary + streaming replica (pg_basebackup); the query service reads the replica
#   2 collectors, 2 pg-writers, 2 ch-writers, 1 query service (no notifier)
#
#   cluster.sh up        install what is missing, start everything (idempotent)
#   cluster.sh infra     like up, without the Footprint services
#   cluster.sh revive    start whatever is not running, no install or build (the failure drill)
#   cluster.sh down      stop exactly what this profile started (by PID)
#   cluster.sh status    show what runs
#   cluster.sh lag <group>
#
# `make up PROFILE=cluster` and FOOTPRINT_STACK_PROFILE=cluster make stack.sh run this script.
# Its ports never overlap the single-node stack's, and its data, logs and PIDs live in
# <stack dir>/cluster, so both run side by side. Heaps and buffers are small enough for a 2-core
# box; docs/deploy.md says what production needs instead.
set -euo pipefail

# The single-node script's functions and settings (sourcing it runs no command).
# shellcheck source=stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"

BASE=$STACK # the single-node stack dir: the shared downloads (Kafka and ZooKeeper jars)
STACK=$BASE/cluster
LOGS=$STACK/logs
PIDS=$STACK/pids
CONF=$HERE/cluster

KAFKA_PORTS=(19092 19093 19094)
KAFKA_CONTROLLER_PORTS=(19192 19193 19194)
KAFKA_PORT=${KAFKA_PORTS[0]} # what stack.sh's topic functions use besides kafka_topics
ZK_PORT=12181
CH_TCP_PORTS=(19000 19001)
CH_HTTP_PORTS=(18123 18124)
CH_INTERSERVER_PORTS=(19009 19010)
PG_PRIMARY_PORT=15432
PG_REPLICA_PORT=15433
PG_PORT=$PG_PRIMARY_PORT # what stack.sh's PostgreSQL functions use
CH_CLUSTER=footprint
CH_LOCAL_DB=footprint_local # Replicated*MergeTree tables, written by the ch-writers
CH_DIST_DB=footprint        # Distributed tables over them, read by the query service

join_ports() { local IFS=,; local a=("${@/#/127.0.0.1:}"); echo "${a[*]}"; }
BROKERS=$(join_ports "${KAFKA_PORTS[@]}")

# Tools (topic and group commands) run with a small heap and the shared jars.
kafka_java() {
	java -Xms64m -Xmx256m -Dlog4j2.configurationFile="$HERE/kafka/log4j2.xml" -cp "$BASE/kafka/libs/*" "$@"
}

# stack.sh creates its topics with --replication-factor 1; here every topic gets 3 copies and
# needs 2 in sync for an acks=all write.
kafka_topics() {
	local args=()
	while (($#)); do
		if [ "$1" = --replication-factor ]; then
			args+=(--replication-factor 3 --config min.insync.replicas=2)
			shift 2
		else
			args+=("$1")
			shift
		fi
	done
	kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$BROKERS" "${args[@]}"
}

# --- downloads (shared with the single-node stack) -------------------------------------

install_cluster_missing() {
	(
		flock 8
		STACK=$BASE LOGS=$BASE/logs
		mkdir -p "$LOGS"
		install_missing
		if [ ! -f "$BASE/zookeeper/libs/.complete" ]; then
			log "fetching ZooKeeper from Maven Central (first run only)"
			rm -rf "$BASE/zookeeper/libs"
			mvn -q -B -f "$CONF/zookeeper/pom.xml" dependency:copy-dependencies \
				-DincludeScope=runtime -DoutputDirectory="$BASE/zookeeper/libs" >"$LOGS/maven-zookeeper.log" 2>&1 ||
				die "maven could not fetch ZooKeeper (see $LOGS/maven-zookeeper.log)"
			touch "$BASE/zookeeper/libs/.complete"
		fi
	) 8>"$BASE/.lock"
}

# --- Kafka: three KRaft nodes ------------------------------------------------------------

kafka_cluster_id() {
	local f="$STACK/kafka-cluster-id"
	# The tool may print log lines on stdout first (log4j's console appender); keep the id.
	if [ ! -s "$f" ]; then
		kafka_java kafka.tools.StorageTool random-uuid 2>>"$LOGS/kafka-format.log" |
			grep -E '^[A-Za-z0-9_-]{22}$' | tail -n 1 >"$f"
		[ -s "$f" ] || die "could not generate a Kafka cluster id (see $LOGS/kafka-format.log)"
	fi
	cat "$f"
}

start_broker() { # index 0..2
	local i=$1 name="kafka$(($1 + 1))"
	pid_alive "$name" && return
	require_free_port "${KAFKA_PORTS[$i]}" "$name"
	require_free_port "${KAFKA_CONTROLLER_PORTS[$i]}" "$name controller"
	local dir="$STACK/$name" voters="" n
	for n in 0 1 2; do voters+="${voters:+,}$((n + 1))@127.0.0.1:${KAFKA_CONTROLLER_PORTS[$n]}"; done
	mkdir -p "$dir/data"
	sed -e "s#@DATA@#$dir/data#" -e "s#@NODE_ID@#$((i + 1))#" -e "s#@VOTERS@#$voters#" \
		-e "s#@PORT@#${KAFKA_PORTS[$i]}#g" -e "s#@CONTROLLER_PORT@#${KAFKA_CONTROLLER_PORTS[$i]}#g" \
		-e "s#@PARTITIONS@#$KAFKA_PARTITIONS#" "$CONF/kafka.properties" >"$dir/server.properties"
	if [ ! -f "$dir/data/meta.properties" ]; then
		kafka_java kafka.tools.StorageTool format -t "$(kafka_cluster_id)" -c "$dir/server.properties" \
			>>"$LOGS/$name.log" 2>&1 || die "formatting $name's storage failed (see $LOGS/$name.log)"
	fi
	log "starting $name on 127.0.0.1:${KAFKA_PORTS[$i]}"
	# 256 MB heap for the drill; production brokers run 4-6 GB heaps on 32-64 GB hosts.
	nohup java -Xms128m -Xmx256m -XX:+UseG1GC -Dlog4j2.configurationFile="$HERE/kafka/log4j2.xml" \
		-cp "$BASE/kafka/libs/*" kafka.Kafka "$dir/server.properties" >>"$LOGS/$name.log" 2>&1 9>&- &
	echo $! >"$PIDS/$name.pid"
}

# --- ZooKeeper -----------------------------------------------------------------------------

# `ruok` answers imok even when the server is not serving; `srvr` prints its mode once it is.
zk_ok() {
	local reply
	exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT" || return 1
	printf srvr >&3
	reply=$(timeout 2 cat <&3 || true)
	exec 3<&-
	grep -q '^Mode: ' <<<"$reply"
}

start_zookeeper() {
	pid_alive zookeeper && return
	require_free_port "$ZK_PORT" zookeeper
	local dir="$STACK/zookeeper"
	mkdir -p "$dir/data"
	sed -e "s#@DATA@#$dir/data#" -e "s#@PORT@#$ZK_PORT#" "$CONF/zoo.cfg" >"$dir/zoo.cfg"
	log "starting zookeeper on 127.0.0.1:$ZK_PORT"
	nohup java -Xms32m -Xmx128m -cp "$BASE/zookeeper/libs/*" org.apache.zookeeper.server.quorum.QuorumPeerMain \
		"$dir/zoo.cfg" >>"$LOGS/zookeeper.log" 2>&1 9>&- &
	echo $! >"$PIDS/zookeeper.pid"
	wait_for zookeeper 60 zk_ok
}

# --- ClickHouse: two replicas of one shard -----------------------------------------------

ch_at() { clickhouse-client --host 127.0.0.1 --port "$1" "${@:2}"; }

start_ch() { # index 0..1
	local i=$1 name="clickhouse$(($1 + 1))"
	pid_alive "$name" && return
	require_free_port "${CH_TCP_PORTS[$i]}" "$name native"
	require_free_port "${CH_HTTP_PORTS[$i]}" "$name http"
	local dir="$STACK/$name"
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/config.d" "$LOGS/$name"
	sed -e "s#@DIR@#$dir#g" -e "s#@LOGS@#$LOGS/$name#g" -e "s#@TCP_PORT@#${CH_TCP_PORTS[$i]}#" \
		-e "s#@HTTP_PORT@#${CH_HTTP_PORTS[$i]}#" -e "s#@INTERSERVER_PORT@#${CH_INTERSERVER_PORTS[$i]}#" \
		"$HERE/clickhouse/config.xml" >"$dir/config.xml"
	sed -e "s#@CH1_PORT@#${CH_TCP_PORTS[0]}#" -e "s#@CH2_PORT@#${CH_TCP_PORTS[1]}#" -e "s#@ZK_PORT@#$ZK_PORT#" \
		-e "s#@REPLICA@#$name#" "$CONF/clickhouse.xml" >"$dir/config.d/cluster.xml"
	# The same users; the writer and the reader also reach the replicated tables' database.
	sed -e "s#@WRITER_PASSWORD@#$CH_WRITER_PASSWORD#" \
		-e "s#<database>footprint</database>#&<database>$CH_LOCAL_DB</database>#" \
		"$HERE/clickhouse/users.xml" >"$dir/users.xml"
	log "starting $name on 127.0.0.1:${CH_TCP_PORTS[$i]} (native) and :${CH_HTTP_PORTS[$i]} (http)"
	(
		cd "$dir" || exit 1
		nohup clickhouse-server --config-file="$dir/config.xml" >>"$LOGS/$name/stdout.log" 2>&1 9>&- &
		echo $! >"$PIDS/$name.pid"
	)
}

ensure_ch_databases() {
	local port
	for port in "${CH_TCP_PORTS[@]}"; do
		wait_for "clickhouse :$port" 60 ch_at "$port" --query 'SELECT 1'
		ch_at "$port" --query "CREATE DATABASE IF NOT EXISTS $CH_LOCAL_DB"
		ch_at "$port" --query "CREATE DATABASE IF NOT EXISTS $CH_DIST_DB"
	done
}

# --- PostgreSQL: primary and streaming replica ----------------------------------------------

start_pg_replica() {
	pid_alive postgres-replica && return
	require_free_port "$PG_REPLICA_PORT" "postgres replica"
	local bin dir
	bin=$(pg_bindir)
	dir="$(pg_dir)/replica"
	as_pg mkdir -p "$dir/run"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		log "cloning the postgres primary into the replica (pg_basebackup)"
		# -R writes standby.signal and primary_conninfo: the copy starts as a streaming replica.
		as_pg env PGPASSWORD="$PG_SUPERUSER_PASSWORD" "$bin/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" \
			-U postgres -D "$dir/data" -R -X stream -c fast >"$dir/basebackup.log" 2>&1 ||
			die "pg_basebackup failed (see $dir/basebackup.log)"
	fi
	log "starting postgres replica on 127.0.0.1:$PG_REPLICA_PORT"
	# max_connections must be at least the primary's (a standby refuses to replay otherwise).
	# max_connections must be at least the primary's (a standby refuses to replay otherwise);
	# hot_standby_feedback: the dashboard's reads are not cancelled by the primary's vacuum.
	as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
		-o "-c listen_addresses=127.0.0.1 -p $PG_REPLICA_PORT -c unix_socket_directories=$dir/run -c max_connections=200 -c shared_buffers=128MB -c hot_standby=on -c hot_standby_feedback=on" \
		>/dev/null 9>&- || die "postgres replica did not start (see $dir/postgres.log)"
	head -n 1 "$dir/data/postmaster.pid" >"$PIDS/postgres-replica.pid"
}

stop_pg() { # name data-dir
	pid_alive "$1" || return 0
	log "stopping $1"
	as_pg "$(pg_bindir)/pg_ctl" -D "$2" -m fast -w stop >/dev/null || true
	rm -f "$PIDS/$1.pid"
}

# --- Footprint services --------------------------------------------------------------------

# Instance name, then its variables on top of the single-node stack's (later lines win).
INSTANCES=(collector1 collector2 pg-writer1 pg-writer2 ch-writer1 ch-writer2 query)

instance_admin_port() {
	case $1 in
	collector1) echo 19464 ;; collector2) echo 19474 ;;
	pg-writer1) echo 19465 ;; pg-writer2) echo 19475 ;;
	ch-writer1) echo 19466 ;; ch-writer2) echo 19476 ;;
	query) echo 19467 ;;
	esac
}

instance_env() {
	local ch1="127.0.0.1:${CH_TCP_PORTS[0]}" ch2="127.0.0.1:${CH_TCP_PORTS[1]}"
	service_env
	cat <<EOF
FOOTPRINT_ADMIN_ADDR=127.0.0.1:$(instance_admin_port "$1")
FOOTPRINT_KAFKA_BROKERS=$BROKERS
FOOTPRINT_PG_URL=postgres://footprint_writer:$PG_WRITER_PASSWORD@127.0.0.1:$PG_PRIMARY_PORT/footprint
FOOTPRINT_CH_DATABASE=$CH_LOCAL_DB
FOOTPRINT_CH_CLUSTER=$CH_CLUSTER
FOOTPRINT_CH_DISTRIBUTED_DATABASE=$CH_DIST_DB
FOOTPRINT_QUERY_PG_URL=postgres://footprint_reader:$PG_READER_PASSWORD@127.0.0.1:$PG_REPLICA_PORT/footprint
FOOTPRINT_QUERY_CH_ADDR=$ch1,$ch2
FOOTPRINT_QUERY_CH_DATABASE=$CH_DIST_DB
FOOTPRINT_QUERY_GRPC_ADDR=127.0.0.1:51052
FOOTPRINT_QUERY_HTTP_ADDR=127.0.0.1:18090
EOF
	# Each writer replica prefers its own ClickHouse replica and fails over to the other.
	case $1 in
	ch-writer1) echo "FOOTPRINT_CH_ADDR=$ch1,$ch2" ;;
	ch-writer2) echo "FOOTPRINT_CH_ADDR=$ch2,$ch1" ;;
	collector1) printf 'FOOTPRINT_COLLECTOR_GRPC_ADDR=127.0.0.1:51051\nFOOTPRINT_COLLECTOR_HTTP_ADDR=127.0.0.1:18081\n' ;;
	collector2) printf 'FOOTPRINT_COLLECTOR_GRPC_ADDR=127.0.0.1:51061\nFOOTPRINT_COLLECTOR_HTTP_ADDR=127.0.0.1:18082\n' ;;
	esac
}

instance_ready() { curl -fsS "http://127.0.0.1:$(instance_admin_port "$1")/readyz"; }

start_instances() {
	local inst
	for inst in "${INSTANCES[@]}"; do
		[ -x "$STACK/bin/${inst%[12]}" ] || die "$STACK/bin/${inst%[12]} is not built (run up first)"
		pid_alive "$inst" && continue
		log "starting $inst (admin http://127.0.0.1:$(instance_admin_port "$inst"))"
		(
			while IFS= read -r kv; do export "${kv?}"; done < <(instance_env "$inst")
			nohup "$STACK/bin/${inst%[12]}" >>"$LOGS/$inst.log" 2>&1 9>&- &
			echo $! >"$PIDS/$inst.pid"
		)
	done
	for inst in "${INSTANCES[@]}"; do
		wait_for "$inst" 120 instance_ready "$inst"
	done
}

# --- commands ------------------------------------------------------------------------------

start_infra() {
	local i
	for i in 0 1 2; do start_broker "$i"; done
	start_zookeeper
	for i in 0 1; do start_ch "$i"; done
	start_postgres
	provision_postgres
	start_pg_replica
	ensure_ch_databases
}

cluster_infra() {
	mkdir -p "$LOGS" "$PIDS"
	install_cluster_missing
	start_infra
	ensure_topics
	ensure_ops_topics
	log "cluster infrastructure is up (kafka $BROKERS, zookeeper :$ZK_PORT, clickhouse :${CH_TCP_PORTS[0]} :${CH_TCP_PORTS[1]}, postgres primary :$PG_PRIMARY_PORT replica :$PG_REPLICA_PORT)"
}

cluster_up() {
	cluster_infra
	SERVICES=(collector pg-writer ch-writer query)
	build_services
	start_instances
	log "collectors: gRPC 127.0.0.1:51051 and :51061 (key $DEV_API_KEY); query: http://127.0.0.1:18090/ (gRPC :51052)"
}

# Starts what is not running (after a kill), without installing or building anything.
cluster_revive() {
	mkdir -p "$LOGS" "$PIDS"
	start_infra
	wait_for kafka 90 kafka_topics --list
	start_instances
}

cluster_down() {
	mkdir -p "$PIDS"
	local inst
	for inst in "${INSTANCES[@]}"; do stop_pid "$inst"; done
	stop_pg postgres-replica "$(pg_dir)/replica/data"
	stop_pg postgres "$(pg_dir)/data"
	stop_pid clickhouse1
	stop_pid clickhouse2
	stop_pid zookeeper
	# All brokers at once: one by one, the last would wait for a controller quorum that is gone.
	local b
	for b in kafka1 kafka2 kafka3; do
		if pid_alive "$b"; then kill -TERM "$(cat "$PIDS/$b.pid")" 2>/dev/null || true; fi
	done
	for b in kafka1 kafka2 kafka3; do stop_pid "$b"; done
}

CLUSTER_PARTS=(kafka1 kafka2 kafka3 zookeeper clickhouse1 clickhouse2 postgres postgres-replica)

cluster_status() {
	mkdir -p "$PIDS"
	local rc=0 s
	for s in "${CLUSTER_PARTS[@]}" "${INSTANCES[@]}"; do
		if pid_alive "$s"; then
			printf '%-17s running (pid %s)\n' "$s" "$(cat "$PIDS/$s.pid")"
		else
			printf '%-17s stopped\n' "$s"
			case $s in kafka* | zookeeper | clickhouse* | postgres*) rc=3 ;; esac
		fi
	done
	return $rc
}

cluster_lag() { # group
	kafka_java org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
		--bootstrap-server "$BROKERS" --describe --group "$1" 2>/dev/null |
		awk -v topic="$TOPIC" '$2 == topic { lag += ($4 ~ /^[0-9]+$/) ? $6 : $5; n++ } END { if (n) print lag }'
}

mkdir -p "$STACK"
exec 9>"$STACK/.lock"
flock 9

case ${1:-} in
up) cluster_up ;;
infra) cluster_infra ;;
revive) cluster_revive ;;
down) cluster_down ;;
status) cluster_status ;;
lag) cluster_lag "${2:?usage: $0 lag <consumer-group>}" ;;
*)
	echo "usage: $0 up|infra|revive|down|status|lag <group>" >&2
	exit 2
	;;
esac
