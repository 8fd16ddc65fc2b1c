package test

// The Go client library (client/) against real clusters of `wharf serve`
// processes: every call, Consume under load, and exactly-once enqueue
// while the leader is killed.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfmq/wharf/client"
)

func newLibClient(t testing.TB, eps []string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(eps, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestGoClientEveryCall(t *testing.T) {
	cl := shared(t)
	// One endpoint given: the client learns the other members itself.
	c := newLibClient(t, cl.Endpoints()[1:2])
	ctx := ctxT(t, 2*time.Minute)
	name := uniq("golib")

	info, err := c.CreateQueue(ctx, name, map[string]string{"VisibilityTimeout": "40"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != name || !strings.HasSuffix(info.URL, "/"+name) || !strings.HasSuffix(info.ARN, ":"+name) {
		t.Fatalf("create: %+v", info)
	}
	if _, err := c.CreateQueue(ctx, name, map[string]string{"VisibilityTimeout": "40"}); err != nil {
		t.Fatalf("create again, same attributes: %v", err)
	}
	if _, err := c.CreateQueue(ctx, name, map[string]string{"VisibilityTimeout": "41"}); !errors.Is(err, client.ErrQueueNameExists) {
		t.Fatalf("create again, other attributes: %v", err)
	}
	if len(c.Nodes()) != 3 {
		t.Fatalf("the client knows %v, want 3 nodes", c.Nodes())
	}
	qs, err := c.ListQueues(ctx, name)
	if err != nil || len(qs) != 1 || qs[0].Name != name {
		t.Fatalf("list: %+v %v", qs, err)
	}

	q := c.Queue(name)
	id, err := q.Send(ctx, "hello", client.WithAttribute("s", client.StringAttr("v")),
		client.WithAttribute("n", client.NumberAttr(42)), client.WithAttribute("b", client.BinaryAttr([]byte{0, 1, 2})))
	if err != nil || id == "" {
		t.Fatalf("send: %q %v", id, err)
	}
	// The same idempotency key twice: one message, the first ID.
	id1, err := q.Send(ctx, "keyed", client.WithIdempotencyKey("key-"+name))
	if err != nil {
		t.Fatal(err)
	}
	id2, err := q.Send(ctx, "keyed", client.WithIdempotencyKey("key-"+name))
	if err != nil || id2 != id1 {
		t.Fatalf("second send with the same key: %q (first %q) %v", id2, id1, err)
	}
	if _, err := q.Send(ctx, "later", client.WithDelay(time.Hour)); err == nil {
		t.Fatal("a delay over 15 minutes was accepted")
	} else if !errors.Is(err, client.ErrInvalidParameterValue) {
		t.Fatalf("delay too long: %v", err)
	}
	if _, err := q.Send(ctx, "delayed", client.WithDelay(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	var entries []client.SendEntry
	for i := 0; i < 23; i++ {
		entries = append(entries, client.SendEntry{Body: fmt.Sprintf("batch-%02d", i)})
	}
	entries[5].Body = "" // refused alone
	res, err := q.SendBatch(ctx, entries)
	if err != nil || len(res) != 23 {
		t.Fatalf("batch: %d results, %v", len(res), err)
	}
	for i, r := range res {
		if i == 5 {
			if r.Err == nil {
				t.Fatal("empty body accepted")
			}
			continue
		}
		if r.Err != nil || r.MessageID == "" {
			t.Fatalf("entry %d: %+v", i, r)
		}
	}
	// hello + keyed + 22 batch visible, 1 delayed.
	WaitFor(t, 10*time.Second, func() error {
		a, err := q.Attributes(ctx)
		if err != nil {
			return err
		}
		if got := a.Attributes["ApproximateNumberOfMessages"]; got != "24" {
			return fmt.Errorf("ApproximateNumberOfMessages %s, want 24", got)
		}
		if a.Attributes["VisibilityTimeout"] != "40" {
			return fmt.Errorf("VisibilityTimeout %s", a.Attributes["VisibilityTimeout"])
		}
		return nil
	})
	a, err := q.SetAttributes(ctx, map[string]string{"VisibilityTimeout": "50", "ReceiveMessageWaitTimeSeconds": "1"})
	if err != nil || a.Attributes["VisibilityTimeout"] != "50" {
		t.Fatalf("set attributes: %+v %v", a, err)
	}
	if _, err := q.SetAttributes(ctx, map[string]string{"VisibilityTimeout": "-3"}); err == nil {
		t.Fatal("a bad attribute value was accepted")
	}

	msgs, err := q.Receive(ctx, client.MaxMessages(1))
	if err != nil || len(msgs) != 1 {
		t.Fatalf("receive: %d %v", len(msgs), err)
	}
	m := msgs[0]
	if m.ID != id || m.Body != "hello" || m.ReceiveCount != 1 || m.ReceiptHandle == "" || m.SentAt.IsZero() ||
		time.Since(m.SentAt) > time.Minute || m.FirstReceivedAt.IsZero() {
		t.Fatalf("received %+v", m)
	}
	if m.Attributes["s"].StringValue != "v" || m.Attributes["n"].StringValue != "42" || m.Attributes["n"].DataType != "Number" ||
		!bytes.Equal(m.Attributes["b"].BinaryValue, []byte{0, 1, 2}) {
		t.Fatalf("attributes %+v", m.Attributes)
	}
	// Make it visible again, receive it a second time.
	if err := q.ChangeVisibility(ctx, m.ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	again, err := q.Receive(ctx, client.MaxMessages(1), client.VisibilityTimeout(time.Minute))
	if err != nil || len(again) != 1 || again[0].ID != id || again[0].ReceiveCount != 2 {
		t.Fatalf("receive again: %+v %v", again, err)
	}
	if err := q.Delete(ctx, again[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if err := q.Delete(ctx, "not-a-handle"); !errors.Is(err, client.ErrReceiptHandleIsInvalid) {
		t.Fatalf("delete with a bad handle: %v", err)
	}
	if err := q.ChangeVisibility(ctx, "not-a-handle", time.Second); !errors.Is(err, client.ErrReceiptHandleIsInvalid) {
		t.Fatalf("visibility with a bad handle: %v", err)
	}
	// Long poll: the delayed message arrives within the wait.
	got := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < 24 && time.Now().Before(deadline) {
		batch, err := q.Receive(ctx, client.MaxMessages(10), client.WaitTime(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var hs []string
		for _, m := range batch {
			got[m.Body] = true
			hs = append(hs, m.ReceiptHandle)
		}
		if len(hs) > 0 {
			if err := q.Delete(ctx, hs...); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(got) != 24 || !got["delayed"] || !got["keyed"] {
		t.Fatalf("received %d distinct bodies: %v", len(got), got)
	}
	if _, err := q.Send(ctx, "to purge"); err != nil {
		t.Fatal(err)
	}
	if err := q.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.DeleteQueue(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = q.Send(ctx, "x")
	var ce *client.Error
	if !errors.Is(err, client.ErrQueueDoesNotExist) || !errors.As(err, &ce) || ce.Status != 404 || ce.Retryable || !client.IsNotFound(err) {
		t.Fatalf("send to a deleted queue: %#v", err)
	}
	if _, err := q.Attributes(ctx); !errors.Is(err, client.ErrQueueDoesNotExist) {
		t.Fatalf("attributes of a deleted queue: %v", err)
	}

	st, err := c.Status(ctx)
	if err != nil || st.LeaderID == "" || st.State != "Leader" || len(st.Members) != 3 || st.Term == 0 {
		t.Fatalf("status (from the leader): %+v %v", st, err)
	}
	ns, err := c.NodeStatus(ctx, cl.Endpoint(0))
	if err != nil || ns.NodeID != "n1" || ns.LeaderID != st.LeaderID {
		t.Fatalf("node status: %+v %v", ns, err)
	}
	ms, err := c.Members(ctx)
	if err != nil || len(ms) != 3 {
		t.Fatalf("members: %+v %v", ms, err)
	}
	for _, m := range ms {
		if !m.Voter || m.APIAddr == "" || m.GossipStatus != "alive" {
			t.Fatalf("member %+v", m)
		}
	}
}

// TestGoClientClusterOps moves leadership and removes a dead member (its
// own cluster: the shared one must keep three members).
func TestGoClientClusterOps(t *testing.T) {
	cl := StartCluster(t, 3)
	c := newLibClient(t, cl.Endpoints())
	ctx := ctxT(t, 2*time.Minute)
	leader := cl.Leader(t)
	target := cl.Nodes[(leader+1)%3].ID
	if err := c.TransferLeader(ctx, target); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 20*time.Second, func() error {
		st, err := c.Status(ctx)
		if err != nil {
			return err
		}
		if st.LeaderID != target {
			return fmt.Errorf("leader %s, want %s", st.LeaderID, target)
		}
		return nil
	})
	// Writes follow the new leader.
	if _, err := c.CreateQueue(ctx, "after-transfer", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.TransferLeader(ctx, ""); err != nil {
		t.Fatal(err)
	}
	// Kill a follower, remove it.
	leader = cl.Leader(t)
	victim := (leader + 1) % 3
	if err := cl.Kill(victim); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveMember(ctx, cl.Nodes[victim].ID); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 20*time.Second, func() error {
		ms, err := c.Members(ctx)
		if err != nil {
			return err
		}
		voters := 0
		for _, m := range ms {
			if m.ID == cl.Nodes[victim].ID && m.Voter {
				return fmt.Errorf("%s is still a voter", m.ID)
			}
			if m.Voter {
				voters++
			}
		}
		if voters != 2 {
			return fmt.Errorf("%d voters", voters)
		}
		return nil
	})
	if err := c.RemoveMember(ctx, "no-such-node"); err == nil {
		t.Fatal("removing an unknown member succeeded")
	}
	if _, err := c.Queue("after-transfer").Send(ctx, "still writable"); err != nil {
		t.Fatal(err)
	}
}

// TestGoClientConsumeUnderLoad runs Consume while producers send.
func TestGoClientConsumeUnderLoad(t *testing.T) {
	cl := shared(t)
	c := newLibClient(t, cl.Endpoints())
	ctx := ctxT(t, 3*time.Minute)
	name := uniq("consume")
	if _, err := c.CreateQueue(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	q := c.Queue(name)
	const producers, perProducer = 4, 750
	const total = producers * perProducer

	var (
		mu        sync.Mutex
		done      = map[string]int{} // body -> successful handlings
		attempts  atomic.Int64
		failures  atomic.Int64
		reported  atomic.Int64
		running   atomic.Int32
		maxRun    atomic.Int32
		allDone   = make(chan struct{})
		closeOnce sync.Once
	)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	consumeErr := make(chan error, 1)
	start := time.Now()
	go func() {
		consumeErr <- q.Consume(cctx, func(ctx context.Context, m client.Message) error {
			r := running.Add(1)
			defer running.Add(-1)
			for old := maxRun.Load(); r > old && !maxRun.CompareAndSwap(old, r); old = maxRun.Load() {
			}
			attempts.Add(1)
			n, _ := strconv.Atoi(strings.TrimPrefix(m.Body, "load-"))
			if n%50 == 0 && m.ReceiveCount == 1 {
				failures.Add(1)
				return errors.New("first delivery of every 50th message fails")
			}
			time.Sleep(2 * time.Millisecond) // some work
			mu.Lock()
			done[m.Body]++
			if len(done) == total {
				closeOnce.Do(func() { close(allDone) })
			}
			mu.Unlock()
			return nil
		}, client.Concurrency(32), client.RedeliverAfter(0), client.VisibilityTimeout(30*time.Second),
			client.OnError(func(client.Message, error) { reported.Add(1) }))
	}()

	var wg sync.WaitGroup
	sendErr := make(chan error, producers)
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < perProducer; i += 10 {
				var entries []client.SendEntry
				for j := i; j < i+10 && j < perProducer; j++ {
					entries = append(entries, client.SendEntry{Body: fmt.Sprintf("load-%d", p*perProducer+j)})
				}
				res, err := q.SendBatch(ctx, entries)
				if err == nil {
					for _, r := range res {
						if r.Err != nil {
							err = r.Err
						}
					}
				}
				if err != nil {
					sendErr <- err
					return
				}
			}
		}(p)
	}
	wg.Wait()
	close(sendErr)
	for err := range sendErr {
		t.Fatal(err)
	}
	select {
	case <-allDone:
	case err := <-consumeErr:
		t.Fatalf("Consume returned early: %v", err)
	case <-time.After(2 * time.Minute):
		mu.Lock()
		t.Fatalf("only %d of %d messages handled", len(done), total)
	}
	elapsed := time.Since(start)
	cancel()
	if err := <-consumeErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("Consume: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for i := 0; i < total; i++ {
		switch done[fmt.Sprintf("load-%d", i)] {
		case 0:
			t.Fatalf("load-%d never handled", i)
		case 1:
		default:
			dups++
		}
	}
	if dups > 0 {
		t.Errorf("%d messages handled successfully more than once", dups)
	}
	if int(failures.Load()) != total/50 || reported.Load() < failures.Load() {
		t.Errorf("%d handler failures (%d reported), want %d", failures.Load(), reported.Load(), total/50)
	}
	if m := maxRun.Load(); m > 32 {
		t.Errorf("%d handlers ran at once, the bound is 32", m)
	}
	// Everything was deleted.
	WaitFor(t, 10*time.Second, func() error {
		a, err := q.Attributes(ctx)
		if err != nil {
			return err
		}
		for _, k := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"} {
			if a.Attributes[k] != "0" {
				return fmt.Errorf("%s = %s", k, a.Attributes[k])
			}
		}
		return nil
	})
	t.Logf("Consume: %d messages (%d handler calls, %d failed first deliveries) in %v (%.0f msg/s), max %d handlers at once",
		total, attempts.Load(), failures.Load(), elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), maxRun.Load())
}

// countingTransport counts the client's HTTP attempts and the idempotency
// keys of its sends.
type countingTransport struct {
	base     http.RoundTripper
	attempts atomic.Int64
	failed   atomic.Int64 // transport errors and 5xx
	mu       sync.Mutex
	keys     map[string]int
	// ambiguous counts the sends with an attempt whose outcome the client
	// could not know (the connection broke after the request was written,
	// or a 5xx without X-Wharf-Not-Applied): without the key, a retry of
	// those could enqueue twice.
	ambiguous map[string]bool
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.attempts.Add(1)
	var sendKeys []string
	if (strings.HasSuffix(r.URL.Path, "/messages") || strings.HasSuffix(r.URL.Path, "/messages/batch")) && r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(b))
		var in struct {
			Key      string `json:"idempotency_key"`
			Messages []struct {
				Key string `json:"idempotency_key"`
			} `json:"messages"`
		}
		if json.Unmarshal(b, &in) == nil {
			if in.Key != "" {
				sendKeys = append(sendKeys, in.Key)
			}
			for _, m := range in.Messages {
				if m.Key != "" {
					sendKeys = append(sendKeys, m.Key)
				}
			}
		}
		ct.mu.Lock()
		for _, k := range sendKeys {
			ct.keys[k]++
		}
		ct.mu.Unlock()
	}
	resp, err := ct.base.RoundTrip(r)
	if err != nil || resp.StatusCode >= 500 {
		ct.failed.Add(1)
		var op *net.OpError
		dial := err != nil && errors.As(err, &op) && op.Op == "dial"
		notApplied := err == nil && resp.Header.Get("X-Wharf-Not-Applied") == "1"
		if !dial && !notApplied {
			ct.mu.Lock()
			for _, k := range sendKeys {
				ct.ambiguous[k] = true
			}
			ct.mu.Unlock()
		}
	}
	return resp, err
}

// TestGoClientExactlyOnceAcrossLeaderKill sends 10,000 messages with the
// client while the leader is killed with SIGKILL; afterwards the queue
// holds each of them exactly once.
func TestGoClientExactlyOnceAcrossLeaderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	cl := StartCluster(t, 3)
	ct := &countingTransport{base: http.DefaultTransport.(*http.Transport).Clone(), keys: map[string]int{}, ambiguous: map[string]bool{}}
	ct.base.(*http.Transport).MaxIdleConnsPerHost = 64
	c := newLibClient(t, cl.Endpoints(), client.WithHTTPClient(&http.Client{Transport: ct}))
	ctx := ctxT(t, 5*time.Minute)
	name := uniq("exactly-once")
	if _, err := c.CreateQueue(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	q := c.Queue(name)

	const total, producers, killAt = 10000, 16, 3000
	var (
		next     atomic.Int64
		acked    atomic.Int64
		slowest  atomic.Int64 // ns
		killOnce sync.Once
		killed   = make(chan int, 1)
		killTime time.Time
	)
	leader := cl.Leader(t)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				sctx, cancel := context.WithTimeout(ctx, time.Minute)
				t0 := time.Now()
				_, err := q.Send(sctx, fmt.Sprintf("msg-%05d", i))
				cancel()
				if err != nil {
					errs <- fmt.Errorf("send %d: %w", i, err)
					return
				}
				if d := time.Since(t0); d.Nanoseconds() > slowest.Load() {
					slowest.Store(d.Nanoseconds())
				}
				if acked.Add(1) == killAt {
					killOnce.Do(func() {
						killTime = time.Now()
						if err := cl.Kill(leader); err != nil {
							errs <- err
						}
						killed <- leader
					})
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	select {
	case <-killed:
	default:
		t.Fatal("the leader was never killed")
	}
	newLeader := cl.Leader(t)
	retried := 0
	for _, n := range ct.keys {
		if n > 1 {
			retried++
		}
	}
	if len(ct.keys) != total {
		t.Fatalf("%d distinct idempotency keys for %d sends", len(ct.keys), total)
	}

	// The queue holds exactly `total` messages...
	WaitFor(t, 30*time.Second, func() error {
		a, err := q.Attributes(ctx)
		if err != nil {
			return err
		}
		if got := a.Attributes["ApproximateNumberOfMessages"]; got != strconv.Itoa(total) {
			return fmt.Errorf("ApproximateNumberOfMessages %s, want %d", got, total)
		}
		return nil
	})
	// ...and draining finds each body once.
	seen := make(map[string]int, total)
	var smu sync.Mutex
	var dwg sync.WaitGroup
	drainErr := make(chan error, 4)
	for d := 0; d < 4; d++ {
		dwg.Add(1)
		go func() {
			defer dwg.Done()
			empty := 0
			for empty < 3 {
				msgs, err := q.Receive(ctx, client.MaxMessages(10), client.WaitTime(time.Second), client.VisibilityTimeout(10*time.Minute))
				if err != nil {
					drainErr <- err
					return
				}
				if len(msgs) == 0 {
					empty++
					continue
				}
				empty = 0
				hs := make([]string, len(msgs))
				smu.Lock()
				for i, m := range msgs {
					seen[m.Body]++
					hs[i] = m.ReceiptHandle
				}
				smu.Unlock()
				if err := q.Delete(ctx, hs...); err != nil {
					drainErr <- err
					return
				}
			}
		}()
	}
	dwg.Wait()
	close(drainErr)
	for err := range drainErr {
		t.Fatal(err)
	}
	lost, dup, phantom := 0, 0, 0
	for i := 0; i < total; i++ {
		switch n := seen[fmt.Sprintf("msg-%05d", i)]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	for body := range seen {
		if !strings.HasPrefix(body, "msg-") {
			phantom++
		}
	}
	t.Logf("exactly-once: sent=%d producers=%d killed=%s (after %d acks, %.1fs in) new_leader=%s elapsed=%v rate=%.0f/s slowest_send=%v http_attempts=%d failed_attempts=%d sends_retried=%d sends_ambiguous=%d received_distinct=%d lost=%d duplicates=%d phantom=%d",
		total, producers, cl.Nodes[leader].ID, killAt, killTime.Sub(start).Seconds(), cl.Nodes[newLeader].ID,
		elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), time.Duration(slowest.Load()).Round(time.Millisecond),
		ct.attempts.Load(), ct.failed.Load(), retried, len(ct.ambiguous), len(seen), lost, dup, phantom)
	if lost != 0 || dup != 0 || phantom != 0 || len(seen) != total {
		t.Fatalf("lost=%d duplicates=%d phantom=%d distinct=%d (want %d)", lost, dup, phantom, len(seen), total)
	}
	if retried == 0 {
		t.Log("note: no send needed a retry (the kill cut no request in flight)")
	}
}

// The client's topic calls against a real cluster: a publish reaches the
// SQS subscriber queues in the same command, filter policies select, raw
// delivery hands over the bare message and its attributes, an HTTP
// subscription is confirmed with the token it was sent.
func TestGoClientTopics(t *testing.T) {
	cl := shared(t)
	c := newLibClient(t, cl.Endpoints()[2:3])
	ctx := ctxT(t, 2*time.Minute)
	name := uniq("golib-topic")
	envQ, rawQ, filtQ := name+"-env", name+"-raw", name+"-filt"
	for _, q := range []string{envQ, rawQ, filtQ} {
		if _, err := c.CreateQueue(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}

	info, err := c.CreateTopic(ctx, name, map[string]string{"DisplayName": "D"}, client.WithTags(map[string]string{"team": "t"}))
	if err != nil || info.Name != name || !strings.HasSuffix(info.ARN, ":sns:us-east-1:000000000000:"+name) {
		t.Fatalf("create: %+v %v", info, err)
	}
	if _, err := c.CreateTopic(ctx, name, map[string]string{"DisplayName": "other"}); !errors.Is(err, client.ErrInvalidParameter) {
		t.Fatalf("create with other attributes: %v", err)
	}
	ts, err := c.ListTopics(ctx, name)
	if err != nil || len(ts) != 1 || ts[0].ARN != info.ARN {
		t.Fatalf("list: %+v %v", ts, err)
	}
	topic := c.Topic(name)
	a, err := topic.Attributes(ctx)
	if err != nil || a.Attributes["DisplayName"] != "D" || a.Tags["team"] != "t" {
		t.Fatalf("attributes: %+v %v", a, err)
	}
	if a, err := topic.SetAttributes(ctx, map[string]string{"DisplayName": "E"}); err != nil || a.Attributes["DisplayName"] != "E" {
		t.Fatalf("set attributes: %+v %v", a, err)
	}

	env, err := topic.SubscribeQueue(ctx, envQ, nil)
	if err != nil || env.Pending || env.Protocol != "sqs" || !strings.HasSuffix(env.Endpoint, ":"+envQ) || env.RawMessageDelivery() {
		t.Fatalf("subscribe envelope queue: %+v %v", env, err)
	}
	raw, err := topic.SubscribeQueue(ctx, rawQ, map[string]string{"RawMessageDelivery": "true"})
	if err != nil || !raw.RawMessageDelivery() {
		t.Fatalf("subscribe raw queue: %+v %v", raw, err)
	}
	filt, err := topic.SubscribeQueue(ctx, filtQ, map[string]string{"RawMessageDelivery": "true",
		"FilterPolicy": `{"kind":["new"],"price":[{"numeric":[">",10]}]}`})
	if err != nil || filt.FilterPolicy() == "" {
		t.Fatalf("subscribe filtered queue: %+v %v", filt, err)
	}
	if _, err := topic.SubscribeQueue(ctx, name+"-missing", nil); !errors.Is(err, client.ErrQueueDoesNotExist) {
		t.Fatalf("subscribe a missing queue: %v", err)
	}
	if _, err := topic.Subscribe(ctx, "sqs", env.Endpoint, map[string]string{"FilterPolicy": `{"kind":`}); !errors.Is(err, client.ErrInvalidParameter) {
		t.Fatalf("subscribe with a bad filter policy: %v", err)
	}

	// Two publishes: only the first passes the filter.
	id1, err := topic.Publish(ctx, "order 1", client.WithSubject("orders"),
		client.WithPublishAttribute("kind", client.StringAttr("new")), client.WithPublishAttribute("price", client.NumberAttr(12)))
	if err != nil || id1 == "" {
		t.Fatalf("publish: %q %v", id1, err)
	}
	if _, err := topic.Publish(ctx, "order 2", client.WithPublishAttribute("kind", client.StringAttr("new")),
		client.WithPublishAttribute("price", client.NumberAttr(5))); err != nil {
		t.Fatal(err)
	}
	// The messages are enqueued when Publish returns: no wait needed.
	get := func(q string, want int) []client.Message {
		t.Helper()
		msgs, err := c.Queue(q).Receive(ctx, client.MaxMessages(10), client.WaitTime(0))
		if err != nil || len(msgs) != want {
			t.Fatalf("queue %s: %d messages, want %d (%v): %+v", q, len(msgs), want, err, msgs)
		}
		for _, m := range msgs {
			if err := c.Queue(q).Delete(ctx, m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
		return msgs
	}
	envMsgs := get(envQ, 2)
	var doc struct{ Type, MessageId, TopicArn, Subject, Message string }
	for _, m := range envMsgs {
		if err := json.Unmarshal([]byte(m.Body), &doc); err != nil || doc.Type != "Notification" || doc.TopicArn != info.ARN {
			t.Fatalf("envelope: %s (%v)", m.Body, err)
		}
		if doc.Message == "order 1" && (doc.MessageId != id1 || doc.Subject != "orders") {
			t.Fatalf("envelope of order 1: %+v", doc)
		}
	}
	rawMsgs := get(rawQ, 2)
	for _, m := range rawMsgs {
		if !strings.HasPrefix(m.Body, "order ") || m.Attributes["kind"].StringValue != "new" || m.Attributes["price"].DataType != "Number" {
			t.Fatalf("raw message: %+v", m)
		}
	}
	if m := get(filtQ, 1)[0]; m.Body != "order 1" {
		t.Fatalf("filtered queue got %q", m.Body)
	}

	// A batch; then the filter changed to match everything of kind old.
	res, err := topic.PublishBatch(ctx, []client.PublishEntry{
		{Message: "b1", Attributes: map[string]client.Attribute{"kind": client.StringAttr("old")}},
		{Message: ""},
		{Message: `{"default":"b3","sqs":"b3 for queues"}`, MessageStructure: "json"},
	})
	if err != nil || len(res) != 3 || res[0].Err != nil || !errors.Is(res[1].Err, client.ErrInvalidParameter) || res[2].Err != nil {
		t.Fatalf("batch: %+v %v", res, err)
	}
	bodies := map[string]bool{}
	for _, m := range get(rawQ, 2) {
		bodies[m.Body] = true
	}
	if !bodies["b1"] || !bodies["b3 for queues"] {
		t.Fatalf("raw queue after the batch: %v", bodies)
	}
	get(filtQ, 0)
	if s, err := topic.SetSubscriptionAttributes(ctx, filt.ID, map[string]string{"FilterPolicy": `{"kind":["old"]}`}); err != nil || s.FilterPolicy() != `{"kind":["old"]}` {
		t.Fatalf("set filter policy: %+v %v", s, err)
	}
	if _, err := topic.Publish(ctx, "old one", client.WithPublishAttribute("kind", client.StringAttr("old"))); err != nil {
		t.Fatal(err)
	}
	if m := get(filtQ, 1)[0]; m.Body != "old one" {
		t.Fatalf("filtered queue after the change got %q", m.Body)
	}

	// HTTP: pending until confirmed with the token the endpoint got.
	hook := newTopicHook(t)
	hs, err := topic.Subscribe(ctx, "http", hook.URL+"/hook", nil)
	if err != nil || !hs.Pending {
		t.Fatalf("subscribe http: %+v %v", hs, err)
	}
	token := hook.wait(t, "SubscriptionConfirmation", "")["Token"]
	if _, err := topic.ConfirmSubscription(ctx, "wrong"); !errors.Is(err, client.ErrInvalidParameter) {
		t.Fatalf("confirm with a wrong token: %v", err)
	}
	if s, err := topic.ConfirmSubscription(ctx, token); err != nil || s.Pending || s.ID != hs.ID {
		t.Fatalf("confirm: %+v %v", s, err)
	}
	if _, err := topic.Publish(ctx, "to the hook"); err != nil {
		t.Fatal(err)
	}
	hook.wait(t, "Notification", "to the hook")

	subs, err := topic.Subscriptions(ctx)
	if err != nil || len(subs) != 4 || subs[3].ID != hs.ID || subs[3].Pending {
		t.Fatalf("subscriptions: %+v %v", subs, err)
	}
	all, err := c.Subscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mine := 0
	for _, s := range all {
		if s.Topic == name {
			mine++
		}
	}
	if mine != 4 {
		t.Fatalf("all subscriptions: %d of the topic's", mine)
	}
	if s, err := topic.Subscription(ctx, raw.ARN); err != nil || s.ID != raw.ID || s.Attributes["SubscriptionArn"] != raw.ARN {
		t.Fatalf("subscription by ARN: %+v %v", s, err)
	}

	// Unsubscribe by ARN and by ID; delete.
	get(envQ, 4) // b1, b3, old one, to the hook
	if err := topic.Unsubscribe(ctx, env.ARN); err != nil {
		t.Fatal(err)
	}
	if err := topic.Unsubscribe(ctx, hs.ID); err != nil {
		t.Fatal(err)
	}
	if err := topic.Unsubscribe(ctx, hs.ID); !errors.Is(err, client.ErrNotFound) || !client.IsNotFound(err) {
		t.Fatalf("unsubscribe twice: %v", err)
	}
	if _, err := topic.Publish(ctx, "after unsubscribe"); err != nil {
		t.Fatal(err)
	}
	get(envQ, 0)
	// A publish repeated with its idempotency key fans out once.
	for {
		msgs, err := c.Queue(rawQ).Receive(ctx, client.MaxMessages(10), client.WaitTime(0))
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			if err := c.Queue(rawQ).Delete(ctx, m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
	}
	k1, err := topic.Publish(ctx, "keyed", client.WithPublishIdempotencyKey(name+"-key"))
	if err != nil {
		t.Fatal(err)
	}
	if k2, err := topic.Publish(ctx, "keyed", client.WithPublishIdempotencyKey(name+"-key")); err != nil || k2 != k1 {
		t.Fatalf("a repeated idempotency key answered %q (first %q): %v", k2, k1, err)
	}
	if m := get(rawQ, 1)[0]; m.Body != "keyed" {
		t.Fatalf("keyed publish delivered %q", m.Body)
	}
	if err := topic.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = topic.Publish(ctx, "x")
	var ce *client.Error
	if !errors.Is(err, client.ErrNotFound) || !errors.As(err, &ce) || ce.Status != 404 || ce.Retryable {
		t.Fatalf("publish to a deleted topic: %#v", err)
	}
	if err := topic.Delete(ctx); !client.IsNotFound(err) {
		t.Fatalf("delete twice: %v", err)
	}
}

// A FIFO topic through the client: a publish needs a group, a repeated
// deduplication ID is delivered once, a FIFO queue gets the group in order.
func TestGoClientFifoTopic(t *testing.T) {
	cl := shared(t)
	c := newLibClient(t, cl.Endpoints()[:1])
	ctx := ctxT(t, time.Minute)
	name := uniq("golib-fifo")
	queue := name + "-q.fifo"
	if _, err := c.CreateQueue(ctx, queue, map[string]string{"FifoQueue": "true"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTopic(ctx, name+".fifo", nil); !errors.Is(err, client.ErrInvalidParameter) {
		t.Fatalf("a .fifo topic without FifoTopic: %v", err)
	}
	if _, err := c.CreateTopic(ctx, name+".fifo", map[string]string{"FifoTopic": "true"}); err != nil {
		t.Fatal(err)
	}
	topic := c.Topic(name + ".fifo")
	if _, err := topic.SubscribeQueue(ctx, queue, map[string]string{"RawMessageDelivery": "true"}); err != nil {
		t.Fatal(err)
	}
	if _, err := topic.Publish(ctx, "no group", client.WithDeduplicationID("x")); err == nil {
		t.Fatal("a FIFO publish without a group was accepted")
	}
	for i, d := range []string{"d1", "d1", "d2"} {
		if _, err := topic.Publish(ctx, fmt.Sprint("m", i), client.WithMessageGroup("g"), client.WithDeduplicationID(d)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := topic.PublishBatch(ctx, []client.PublishEntry{
		{Message: "b1", MessageGroupID: "g", DeduplicationID: "d3"},
		{Message: "b2", MessageGroupID: "g", DeduplicationID: "d4"},
	})
	if err != nil || len(res) != 2 || res[0].Err != nil || res[1].Err != nil || res[0].SequenceNumber == "" || res[1].SequenceNumber <= res[0].SequenceNumber {
		t.Fatalf("batch: %+v %v", res, err)
	}
	var got []string
	WaitFor(t, 10*time.Second, func() error {
		msgs, err := c.Queue(queue).Receive(ctx, client.MaxMessages(10), client.WaitTime(time.Second))
		if err != nil {
			return err
		}
		for _, m := range msgs {
			got = append(got, m.Body)
			if err := c.Queue(queue).Delete(ctx, m.ReceiptHandle); err != nil {
				return err
			}
		}
		if len(got) < 4 {
			return fmt.Errorf("got %v", got)
		}
		return nil
	})
	if strings.Join(got, ",") != "m0,m2,b1,b2" {
		t.Fatalf("the FIFO queue got %v, want m0,m2,b1,b2", got)
	}
}
