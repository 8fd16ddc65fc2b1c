//go:build chaos

// Package cluster runs a three-node Wharf cluster for the chaos harness
// and injects faults into it. Two backends implement Cluster:
//
//   - Netns (the default, no Docker): each node runs in its own network
//     namespace, with a veth onto a bridge that lives in a fourth
//     namespace; the harness reaches the nodes from the root namespace
//     through one more veth. Links are cut with iptables inside a node's
//     namespace.
//   - Docker: the nodes are containers of image wharf:dev on a private
//     Docker network; links are cut with iptables in the container's
//     network namespace (nsenter from the host) or by disconnecting a
//     container from the network.
//
// Every name carries a per-run ID, and a state file under /run/wharf-chaos
// records the owning process, so that a leftover of a killed run is
// recognised and removed by the next run without touching a live one.
package cluster
