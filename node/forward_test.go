package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wharfmq/wharf/fsm"
)

// followers returns the live nodes that are not n.
func (c *testCluster) followers(n *Node) []*Node {
	var out []*Node
	for _, m := range c.nodes {
		if m != nil && m != n {
			out = append(out, m)
		}
	}
	return out
}

// testQueue creates a queue on the leader.
func testQueue(t *testing.T, leader *Node, name string) fsm.QueueKey {
	t.Helper()
	q := fsm.QueueKey{Region: "us-east-1", Account: "000000000000", Name: name}
	if err := leader.CreateQueue(context.Background(), fsm.CreateQueue{Queue: q}); err != nil {
		t.Fatal(err)
	}
	return q
}

// sendOne sends one message through n.
func sendOne(ctx context.Context, n *Node, q fsm.QueueKey, body string) (string, error) {
	res, err := n.SendMessages(ctx, fsm.SendMessages{Queue: q, Entries: []fsm.SendEntry{{Body: body, DelaySeconds: -1}}})
	if err != nil {
		return "", err
	}
	if len(res) != 1 || res[0].Err != nil {
		return "", fmt.Errorf("send results %+v", res)
	}
	return res[0].MessageID, nil
}

func forwardedCount(n *Node, op, outcome string) float64 {
	return testutil.ToFloat64(n.fwd.count.WithLabelValues(op, outcome))
}

