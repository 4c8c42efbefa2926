#!/usr/bin/env bash
# Checks the local stack's lifecycle promises on a running stack:
# `make up` twice in a row is fine, a port taken by someone else is named in a
# clear error, and `make down` leaves no process of the stack running.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
STACK=${FOOTPRINT_STACK_DIR:-$REPO/.stack}

make up
make up
make status

# A port held by another process: a second stack in its own folder must refuse
# to start Kafka there and say which port is taken.
other=$(mktemp -d)
trap 'rm -rf "$other"' EXIT
out=$(FOOTPRINT_STACK_DIR=$other FOOTPRINT_KAFKA_PORT=9092 FOOTPRINT_KAFKA_CONTROLLER_PORT=19093 \
	bash deploy/local/stack.sh infra 2>&1) && { echo "stack started on a taken port"; exit 1; }
echo "$out" | tail -n 1
grep -q 'port 9092 (needed by kafka) is already in use' <<<"$out" || { echo "no clear port message"; exit 1; }

make down
if bash deploy/local/stack.sh status; then echo "the stack reports running pieces after make down"; exit 1; fi
left=$(pgrep -af -- "$STACK" || true)
if [ -n "$left" ]; then
	echo "processes left after make down:"
	echo "$left"
	exit 1
fi
echo "stack lifecycle: up twice, clear port error, down leaves nothing running"
