// Package test holds Wharf's integration tests: the real wharf binary in
// several processes on 127.0.0.1, driven by real clients (aws-sdk-go-v2,
// boto3 through the Python scripts in py/, and the AWS CLI), plus failover
// tests that kill and restart the leader while producers and consumers run.
//
// The harness (harness_test.go) builds bin/wharf once per `go test` run,
// starts clusters on free loopback ports with temporary data directories,
// and waits by polling with deadlines, never with fixed sleeps.
package test
