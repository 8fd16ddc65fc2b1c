package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gate holds the fake's requests to some paths until it lets them go, one
// per token or all once opened, and records what they carried.
type gate struct {
	paths     map[string]bool
	tokens    chan struct{}
	opened    chan struct{}
	openOnce  sync.Once
	held      atomic.Int32
	cancelled atomic.Int32

	mu   sync.Mutex
	reqs []gatedRequest
}

// gatedRequest is one request the gate saw.
type gatedRequest struct {
	path    string
	entries []gatedEntry // one for a single route
}

// gatedEntry is a message of a request, sent or published.
type gatedEntry struct {
	ID      string `json:"id"`
	Body    string `json:"body"`
	Message string `json:"message"`
	Key     string `json:"idempotency_key"`
}

// newGate installs a closed gate on f for paths.
func newGate(f *fakeCluster, paths ...string) *gate {
	g := &gate{paths: map[string]bool{}, tokens: make(chan struct{}, 1000), opened: make(chan struct{})}
	for _, p := range paths {
		g.paths[p] = true
	}
	f.hook = g.hook
	return g
}

func (g *gate) hook(node int, w http.ResponseWriter, r *http.Request, body []byte) bool {
	if !g.paths[r.URL.Path] {
		return false
	}
	req := gatedRequest{path: r.URL.Path}
	if strings.HasSuffix(r.URL.Path, "/batch") {
		var in struct {
			Messages []gatedEntry `json:"messages"`
		}
		json.Unmarshal(body, &in)
		req.entries = in.Messages
	} else {
		var e gatedEntry
		json.Unmarshal(body, &e)
		req.entries = []gatedEntry{e}
	}
	g.mu.Lock()
	g.reqs = append(g.reqs, req)
	g.mu.Unlock()
	g.held.Add(1)
	defer g.held.Add(-1)
	select {
	case <-g.tokens:
	case <-g.opened:
	case <-r.Context().Done():
		g.cancelled.Add(1)
		return true
	}
	return false
}

// release lets n held (or future) requests go.
func (g *gate) release(n int) {
	for i := 0; i < n; i++ {
		g.tokens <- struct{}{}
	}
}

// open lets every request go, now and later.
func (g *gate) open() { g.openOnce.Do(func() { close(g.opened) }) }

// requests returns the requests seen on path.
func (g *gate) requests(path string) []gatedRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []gatedRequest
	for _, r := range g.reqs {
		if r.path == path {
			out = append(out, r)
		}
	}
	return out
}

// batchSizes lists the entries of each request seen on path, smallest
// first (concurrent batches arrive in any order).
func (g *gate) batchSizes(path string) []int {
	var n []int
	for _, r := range g.requests(path) {
		n = append(n, len(r.entries))
	}
	slices.Sort(n)
	return n
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitingCalls counts the calls lined up on the route whose single path
// is single.
func waitingCalls(c *Client, single string) int {
	c.coalMu.Lock()
	co := c.coalescers[single]
	c.coalMu.Unlock()
	if co == nil {
		return 0
	}
	co.mu.Lock()
	defer co.mu.Unlock()
	n := 0
	for _, cl := range co.waiting {
		if !cl.abandoned {
			n++
		}
	}
	return n
}

const (
	sendPath  = "/v1/queues/q/messages"
	batchPath = "/v1/queues/q/messages/batch"
)

// sendOutcome is what one Send returned.
type sendOutcome struct {
	body, id string
	err      error
}

// coalesceSetup makes a fake with queue "q", a client, and a closed gate
// on the send routes.
func coalesceSetup(t *testing.T) (*fakeCluster, *Client, *gate) {
	f := newFake(t, 1)
	c := newTestClient(t, f.urls())
	if _, err := c.CreateQueue(ctxT(t, 5*time.Second), "q", nil); err != nil {
		t.Fatal(err)
	}
	return f, c, newGate(f, sendPath, batchPath)
}

// sendAll starts one Send per body and returns the channel of their
// outcomes.
func sendAll(ctx context.Context, q *Queue, bodies []string) <-chan sendOutcome {
	out := make(chan sendOutcome, len(bodies))
	for _, b := range bodies {
		go func() {
			id, err := q.Send(ctx, b)
			out <- sendOutcome{body: b, id: id, err: err}
		}()
	}
	return out
}

// collect reads n outcomes.
func collect(t *testing.T, ch <-chan sendOutcome, n int) []sendOutcome {
	t.Helper()
	var out []sendOutcome
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case o := <-ch:
			out = append(out, o)
		case <-timeout:
			t.Fatalf("%d of %d sends returned", len(out), n)
		}
	}
	return out
}

