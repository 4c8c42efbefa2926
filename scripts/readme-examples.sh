#!/usr/bin/env bash
# Runs the README's grpcurl example verbatim against the running stack (after
# `make up`) and checks the collector accepted the event, so the README's
# "Sending events" section cannot rot. grpcurl is the pinned one from tools/.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export PATH="$REPO/.cache/bin:$PATH"
command -v grpcurl >/dev/null || GOWORK=off go -C tools build -o "$REPO/.cache/bin/" tool

cmd=$(grep -E '^grpcurl ' README.md)
[ "$(wc -l <<<"$cmd")" = 1 ] || { echo "expected exactly one grpcurl example in README.md"; exit 1; }
echo "+ $cmd"
out=$(bash -c "$cmd")
echo "$out"
grep -q '"acceptedCount": 1' <<<"$out" || { echo "README grpcurl example: the event was not accepted"; exit 1; }
echo "README grpcurl example: accepted"
