#!/usr/bin/env bash
# The chaos soak: random fault mixtures for DURATION (default 30m), in
# cluster lifecycles of SEGMENT (default 10m) that alternate between the
# network-namespace and Docker backends (when Docker works).
#
#   DURATION=30m SEED=n scripts/soak.sh
#
# Same results and final line as scripts/chaos.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/chaos-common.sh

chaos_prepare
exec bin/chaos -mode soak -duration "${DURATION:-30m}" -segment "${SEGMENT:-10m}" \
	-seed "${SEED:-0}" -backends "${BACKENDS:-auto}" "$@"
