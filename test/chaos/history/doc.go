//go:build chaos

// Package history records every operation the chaos workload performs:
// when it was invoked and completed (monotonic time since the run began),
// which node served it and whether it succeeded, failed (4xx) or ended
// with an unknown outcome (timeout, connection error, 5xx). The checker
// reads only this record; it is also written out as JSONL.
package history
