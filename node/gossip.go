package node

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// nodeMeta is what a node tells others through gossip (memberlist's
// 512-byte metadata).
type nodeMeta struct {
	ID     string `json:"id"`
	Raft   string `json:"raft"`
	API    string `json:"api"`
	Expect int    `json:"expect"`
	// HasState: this node's raft has state, so no one may bootstrap.
	HasState bool `json:"state,omitempty"`
	// Leaving: the node is stopping gracefully. memberlist reports leaves
	// and failures alike (the state in NotifyLeave's node is stale), so
	// this flag, gossiped before leaving, tells them apart.
	Leaving bool `json:"leaving,omitempty"`
}

// peer is a gossip member as this node last heard of it.
type peer struct {
	meta   nodeMeta
	gossip string
	state  memberlist.NodeStateType
	// removed: an operator removed this member from raft. The leader does
	// not add it back until it joins gossip again (a restart), even if
	// gossip has not yet noticed that it failed.
	removed bool
}

// peerTable tracks gossip members by node ID. memberlist calls the
// delegate methods from its own goroutines; they only record and signal.
type peerTable struct {
	mu      sync.Mutex
	self    func() nodeMeta
	peers   map[string]peer
	changed chan struct{}
}

func newPeerTable(self func() nodeMeta) *peerTable {
	return &peerTable{self: self, peers: make(map[string]peer), changed: make(chan struct{}, 1)}
}

// NodeMeta implements memberlist.Delegate.
func (t *peerTable) NodeMeta(limit int) []byte {
	b, _ := json.Marshal(t.self())
	if len(b) > limit {
		return nil
	}
	return b
}

// NotifyMsg implements memberlist.Delegate.
func (t *peerTable) NotifyMsg([]byte) {}

// GetBroadcasts implements memberlist.Delegate.
func (t *peerTable) GetBroadcasts(int, int) [][]byte { return nil }

// LocalState implements memberlist.Delegate.
func (t *peerTable) LocalState(bool) []byte { return nil }

// MergeRemoteState implements memberlist.Delegate.
func (t *peerTable) MergeRemoteState([]byte, bool) {}

// NotifyJoin implements memberlist.EventDelegate.
func (t *peerTable) NotifyJoin(n *memberlist.Node) { t.record(n, memberlist.StateAlive, true) }

// NotifyLeave implements memberlist.EventDelegate: a member that announced
// it was leaving has left, any other has failed.
func (t *peerTable) NotifyLeave(n *memberlist.Node) { t.record(n, memberlist.StateDead, false) }

// NotifyUpdate implements memberlist.EventDelegate.
func (t *peerTable) NotifyUpdate(n *memberlist.Node) { t.record(n, memberlist.StateAlive, false) }

// record stores what gossip said of a member; joined is true when the
// member (re)joined, which clears an operator's removal mark.
func (t *peerTable) record(n *memberlist.Node, state memberlist.NodeStateType, joined bool) {
	var m nodeMeta
	if json.Unmarshal(n.Meta, &m) != nil || m.ID == "" {
		return
	}
	t.mu.Lock()
	if state == memberlist.StateDead && (m.Leaving || t.peers[m.ID].meta.Leaving) {
		state = memberlist.StateLeft
	}
	removed := t.peers[m.ID].removed && !joined
	t.peers[m.ID] = peer{meta: m, gossip: net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port))), state: state, removed: removed}
	t.mu.Unlock()
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

// snapshot returns a copy of the table.
func (t *peerTable) snapshot() map[string]peer {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]peer, len(t.peers))
	for k, v := range t.peers {
		out[k] = v
	}
	return out
}

// markRemoved records that an operator removed the member id.
func (t *peerTable) markRemoved(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.peers[id]; ok {
		p.removed = true
		t.peers[id] = p
	}
}

// get returns one peer.
func (t *peerTable) get(id string) (peer, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.peers[id]
	return p, ok
}

// gossipStateName names a memberlist state for the status endpoint.
func gossipStateName(s memberlist.NodeStateType) string {
	switch s {
	case memberlist.StateAlive:
		return "alive"
	case memberlist.StateSuspect:
		return "suspect"
	case memberlist.StateDead:
		return "dead"
	case memberlist.StateLeft:
		return "left"
	}
	return "unknown"
}

// startGossip creates the memberlist instance bound to the gossip address.
func (n *Node) startGossip(advertiseGossip string) error {
	mc := memberlist.DefaultLANConfig()
	mc.Name = n.cfg.NodeID
	host, port, err := net.SplitHostPort(n.cfg.GossipAddr)
	if err != nil {
		return err
	}
	mc.BindAddr = host
	mc.BindPort, _ = strconv.Atoi(port)
	ahost, aport, _ := net.SplitHostPort(advertiseGossip)
	mc.AdvertiseAddr = ahost
	mc.AdvertisePort, _ = strconv.Atoi(aport)
	mc.Delegate = n.peers
	mc.Events = n.peers
	mc.Logger = log.New(io.Discard, "", 0)
	if n.cfg.GossipProbeInterval > 0 {
		mc.ProbeInterval = n.cfg.GossipProbeInterval
		mc.ProbeTimeout = n.cfg.GossipProbeInterval / 2
		mc.GossipInterval = n.cfg.GossipProbeInterval
		mc.SuspicionMult = 2
	}
	mc.DeadNodeReclaimTime = 10 * time.Second
	ml, err := memberlist.Create(mc)
	if err != nil {
		return err
	}
	n.gossip = ml
	return nil
}

// joinTargets returns the --join addresses that are not this node's own,
// so every node of a cluster can be given the same list.
func (n *Node) joinTargets() []string {
	own := map[string]bool{n.cfg.GossipAddr: true, n.advGossip: true}
	var out []string
	for _, j := range n.cfg.Join {
		if own[j] {
			continue
		}
		if host, port, err := net.SplitHostPort(j); err == nil {
			if ip, err := resolveHost(host); err == nil && own[net.JoinHostPort(ip, port)] {
				continue
			}
		}
		out = append(out, j)
	}
	return out
}

// refreshMeta re-announces this node's metadata when it changed.
func (n *Node) refreshMeta() {
	has := n.hasState()
	n.mu.Lock()
	changed := has != n.metaHasState
	n.metaHasState = has
	n.mu.Unlock()
	if changed {
		_ = n.gossip.UpdateNode(time.Second)
	}
}
