package node

import (
	"sort"
	"time"

	"github.com/hashicorp/raft"
)

// IsLeader reports whether this node is the leader and ready to serve
// (its state machine has caught up with earlier terms).
func (n *Node) IsLeader() bool { return n.isLeaderReady() }

// LeaderAPIAddr is the API address of the current leader, "" when unknown
// (or when this node was just elected and is not ready to serve yet).
func (n *Node) LeaderAPIAddr() string {
	_, id := n.raft.LeaderWithID()
	if id == "" {
		return ""
	}
	if string(id) == n.cfg.NodeID {
		// Leader by raft but not ready yet: callers should wait, not
		// forward to themselves.
		if !n.isLeaderReady() {
			return ""
		}
		return n.advAPI
	}
	if p, ok := n.peers.get(string(id)); ok {
		return p.meta.API
	}
	return ""
}

// APIAddr is the API address this node advertises.
func (n *Node) APIAddr() string { return n.advAPI }

// Ready reports whether the node knows a leader and its state machine has
// applied everything it knows to be committed.
func (n *Node) Ready() bool {
	if n.raft.State() == raft.Leader {
		return n.isLeaderReady()
	}
	_, id := n.raft.LeaderWithID()
	if id == "" {
		return false
	}
	if time.Since(n.raft.LastContact()) > 5*n.cfg.HeartbeatTimeout {
		return false
	}
	commit := n.raft.CommitIndex()
	return commit > 0 && n.caughtUp(commit)
}

// Status describes the node and the cluster as this node sees them.
func (n *Node) Status() Status {
	_, leaderID := n.raft.LeaderWithID()
	s := Status{
		NodeID:        n.cfg.NodeID,
		State:         n.raft.State().String(),
		LeaderID:      string(leaderID),
		LeaderAPIAddr: n.LeaderAPIAddr(),
		Term:          n.raft.CurrentTerm(),
		CommitIndex:   n.raft.CommitIndex(),
		AppliedIndex:  n.raft.AppliedIndex(),
	}
	peers := n.peers.snapshot()
	seen := map[string]bool{}
	if f := n.raft.GetConfiguration(); f.Error() == nil {
		for _, srv := range f.Configuration().Servers {
			m := Member{ID: string(srv.ID), RaftAddr: string(srv.Address), Voter: srv.Suffrage == raft.Voter, GossipStatus: "unknown"}
			if p, ok := peers[m.ID]; ok {
				m.APIAddr, m.GossipAddr, m.GossipStatus = p.meta.API, p.gossip, gossipStateName(p.state)
			}
			seen[m.ID] = true
			s.Members = append(s.Members, m)
		}
	}
	for id, p := range peers {
		if !seen[id] {
			s.Members = append(s.Members, Member{ID: id, APIAddr: p.meta.API, RaftAddr: p.meta.Raft, GossipAddr: p.gossip, GossipStatus: gossipStateName(p.state)})
		}
	}
	sort.Slice(s.Members, func(i, j int) bool { return s.Members[i].ID < s.Members[j].ID })
	return s
}

// StateHash hashes the state machine (see fsm.FSM.StateHash).
func (n *Node) StateHash() (index uint64, hash string) { return n.fsm.StateHash() }
