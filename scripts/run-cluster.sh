#!/usr/bin/env bash
# Start a local three-node Wharf cluster in the foreground; Ctrl-C stops it.
#
#   scripts/run-cluster.sh            (or: make run)
#
# API ports 9324/9325/9326, raft 7001-7003, gossip 7946-7948, data under
# ./data/n{1,2,3} (DATA_DIR overrides ./data), logs in $DATA_DIR/n*.log.
# WHARF_BIN overrides the binary (default bin/wharf). Stopping sends SIGTERM
# (graceful leave) to every node and waits for them; restarting with the
# same data dir brings the same cluster back.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${WHARF_BIN:-bin/wharf}
DATA_DIR=${DATA_DIR:-./data}
HOST=${HOST:-127.0.0.1}
API_PORTS=(9324 9325 9326)
RAFT_PORTS=(7001 7002 7003)
GOSSIP_PORTS=(7946 7947 7948)
READY_TIMEOUT=${READY_TIMEOUT:-60}

if [[ ! -x $BIN ]]; then
	echo "missing $BIN: run 'make build' first" >&2
	exit 1
fi

port_busy() {
	# true when something listens on 127.0.0.1:$1 (TCP)
	(exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}
for p in "${API_PORTS[@]}" "${RAFT_PORTS[@]}" "${GOSSIP_PORTS[@]}"; do
	if port_busy "$p"; then
		echo "port $p is already in use: is another cluster running?" >&2
		exit 1
	fi
done

mkdir -p "$DATA_DIR"
JOIN=()
for p in "${GOSSIP_PORTS[@]}"; do JOIN+=(--join "$HOST:$p"); done

PIDS=()
stop_all() {
	trap - INT TERM EXIT
	if ((${#PIDS[@]})); then
		echo
		echo "stopping the cluster (SIGTERM, graceful leave) ..."
		for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
		for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
		echo "stopped; data kept in $DATA_DIR"
	fi
}
STOPPING=
trap stop_all EXIT
trap 'STOPPING=1' INT TERM

for i in 0 1 2; do
	n=$((i + 1))
	mkdir -p "$DATA_DIR/n$n"
	"$BIN" serve \
		--node-id "n$n" \
		--data-dir "$DATA_DIR/n$n" \
		--api-addr "$HOST:${API_PORTS[$i]}" \
		--raft-addr "$HOST:${RAFT_PORTS[$i]}" \
		--gossip-addr "$HOST:${GOSSIP_PORTS[$i]}" \
		"${JOIN[@]}" \
		--bootstrap-expect 3 \
		--sns-allow-private-endpoints \
		>>"$DATA_DIR/n$n.log" 2>&1 &
	PIDS+=($!)
done

echo "starting 3 nodes (logs: $DATA_DIR/n{1,2,3}.log) ..."
deadline=$((SECONDS + READY_TIMEOUT))
for i in 0 1 2; do
	url="http://$HOST:${API_PORTS[$i]}/readyz"
	until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
		[[ -n $STOPPING ]] && exit 130
		if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
			echo "node n$((i + 1)) exited; last log lines:" >&2
			tail -n 30 "$DATA_DIR/n$((i + 1)).log" >&2
			exit 1
		fi
		if ((SECONDS > deadline)); then
			echo "node n$((i + 1)) not ready after ${READY_TIMEOUT}s; last log lines:" >&2
			tail -n 30 "$DATA_DIR/n$((i + 1)).log" >&2
			exit 1
		fi
		sleep 0.2
	done
done

E1="http://$HOST:${API_PORTS[0]}"
cat <<EOF

Wharf is running: three nodes, every one answers every SQS and SNS call.
  n1  $E1  (raft $HOST:${RAFT_PORTS[0]}, gossip $HOST:${GOSSIP_PORTS[0]})
  n2  http://$HOST:${API_PORTS[1]}  (raft $HOST:${RAFT_PORTS[1]}, gossip $HOST:${GOSSIP_PORTS[1]})
  n3  http://$HOST:${API_PORTS[2]}  (raft $HOST:${RAFT_PORTS[2]}, gossip $HOST:${GOSSIP_PORTS[2]})

Cluster status:  curl -s $E1/v1/cluster/status
Web console:     $E1/ui

Try it with the AWS CLI (any credentials work):
  export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url $E1 sqs create-queue --queue-name demo
  aws --endpoint-url $E1 sqs send-message --queue-url $E1/000000000000/demo --message-body hello
  aws --endpoint-url http://$HOST:${API_PORTS[1]} sqs receive-message --queue-url http://$HOST:${API_PORTS[1]}/000000000000/demo

Press Ctrl-C to stop all three nodes.
EOF

# Stay in the foreground until Ctrl-C (or a node dies on its own).
while [[ -z $STOPPING ]]; do
	for i in 0 1 2; do
		if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
			# Ctrl-C reaches the nodes too; give our own trap a moment.
			sleep 1 &
			wait $! || true
			[[ -n $STOPPING ]] && break 2
			echo "node n$((i + 1)) exited on its own; last log lines:" >&2
			tail -n 30 "$DATA_DIR/n$((i + 1)).log" >&2
			exit 1
		fi
	done
	sleep 1 &
	wait $! || true
done
exit 0 # stopped on request: the EXIT trap stops the nodes
