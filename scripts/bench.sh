#!/usr/bin/env bash
# Benchmark a fresh local 3-node Wharf cluster (make bench).
#
# Starts three nodes on free loopback ports with data in a temp dir, then
# runs `wharf bench` for send and for receive+delete with 1 and 64 workers,
# RUNS times each (default 3), and prints the median of each figure. The
# cluster is stopped and its data removed at the end.
#
#   DURATION=10s RUNS=3 WORKERS="1 64" MODES="send receive" SIZE=100 scripts/bench.sh
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${WHARF_BIN:-bin/wharf}
DURATION=${DURATION:-10s}
RUNS=${RUNS:-3}
WORKERS=${WORKERS:-1 64}
MODES=${MODES:-send receive}
SIZE=${SIZE:-100}
HOST=127.0.0.1

[[ -x $BIN ]] || { echo "missing $BIN: run 'make build'" >&2; exit 1; }

used=" "
free_port() {
	local p
	while true; do
		p=$((20000 + RANDOM % 40000))
		[[ $used == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null; then
			used+="$p "
			echo "$p"
			return
		fi
	done
}

DATA=$(mktemp -d -t wharf-bench-XXXXXX)
API=() RAFT=() GOSSIP=() PIDS=()
for i in 0 1 2; do
	API+=("$(free_port)")
	RAFT+=("$(free_port)")
	GOSSIP+=("$(free_port)")
done

cleanup() {
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$DATA"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

JOIN=()
for p in "${GOSSIP[@]}"; do JOIN+=(--join "$HOST:$p"); done
for i in 0 1 2; do
	n=$((i + 1))
	"$BIN" serve --node-id "n$n" --data-dir "$DATA/n$n" \
		--api-addr "$HOST:${API[$i]}" --raft-addr "$HOST:${RAFT[$i]}" --gossip-addr "$HOST:${GOSSIP[$i]}" \
		"${JOIN[@]}" --bootstrap-expect 3 >"$DATA/n$n.log" 2>&1 &
	PIDS+=($!)
done

deadline=$((SECONDS + 60))
for i in 0 1 2; do
	until curl -fsS -o /dev/null --max-time 2 "http://$HOST:${API[$i]}/readyz" 2>/dev/null; do
		if ((SECONDS > deadline)) || ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
			echo "node n$((i + 1)) did not become ready; log:" >&2
			tail -n 30 "$DATA/n$((i + 1)).log" >&2
			exit 1
		fi
		sleep 0.2
	done
done
EPS="http://$HOST:${API[0]},http://$HOST:${API[1]},http://$HOST:${API[2]}"
echo "cluster ready: $EPS"
echo "settings: duration $DURATION, $RUNS runs per setting, ${SIZE}-byte messages, workers round-robin over 3 nodes"
echo "machine: $(nproc) cores, $(uname -sr)"
echo

# median of numbers given as arguments
median() {
	printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'
}
field() { # field NAME LINE
	sed -E "s/.*(^| )$1=([^ ]+).*/\2/" <<<"$2"
}

# The reference measured in the same run: how many 4 KiB writes with
# O_DSYNC this disk completes per second (one fsync'ed write each). Every
# acknowledged send costs fsyncs on two nodes, so msg/s is reported as a
# ratio to it as well as in absolute figures.
fsync_rate() {
	local f="$DATA/fsync-probe" t0 t1
	t0=$(date +%s.%N)
	dd if=/dev/zero of="$f" bs=4k count=1000 oflag=dsync 2>/dev/null
	t1=$(date +%s.%N)
	rm -f "$f"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", 1000 / (b - a) }'
}
refs=("$(fsync_rate)")

results=()
for mode in $MODES; do
	for w in $WORKERS; do
		rates=() p50s=() p99s=() p999s=() errs=()
		for r in $(seq 1 "$RUNS"); do
			echo "== $mode, $w workers, run $r/$RUNS"
			out=$("$BIN" bench --endpoint "$EPS" --workers "$w" --duration "$DURATION" --mode "$mode" --size "$SIZE" 2> >(grep -v '^\[' >&2))
			echo "$out" | sed 's/^/   /'
			line=$(grep '^summary ' <<<"$out" | tail -n1)
			[[ -n $line ]] || { echo "no summary line from wharf bench" >&2; exit 1; }
			rates+=("$(field msgs_per_sec "$line")")
			p50s+=("$(field p50_ms "$line")")
			p99s+=("$(field p99_ms "$line")")
			p999s+=("$(field p999_ms "$line")")
			errs+=("$(field errors "$line")")
		done
		refs+=("$(fsync_rate)")
		results+=("$(printf '%-8s %7s %12.0f %10.2f %10.2f %10.2f %8.0f' "$mode" "$w" \
			"$(median "${rates[@]}")" "$(median "${p50s[@]}")" "$(median "${p99s[@]}")" "$(median "${p999s[@]}")" \
			"$(median "${errs[@]}")")")
	done
done

ref=$(median "${refs[@]}")
echo
echo "Medians over $RUNS runs of $DURATION (receive = ReceiveMessage max 10 + DeleteMessageBatch; latency per request):"
printf '%-8s %7s %12s %10s %10s %10s %8s %10s\n' mode workers "msg/s" "p50 ms" "p99 ms" "p99.9 ms" errors "x fsync"
for r in "${results[@]}"; do
	rate=$(awk '{print $3}' <<<"$r")
	printf '%s %10.2f\n' "$r" "$(awk -v a="$rate" -v b="$ref" 'BEGIN { print a / b }')"
done
echo "reference: $ref fsync'ed 4 KiB writes/s on this disk (median of ${#refs[@]} probes: ${refs[*]})"
