//go:build chaos

package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Nodes are the node IDs of every cluster: n1, n2, n3.
var Nodes = []string{"n1", "n2", "n3"}

// Ports every node listens on (each node has its own address).
const (
	APIPort    = 9324
	RaftPort   = 7001
	GossipPort = 7946
)

// Options configure a cluster.
type Options struct {
	// Bin is the wharf binary (netns) ; Image the Docker image (docker).
	Bin   string
	Image string
	// Dir holds data dirs and node logs.
	Dir string
	// Env is added to every node's environment (snapshot knobs).
	Env []string
	// Logf reports what the cluster does.
	Logf func(format string, args ...any)
}

// Cluster is a running three-node cluster that faults can be injected into.
type Cluster interface {
	// Backend names the backend: "netns" or "docker".
	Backend() string
	// APIURL is the base URL of a node's HTTP API, reachable from the harness.
	APIURL(node string) string
	// IP is the node's address on the cluster network.
	IP(node string) string
	// Start starts (or restarts, on the same data) a stopped node.
	Start(ctx context.Context, node string) error
	// Kill sends SIGKILL and waits for the node to exit.
	Kill(node string) error
	// Pause freezes the node (SIGSTOP); Resume thaws it.
	Pause(node string) error
	Resume(node string) error
	// Running reports whether the node's process exists (paused or not).
	Running(node string) bool
	// Block drops every packet from `from` arriving at `to`.
	Block(from, to string) error
	// Heal removes every Block.
	Heal() error
	// DataDir is the node's data dir as the harness sees it.
	DataDir(node string) string
	// CollectLogs copies or writes the node logs into dir.
	CollectLogs(dir string) error
	// Close stops every node and removes everything the cluster created.
	Close() error
}

// run runs a command with a bound and returns its combined output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// mustRun is run without a caller context.
func mustRun(name string, args ...string) (string, error) {
	return run(context.Background(), name, args...)
}

// serveArgs are the `wharf serve` arguments of a node at ip among ips.
func serveArgs(node, dataDir, bindHost, ip string, ips []string) []string {
	args := []string{"serve", "--node-id", node, "--data-dir", dataDir,
		"--api-addr", fmt.Sprintf("%s:%d", bindHost, APIPort),
		"--raft-addr", fmt.Sprintf("%s:%d", bindHost, RaftPort),
		"--gossip-addr", fmt.Sprintf("%s:%d", bindHost, GossipPort),
		"--bootstrap-expect", "3"}
	if bindHost == "0.0.0.0" {
		args = append(args, "--advertise", ip)
	}
	for _, p := range ips {
		args = append(args, "--join", fmt.Sprintf("%s:%d", p, GossipPort))
	}
	return args
}

func nodeIndex(node string) int {
	for i, n := range Nodes {
		if n == node {
			return i
		}
	}
	panic("unknown node " + node)
}
