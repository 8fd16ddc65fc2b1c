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
// is committed on a majority (fsynced there) and applied here. Raft's
// errors are mapped once: nothing applied -> ErrNotLeader/ErrNoLeader;
// outcome unknown -> ErrIndeterminate.
func (n *Node) apply(ctx context.Context, cmd any) (any, error) {
	if !n.isLeaderReady() {
		return nil, ErrNotLeader
	}
	data, err := fsm.Encode(nowMillis(), cmd)
	if err != nil {
		return nil, err
	}
	f := n.raft.Apply(data, enqueueTimeout)
	if err := waitFuture(ctx, f); err != nil {
		return nil, mapRaftError(err)
	}
	if e, ok := f.Response().(*fsm.Error); ok {
		return nil, e
	}
	return f.Response(), nil
}

func mapRaftError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return ErrNotLeader
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return ErrNoLeader
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrShuttingDown
	case errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
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
	for n.fsm.AppliedIndex() < commit {
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
