package client

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Coalescing: the Send calls that goroutines make at the same time on one
// queue of a client (the Publish calls on one topic) leave together, in
// the route's batch requests.
//
// A call that finds fewer than maxCoalescedInFlight requests of its queue
// in flight goes out at once, alone, through the single-message route,
// exactly as it would without coalescing. Past that, calls wait in line;
// each time a request of the queue ends, the calls waiting (up to 10, and
// the route's byte limits) leave together in the next one. There is no
// timer: an idle queue adds no latency, a busy one fills its batches.
//
// Each entry keeps the idempotency key its call drew, also when a batch
// is retried, so a retried batch enqueues (or fans out) each message once.

// maxCoalescedInFlight bounds the requests that the coalesced calls of one
// queue (or topic) of a client have in flight at once.
const maxCoalescedInFlight = 8

// maxBatchEntries is the most messages a batch request holds.
const maxBatchEntries = 10

// maxSendBatchBytes is what the messages of one send batch may hold in all
// (the server counts bodies and attributes; the client counts their JSON,
// which is longer).
const maxSendBatchBytes = 1 << 20

// maxBatchJSONBytes bounds the JSON of the entries of one coalesced batch,
// well under the size the server accepts for a request body (4 MiB by
// default) whatever the escaping of the messages.
const maxBatchJSONBytes = 1 << 20

// route names the two routes of a coalesced call: the single-message one
// and the batch one.
type route struct {
	single, batch string
	// maxBytes bounds the sum of the entries' sizes in one batch.
	maxBytes int
	// retryWindow is the request's (see request.retryWindow).
	retryWindow time.Duration
}

// call is one coalesced Send or Publish.
type call struct {
	ctx context.Context
	// raw is the entry's JSON object, without "id".
	raw []byte
	// size is what the entry counts toward route.maxBytes.
	size int
	// solo calls never share a request.
	solo bool

	done chan struct{} // closed once res, err and retryAlone are set
	res  wireEntryResult
	err  error
	// retryAlone is set when the batch answered a retryable error for
	// this entry: the caller retries it through the single route.
	retryAlone bool

	// Under coalescer.mu.
	abandoned bool    // the caller stopped waiting
	flight    *flight // the batch request it left in, nil before
}

// flight is a batch request of several calls in progress.
type flight struct {
	ctx     context.Context
	cancel  context.CancelFunc
	waiting int // the calls still waiting for it (under coalescer.mu)
}

// coalescer lines up the coalesced calls of one route of a client.
type coalescer struct {
	c  *Client
	rt route

	mu       sync.Mutex
	inFlight int
	waiting  []*call
	retired  bool // idle and removed from Client.coalescers
}

// coalesce runs one message through rt: alone when rt has a request slot
// free, else in the next batch request of rt.
func (c *Client) coalesce(ctx context.Context, rt route, cl *call) (wireEntryResult, error) {
	if err := ctx.Err(); err != nil {
		return wireEntryResult{}, err
	}
	cl.ctx = ctx
	for {
		co := c.coalescerOf(rt)
		if res, err, ok := co.submit(cl); ok {
			return res, err
		}
	}
}

// coalescerOf returns rt's coalescer, made when rt has none.
func (c *Client) coalescerOf(rt route) *coalescer {
	c.coalMu.Lock()
	defer c.coalMu.Unlock()
	co := c.coalescers[rt.single]
	if co == nil {
		if c.coalescers == nil {
			c.coalescers = map[string]*coalescer{}
		}
		co = &coalescer{c: c, rt: rt}
		c.coalescers[rt.single] = co
	}
	return co
}

// retire forgets co, which has nothing in flight or waiting.
func (c *Client) retire(co *coalescer) {
	c.coalMu.Lock()
	if c.coalescers[co.rt.single] == co {
		delete(c.coalescers, co.rt.single)
	}
	c.coalMu.Unlock()
}

// submit runs cl alone or lines it up. ok is false when co was retired
// meanwhile: the caller must ask for rt's coalescer again.
func (co *coalescer) submit(cl *call) (res wireEntryResult, err error, ok bool) {
	co.mu.Lock()
	if co.retired {
		co.mu.Unlock()
		return wireEntryResult{}, nil, false
	}
	if co.inFlight < maxCoalescedInFlight {
		// A slot is free, so nothing waits: go now, alone.
		co.inFlight++
		co.mu.Unlock()
		res, err = co.one(cl.ctx, cl.raw)
		if next := co.next(); next != nil {
			go co.run(next)
		}
		return res, err, true
	}
	cl.done = make(chan struct{})
	co.waiting = append(co.waiting, cl)
	co.mu.Unlock()
	res, err = co.wait(cl)
	return res, err, true
}

// wait waits for a lined-up call's outcome or for the end of its context.
func (co *coalescer) wait(cl *call) (wireEntryResult, error) {
	select {
	case <-cl.done:
	case <-cl.ctx.Done():
		if co.abandon(cl) {
			return wireEntryResult{}, cl.ctx.Err()
		}
		<-cl.done
	}
	if cl.retryAlone {
		return co.one(cl.ctx, cl.raw)
	}
	return cl.res, cl.err
}

// abandon records that cl's caller stopped waiting: a call still in line
// will not be sent, and a batch whose callers all left is cancelled. It
// reports false when cl's outcome is already there.
func (co *coalescer) abandon(cl *call) bool {
	co.mu.Lock()
	defer co.mu.Unlock()
	select {
	case <-cl.done:
		return false
	default:
	}
	cl.abandoned = true
	if f := cl.flight; f != nil {
		if f.waiting--; f.waiting == 0 {
			f.cancel()
		}
	}
	return true
}

