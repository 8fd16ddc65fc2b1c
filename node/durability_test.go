package node

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/wharfmq/wharf/fsm"
)

// durableLog records the highest log index whose write to the store has
// returned: raft-boltdb commits (and fsyncs) before StoreLogs returns, so
// that index is on disk and survives a power loss.
type durableLog struct {
	raft.LogStore
	mu      sync.Mutex
	durable uint64
}

func (d *durableLog) StoreLog(l *raft.Log) error { return d.StoreLogs([]*raft.Log{l}) }

func (d *durableLog) StoreLogs(logs []*raft.Log) error {
	if err := d.LogStore.StoreLogs(logs); err != nil {
		return err
	}
	d.mu.Lock()
	for _, l := range logs {
		if l.Index > d.durable {
			d.durable = l.Index
		}
	}
	d.mu.Unlock()
	return nil
}

func (d *durableLog) durableIndex() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.durable
}

// Every acknowledged send is on disk on a majority when the
// acknowledgement leaves: a power loss of every node at that instant
// would keep it on two of three.
func TestAckedWritesAreDurableOnMajority(t *testing.T) {
	c := newTestCluster(t, 3)
	recorders := make([]*durableLog, len(c.nodes))
	for i := range c.cfgs {
		rec := &durableLog{}
		recorders[i] = rec
		c.cfgs[i].wrapLogStore = func(s raft.LogStore) raft.LogStore { rec.LogStore = s; return rec }
		c.nodes[i].Close()
		c.nodes[i] = nil
	}
	for i := range c.cfgs {
		c.start(i)
	}
	ctx := context.Background()
	leader := c.leader()
	q := fsm.QueueKey{Region: "us-east-1", Account: "000000000000", Name: "durable"}
	if err := leader.CreateQueue(ctx, fsm.CreateQueue{Queue: q}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if _, err := leader.SendMessages(ctx, fsm.SendMessages{Queue: q, Entries: []fsm.SendEntry{{Body: fmt.Sprint(i), DelaySeconds: -1}}}); err != nil {
			t.Fatal(err)
		}
		// Sends are sequential, so the leader's last applied command is
		// this one.
		index := leader.fsm.AppliedIndex()
		onDisk := 0
		for _, r := range recorders {
			if r.durableIndex() >= index {
				onDisk++
			}
		}
		if onDisk < 2 {
			t.Fatalf("send %d (index %d) acknowledged while on disk on %d node(s)", i, index, onDisk)
		}
	}
}