// fillSlots starts maxCoalescedInFlight sends and waits until all of them
// are held by the gate, which proves that none waited for another.
func fillSlots(t *testing.T, ctx context.Context, q *Queue, g *gate) <-chan sendOutcome {
	t.Helper()
	var bodies []string
	for i := 0; i < maxCoalescedInFlight; i++ {
		bodies = append(bodies, fmt.Sprint("slot-", i))
	}
	ch := sendAll(ctx, q, bodies)
	waitFor(t, "the first sends to reach the server", func() bool { return g.held.Load() == maxCoalescedInFlight })
	return ch
}

// bodyOf returns the body of the fake's message id.
func (f *fakeCluster) bodyOf(queue, id string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.queues[queue] {
		if m.id == id {
			return m.body, true
		}
	}
	return "", false
}

// A send with nothing else pending goes out at once through the single
// route, and so does each of up to maxCoalescedInFlight concurrent sends.
func TestLoneSendIsNotDelayed(t *testing.T) {
	_, c, g := coalesceSetup(t)
	g.open()
	ctx := ctxT(t, 10*time.Second)
	q := c.Queue("q")
	if id, err := q.Send(ctx, "alone"); err != nil || id == "" {
		t.Fatalf("send: %q %v", id, err)
	}
	if got := g.batchSizes(sendPath); len(got) != 1 || len(g.requests(batchPath)) != 0 {
		t.Fatalf("single requests %v, batch requests %v", got, g.batchSizes(batchPath))
	}

	_, c, g = coalesceSetup(t)
	q = c.Queue("q")
	first := fillSlots(t, ctx, q, g)
	// The next one waits for a slot, then goes alone (nothing else waits).
	ninth := sendAll(ctx, q, []string{"ninth"})
	waitFor(t, "the ninth send to wait", func() bool { return waitingCalls(c, sendPath) == 1 })
	if n := g.held.Load(); n != maxCoalescedInFlight {
		t.Fatalf("%d requests in flight, want %d", n, maxCoalescedInFlight)
	}
	g.open()
	for _, o := range append(collect(t, first, maxCoalescedInFlight), collect(t, ninth, 1)...) {
		if o.err != nil {
			t.Fatalf("%s: %v", o.body, o.err)
		}
	}
	if n := len(g.requests(sendPath)); n != maxCoalescedInFlight+1 || len(g.requests(batchPath)) != 0 {
		t.Fatalf("%d single requests and batches %v, want %d singles", n, g.batchSizes(batchPath), maxCoalescedInFlight+1)
	}
	// Idle, the queue's line is forgotten.
	waitFor(t, "the idle line to go", func() bool {
		c.coalMu.Lock()
		defer c.coalMu.Unlock()
		return len(c.coalescers) == 0
	})
}