// next takes the next batch of waiting calls for the slot of a request
// that ended, or frees the slot when none waits.
func (co *coalescer) next() []*call {
	co.mu.Lock()
	calls := co.take()
	retire := false
	if len(calls) == 0 {
		co.inFlight--
		retire = co.inFlight == 0
		co.retired = retire
	}
	co.mu.Unlock()
	if retire {
		co.c.retire(co)
	}
	return calls
}

// run sends batches in one request slot until no call waits.
func (co *coalescer) run(calls []*call) {
	for len(calls) > 0 {
		co.send(calls)
		calls = co.next()
	}
}

// take removes from the line the calls of the next request (under co.mu):
// the oldest ones, up to 10 and the route's byte limits; the first one
// even when it alone is over them (it goes through the single route).
func (co *coalescer) take() []*call {
	var calls []*call
	size, js := 0, 0
	i := 0
	for ; i < len(co.waiting) && len(calls) < maxBatchEntries; i++ {
		cl := co.waiting[i]
		if cl.abandoned {
			continue
		}
		if len(calls) > 0 && (cl.solo || size+cl.size > co.rt.maxBytes || js+len(cl.raw) > maxBatchJSONBytes) {
			break
		}
		calls = append(calls, cl)
		size += cl.size
		js += len(cl.raw)
		if cl.solo {
			i++
			break
		}
	}
	n := copy(co.waiting, co.waiting[i:])
	clear(co.waiting[n:])
	co.waiting = co.waiting[:n]
	if len(calls) > 1 {
		co.startFlight(calls)
	}
	return calls
}

// startFlight makes the context of a batch request (under co.mu): no
// caller's cancellation ends it, only all of theirs; its deadline is the
// latest of the callers' (none when one has none: the retry budget
// applies).
func (co *coalescer) startFlight(calls []*call) {
	var latest time.Time
	for _, cl := range calls {
		d, ok := cl.ctx.Deadline()
		if !ok {
			latest = time.Time{}
			break
		}
		if d.After(latest) {
			latest = d
		}
	}
	f := &flight{waiting: len(calls)}
	if latest.IsZero() {
		f.ctx, f.cancel = context.WithCancel(context.Background())
	} else {
		f.ctx, f.cancel = context.WithDeadline(context.Background(), latest)
	}
	for _, cl := range calls {
		cl.flight = f
	}
}

// send makes the request of calls taken from the line and hands each
// call its outcome.
func (co *coalescer) send(calls []*call) {
	if len(calls) == 1 {
		cl := calls[0]
		cl.res, cl.err = co.one(cl.ctx, cl.raw)
		close(cl.done)
		return
	}
	f := calls[0].flight
	results, err := co.many(f.ctx, calls)
	f.cancel()
	for i, cl := range calls {
		switch r := findResult(results, i); {
		case err != nil:
			cl.err = err
		case r == nil:
			cl.err = fmt.Errorf("wharf: no result for batch entry %q", strconv.Itoa(i))
		case r.Error != nil:
			if e := entryError(r.Error); e.Retryable {
				cl.retryAlone = true
			} else {
				cl.err = e
			}
		default:
			cl.res = *r
		}
		close(cl.done)
	}
}

// findResult returns the result of the batch entry at index i (its ID),
// nil when the answer has none.
func findResult(results []wireEntryResult, i int) *wireEntryResult {
	id := strconv.Itoa(i)
	if i < len(results) && results[i].ID == id {
		return &results[i]
	}
	for j := range results {
		if results[j].ID == id {
			return &results[j]
		}
	}
	return nil
}

// one sends a message through the single route, as an uncoalesced call
// would.
func (co *coalescer) one(ctx context.Context, raw []byte) (wireEntryResult, error) {
	var out wireEntryResult
	_, err := co.c.do(ctx, co.request(co.rt.single, raw, &out))
	return out, err
}

// many sends calls in one batch request; the entries' IDs are their
// indexes.
func (co *coalescer) many(ctx context.Context, calls []*call) ([]wireEntryResult, error) {
	n := len(`{"messages":[]}`)
	for _, cl := range calls {
		n += len(cl.raw) + len(`{"id":"10",},`)
	}
	body := append(make([]byte, 0, n), `{"messages":[`...)
	for i, cl := range calls {
		if i > 0 {
			body = append(body, ',')
		}
		body = appendWithID(body, cl.raw, strconv.Itoa(i))
	}
	body = append(body, "]}"...)
	var out wireEntryResults
	if _, err := co.c.do(ctx, co.request(co.rt.batch, body, &out)); err != nil {
		return nil, err
	}
	return out.Results, nil
}

// request is the request of a coalesced call to path.
func (co *coalescer) request(path string, body []byte, out any) request {
	return request{method: http.MethodPost, path: path, body: body, out: out,
		idempotent: true, retryWindow: co.rt.retryWindow}
}

// appendWithID appends the JSON object obj with an "id" member first. The
// id needs no escaping.
func appendWithID(dst, obj []byte, id string) []byte {
	dst = append(dst, `{"id":"`...)
	dst = append(dst, id...)
	dst = append(dst, '"')
	if len(obj) > 2 { // not "{}"
		dst = append(dst, ',')
	}
	return append(dst, obj[1:]...)
}
