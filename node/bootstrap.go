package node

import (
	"errors"
	"sort"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"
)

// membershipLoop joins the cluster, bootstraps it when enough servers are
// in gossip, and on the leader reconciles gossip with raft membership.
func (n *Node) membershipLoop() {
	defer n.wg.Done()
	tick := newTicker(500)
	defer tick.Stop()
	for {
		n.refreshMeta()
		n.tryJoin()
		n.maybeBootstrap()
		if n.isLeaderReady() {
			n.reconcile()
		}
		select {
		case <-n.stop:
			return
		case <-n.peers.changed:
		case <-tick.C:
		}
	}
}

// tryJoin contacts the --join addresses until one answers.
func (n *Node) tryJoin() {
	n.mu.Lock()
	joined := n.joined
	n.mu.Unlock()
	if joined {
		return
	}
	targets := n.joinTargets()
	if len(targets) == 0 {
		n.mu.Lock()
		n.joined = true
		n.mu.Unlock()
		return
	}
	if c, err := n.gossip.Join(targets); err == nil && c > 0 {
		n.log.Info("joined gossip", "contacted", c)
		n.mu.Lock()
		n.joined = true
		n.mu.Unlock()
	}
}

// maybeBootstrap bootstraps a brand-new cluster once BootstrapExpect
// servers with the same expectation are alive in gossip and none of them
// has raft state. Every such server computes the same configuration (the
// members sorted by ID), as raft requires.
func (n *Node) maybeBootstrap() {
	n.mu.Lock()
	done := n.bootstrapped
	joined := n.joined
	n.mu.Unlock()
	if done {
		return
	}
	if n.hasState() {
		n.setBootstrapped()
		return
	}
	if !joined {
		return
	}
	var servers []raft.Server
	for _, p := range n.peers.snapshot() {
		if p.state != memberlist.StateAlive {
			continue
		}
		if p.meta.HasState {
			// A cluster exists: wait for its leader to add us.
			return
		}
		if p.meta.Expect != n.cfg.BootstrapExpect {
			n.log.Warn("peer expects a different cluster size; not bootstrapping", "peer", p.meta.ID, "expect", p.meta.Expect)
			return
		}
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p.meta.ID), Address: raft.ServerAddress(p.meta.Raft)})
	}
	if len(servers) < n.cfg.BootstrapExpect {
		return
	}
	sort.Slice(servers, func(i, j int) bool { return servers[i].ID < servers[j].ID })
	err := n.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		n.log.Error("bootstrap failed", "err", err)
		return
	}
	n.log.Info("bootstrapped cluster", "servers", len(servers))
	n.setBootstrapped()
}

func (n *Node) setBootstrapped() {
	n.mu.Lock()
	n.bootstrapped = true
	n.mu.Unlock()
}

// reconcile makes raft membership follow gossip: alive members missing
// from the configuration are added as voters, members that left
// gracefully are removed. Failed members stay voters: removing them could
// cost the quorum; an operator removes them.
func (n *Node) reconcile() {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	inConfig := make(map[raft.ServerID]raft.ServerAddress)
	for _, s := range f.Configuration().Servers {
		inConfig[s.ID] = s.Address
	}
	peers := n.peers.snapshot()
	ids := make([]string, 0, len(peers))
	for id := range peers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := peers[id]
		sid := raft.ServerID(id)
		addr, member := inConfig[sid]
		switch {
		case p.state == memberlist.StateAlive && !p.meta.Leaving && !p.removed && (!member || addr != raft.ServerAddress(p.meta.Raft)):
			// A server that came back under a new ID keeps its address:
			// raft refuses two servers at one address, so drop the old ID.
			for oldID, oldAddr := range inConfig {
				if oldAddr == raft.ServerAddress(p.meta.Raft) && oldID != sid && string(oldID) != n.cfg.NodeID {
					if err := n.raft.RemoveServer(oldID, 0, 0).Error(); err != nil {
						n.log.Warn("remove replaced server failed", "peer", oldID, "err", err)
					}
				}
			}
			if err := n.raft.AddVoter(sid, raft.ServerAddress(p.meta.Raft), 0, 0).Error(); err != nil {
				n.log.Warn("add voter failed", "peer", id, "err", err)
			} else {
				n.log.Info("added voter", "peer", id, "raft", p.meta.Raft)
			}
		case (p.state == memberlist.StateLeft || p.meta.Leaving) && member && id != n.cfg.NodeID:
			if err := n.raft.RemoveServer(sid, 0, 0).Error(); err != nil {
				n.log.Warn("remove server failed", "peer", id, "err", err)
			} else {
				n.log.Info("removed server that left", "peer", id)
			}
		}
	}
}
