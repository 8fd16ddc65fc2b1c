#!/usr/bin/env bash
# The benchmark suite is `wharf bench` (what `make bench` runs): it starts
# its own cluster and references, and cleans up. This wrapper stays for
# scripts that call it: it maps the environment knobs to flags and passes
# its arguments through.
#
#   DURATION=3s RUNS=3 WORKERS="1 16 64" MODES="send publish" TARGETS=... QUEUED=N scripts/bench.sh [flags]
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${WHARF_BIN:-bin/wharf}
[[ -x $BIN ]] || { echo "missing $BIN: run 'make build'" >&2; exit 1; }

args=()
[[ -n ${DURATION:-} ]] && args+=(--duration "$DURATION")
[[ -n ${RUNS:-} ]] && args+=(--runs "$RUNS")
[[ -n ${WORKERS:-} ]] && args+=(--workers "${WORKERS// /,}")
[[ -n ${MODES:-} ]] && args+=(--modes "${MODES// /,}")
[[ -n ${TARGETS:-} ]] && args+=(--targets "${TARGETS// /,}")
[[ -n ${QUEUED:-} ]] && args+=(--queued "$QUEUED")
[[ -n ${SIZE:-} ]] && args+=(--size "$SIZE")
exec "$BIN" bench "${args[@]}" "$@"