// Every message operation works through a follower: the follower sends the
// typed command to the leader, which stamps, proposes and counts it.
func TestForwardThroughFollower(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := context.Background()
	leader := c.leader()
	follower := c.followers(leader)[0]
	q := testQueue(t, leader, "fw")

	// A long poll through the follower waits on the leader and wakes on a
	// send made through the follower.
	got := make(chan []fsm.ReceivedMessage, 1)
	go func() {
		msgs, err := follower.ReceiveMessages(ctx, fsm.ReceiveMessages{Queue: q, Max: 10, VisibilityTimeout: 30}, 10*time.Second)
		if err != nil {
			t.Error(err)
		}
		got <- msgs
	}()
	res, err := follower.SendMessages(ctx, fsm.SendMessages{Queue: q, SenderID: "me", Entries: []fsm.SendEntry{
		{ID: "a", Body: "one", DelaySeconds: -1, Attributes: map[string]fsm.MessageAttribute{"k": {DataType: "Binary", BinaryValue: []byte{0, 1}}}},
		{ID: "b", Body: "two", DelaySeconds: -1},
	}})
	if err != nil || len(res) != 2 || res[0].ID != "a" || res[0].MessageID == "" || res[1].MessageID == res[0].MessageID {
		t.Fatalf("send: %v %+v", err, res)
	}
	msgs := <-got
	if len(msgs) == 0 {
		t.Fatal("the long poll returned nothing")
	}
	// Pick up the rest, then check what the leader stored.
	for len(msgs) < 2 {
		more, err := follower.ReceiveMessages(ctx, fsm.ReceiveMessages{Queue: q, Max: 10, VisibilityTimeout: 30}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, more...)
	}
	for _, m := range msgs {
		if m.Body == "one" && (m.SenderID != "me" || string(m.Attributes["k"].BinaryValue) != "\x00\x01" || m.MessageID != res[0].MessageID) {
			t.Fatalf("received %+v", m)
		}
	}
	cv, err := follower.ChangeVisibility(ctx, fsm.ChangeVisibility{Queue: q, Entries: []fsm.HandleEntry{{ID: "x", ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 60}}})
	if err != nil || len(cv) != 1 || cv[0].ID != "x" || cv[0].Err != nil {
		t.Fatalf("change visibility: %v %+v", err, cv)
	}
	del, err := follower.DeleteMessages(ctx, fsm.DeleteMessages{Queue: q, Entries: []fsm.HandleEntry{
		{ID: "1", ReceiptHandle: msgs[0].ReceiptHandle}, {ID: "2", ReceiptHandle: msgs[1].ReceiptHandle}, {ID: "3", ReceiptHandle: "junk"},
	}})
	if err != nil || len(del) != 3 || del[0].Err != nil || del[1].Err != nil {
		t.Fatalf("delete: %v %+v", err, del)
	}
	// A per-entry domain error comes back typed.
	if del[2].Err == nil || del[2].Err.Code != fsm.CodeReceiptHandleIsInvalid {
		t.Fatalf("delete of a junk handle: %+v", del[2])
	}

	// Publish through the follower fans out to the subscribed queue.
	topic := fsm.TopicKey{Region: q.Region, Account: q.Account, Name: "news"}
	if _, err := leader.CreateTopic(ctx, fsm.CreateTopic{Topic: topic}); err != nil {
		t.Fatal(err)
	}
	if _, err := leader.Subscribe(ctx, fsm.Subscribe{Topic: topic, Protocol: "sqs", Endpoint: q.ARN(), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	pub, err := follower.Publish(ctx, fsm.Publish{Topic: topic, Entries: []fsm.PublishEntry{{Message: "hello"}}})
	if err != nil || len(pub) != 1 || pub[0].Err != nil || pub[0].MessageID == "" {
		t.Fatalf("publish: %v %+v", err, pub)
	}
	msgs, err = follower.ReceiveMessages(ctx, fsm.ReceiveMessages{Queue: q, Max: 10, VisibilityTimeout: 30}, 5*time.Second)
	if err != nil || len(msgs) != 1 || msgs[0].Body != "hello" {
		t.Fatalf("fan-out: %v %+v", err, msgs)
	}

	// Counters count on the leader, which applied the commands; the
	// follower counts what it forwarded.
	key := queueLabelValues(q)
	if v := testutil.ToFloat64(leader.metrics.sent.WithLabelValues(key...)); v != 2 {
		t.Fatalf("leader counted %v sent", v)
	}
	if v := testutil.ToFloat64(follower.metrics.sent.WithLabelValues(key...)); v != 0 {
		t.Fatalf("follower counted %v sent", v)
	}
	if v := forwardedCount(follower, "send", "ok"); v != 1 {
		t.Fatalf("forwarded sends: %v", v)
	}
	if v := forwardedCount(follower, "publish", "ok"); v != 1 {
		t.Fatalf("forwarded publishes: %v", v)
	}
}

// Domain errors and the sentinel errors come back as the same values.
func TestForwardedErrorsAreTyped(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := context.Background()
	leader := c.leader()
	follower := c.followers(leader)[0]
	missing := fsm.QueueKey{Region: "us-east-1", Account: "000000000000", Name: "missing"}
	_, err := sendOne(ctx, follower, missing, "x")
	var fe *fsm.Error
	if !errors.As(err, &fe) || fe.Code != fsm.CodeQueueDoesNotExist {
		t.Fatalf("send to a missing queue: %#v", err)
	}
	// Without entries, a call only checks the queue (or topic) exists,
	// on the leader.
	if _, err := follower.DeleteMessages(ctx, fsm.DeleteMessages{Queue: missing}); !errors.As(err, &fe) || fe.Code != fsm.CodeQueueDoesNotExist {
		t.Fatalf("check of a missing queue: %v", err)
	}
	q := testQueue(t, leader, "present")
	for _, n := range c.nodes {
		if _, err := n.SendMessages(ctx, fsm.SendMessages{Queue: q}); err != nil {
			t.Fatalf("check of a queue on %s: %v", n.ID(), err)
		}
	}
	_, err = follower.Publish(ctx, fsm.Publish{Topic: fsm.TopicKey{Region: "us-east-1", Account: "000000000000", Name: "none"}})
	if !errors.As(err, &fe) || fe.Code != fsm.CodeSNSNotFound {
		t.Fatalf("check of a missing topic: %v", err)
	}
	// A caller whose deadline passes during a long poll gets the outcome
	// unknown, and the shared connection stays up.
	conn := follower.fwd.current(leaderAddr(follower))
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = follower.ReceiveMessages(short, fsm.ReceiveMessages{Queue: q, Max: 1, VisibilityTimeout: 30}, 10*time.Second)
	cancel()
	if !errors.Is(err, ErrIndeterminate) {
		t.Fatalf("cut long poll: %v", err)
	}
	if _, err := sendOne(ctx, follower, q, "after"); err != nil {
		t.Fatal(err)
	}
	if conn == nil || follower.fwd.current(leaderAddr(follower)) != conn {
		t.Fatal("the connection to the leader was replaced after a cancelled call")
	}
	// With no leader, the wait for one ends in ErrNoLeader.
	for i, n := range c.nodes {
		if n != follower {
			n.Close()
			c.nodes[i] = nil
		}
	}
	follower.fwd.wait = 300 * time.Millisecond
	waitFor(t, 10*time.Second, func() error {
		_, err := sendOne(ctx, follower, q, "lost")
		if errors.Is(err, ErrNoLeader) {
			return nil
		}
		return fmt.Errorf("send without a quorum: %v", err)
	})
}

func leaderAddr(n *Node) string {
	a, _ := n.raft.LeaderWithID()
	return string(a)
}

// A request another node forwarded is never forwarded again: a node that
// is not the leader answers ErrNotLeader and applies nothing.
func TestForwardedRequestIsNotForwardedAgain(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.leader()
	follower := c.followers(leader)[0]
	q := testQueue(t, leader, "once")
	conn, err := dialRPC(follower.parts.streams.Dial, follower.advRaft, follower.log)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.close()
	before := leader.fsm.AppliedIndex()
	var res []fsm.SendResult
	err = conn.roundTrip(context.Background(), opSend, fsm.SendMessages{Queue: q, Entries: []fsm.SendEntry{{Body: "x", DelaySeconds: -1}}}, &res)
	if !errors.Is(err, ErrNotLeader) {
		t.Fatalf("forwarded send to a follower: %v %+v", err, res)
	}
	var msgs []fsm.ReceivedMessage
	err = conn.roundTrip(context.Background(), opReceive, receiveCall{Req: fsm.ReceiveMessages{Queue: q, Max: 1}, Wait: time.Second}, &msgs)
	if !errors.Is(err, ErrNotLeader) {
		t.Fatalf("forwarded receive to a follower: %v", err)
	}
	if v := forwardedCount(follower, "send", "ok") + forwardedCount(follower, "receive", "ok"); v != 0 {
		t.Fatalf("the follower forwarded %v calls", v)
	}
	if after := leader.fsm.AppliedIndex(); after != before {
		t.Fatalf("applied index moved from %d to %d", before, after)
	}
}

// The raft port still carries raft: the cluster forms and replicates over
// it, and raft's own transport (as a node of an older build dials) gets
// answers from it.
func TestRaftPortStillCarriesRaft(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.leader()
	q := testQueue(t, leader, "raft")
	if _, err := sendOne(context.Background(), leader, q, "x"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() error {
		for _, n := range c.nodes {
			if n.fsm.AppliedIndex() != leader.fsm.AppliedIndex() {
				return fmt.Errorf("%s behind", n.ID())
			}
		}
		return nil
	})
	plain, err := raft.NewTCPTransport("127.0.0.1:0", nil, 1, 2*time.Second, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	var resp raft.AppendEntriesResponse
	req := &raft.AppendEntriesRequest{RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("outsider"), Addr: []byte(plain.LocalAddr())}, Term: 0}
	if err := plain.AppendEntries("outsider", raft.ServerAddress(leader.advRaft), req, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Success || resp.Term == 0 {
		t.Fatalf("stale AppendEntries answered %+v", resp)
	}
}

// Many calls share one connection to the leader, in flight at once.
func TestForwardManyConcurrentCallsOneConnection(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := context.Background()
	leader := c.leader()
	follower := c.followers(leader)[0]
	q := testQueue(t, leader, "many")
	var dials atomic.Int32
	dial := follower.fwd.dial
	follower.fwd.dialMu.Lock()
	follower.fwd.dial = func(a raft.ServerAddress, d time.Duration) (net.Conn, error) {
		dials.Add(1)
		return dial(a, d)
	}
	follower.fwd.dialMu.Unlock()
	const workers, each = 64, 20
	ids := make(chan string, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id, err := sendOne(ctx, follower, q, fmt.Sprintf("%d-%d", w, i))
				if err != nil {
					t.Error(err)
					return
				}
				ids <- id
			}
		}(w)
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) != workers*each {
		t.Fatalf("%d distinct message IDs, want %d", len(seen), workers*each)
	}
	if d := dials.Load(); d > 1 {
		t.Fatalf("%d dials to the leader, want at most 1", d)
	}
	view, err := leader.GetQueue(ctx, q)
	if err != nil || view.Attributes["ApproximateNumberOfMessages"] != fmt.Sprint(workers*each) {
		t.Fatalf("queue: %v %v", err, view.Attributes)
	}
}

// Killing the leader while a follower forwards: every call ends, in
// success, ErrIndeterminate or (no new leader in time) ErrNoLeader, and
// every acknowledged message is in the queue under the new leader.
func TestForwardLeaderKilledMidStream(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := context.Background()
	leader := c.leader()
	follower := c.followers(leader)[0]
	q := testQueue(t, leader, "kill")
	var mu sync.Mutex
	acked := map[string]bool{}
	outcomes := map[string]int{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				callCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
				body := fmt.Sprintf("%d-%d", w, i)
				_, err := sendOne(callCtx, follower, q, body)
				cancel()
				mu.Lock()
				switch {
				case err == nil:
					acked[body] = true
					outcomes["ok"]++
				case errors.Is(err, ErrIndeterminate):
					outcomes["indeterminate"]++
				case errors.Is(err, ErrNoLeader), errors.Is(err, ErrNotLeader):
					outcomes["unavailable"]++
				default:
					outcomes[err.Error()]++
				}
				mu.Unlock()
			}
		}(w)
	}
	okCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return outcomes["ok"]
	}
	waitFor(t, 10*time.Second, func() error {
		if okCount() < 50 {
			return errors.New("few sends yet")
		}
		return nil
	})
	for i, n := range c.nodes {
		if n == leader {
			n.Close()
			c.nodes[i] = nil
		}
	}
	before := okCount()
	waitFor(t, 20*time.Second, func() error {
		if okCount() < before+50 {
			return errors.New("no sends through the new leader yet")
		}
		return nil
	})
	close(stop)
	wg.Wait() // a hung call would hang here (each has a 15 s deadline)
	mu.Lock()
	defer mu.Unlock()
	t.Logf("outcomes: %v", outcomes)
	for k := range outcomes {
		if k != "ok" && k != "indeterminate" && k != "unavailable" {
			t.Fatalf("unexpected outcome %q", k)
		}
	}
	newLeader := c.leader()
	bodies := map[string]bool{}
	for {
		msgs, err := newLeader.ReceiveMessages(ctx, fsm.ReceiveMessages{Queue: q, Max: 10, VisibilityTimeout: 600}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			bodies[m.Body] = true
		}
	}
	for b := range acked {
		if !bodies[b] {
			t.Fatalf("acknowledged message %s lost", b)
		}
	}
}

// A leader known to lack the command RPC (an older build) makes
// ForwardsCommands false, so transport forwards HTTP; a call forwarded
// anyway applies nothing and answers ErrNotLeader.
func TestForwardsCommandsToOlderLeader(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.leader()
	follower := c.followers(leader)[0]
	q := testQueue(t, leader, "older")
	if !leader.ForwardsCommands() || !follower.ForwardsCommands() {
		t.Fatal("ForwardsCommands false with a leader of this build")
	}
	follower.fwd.leaderChanged("") // drop the connection made above
	follower.fwd.markLegacy(leader.advRaft)
	if follower.ForwardsCommands() {
		t.Fatal("ForwardsCommands true with an older leader")
	}
	follower.fwd.wait = 200 * time.Millisecond
	if _, err := sendOne(context.Background(), follower, q, "x"); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("send through a follower of an older leader: %v", err)
	}
}
