package node

import (
	"context"
	"time"

	"github.com/wharfmq/wharf/fsm"
)

// receive runs a ReceiveMessage with long polling. The leader looks at its
// own state first and proposes a receive only when a message is visible,
// so waiting polls add nothing to the log. It wakes on a send to the queue
// (fsm.WaitReceivable: one poll per change, not all of them), at the next delay or visibility deadline, at the end of the
// wait, and on loss of leadership.
func (n *Node) receive(ctx context.Context, req fsm.ReceiveMessages, wait time.Duration) ([]fsm.ReceivedMessage, error) {
	if wait < 0 {
		secs, err := n.fsm.DefaultWait(req.Queue)
		if err != nil {
			if !n.isLeaderReady() {
				return nil, ErrNotLeader
			}
			return nil, err
		}
		wait = time.Duration(secs) * time.Second
	}
	deadline := time.Now().Add(wait)
	// A FIFO receive retried with its attempt ID is answered at once (the
	// FSM replays the first answer), so propose it without waiting.
	replay := req.AttemptID != ""
	for {
		if !n.isLeaderReady() {
			// Nothing this poll applied returned a message: the caller
			// (or the forwarding node) may poll the new leader.
			return nil, ErrNotLeader
		}
		// Register before looking, so that no send in between is missed.
		waiter := n.fsm.WaitReceivable(req.Queue)
		msgs, done, err := n.receiveOnce(ctx, &req, &replay, deadline, waiter)
		if done || err != nil {
			return msgs, err
		}
	}
}

// receiveOnce is one round of a long poll: receive if a message is
// receivable, else wait for a change, a deadline or the loss of
// leadership. done reports that msgs (or err) is the answer. The waiter
// is left in every case; a wake it does not use passes on to the next
// poll of the queue, and so does one that found messages (more may wait).
func (n *Node) receiveOnce(ctx context.Context, req *fsm.ReceiveMessages, replay *bool, deadline time.Time, waiter *fsm.Receiver) (msgs []fsm.ReceivedMessage, done bool, err error) {
	passOn := false
	defer func() {
		if waiter.Leave() || passOn {
			n.fsm.WakeReceiver(req.Queue)
		}
	}()
	now := time.Now()
	ready, wakeAt, err := n.fsm.ReceiveReady(req.Queue, now.UnixMilli())
	if err != nil {
		passOn = true // the queue is gone: the other polls should see it too
		return nil, true, err
	}
	if *replay {
		ready, *replay = true, false
	}
	if !ready && !now.Before(deadline) {
		// Confirm the emptiness is current before answering it.
		if err := n.linearizableRead(ctx); err != nil {
			return nil, true, err
		}
		ready, _, err = n.fsm.ReceiveReady(req.Queue, time.Now().UnixMilli())
		if err != nil {
			return nil, true, err
		}
		if !ready {
			return []fsm.ReceivedMessage{}, true, nil
		}
	}
	if ready {
		req.Nonce = newNonce()
		res, err := n.apply(ctx, *req)
		if err != nil {
			return nil, true, err
		}
		msgs := res.([]fsm.ReceivedMessage)
		passOn = len(msgs) > 0
		return msgs, len(msgs) > 0 || !time.Now().Before(deadline), nil
	}
	until := time.Until(deadline)
	if wakeAt > 0 {
		if d := time.Until(time.UnixMilli(wakeAt)); d < until {
			until = d
		}
	}
	timer := time.NewTimer(max(until, time.Millisecond))
	defer timer.Stop()
	select {
	case <-waiter.C:
	case <-timer.C:
	case <-n.lostLeadership():
	case <-ctx.Done():
		return nil, true, ErrIndeterminate
	}
	return nil, false, nil
}
