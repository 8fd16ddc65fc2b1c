package node

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wharfmq/wharf/fsm"
)

// Forwarding of the message operations. On a follower, SendMessages,
// ReceiveMessages, DeleteMessages, ChangeVisibility and Publish send their
// typed request to the leader over the command RPC (forward_conn.go) and
// return its answer; the leader runs its own method (forward_server.go),
// which stamps IDs and time and proposes. The caller (transport) decoded
// and validated the request on the follower already.
//
// Failures keep what HTTP forwarding guaranteed: while there is no leader,
// the leader cannot be reached before the request was written, or the
// leader answers ErrNotLeader, the call waits (up to forwardWait and the
// caller's deadline) and tries the new leader; a request written whose
// answer never came is ErrIndeterminate.

// forwardWait bounds the wait for a leader that can take a forwarded call,
// as transport's LeaderWait does for HTTP.
const forwardWait = 5 * time.Second

// legacyTTL is how long a leader found without the command RPC is
// remembered as such (it may be upgraded in place).
const legacyTTL = 10 * time.Second

// forwarder holds the command RPC of a node: the connection to the leader
// and the connections other nodes opened to this one.
type forwarder struct {
	n    *Node
	dial func(raft.ServerAddress, time.Duration) (net.Conn, error)
	// wait bounds the wait for a leader (forwardWait; tests shorten it).
	wait  time.Duration
	count *prometheus.CounterVec

	dialMu sync.Mutex // one dial at a time
	mu     sync.Mutex
	cur    *rpcConn
	legacy map[string]time.Time // leaders without the RPC, until when
	served map[*serverConn]struct{}
	closed bool
	wg     sync.WaitGroup // serving connections
}

// startForwarding serves the command RPC on the raft port and follows
// leader changes, so calls in flight to a former leader are not kept
// waiting on it.
func (n *Node) startForwarding() *forwarder {
	f := &forwarder{n: n, dial: n.parts.streams.Dial, wait: forwardWait,
		legacy: make(map[string]time.Time), served: make(map[*serverConn]struct{}),
		count: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wharf_forwarded_commands_total",
			Help: "Message operations a follower forwarded to the leader over the command RPC, by operation and outcome (ok, error: a domain error, unavailable: no leader took it, indeterminate, canceled).",
		}, []string{"op", "outcome"}),
	}
	n.metrics.reg.MustRegister(f.count)
	n.parts.streams.serveRPC(f.serveRPCConn)
	obs := make(chan raft.Observation, 16)
	observer := raft.NewObserver(obs, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	n.raft.RegisterObserver(observer)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer n.raft.DeregisterObserver(observer)
		for {
			select {
			case <-n.stop:
				return
			case o := <-obs:
				f.leaderChanged(string(o.Data.(raft.LeaderObservation).LeaderAddr))
			}
		}
	}()
	return f
}

// track registers a served connection; false once the forwarder closed.
func (f *forwarder) track(sc *serverConn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.served[sc] = struct{}{}
	f.wg.Add(1)
	return true
}

// untrack forgets a served connection that ended.
func (f *forwarder) untrack(sc *serverConn) {
	f.mu.Lock()
	delete(f.served, sc)
	f.mu.Unlock()
	f.wg.Done()
}

// close ends every connection, dialed and served, and waits for the
// requests being served to return.
func (f *forwarder) close() {
	f.mu.Lock()
	f.closed = true
	cur := f.cur
	f.cur = nil
	served := make([]*serverConn, 0, len(f.served))
	for sc := range f.served {
		served = append(served, sc)
	}
	f.mu.Unlock()
	if cur != nil {
		cur.close()
	}
	for _, sc := range served {
		sc.fail(net.ErrClosed)
	}
	f.wg.Wait()
}

// leaderChanged retires the connection to a node that is no longer the
// leader: its calls in flight get a grace period to be answered.
func (f *forwarder) leaderChanged(leaderAddr string) {
	f.mu.Lock()
	cur := f.cur
	if cur != nil && cur.target != leaderAddr {
		f.cur = nil
	} else {
		cur = nil
	}
	f.mu.Unlock()
	if cur != nil {
		cur.retire()
	}
}

