//go:build chaos

// Package checker judges a chaos history after the cluster was healed and
// drained: acknowledged sends never received (lost), bodies received but
// never sent (phantom), messages received again after a successful delete
// of their latest receipt handle (resurrection), duplicates that neither a
// visibility expiry nor a lost receive response explains, acknowledgements
// from nodes cut off from the majority, write unavailability per fault,
// FIFO message groups delivered out of send order or enqueued twice
// despite deduplication, and linearizability of a small queue workload
// (porcupine).
//
// Every finding carries the operations that prove it (IDs, times, nodes).
package checker
