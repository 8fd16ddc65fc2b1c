#!/usr/bin/env bash
# The quick chaos run (CI): build the binary (and the wharf:dev image when
# Docker works), run the fixed fault schedule against a three-node cluster
# in network namespaces (then a short one on Docker), check the history.
#
#   scripts/chaos.sh                 SEED=n to replay a seed
#   BACKENDS=netns scripts/chaos.sh  skip Docker (auto|netns|docker|both)
#
# Needs root (namespaces, iptables). Results: chaos-results/<run>/ (report.md,
# history.jsonl, faults.jsonl, node logs). Ends with one line:
#   chaos: seed=S faults=F acked=A lost=L phantom=P unexplained_dup=D max_unavailable=Us
# and exits non-zero on any violation.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/chaos-common.sh

chaos_prepare
exec bin/chaos -mode quick -seed "${SEED:-0}" -backends "${BACKENDS:-auto}" "$@"