// Sends waiting for a slot leave together; each caller gets the ID of its
// own message (whatever the order of the answer) or its own error, the
// one it would get alone.
func TestCoalescedSendsGetTheirOwnResults(t *testing.T) {
	f, c, g := coalesceSetup(t)
	f.reverseBatches = true
	ctx := ctxT(t, 10*time.Second)
	q := c.Queue("q")
	first := fillSlots(t, ctx, q, g)
	var bodies []string
	for i := 0; i < 20; i++ {
		bodies = append(bodies, fmt.Sprint("waiting-", i))
	}
	bodies[5], bodies[13] = "", "" // the fake refuses empty bodies
	waiting := sendAll(ctx, q, bodies)
	waitFor(t, "20 sends to wait", func() bool { return waitingCalls(c, sendPath) == 20 })
	g.open()
	collect(t, first, maxCoalescedInFlight)
	outcomes := collect(t, waiting, 20)

	// Alone, an empty body gets this error.
	_, alone := q.Send(ctx, "")
	var want *Error
	if !errors.As(alone, &want) {
		t.Fatalf("lone send of an empty body: %v", alone)
	}
	failed := 0
	for _, o := range outcomes {
		if o.body == "" {
			failed++
			var e *Error
			if !errors.As(o.err, &e) || e.Code != want.Code || e.Retryable != want.Retryable || e.Status != want.Status {
				t.Fatalf("coalesced empty body: %#v, alone: %#v", o.err, want)
			}
			continue
		}
		if o.err != nil {
			t.Fatalf("%s: %v", o.body, o.err)
		}
		if got, ok := f.bodyOf("q", o.id); !ok || got != o.body {
			t.Fatalf("send of %q answered %s, which holds %q", o.body, o.id, got)
		}
	}
	if failed != 2 {
		t.Fatalf("%d failed sends, want 2", failed)
	}
	if got := fmt.Sprint(g.batchSizes(batchPath)); got != "[10 10]" {
		t.Fatalf("batches %s, want [10 10]", got)
	}
	keys := map[string]bool{}
	for _, r := range g.requests(batchPath) {
		for _, e := range r.entries {
			if len(e.Key) != 32 || keys[e.Key] {
				t.Fatalf("entry key %q (missing or repeated)", e.Key)
			}
			keys[e.Key] = true
		}
	}
}

// An error of a whole batch request reaches every send in it.
func TestCoalescedRequestFailureReachesAll(t *testing.T) {
	f, c, g := coalesceSetup(t)
	ctx := ctxT(t, 10*time.Second)
	q := c.Queue("q")
	first := fillSlots(t, ctx, q, g)
	var bodies []string
	for i := 0; i < 12; i++ {
		bodies = append(bodies, fmt.Sprint("doomed-", i))
	}
	waiting := sendAll(ctx, q, bodies)
	waitFor(t, "12 sends to wait", func() bool { return waitingCalls(c, sendPath) == 12 })
	f.mu.Lock()
	delete(f.queues, "q")
	f.mu.Unlock()
	g.open()
	for _, o := range append(collect(t, first, maxCoalescedInFlight), collect(t, waiting, 12)...) {
		if !errors.Is(o.err, ErrQueueDoesNotExist) {
			t.Fatalf("%s: %v", o.body, o.err)
		}
	}
	if got := fmt.Sprint(g.batchSizes(batchPath)); got != "[2 10]" {
		t.Fatalf("batches %s, want [2 10]", got)
	}
}

// A batch whose answer is lost is retried with the same keys: each
// message is enqueued once and each caller gets its first ID.
func TestCoalescedBatchRetryIsExactlyOnce(t *testing.T) {
	f, c, g := coalesceSetup(t)
	ctx := ctxT(t, 10*time.Second)
	q := c.Queue("q")
	first := fillSlots(t, ctx, q, g)
	var bodies []string
	for i := 0; i < 6; i++ {
		bodies = append(bodies, fmt.Sprint("retried-", i))
	}
	waiting := sendAll(ctx, q, bodies)
	waitFor(t, "6 sends to wait", func() bool { return waitingCalls(c, sendPath) == 6 })
	var lost atomic.Bool
	f.hook = func(node int, w http.ResponseWriter, r *http.Request, body []byte) bool {
		g.hook(node, w, r, body)
		if r.URL.Path != batchPath || lost.Swap(true) {
			return false
		}
		// Apply the batch, then lose the answer.
		var in wireBatch
		json.Unmarshal(body, &in)
		f.mu.Lock()
		for _, e := range in.Messages {
			f.send("q", e)
		}
		f.mu.Unlock()
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
		return true
	}
	g.open()
	collect(t, first, maxCoalescedInFlight)
	for _, o := range collect(t, waiting, 6) {
		if o.err != nil {
			t.Fatalf("%s: %v", o.body, o.err)
		}
		if got, ok := f.bodyOf("q", o.id); !ok || got != o.body {
			t.Fatalf("send of %q answered %s, which holds %q", o.body, o.id, got)
		}
	}
	if n := len(f.live("q")); n != maxCoalescedInFlight+6 {
		t.Fatalf("queue holds %d messages, want %d", n, maxCoalescedInFlight+6)
	}
	reqs := g.requests(batchPath)
	if len(reqs) != 2 || fmt.Sprint(reqs[0].entries) != fmt.Sprint(reqs[1].entries) {
		t.Fatalf("batch attempts %+v, want the same batch twice", reqs)
	}
}

