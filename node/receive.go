package node

import (
	"context"
	"time"

	"github.com/wharfmq/wharf/fsm"
)

// receive runs a ReceiveMessage with long polling. The leader looks at its
// own state first and proposes a receive only when a message is visible,
// so waiting polls add nothing to the log. It wakes on a send to the queue
// (fsm.Watch), at the next delay or visibility deadline, at the end of the
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
	lost := n.lostLeadership()
	// A FIFO receive retried with its attempt ID is answered at once (the
	// FSM replays the first answer), so propose it without waiting.
	replay := req.AttemptID != ""
	for {
		if !n.isLeaderReady() {
			// Nothing this poll applied returned a message: the caller
			// (or the forwarding node) may poll the new leader.
			return nil, ErrNotLeader
		}
		changed := n.fsm.Watch(req.Queue)
		now := time.Now()
		ready, wakeAt, err := n.fsm.ReceiveReady(req.Queue, now.UnixMilli())
		if err != nil {
			return nil, err
		}
		if replay {
			ready, replay = true, false
		}
		if !ready && !now.Before(deadline) {
			// Confirm the emptiness is current before answering it.
			if err := n.linearizableRead(ctx); err != nil {
				return nil, err
			}
			ready, _, err = n.fsm.ReceiveReady(req.Queue, time.Now().UnixMilli())
			if err != nil {
				return nil, err
			}
			if !ready {
				return []fsm.ReceivedMessage{}, nil
			}
		}
		if ready {
			req.Nonce = newNonce()
			res, err := n.apply(ctx, req)
			if err != nil {
				return nil, err
			}
			msgs := res.([]fsm.ReceivedMessage)
			if len(msgs) > 0 || !time.Now().Before(deadline) {
				return msgs, nil
			}
			continue
		}
		until := time.Until(deadline)
		if wakeAt > 0 {
			if d := time.Until(time.UnixMilli(wakeAt)); d < until {
				until = d
			}
		}
		if until < time.Millisecond {
			until = time.Millisecond
		}
		timer := time.NewTimer(until)
		select {
		case <-changed:
		case <-timer.C:
		case <-lost:
		case <-ctx.Done():
			timer.Stop()
			return nil, ErrIndeterminate
		}
		timer.Stop()
	}
}
