package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Status is one node's view of the cluster (GET /v1/cluster/status).
type Status struct {
	NodeID string `json:"node_id"`
	// State is Leader, Follower, Candidate or Shutdown.
	State    string `json:"state"`
	LeaderID string `json:"leader_id"`
	// LeaderAPIAddr is the leader's API address (host:port), "" while no
	// leader is known or ready.
	LeaderAPIAddr string   `json:"leader_api_addr"`
	Term          uint64   `json:"term"`
	CommitIndex   uint64   `json:"commit_index"`
	AppliedIndex  uint64   `json:"applied_index"`
	Members       []Member `json:"members"`
}

// Member is a cluster member as raft and gossip see it.
type Member struct {
	ID         string `json:"id"`
	APIAddr    string `json:"api_addr"`
	RaftAddr   string `json:"raft_addr"`
	GossipAddr string `json:"gossip_addr"`
	Voter      bool   `json:"voter"`
	// GossipStatus is alive, suspect, dead, left or unknown.
	GossipStatus string `json:"gossip_status"`
}

// Status returns the cluster status as the leader sees it (or, while there
// is no leader, as some reachable node does).
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var st Status
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/cluster/status", out: &st, idempotent: true}); err != nil {
		return nil, err
	}
	c.learn(&st)
	return &st, nil
}

// NodeStatus returns the status as the node at addr (a base URL or an
// API address host:port) sees it. It tries that node only.
func (c *Client) NodeStatus(ctx context.Context, addr string) (*Status, error) {
	base := c.apiBase(addr)
	var st Status
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/cluster/status", out: &st, idempotent: true, node: base}); err != nil {
		return nil, err
	}
	return &st, nil
}

// Members lists the cluster's members.
func (c *Client) Members(ctx context.Context) ([]Member, error) {
	var out wireMembers
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/cluster/members", out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	return out.Members, nil
}

// TransferLeader asks the leader to hand leadership to the member with
// ID to ("" lets raft pick the most up-to-date follower). A failed attempt
// is retried only when it surely did nothing, or when the cluster status
// shows that it did not happen yet; it succeeds as soon as the status
// shows the change (to leads, or another leader than before). It makes 5
// attempts at most.
func (c *Client) TransferLeader(ctx context.Context, to string) error {
	before := ""
	if st, err := c.Status(ctx); err == nil {
		before = st.LeaderID
	}
	done := func(ctx context.Context) bool {
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		var st Status
		if _, err := c.do(sctx, request{method: http.MethodGet, path: "/v1/cluster/status", out: &st, idempotent: true}); err != nil || st.LeaderID == "" {
			return false
		}
		if to != "" {
			return st.LeaderID == to
		}
		return before != "" && st.LeaderID != before
	}
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/cluster/leader/transfer", in: wireTransfer{To: to}, done: done,
		maxAttempts: 5}) // an operator's call: a few retries, never a storm of elections
	c.mu.Lock()
	c.leader = "" // learn the new one on the next call
	c.mu.Unlock()
	return err
}

// RemoveMember removes a failed member from the raft configuration (a
// member that left gracefully is removed by itself).
func (c *Client) RemoveMember(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/v1/cluster/members/" + url.PathEscape(id), idempotent: true})
	return err
}

// Nodes lists the base URLs the client knows: those given to New and the
// members it learned since.
func (c *Client) Nodes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.nodes...)
}
