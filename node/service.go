package node

import (
	"context"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wharfmq/wharf/fsm"
)

// The typed service operations. Writes are raft commands and run on the
// leader only (ErrNotLeader elsewhere); reads are linearizable and also run
// on the leader. The message operations (SendMessages, ReceiveMessages,
// DeleteMessages, ChangeVisibility, Publish) work on any node: a follower
// forwards them to the leader (forward.go); called with no entries they
// only check that the queue or topic exists. Domain errors come back as
// *fsm.Error.

// CreateQueue creates a queue (idempotent for identical attributes).
func (n *Node) CreateQueue(ctx context.Context, req fsm.CreateQueue) error {
	_, err := n.apply(ctx, req)
	return err
}

// DeleteQueue deletes a queue.
func (n *Node) DeleteQueue(ctx context.Context, key fsm.QueueKey) error {
	_, err := n.apply(ctx, fsm.DeleteQueue{Queue: key})
	if err == nil {
		n.metrics.forgetQueue(key)
	}
	return err
}

// SetQueueAttributes changes queue attributes.
func (n *Node) SetQueueAttributes(ctx context.Context, req fsm.SetQueueAttributes) error {
	_, err := n.apply(ctx, req)
	return err
}

// TagQueue adds tags to a queue.
func (n *Node) TagQueue(ctx context.Context, req fsm.TagQueue) error {
	_, err := n.apply(ctx, req)
	return err
}

// UntagQueue removes tags from a queue.
func (n *Node) UntagQueue(ctx context.Context, req fsm.UntagQueue) error {
	_, err := n.apply(ctx, req)
	return err
}

// PurgeQueue deletes all messages of a queue.
func (n *Node) PurgeQueue(ctx context.Context, key fsm.QueueKey) error {
	_, err := n.apply(ctx, fsm.PurgeQueue{Queue: key})
	return err
}

// SendMessages enqueues messages; the node stamps each entry's MessageID.
// The error is set when the whole call failed; otherwise each entry has its
// own result.
func (n *Node) SendMessages(ctx context.Context, req fsm.SendMessages) ([]fsm.SendResult, error) {
	if res, routed, err := n.routeSend(ctx, req); routed {
		return res, err
	}
	for i := range req.Entries {
		req.Entries[i].MessageID = newMessageID()
	}
	res, err := n.apply(ctx, req)
	if err != nil {
		return nil, err
	}
	n.metrics.countSent(req, res.([]fsm.SendResult))
	return res.([]fsm.SendResult), nil
}

// ReceiveMessages receives messages, waiting up to wait for one to become
// visible (long polling); a negative wait means the queue's
// ReceiveMessageWaitTimeSeconds. It returns an empty slice when none came.
func (n *Node) ReceiveMessages(ctx context.Context, req fsm.ReceiveMessages, wait time.Duration) ([]fsm.ReceivedMessage, error) {
	if res, routed, err := n.routeReceive(ctx, req, wait); routed {
		return res, err
	}
	msgs, err := n.receive(ctx, req, wait)
	n.metrics.countReceived(req.Queue, msgs)
	return msgs, err
}

// DeleteMessages deletes messages by receipt handle, with a result per entry.
func (n *Node) DeleteMessages(ctx context.Context, req fsm.DeleteMessages) ([]fsm.EntryResult, error) {
	if res, routed, err := n.routeDelete(ctx, req); routed {
		return res, err
	}
	res, err := n.apply(ctx, req)
	if err != nil {
		return nil, err
	}
	n.metrics.countDeleted(req.Queue, res.([]fsm.EntryResult))
	return res.([]fsm.EntryResult), nil
}

// ChangeVisibility changes visibility timeouts, with a result per entry.
func (n *Node) ChangeVisibility(ctx context.Context, req fsm.ChangeVisibility) ([]fsm.EntryResult, error) {
	if res, routed, err := n.routeChangeVisibility(ctx, req); routed {
		return res, err
	}
	res, err := n.apply(ctx, req)
	if err != nil {
		return nil, err
	}
	return res.([]fsm.EntryResult), nil
}

// GetQueue reads a queue's attributes, counters included.
func (n *Node) GetQueue(ctx context.Context, key fsm.QueueKey) (fsm.QueueView, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return fsm.QueueView{}, err
	}
	return n.fsm.GetQueue(key, n.now())
}

// ListQueues lists the names of the queues of an account in a region whose
// name starts with prefix, sorted.
func (n *Node) ListQueues(ctx context.Context, region, account, prefix string) ([]string, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return nil, err
	}
	return n.fsm.ListQueues(region, account, prefix), nil
}

// PeekMessages reads up to max visible messages without receiving them.
func (n *Node) PeekMessages(ctx context.Context, key fsm.QueueKey, max int) ([]fsm.ReceivedMessage, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return nil, err
	}
	return n.fsm.Peek(key, n.now(), max)
}

// ListQueueTags reads a queue's tags.
func (n *Node) ListQueueTags(ctx context.Context, key fsm.QueueKey) (map[string]string, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return nil, err
	}
	return n.fsm.ListTags(key)
}

// ListDeadLetterSourceQueues lists the names of the queues whose redrive
// policy names key as their dead-letter queue, sorted.
func (n *Node) ListDeadLetterSourceQueues(ctx context.Context, key fsm.QueueKey) ([]string, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return nil, err
	}
	return n.fsm.DeadLetterSources(key)
}

// TransferLeadership hands leadership to the voter with ID to, or to the
// most up-to-date voter when to is "". It runs on the leader only.
func (n *Node) TransferLeadership(ctx context.Context, to string) error {
	if !n.isLeaderReady() {
		return ErrNotLeader
	}
	var f raft.Future
	if to == "" {
		f = n.raft.LeadershipTransfer()
	} else {
		addr, ok := n.voterAddr(to)
		if !ok {
			return &fsm.Error{Code: fsm.CodeInvalidParameterValue, Message: "no voter with ID " + to}
		}
		f = n.raft.LeadershipTransferToServer(raft.ServerID(to), addr)
	}
	if err := waitFuture(ctx, f); err != nil {
		return mapRaftError(err)
	}
	return nil
}

// RemoveMember removes a failed member from the raft configuration (an
// operator decision: failed members stay voters until removed). It runs
// on the leader only; removing the leader itself is refused.
func (n *Node) RemoveMember(ctx context.Context, id string) error {
	if !n.isLeaderReady() {
		return ErrNotLeader
	}
	if id == n.cfg.NodeID {
		return &fsm.Error{Code: fsm.CodeInvalidParameterValue, Message: "the leader cannot remove itself: transfer leadership first"}
	}
	if _, ok := n.voterAddr(id); !ok {
		return &fsm.Error{Code: fsm.CodeInvalidParameterValue, Message: "no member with ID " + id}
	}
	// Mark first: gossip may not have noticed the failure yet, and
	// reconcile would add a member it believes alive straight back.
	n.peers.markRemoved(id)
	if err := waitFuture(ctx, n.raft.RemoveServer(raft.ServerID(id), 0, 0)); err != nil {
		return mapRaftError(err)
	}
	return nil
}

// voterAddr returns the raft address of a server in the configuration.
func (n *Node) voterAddr(id string) (raft.ServerAddress, bool) {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return "", false
	}
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == id {
			return s.Address, true
		}
	}
	return "", false
}
