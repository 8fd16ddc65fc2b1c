//go:build chaos

// Package chaos is Wharf's chaos harness: it starts a three-node cluster
// (in network namespaces or Docker containers), runs producers, consumers
// and a small linearizability workload through the SQS API, injects faults
// (kill -9, SIGSTOP, partitions, snapshot catch-up, majority loss) from a
// schedule, then heals, drains and checks the recorded history.
//
// Everything here builds only with the `chaos` tag, so `go test ./...`
// ignores it. scripts/chaos.sh (quick, fixed schedule) and scripts/soak.sh
// (random mixtures) drive it through cmd/chaos; TestChaosQuick runs the
// same quick schedule from `go test` when CHAOS_RUN=1.
//
// Sub-packages: history (the operation log), checker (the queue and
// linearizability checks), cluster (the two backends), workload (the SQS
// clients).
package chaos