// A caller whose context ends stops waiting without disturbing the
// others: a send still waiting is not sent; a batch in flight goes on for
// the others, and is cancelled only when all its callers left.
func TestCoalescedCancellation(t *testing.T) {
	f, c, g := coalesceSetup(t)
	ctx := ctxT(t, 10*time.Second)
	q := c.Queue("q")
	first := fillSlots(t, ctx, q, g)

	// Waiting: A leaves before its turn and is never sent.
	actx, cancelA := context.WithCancel(ctx)
	a := sendAll(actx, q, []string{"A"})
	waitFor(t, "A to wait", func() bool { return waitingCalls(c, sendPath) == 1 })
	others := sendAll(ctx, q, []string{"B", "C"})
	waitFor(t, "B and C to wait", func() bool { return waitingCalls(c, sendPath) == 3 })
	cancelA()
	if o := collect(t, a, 1)[0]; !errors.Is(o.err, context.Canceled) {
		t.Fatalf("A: %v", o.err)
	}
	g.release(1) // one slot frees: B and C leave together
	waitFor(t, "the batch of B and C", func() bool { return len(g.requests(batchPath)) == 1 })
	if got := fmt.Sprint(g.batchSizes(batchPath)); got != "[2]" {
		t.Fatalf("batches %s, want [2]", got)
	}

	// In flight: D, E and F leave together, D's caller leaves, E and F
	// still get their answers.
	dctx, cancelD := context.WithCancel(ctx)
	d := sendAll(dctx, q, []string{"D"})
	waitFor(t, "D to wait", func() bool { return waitingCalls(c, sendPath) == 1 })
	ef := sendAll(ctx, q, []string{"E", "F"})
	waitFor(t, "E and F to wait", func() bool { return waitingCalls(c, sendPath) == 3 })
	g.release(1)
	waitFor(t, "the batch of D, E and F", func() bool { return len(g.requests(batchPath)) == 2 })
	cancelD()
	if o := collect(t, d, 1)[0]; !errors.Is(o.err, context.Canceled) {
		t.Fatalf("D: %v", o.err)
	}

	// All leave: G and H's batch is cancelled.
	gctx, cancelG := context.WithCancel(ctx)
	gh := sendAll(gctx, q, []string{"G", "H"})
	waitFor(t, "G and H to wait", func() bool { return waitingCalls(c, sendPath) == 2 })
	g.release(1)
	waitFor(t, "the batch of G and H", func() bool { return len(g.requests(batchPath)) == 3 })
	cancelG()
	for _, o := range collect(t, gh, 2) {
		if !errors.Is(o.err, context.Canceled) {
			t.Fatalf("%s: %v", o.body, o.err)
		}
	}
	waitFor(t, "the batch of G and H to be cancelled", func() bool { return g.cancelled.Load() == 1 })

	g.open()
	collect(t, first, maxCoalescedInFlight)
	for _, o := range append(collect(t, others, 2), collect(t, ef, 2)...) {
		if o.err != nil {
			t.Fatalf("%s: %v", o.body, o.err)
		}
		if got, _ := f.bodyOf("q", o.id); got != o.body {
			t.Fatalf("send of %q answered %s, which holds %q", o.body, o.id, got)
		}
	}
	bodies := map[string]bool{}
	for _, m := range f.live("q") {
		bodies[m.body] = true
	}
	if bodies["A"] || !bodies["D"] || bodies["G"] || bodies["H"] {
		t.Fatalf("queue holds %v: want D (its batch went on), not A (never sent), G or H (cancelled)", bodies)
	}
	if got := fmt.Sprint(g.batchSizes(batchPath)); got != "[2 2 3]" {
		t.Fatalf("batches %s, want [2 2 3]", got)
	}
}

