#!/usr/bin/env bash
# Runs the README's grpcurl example verbatim against the running stack (after
# `make up`) and checks the collector accepted the event, so the README's
# "Sending events" section cannot rot. grpcurl is the pinned one from tools/.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export PATH="$REPO/.cache/bin:$PATH"
command -v grpcurl >/dev/null || GOWORK=off go -C tools build -o "$REPO/.cache/bin/" tool

cmd=$(grep -E '^grpcurl .*CollectorService' README.md)
[ "$(wc -l <<<"$cmd")" = 1 ] || { echo "expected exactly one grpcurl example in README.md"; exit 1; }
echo "+ $cmd"
out=$(bash -c "$cmd")
echo "$out"
grep -q '"acceptedCount": 1' <<<"$out" || { echo "README grpcurl example: the event was not accepted"; exit 1; }
echo "README grpcurl example: accepted"

# "Dashboards / query API": every grpcurl and curl example of the query service, verbatim
# (after `make run`, so the demo site has today's traffic). Each must answer; the STORE_BOTH
# ones must report that both stores agree, so first both writers must have stored the event
# the collector example above just sent.
for group in footprint-pg-writer footprint-ch-writer; do
	deadline=$((SECONDS + 120))
	until [ "$(bash deploy/local/stack.sh lag "$group")" = 0 ]; do
		((SECONDS < deadline)) || { echo "$group did not catch up within 120s"; exit 1; }
		sleep 0.5
	done
done
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	echo "+ $cmd"
	out=$(bash -c "$cmd" </dev/null)
	printf '%.2000s\n' "$out"
	case $cmd in
	*STORE_BOTH*) grep -Eq '"match": ?true' <<<"$out" || { echo "README query example: the stores did not match"; exit 1; } ;;
	*/api/v1/sites*) grep -q '"demo"' <<<"$out" || { echo "README query example: demo is not listed"; exit 1; } ;;
	esac
done < <(grep -E '^(grpcurl|curl) .*(QueryService|/api/v1/)' README.md)
[ "$n" -ge 3 ] || { echo "expected the README's query API examples (grpcurl and curl), found $n"; exit 1; }
echo "README query API examples: $n answered"

# "Operations": every `go run ./cmd/footprint` example, verbatim; each must exit 0 (for
# consistency: the stores agree).
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	echo "+ $cmd"
	bash -c "$cmd" </dev/null || { echo "README footprint example failed: $cmd"; exit 1; }
done < <(grep -E '^go run \./cmd/footprint ' README.md)
[ "$n" -ge 3 ] || { echo "expected the README's footprint examples, found $n"; exit 1; }
echo "README footprint examples: $n ran"