// leader is where a call should go: local when this node is the leader
// and ready, "" while no leader is known (or this node was just elected
// and is not ready yet).
func (f *forwarder) leader() (addr string, local bool) {
	if f.n.isLeaderReady() {
		return "", true
	}
	a, id := f.n.raft.LeaderWithID()
	if id == "" || string(id) == f.n.cfg.NodeID {
		return "", false
	}
	return string(a), false
}

// conn returns the connection to target, dialing it if needed.
func (f *forwarder) conn(target string) (*rpcConn, error) {
	if c := f.current(target); c != nil {
		return c, nil
	}
	f.dialMu.Lock()
	defer f.dialMu.Unlock()
	if c := f.current(target); c != nil {
		return c, nil
	}
	if f.isLegacy(target) {
		return nil, errNoRPC
	}
	c, err := dialRPC(f.dial, target, f.n.log)
	if errors.Is(err, errNoRPC) {
		f.n.log.Warn("the leader does not serve the command RPC (an older build?): its HTTP API takes the requests", "leader", target)
		f.markLegacy(target)
	}
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	old, closed := f.cur, f.closed
	if !closed {
		f.cur = c
	}
	f.mu.Unlock()
	if closed {
		c.close()
		return nil, ErrShuttingDown
	}
	if old != nil {
		old.retire()
	}
	return c, nil
}

// current is the usable connection to target, nil if there is none.
func (f *forwarder) current(target string) *rpcConn {
	f.mu.Lock()
	c := f.cur
	f.mu.Unlock()
	if c != nil && c.target == target && c.usable() {
		return c
	}
	return nil
}

// isLegacy reports whether target was found without the command RPC
// recently.
func (f *forwarder) isLegacy(target string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	until, ok := f.legacy[target]
	if ok && time.Now().After(until) {
		delete(f.legacy, target)
		return false
	}
	return ok
}

// markLegacy remembers that target lacks the command RPC.
func (f *forwarder) markLegacy(target string) {
	f.mu.Lock()
	f.legacy[target] = time.Now().Add(legacyTTL)
	f.mu.Unlock()
}

// ForwardsCommands reports whether this node's message operations
// (SendMessages, ReceiveMessages, DeleteMessages, ChangeVisibility,
// Publish) reach the leader by themselves: always on the leader; on a
// follower unless the leader is of an older build without the command
// RPC, in which case the caller forwards its HTTP request instead. It may
// connect to the leader (bounded by the dial and handshake timeouts).
func (n *Node) ForwardsCommands() bool {
	target, local := n.fwd.leader()
	if local || target == "" {
		return true
	}
	_, err := n.fwd.conn(target)
	return !errors.Is(err, errNoRPC)
}

// forward runs op on the leader. handled is false when this node is the
// leader (or the request came from another node): the caller runs the
// operation itself.
func (n *Node) forward(ctx context.Context, op byte, req, result any) (handled bool, err error) {
	if fromPeer(ctx) {
		if !n.isLeaderReady() {
			return true, ErrNotLeader // never forwarded twice
		}
		return false, nil
	}
	if n.isLeaderReady() {
		return false, nil
	}
	handled, err = n.fwd.call(ctx, op, req, result)
	if handled {
		n.fwd.count.WithLabelValues(opNames[op], outcome(err)).Inc()
	}
	return handled, err
}

// outcome labels a forwarded call's result.
func outcome(err error) string {
	var fe *fsm.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &fe):
		return "error"
	case errors.Is(err, ErrIndeterminate):
		return "indeterminate"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return "unavailable"
}

// call sends a request to the leader and waits for its answer, retrying
// while nothing was applied (no leader, leader unreachable, request not
// sent, ErrNotLeader) up to f.wait and the caller's deadline. handled is
// false when this node became the leader meanwhile.
func (f *forwarder) call(ctx context.Context, op byte, req, result any) (handled bool, err error) {
	deadline := time.Now().Add(f.wait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	lastErr := ErrNoLeader
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := f.pause(ctx, attempt, deadline); err != nil {
				if errors.Is(err, errWaitOver) {
					return true, lastErr
				}
				return true, err
			}
		}
		target, local := f.leader()
		if local {
			return false, nil
		}
		if target == "" {
			lastErr = ErrNoLeader
			continue
		}
		c, err := f.conn(target)
		if err != nil {
			if errors.Is(err, ErrShuttingDown) {
				return true, err
			}
			lastErr = ErrNoLeader
			if errors.Is(err, errNoRPC) {
				lastErr = ErrNotLeader // nothing applied: retry, by HTTP
			}
			continue
		}
		err = c.roundTrip(ctx, op, req, result)
		switch {
		case errors.Is(err, errNotSent):
			lastErr = ErrNoLeader
			continue
		case errors.Is(err, ErrNotLeader):
			lastErr = ErrNotLeader
			continue
		}
		return true, err
	}
}