// Batches keep to the route's byte limit.
func TestCoalescedBatchesRespectByteLimit(t *testing.T) {
	f, c, g := coalesceSetup(t)
	ctx := ctxT(t, 10*time.Second)
	q := c.Queue("q")
	first := fillSlots(t, ctx, q, g)
	var bodies []string
	for i := 0; i < 7; i++ {
		bodies = append(bodies, fmt.Sprintf("%d%s", i, strings.Repeat("x", 300<<10)))
	}
	waiting := sendAll(ctx, q, bodies)
	waitFor(t, "7 sends to wait", func() bool { return waitingCalls(c, sendPath) == 7 })
	g.open()
	collect(t, first, maxCoalescedInFlight)
	for _, o := range collect(t, waiting, 7) {
		if o.err != nil {
			t.Fatalf("%.8s...: %v", o.body, o.err)
		}
	}
	// 3 bodies of 300 KiB fit in 1 MiB, 4 do not; the last one goes alone.
	if got := fmt.Sprint(g.batchSizes(batchPath)); got != "[3 3]" {
		t.Fatalf("batches %s, want [3 3]", got)
	}
	if n := len(g.requests(sendPath)); n != maxCoalescedInFlight+1 {
		t.Fatalf("%d single sends, want %d", n, maxCoalescedInFlight+1)
	}
	if n := len(f.live("q")); n != maxCoalescedInFlight+7 {
		t.Fatalf("queue holds %d", n)
	}
}

// inFlightTransport counts the requests in flight on a path.
type inFlightTransport struct {
	base      http.RoundTripper
	now, peak atomic.Int32
}

func (t *inFlightTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, sendPath) {
		n := t.now.Add(1)
		defer t.now.Add(-1)
		for p := t.peak.Load(); n > p && !t.peak.CompareAndSwap(p, n); p = t.peak.Load() {
		}
	}
	return t.base.RoundTrip(r)
}

// 64 goroutines sending at once: no send lost or doubled, each gets its
// own ID, at most maxCoalescedInFlight requests in flight.
func TestCoalescedSendsUnderLoad(t *testing.T) {
	f := newFake(t, 1)
	tr := &inFlightTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
	c := newTestClient(t, f.urls(), WithHTTPClient(&http.Client{Transport: tr}))
	ctx := ctxT(t, 30*time.Second)
	if _, err := c.CreateQueue(ctx, "q", nil); err != nil {
		t.Fatal(err)
	}
	g := newGate(f, sendPath, batchPath)
	q := c.Queue("q")
	const senders, each = 64, 40
	outcomes := make(chan sendOutcome, senders*each)
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				b := fmt.Sprintf("s%02d-%03d", s, i)
				id, err := q.Send(ctx, b)
				outcomes <- sendOutcome{body: b, id: id, err: err}
			}
		}()
	}
	// Hold the first requests until every other sender waits, so that
	// batches form whatever the scheduling.
	waitFor(t, "the senders to line up", func() bool {
		return g.held.Load() == maxCoalescedInFlight && waitingCalls(c, sendPath) == senders-maxCoalescedInFlight
	})
	g.open()
	wg.Wait()
	close(outcomes)
	ids := map[string]bool{}
	for o := range outcomes {
		if o.err != nil {
			t.Fatalf("%s: %v", o.body, o.err)
		}
		if ids[o.id] {
			t.Fatalf("ID %s answered twice", o.id)
		}
		ids[o.id] = true
		if got, _ := f.bodyOf("q", o.id); got != o.body {
			t.Fatalf("send of %q answered %s, which holds %q", o.body, o.id, got)
		}
	}
	live := f.live("q")
	bodies := map[string]bool{}
	for _, m := range live {
		bodies[m.body] = true
	}
	if len(live) != senders*each || len(bodies) != senders*each {
		t.Fatalf("queue holds %d messages, %d distinct, want %d", len(live), len(bodies), senders*each)
	}
	entries, requests := 0, 0
	for _, path := range []string{sendPath, batchPath} {
		for _, n := range g.batchSizes(path) {
			if n > maxBatchEntries {
				t.Fatalf("a batch of %d", n)
			}
			entries += n
			requests++
		}
	}
	if entries != senders*each || requests >= senders*each {
		t.Fatalf("%d entries in %d requests for %d sends", entries, requests, senders*each)
	}
	if p := tr.peak.Load(); p > maxCoalescedInFlight {
		t.Fatalf("%d requests in flight, want at most %d", p, maxCoalescedInFlight)
	}
	t.Logf("%d sends in %d requests (%d batches)", entries, requests, len(g.requests(batchPath)))
}

