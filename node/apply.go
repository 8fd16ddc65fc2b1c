package node

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wharfmq/wharf/fsm"
)

// enqueueTimeout bounds how long Apply waits to hand a command to raft.
const enqueueTimeout = 5 * time.Second

// apply proposes cmd, stamped with the leader's clock, and waits until it
// is committed on a majority (fsynced there) and applied here. Concurrent
// commands share raft entries (see batcher). Raft's errors are mapped
// once: nothing applied -> ErrNotLeader/ErrNoLeader; outcome unknown ->
// ErrIndeterminate.
func (n *Node) apply(ctx context.Context, cmd any) (any, error) {
	if !n.isLeaderReady() {
		return nil, ErrNotLeader
	}
	defer n.metrics.observeApply(time.Now())
	data, err := fsm.Encode(nowMillis(), cmd)
	if err != nil {
		return nil, err
	}
	p := &proposal{data: data, done: make(chan applied, 1)}
	n.batcher.submit(p)
	select {
	case a := <-p.done:
		return a.result, a.err
	case <-ctx.Done():
		return nil, ErrIndeterminate
	case <-n.stop:
		return nil, ErrIndeterminate // it may have been proposed
	}
}

func mapRaftError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return ErrNotLeader
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return ErrNoLeader
	case errors.Is(err, raft.ErrRaftShutdown), errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ErrIndeterminate
	}
	return err
}

// linearizableRead returns once this node has confirmed it is still the
// leader and its state machine has applied everything committed before
// the call (raft §6.4), so a local read that follows is up to date.
func (n *Node) linearizableRead(ctx context.Context) error {
	if !n.isLeaderReady() {
		return ErrNotLeader
	}
	commit := n.raft.CommitIndex()
	if err := waitFuture(ctx, n.raft.VerifyLeader()); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			return ErrNotLeader
		}
		return mapRaftError(err)
	}
	for !n.caughtUp(commit) {
		select {
		case <-ctx.Done():
			return ErrIndeterminate
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// now is the clock reads use.
func (n *Node) now() int64 { return nowMillis() }

// caughtUp reports whether the state machine reflects every entry up to
// index. Only command entries reach the state machine, so entries after
// its last applied index that are not commands (no-ops, barriers,
// configuration changes) do not count.
func (n *Node) caughtUp(index uint64) bool {
	applied := n.fsm.AppliedIndex()
	if applied >= index {
		return true
	}
	if index-applied > 64 || n.raft.AppliedIndex() < index {
		return false
	}
	var entry raft.Log
	for i := index; i > applied; i-- {
		if err := n.parts.store.GetLog(i, &entry); err != nil || entry.Type == raft.LogCommand {
			return false
		}
	}
	return true
}
