package node

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"

	"github.com/wharfmq/wharf/fsm"
)

// Node is one cluster member.
type Node struct {
	cfg       Config
	log       *slog.Logger
	fsm       *fsm.FSM
	raft      *raft.Raft
	parts     *raftParts
	gossip    *memberlist.Memberlist
	peers     *peerTable
	metrics   *metrics
	advRaft   string
	advAPI    string
	advGossip string
	// signing caches the parsed SNS signing key (sns.go).
	signing signerCache
	// fwd forwards message operations to the leader (forward.go).
	fwd *forwarder

	notify  chan bool
	batcher *batcher
	stop    chan struct{}
	wg      sync.WaitGroup

	mu           sync.Mutex
	metaHasState bool
	leaving      bool
	joined       bool
	bootstrapped bool
	leaderReady  bool
	// lost is closed when this node stops being leader; long polls wait on it.
	lost         chan struct{}
	shutdownOnce sync.Once
}

// New starts a node: raft, gossip, and the loops that bootstrap, join and
// (on the leader) reconcile membership and sweep expired messages.
func New(cfg Config) (*Node, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("node", cfg.NodeID), fsm: fsm.New(),
		notify: make(chan bool, 16), stop: make(chan struct{}), lost: closedChan()}
	n.metrics = newMetrics(n)
	var err error
	if n.advRaft, err = advertised(cfg.RaftAddr, cfg.Advertise); err != nil {
		return nil, err
	}
	if n.advAPI, err = advertised(cfg.APIAddr, cfg.Advertise); err != nil {
		return nil, err
	}
	if n.advGossip, err = advertised(cfg.GossipAddr, cfg.Advertise); err != nil {
		return nil, err
	}
	n.parts, err = openRaft(&n.cfg, n.fsm, n.metrics, n.advRaft, n.notify)
	if err != nil {
		return nil, err
	}
	n.raft = n.parts.raft
	n.batcher = newBatcher(func(data []byte) raft.ApplyFuture { return n.raft.Apply(data, enqueueTimeout) }, n.metrics, n.stop)
	n.metaHasState = n.hasState()
	n.peers = newPeerTable(n.meta)
	if err := n.startGossip(n.advGossip); err != nil {
		n.raft.Shutdown().Error()
		n.parts.close()
		return nil, fmt.Errorf("node: start gossip: %w", err)
	}
	n.fwd = n.startForwarding()
	n.wg.Add(3)
	go func() { defer n.wg.Done(); n.batcher.run() }()
	go n.leaderLoop()
	go n.membershipLoop()
	n.log.Info("node started", "raft", n.advRaft, "api", n.advAPI, "gossip", n.advGossip, "bootstrap_expect", cfg.BootstrapExpect)
	return n, nil
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// meta is this node's gossip metadata.
func (n *Node) meta() nodeMeta {
	n.mu.Lock()
	defer n.mu.Unlock()
	return nodeMeta{ID: n.cfg.NodeID, Raft: n.advRaft, API: n.advAPI, Expect: n.cfg.BootstrapExpect, HasState: n.metaHasState, Leaving: n.leaving}
}

// ID is the node's stable ID.
func (n *Node) ID() string { return n.cfg.NodeID }

// FSM gives read access to the state machine (state hashes in tests).
func (n *Node) FSM() *fsm.FSM { return n.fsm }

// Leave prepares a graceful stop: a leader hands leadership to another
// voter, then the node tells gossip it is leaving, so the leader removes
// it from the raft configuration.
func (n *Node) Leave(ctx context.Context) {
	if n.raft.State() == raft.Leader && n.voterCount() > 1 {
		if err := waitFuture(ctx, n.raft.LeadershipTransfer()); err != nil {
			n.log.Warn("leadership transfer failed", "err", err)
		}
	}
	timeout := 3 * time.Second
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d)
	}
	n.mu.Lock()
	n.leaving = true
	n.mu.Unlock()
	if err := n.gossip.UpdateNode(timeout); err != nil {
		n.log.Warn("gossip leave announcement failed", "err", err)
	}
	if err := n.gossip.Leave(timeout); err != nil {
		n.log.Warn("gossip leave failed", "err", err)
	}
	n.waitRemoved(ctx)
}

// waitRemoved waits (bounded by ctx) until the leader has removed this
// node from the raft configuration. The node may never see the entry that
// removes it, so it also stops when the leader stops contacting it.
func (n *Node) waitRemoved(ctx context.Context) {
	if n.voterCount() <= 1 {
		return
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if n.raft.State() != raft.Leader && time.Since(n.raft.LastContact()) > 3*n.cfg.HeartbeatTimeout {
			return
		}
		f := n.raft.GetConfiguration()
		if f.Error() == nil {
			found := false
			for _, s := range f.Configuration().Servers {
				if s.ID == raft.ServerID(n.cfg.NodeID) {
					found = true
				}
			}
			if !found {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (n *Node) voterCount() int {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	c := 0
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			c++
		}
	}
	return c
}

// Close stops raft and gossip and releases the stores. Call Leave first
// for a graceful stop.
func (n *Node) Close() error {
	var err error
	n.shutdownOnce.Do(func() {
		close(n.stop)
		n.fwd.close()
		if e := n.raft.Shutdown().Error(); e != nil {
			err = e
		}
		n.gossip.Shutdown()
		n.wg.Wait()
		n.parts.close()
	})
	return err
}

// waitFuture waits for a raft future, giving up when ctx ends.
func waitFuture(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
