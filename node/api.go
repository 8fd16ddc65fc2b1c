package node

import "errors"

// Errors the service operations return besides *fsm.Error. Every one of
// them means "retry": transport answers them with a 5xx.
var (
	// ErrNotLeader: this node is not the leader; nothing was applied.
	ErrNotLeader = errors.New("this node is not the leader")
	// ErrNoLeader: the cluster has no leader right now; nothing was applied.
	ErrNoLeader = errors.New("the cluster has no leader")
	// ErrIndeterminate: leadership was lost or the wait was cut after the
	// command was proposed; it may or may not have been applied.
	ErrIndeterminate = errors.New("the outcome is unknown: leadership was lost while the command was in flight")
	// ErrShuttingDown: the node is stopping.
	ErrShuttingDown = errors.New("the node is shutting down")
)

// Status is a node's view of the cluster, served at /v1/cluster/status.
type Status struct {
	NodeID        string   `json:"node_id"`
	State         string   `json:"state"`
	LeaderID      string   `json:"leader_id"`
	LeaderAPIAddr string   `json:"leader_api_addr"`
	Term          uint64   `json:"term"`
	CommitIndex   uint64   `json:"commit_index"`
	AppliedIndex  uint64   `json:"applied_index"`
	Members       []Member `json:"members"`
}

// Member is one cluster member as raft and gossip see it.
type Member struct {
	ID         string `json:"id"`
	APIAddr    string `json:"api_addr"`
	RaftAddr   string `json:"raft_addr"`
	GossipAddr string `json:"gossip_addr"`
	Voter      bool   `json:"voter"`
	// GossipStatus is alive, suspect, dead, left or unknown.
	GossipStatus string `json:"gossip_status"`
}
