package node

import (
	"context"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wharfmq/wharf/fsm"
)

func newTicker(ms int) *time.Ticker { return time.NewTicker(time.Duration(ms) * time.Millisecond) }

// leaderLoop follows raft leadership changes. On gaining leadership it
// waits (Barrier) until the state machine has applied everything earlier
// terms committed, then starts leader duties; on losing it, it stops them
// and wakes long polls.
func (n *Node) leaderLoop() {
	defer n.wg.Done()
	var stopDuties chan struct{}
	for {
		select {
		case <-n.stop:
			if stopDuties != nil {
				close(stopDuties)
			}
			return
		case isLeader := <-n.notify:
			n.metrics.leadershipChanged(isLeader)
			if stopDuties != nil {
				close(stopDuties)
				stopDuties = nil
			}
			n.mu.Lock()
			n.leaderReady = false
			select {
			case <-n.lost:
			default:
				close(n.lost)
			}
			n.mu.Unlock()
			if !isLeader {
				n.log.Info("lost leadership")
				continue
			}
			if err := n.raft.Barrier(10 * time.Second).Error(); err != nil {
				n.log.Warn("barrier after election failed", "err", err)
				continue
			}
			if n.raft.State() != raft.Leader {
				continue
			}
			stopDuties = make(chan struct{})
			n.mu.Lock()
			n.leaderReady = true
			n.lost = make(chan struct{})
			n.mu.Unlock()
			n.log.Info("leader ready", "term", n.raft.CurrentTerm())
			go n.sweeper(stopDuties)
			go n.deliveryLoop(stopDuties)
			go n.mover(stopDuties)
			select {
			case n.peers.changed <- struct{}{}:
			default:
			}
		}
	}
}

// sweeper proposes a Sweep when some message is past its retention.
func (n *Node) sweeper(stop <-chan struct{}) {
	tick := newTicker(1000)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			if n.fsm.NeedsSweep(nowMillis()) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if _, err := n.apply(ctx, fsm.Sweep{}); err != nil {
					n.log.Warn("sweep failed", "err", err)
				}
				cancel()
			}
		}
	}
}

func (n *Node) isLeaderReady() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leaderReady
}

// lostLeadership returns a channel closed when this node's current
// leadership ends (already closed when it is not leader).
func (n *Node) lostLeadership() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lost
}
