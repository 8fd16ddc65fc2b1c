//go:build chaos

// Package workload drives a Wharf cluster through the SQS API
// (aws-sdk-go-v2, JSON protocol) and records every call in a history:
// producers sending unique bodies "p<producer>-<counter>", consumers
// receiving and deleting in batches, the SNS fan-out and FIFO
// sub-workloads (FIFO producers send "f<producer>-<counter>" in order, one
// message group each, resending only after an unknown outcome and with the
// same deduplication ID), and the small linearizability sub-workload. SDK
// retries are off and timeouts short, so every failure becomes a history
// entry: a 4xx is a failure, anything else (timeout,
// connection error, 5xx) an unknown outcome.
package workload