// Concurrent publishes to a topic leave together too, each with its own
// key, result or error.
func TestCoalescedPublishes(t *testing.T) {
	f := newFake(t, 1)
	c := newTestClient(t, f.urls())
	ctx := ctxT(t, 10*time.Second)
	if _, err := c.CreateTopic(ctx, "t", nil); err != nil {
		t.Fatal(err)
	}
	const single, batch = "/v1/topics/t/publish", "/v1/topics/t/publish/batch"
	g := newGate(f, single, batch)
	topic := c.Topic("t")
	publishAll := func(msgs []string) <-chan sendOutcome {
		out := make(chan sendOutcome, len(msgs))
		for _, m := range msgs {
			go func() {
				id, err := topic.Publish(ctx, m)
				out <- sendOutcome{body: m, id: id, err: err}
			}()
		}
		return out
	}
	var msgs []string
	for i := 0; i < maxCoalescedInFlight; i++ {
		msgs = append(msgs, fmt.Sprint("slot-", i))
	}
	first := publishAll(msgs)
	waitFor(t, "the first publishes to reach the server", func() bool { return g.held.Load() == maxCoalescedInFlight })
	msgs = nil
	for i := 0; i < 12; i++ {
		msgs = append(msgs, fmt.Sprint("waiting-", i))
	}
	msgs[3] = "" // the fake refuses empty messages
	waiting := publishAll(msgs)
	waitFor(t, "12 publishes to wait", func() bool { return waitingCalls(c, single) == 12 })
	g.open()
	collect(t, first, maxCoalescedInFlight)
	outcomes := collect(t, waiting, 12)
	_, alone := topic.Publish(ctx, "")
	var want *Error
	if !errors.As(alone, &want) {
		t.Fatalf("lone publish of an empty message: %v", alone)
	}
	f.mu.Lock()
	published := f.topics["t"].published
	f.mu.Unlock()
	for _, o := range outcomes {
		if o.body == "" {
			var e *Error
			if !errors.As(o.err, &e) || e.Code != want.Code || e.Status != want.Status {
				t.Fatalf("coalesced empty message: %#v, alone: %#v", o.err, want)
			}
			continue
		}
		var n int
		fmt.Sscanf(o.id, "p%d", &n)
		if o.err != nil || n < 1 || n > len(published) || published[n-1].Message != o.body {
			t.Fatalf("publish of %q answered %q, %v", o.body, o.id, o.err)
		}
	}
	if got := fmt.Sprint(g.batchSizes(batch)); got != "[2 10]" {
		t.Fatalf("batches %s, want [2 10]", got)
	}
	keys := map[string]bool{}
	for _, p := range published {
		if len(p.IdempotencyKey) != 32 || keys[p.IdempotencyKey] {
			t.Fatalf("publish key %q (missing or repeated)", p.IdempotencyKey)
		}
		keys[p.IdempotencyKey] = true
	}
}

// A body that is not valid UTF-8 (JSON alters it) never shares a request:
// alone, the MD5 of the answer shows the change, as without coalescing.
func TestCoalescedInvalidUTF8GoesAlone(t *testing.T) {
	_, c, g := coalesceSetup(t)
	ctx := ctxT(t, 10*time.Second)
	q := c.Queue("q")
	first := fillSlots(t, ctx, q, g)
	waiting := sendAll(ctx, q, []string{"fine-1", "bad-\xff", "fine-2", "fine-3"})
	waitFor(t, "4 sends to wait", func() bool { return waitingCalls(c, sendPath) == 4 })
	g.open()
	collect(t, first, maxCoalescedInFlight)
	for _, o := range collect(t, waiting, 4) {
		if bad := strings.HasPrefix(o.body, "bad"); bad != (o.err != nil) || bad && !strings.Contains(o.err.Error(), "MD5") {
			t.Fatalf("%q: %v", o.body, o.err)
		}
	}
	for _, r := range g.requests(batchPath) {
		for _, e := range r.entries {
			if strings.HasPrefix(e.Body, "bad") {
				t.Fatalf("the invalid body went in a batch of %d", len(r.entries))
			}
		}
	}
}
