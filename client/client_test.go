package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func newTestClient(t *testing.T, addrs []string, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithBackoff(time.Millisecond, 20*time.Millisecond)}, opts...)
	c, err := New(addrs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestNewAddresses(t *testing.T) {
	c, err := New([]string{"127.0.0.1:9324, http://h2:9325/", "https://h3:443"})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(c.Nodes())
	if want := "[http://127.0.0.1:9324 http://h2:9325 https://h3:443]"; got != want {
		t.Fatalf("nodes %s, want %s", got, want)
	}
	for _, bad := range [][]string{nil, {""}, {"ftp://x"}, {"http://"}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}

func TestWritesGoToTheLeader(t *testing.T) {
	f := newFake(t, 3)
	f.leader = 2
	// Only the first node is given: the client learns the others.
	c := newTestClient(t, f.urls()[:1])
	ctx := ctxT(t, 10*time.Second)
	if _, err := c.CreateQueue(ctx, "q", nil); err != nil {
		t.Fatal(err)
	}
	q := c.Queue("q")
	for i := 0; i < 5; i++ {
		if _, err := q.Send(ctx, fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(2, "/v1/queues/q/messages"); n != 5 {
		t.Fatalf("leader got %d sends, want 5", n)
	}
	if n := f.count(0, "/v1/queues/q/messages") + f.count(1, "/v1/queues/q/messages"); n != 0 {
		t.Fatalf("followers got %d sends", n)
	}
	if len(c.Nodes()) != 3 {
		t.Fatalf("client knows %v", c.Nodes())
	}
}

func TestEveryCall(t *testing.T) {
	f := newFake(t, 1)
	c := newTestClient(t, f.urls())
	ctx := ctxT(t, 10*time.Second)
	info, err := c.CreateQueue(ctx, "jobs", map[string]string{"VisibilityTimeout": "30"})
	if err != nil || info.Name != "jobs" || info.URL == "" {
		t.Fatalf("create: %+v %v", info, err)
	}
	qs, err := c.ListQueues(ctx, "jo")
	if err != nil || len(qs) != 1 || qs[0].Name != "jobs" {
		t.Fatalf("list: %+v %v", qs, err)
	}
	q := c.Queue("jobs")
	id, err := q.Send(ctx, "hello", WithDelay(0), WithAttribute("a", StringAttr("b")), WithAttribute("n", NumberAttr(3)))
	if err != nil || id == "" {
		t.Fatalf("send: %q %v", id, err)
	}
	var entries []SendEntry
	for i := 0; i < 25; i++ {
		entries = append(entries, SendEntry{Body: fmt.Sprint("b", i)})
	}
	entries[13].Body = "" // the fake refuses it
	res, err := q.SendBatch(ctx, entries)
	if err != nil || len(res) != 25 {
		t.Fatalf("batch: %d results, %v", len(res), err)
	}
	if f.count(0, "/v1/queues/jobs/messages/batch") != 3 {
		t.Fatalf("batch requests: %d, want 3", f.count(0, "/v1/queues/jobs/messages/batch"))
	}
	for i, r := range res {
		if (i == 13) != (r.Err != nil) || r.ID != fmt.Sprint(i) {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if !errors.Is(res[13].Err, ErrInvalidParameterValue) {
		t.Fatalf("entry error %v", res[13].Err)
	}
	a, err := q.Attributes(ctx)
	if err != nil || a.Attributes["ApproximateNumberOfMessages"] != "25" {
		t.Fatalf("attributes: %+v %v", a, err)
	}
	if a, err := q.SetAttributes(ctx, map[string]string{"VisibilityTimeout": "60"}); err != nil || a.Attributes["VisibilityTimeout"] != "60" {
		t.Fatalf("set attributes: %+v %v", a, err)
	}
	msgs, err := q.Receive(ctx, MaxMessages(10), WaitTime(0), VisibilityTimeout(time.Minute))
	if err != nil || len(msgs) != 10 || msgs[0].Body != "hello" || msgs[0].ReceiveCount != 1 {
		t.Fatalf("receive: %d %v", len(msgs), err)
	}
	if err := q.ChangeVisibility(ctx, msgs[1].ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	var hs []string
	for _, m := range msgs {
		hs = append(hs, m.ReceiptHandle)
	}
	if err := q.Delete(ctx, hs...); err != nil {
		t.Fatal(err)
	}
	err = q.Delete(ctx, "bogus", hs[0]+"x")
	if !errors.Is(err, ErrReceiptHandleIsInvalid) {
		t.Fatalf("delete bogus: %v", err)
	}
	if err := q.ChangeVisibility(ctx, "bogus", 0); !errors.Is(err, ErrReceiptHandleIsInvalid) {
		t.Fatalf("visibility bogus: %v", err)
	}
	if err := q.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.DeleteQueue(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = q.Send(ctx, "x")
	var e *Error
	if !errors.Is(err, ErrQueueDoesNotExist) || !errors.As(err, &e) || e.Status != 404 || e.Retryable || !IsNotFound(err) {
		t.Fatalf("send to deleted queue: %#v", err)
	}
	if n := f.count(0, "/v1/queues/jobs/messages"); n != 2 {
		t.Fatalf("a non-retryable error was retried: %d sends", n)
	}

	st, err := c.Status(ctx)
	if err != nil || st.LeaderID != "n1" || len(st.Members) != 1 {
		t.Fatalf("status: %+v %v", st, err)
	}
	if st, err := c.NodeStatus(ctx, f.addr(0)); err != nil || st.NodeID != "n1" {
		t.Fatalf("node status: %+v %v", st, err)
	}
	if ms, err := c.Members(ctx); err != nil || len(ms) != 1 {
		t.Fatalf("members: %+v %v", ms, err)
	}
	if err := c.TransferLeader(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveMember(ctx, "n9"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveMember(ctx, "nope"); !IsNotFound(err) {
		t.Fatalf("remove unknown: %v", err)
	}
}

// A send whose answer is lost after the fake stored it is retried with the
// same idempotency key and stored once.
func TestSendRetryIsExactlyOnce(t *testing.T) {
	f := newFake(t, 3)
	f.leader = 0
	c := newTestClient(t, f.urls())
	ctx := ctxT(t, 10*time.Second)
	if _, err := c.CreateQueue(ctx, "q", nil); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		keys []string
	)
	var drop atomic.Int32
	drop.Store(2) // lose two answers in a row
	f.hook = func(node int, w http.ResponseWriter, r *http.Request, body []byte) bool {
		if r.URL.Path != "/v1/queues/q/messages" && r.URL.Path != "/v1/queues/q/messages/batch" {
			return false
		}
		if r.URL.Path == "/v1/queues/q/messages" {
			var in wireSend
			json.Unmarshal(body, &in)
			mu.Lock()
			keys = append(keys, in.IdempotencyKey)
			mu.Unlock()
		}
		if drop.Add(-1) < 0 {
			return false
		}
		// Apply the send, then lose the answer: the connection dies.
		f.mu.Lock()
		if r.URL.Path == "/v1/queues/q/messages" {
			var in wireSend
			json.Unmarshal(body, &in)
			f.send("q", in)
		} else {
			var in wireBatch
			json.Unmarshal(body, &in)
			for _, e := range in.Messages {
				f.send("q", e)
			}
		}
		f.mu.Unlock()
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
		return true
	}
	id, err := c.Queue("q").Send(ctx, "once")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.live("q"); len(got) != 1 || got[0].id != id {
		t.Fatalf("queue holds %d messages (want 1 with id %s)", len(got), id)
	}
	if len(keys) != 3 || keys[0] != keys[1] || keys[1] != keys[2] || len(keys[0]) != 32 {
		t.Fatalf("keys across attempts: %q", keys)
	}
	// A second call draws a new key.
	if _, err := c.Queue("q").Send(ctx, "twice"); err != nil {
		t.Fatal(err)
	}
	if keys[3] == keys[0] {
		t.Fatal("two sends shared a key")
	}
	// Batches too.
	drop.Store(1)
	res, err := c.Queue("q").SendBatch(ctx, []SendEntry{{Body: "a"}, {Body: "b"}, {Body: "c", IdempotencyKey: "mine"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if got := f.live("q"); len(got) != 5 {
		t.Fatalf("queue holds %d messages, want 5", len(got))
	}
	if got := f.live("q")[4].key; got != "mine" {
		t.Fatalf("caller's key not used: %q", got)
	}
}

// The leader dies; the client finds the new one.
func TestFailover(t *testing.T) {
	f := newFake(t, 3)
	f.leader = 0
	c := newTestClient(t, f.urls())
	ctx := ctxT(t, 10*time.Second)
	if _, err := c.CreateQueue(ctx, "q", nil); err != nil {
		t.Fatal(err)
	}
	f.nodes[0].Close() // the leader dies
	f.mu.Lock()
	f.leader = 2
	f.mu.Unlock()
	if _, err := c.Queue("q").Send(ctx, "after"); err != nil {
		t.Fatal(err)
	}
	if f.count(2, "/v1/queues/q/messages") != 1 {
		t.Fatal("the send did not reach the new leader")
	}
	// No leader for a while: 503s are retried until one is elected.
	f.mu.Lock()
	f.leader = -1
	f.mu.Unlock()
	go func() {
		time.Sleep(300 * time.Millisecond)
		f.mu.Lock()
		f.leader = 1
		f.mu.Unlock()
	}()
	if _, err := c.Queue("q").Send(ctx, "after election"); err != nil {
		t.Fatal(err)
	}
	if len(f.live("q")) != 2 {
		t.Fatalf("queue holds %d", len(f.live("q")))
	}
}

func TestRetriesEndWithTheDeadline(t *testing.T) {
	f := newFake(t, 2)
	f.leader = -1
	c := newTestClient(t, f.urls())
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Queue("q").Send(ctx, "x")
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("took %v", el)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrServiceUnavailable) || !IsRetryable(err) {
		t.Fatalf("err %v", err)
	}
	if f.count(0, "/v1/queues/q/messages")+f.count(1, "/v1/queues/q/messages") < 3 {
		t.Fatal("not retried")
	}

	// Without a deadline the retry budget applies; WithMaxAttempts bounds
	// the attempts.
	c2 := newTestClient(t, f.urls(), WithMaxAttempts(2))
	before := f.count(0, "/v1/queues/q/messages") + f.count(1, "/v1/queues/q/messages")
	if _, err := c2.Queue("q").Send(context.Background(), "x"); !IsRetryable(err) {
		t.Fatalf("err %v", err)
	}
	if n := f.count(0, "/v1/queues/q/messages") + f.count(1, "/v1/queues/q/messages") - before; n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}

	// Every node down: connection errors, retryable.
	for _, s := range f.nodes {
		s.Close()
	}
	c3 := newTestClient(t, f.urls(), WithRetryBudget(300*time.Millisecond))
	_, err = c3.Queue("q").Send(context.Background(), "x")
	var e *Error
	if !errors.As(err, &e) || e.Status != 0 || !e.Retryable || !errors.Is(err, ErrServiceUnavailable) {
		t.Fatalf("err %#v", err)
	}
}

// A call that is not idempotent is retried only when nothing happened.
func TestTransferLeaderRetries(t *testing.T) {
	f := newFake(t, 2)
	f.leader = 0
	c := newTestClient(t, f.urls())
	ctx := ctxT(t, 5*time.Second)
	var calls atomic.Int32
	notApplied, moveFirst := true, false
	f.hook = func(node int, w http.ResponseWriter, r *http.Request, body []byte) bool {
		if r.URL.Path != "/v1/cluster/leader/transfer" || calls.Add(1) > 1 {
			return false
		}
		if moveFirst { // the transfer happens, yet the answer is an error
			f.mu.Lock()
			f.leader = (f.leader + 1) % 2
			f.mu.Unlock()
		}
		if notApplied {
			w.Header().Set("X-Wharf-Not-Applied", "1")
		}
		writeErr(w, 503, "ServiceUnavailable", "not the leader", true)
		return true
	}
	// Not applied: retried, and the retry moves the leader to n2.
	if err := c.TransferLeader(ctx, "n2"); err != nil || calls.Load() != 2 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
	// Ambiguous: not retried.
	calls.Store(0)
	notApplied = false
	if err := c.TransferLeader(ctx, ""); !IsRetryable(err) || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
	// An error answer, but the status shows the leader moved: success
	// without a second transfer.
	calls.Store(0)
	notApplied, moveFirst = true, true
	f.mu.Lock()
	f.leader = 0
	f.mu.Unlock()
	if err := c.TransferLeader(ctx, ""); err != nil || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
}

func TestErrorShapes(t *testing.T) {
	e := errorFromResponse(404, []byte(`{"message":"Not Found"}`), json.Unmarshal)
	if e.Code != "NotFound" || e.Retryable || !IsNotFound(e) {
		t.Fatalf("%+v", e)
	}
	e = errorFromResponse(502, []byte(`bad gateway`), json.Unmarshal)
	if !errors.Is(e, ErrServiceUnavailable) || !e.Retryable {
		t.Fatalf("%+v", e)
	}
	e = errorFromResponse(403, []byte(`{"error":{"code":"RequestThrottled","message":"slow down"}}`), json.Unmarshal)
	if !errors.Is(e, ErrRequestThrottled) || !e.Retryable {
		t.Fatalf("%+v", e)
	}
	e = errorFromResponse(409, []byte(`{"error":{"code":"QueueNameExists","message":"other attributes","retryable":false}}`), json.Unmarshal)
	if !errors.Is(e, ErrQueueNameExists) || e.Retryable || e.Status != 409 || IsNotFound(e) {
		t.Fatalf("%+v", e)
	}
	if errors.Is(e, ErrQueueDoesNotExist) {
		t.Fatal("codes must differ")
	}
	if e.Error() != "wharf: QueueNameExists: other attributes (HTTP 409)" {
		t.Fatalf("%q", e.Error())
	}
}

func TestFlexTime(t *testing.T) {
	for _, in := range []string{`1700000000123`, `"1700000000123"`, `"2023-11-14T22:13:20.123Z"`} {
		var v struct {
			T flexTime `json:"t"`
		}
		if err := json.Unmarshal([]byte(`{"t":`+in+`}`), &v); err != nil {
			t.Fatal(in, err)
		}
		if got := time.Time(v.T).UnixMilli(); got != 1700000000123 {
			t.Fatalf("%s: %d", in, got)
		}
	}
}