// errWaitOver: the wait for a leader reached its deadline.
var errWaitOver = errors.New("node: no leader took the call in time")

// pause waits before another attempt, with a backoff. It fails when the
// deadline passed, the caller left or the node is stopping.
func (f *forwarder) pause(ctx context.Context, attempt int, deadline time.Time) error {
	left := time.Until(deadline)
	if left <= 0 {
		return errWaitOver
	}
	d := min(10*time.Millisecond<<min(attempt-1, 5), 250*time.Millisecond, left)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-f.n.stop:
		return ErrShuttingDown
	}
}

// routeSend forwards a send from a follower; on the leader, a send
// without entries only checks that the queue exists (transport's answer
// to a batch whose every entry failed validation). routed reports that
// the returned answer is final.
func (n *Node) routeSend(ctx context.Context, req fsm.SendMessages) (res []fsm.SendResult, routed bool, err error) {
	if handled, err := n.forward(ctx, opSend, req, &res); handled {
		return res, true, err
	}
	if len(req.Entries) == 0 {
		return []fsm.SendResult{}, true, n.queueExists(ctx, req.Queue)
	}
	return nil, false, nil
}

// routeReceive forwards a receive, long poll included, from a follower.
func (n *Node) routeReceive(ctx context.Context, req fsm.ReceiveMessages, wait time.Duration) (res []fsm.ReceivedMessage, routed bool, err error) {
	if handled, err := n.forward(ctx, opReceive, receiveCall{Req: req, Wait: wait}, &res); handled {
		return res, true, err
	}
	return nil, false, nil
}

// routeDelete forwards a delete from a follower; without entries it only
// checks that the queue exists.
func (n *Node) routeDelete(ctx context.Context, req fsm.DeleteMessages) (res []fsm.EntryResult, routed bool, err error) {
	return n.routeHandles(ctx, opDelete, req, req.Queue, len(req.Entries))
}

// routeChangeVisibility forwards a visibility change from a follower;
// without entries it only checks that the queue exists.
func (n *Node) routeChangeVisibility(ctx context.Context, req fsm.ChangeVisibility) (res []fsm.EntryResult, routed bool, err error) {
	return n.routeHandles(ctx, opChangeVisibility, req, req.Queue, len(req.Entries))
}

// routeHandles is routeDelete and routeChangeVisibility.
func (n *Node) routeHandles(ctx context.Context, op byte, req any, q fsm.QueueKey, entries int) (res []fsm.EntryResult, routed bool, err error) {
	if handled, err := n.forward(ctx, op, req, &res); handled {
		return res, true, err
	}
	if entries == 0 {
		return []fsm.EntryResult{}, true, n.queueExists(ctx, q)
	}
	return nil, false, nil
}

// routePublish forwards a publish from a follower; without entries it
// only checks that the topic exists.
func (n *Node) routePublish(ctx context.Context, req fsm.Publish) (res []fsm.PublishResult, routed bool, err error) {
	if handled, err := n.forward(ctx, opPublish, req, &res); handled {
		return res, true, err
	}
	if len(req.Entries) == 0 {
		return []fsm.PublishResult{}, true, n.topicExists(ctx, req.Topic)
	}
	return nil, false, nil
}

// queueExists is a linearizable check that a queue exists.
func (n *Node) queueExists(ctx context.Context, key fsm.QueueKey) error {
	if err := n.linearizableRead(ctx); err != nil {
		return err
	}
	_, err := n.fsm.GetQueue(key, n.now())
	return err
}

// topicExists is a linearizable check that a topic exists.
func (n *Node) topicExists(ctx context.Context, key fsm.TopicKey) error {
	if err := n.linearizableRead(ctx); err != nil {
		return err
	}
	_, err := n.fsm.GetTopic(key)
	return err
}
