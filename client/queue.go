package client

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"
)

// QueueInfo describes a queue. Attributes and Tags are filled by
// Queue.Attributes and Queue.SetAttributes only.
type QueueInfo struct {
	Name string `json:"name"`
	// URL is the queue's SQS URL, for AWS SDKs.
	URL string `json:"url"`
	ARN string `json:"arn"`
	// Attributes are the SQS attributes (VisibilityTimeout,
	// ApproximateNumberOfMessages...), values as SQS writes them.
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

func (w wireQueue) info() *QueueInfo {
	return &QueueInfo{Name: w.Name, URL: w.URL, ARN: w.ARN, Attributes: w.Attributes, Tags: w.Tags}
}

// CreateQueue creates a queue with SQS attributes (nil for the defaults;
// a name ending in ".fifo" needs FifoQueue "true"). Creating a queue that
// exists with the same attributes succeeds; with other attributes it fails
// with ErrQueueNameExists.
func (c *Client) CreateQueue(ctx context.Context, name string, attrs map[string]string) (*QueueInfo, error) {
	var out wireQueue
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/queues",
		in: wireCreateQueue{Name: name, Attributes: attrs}, out: &out, idempotent: true})
	if err != nil {
		return nil, err
	}
	return out.info(), nil
}

// ListQueues lists the queues whose name starts with prefix ("" for all).
func (c *Client) ListQueues(ctx context.Context, prefix string) ([]QueueInfo, error) {
	var out struct {
		Queues []wireQueue `json:"queues"`
	}
	p := "/v1/queues"
	if prefix != "" {
		p += "?prefix=" + url.QueryEscape(prefix)
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: p, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	qs := make([]QueueInfo, 0, len(out.Queues))
	for _, w := range out.Queues {
		qs = append(qs, *w.info())
	}
	return qs, nil
}

// Queue is a handle on a queue: cheap, made without a call, safe for
// concurrent use. Calls on a queue that does not exist fail with
// ErrQueueDoesNotExist.
type Queue struct {
	c    *Client
	name string
	path string
}

// Queue returns a handle on the named queue.
func (c *Client) Queue(name string) *Queue {
	return &Queue{c: c, name: name, path: "/v1/queues/" + url.PathEscape(name)}
}

// Name is the queue's name.
func (q *Queue) Name() string { return q.name }

// Attributes returns the queue's description with all its attributes
// (the approximate counters included) and tags.
func (q *Queue) Attributes(ctx context.Context) (*QueueInfo, error) {
	var out wireQueue
	if _, err := q.c.do(ctx, request{method: http.MethodGet, path: q.path, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	return out.info(), nil
}

// SetAttributes changes some of the queue's attributes and returns the
// queue's description after the change.
func (q *Queue) SetAttributes(ctx context.Context, attrs map[string]string) (*QueueInfo, error) {
	var out wireQueue
	if _, err := q.c.do(ctx, request{method: http.MethodPatch, path: q.path,
		in: wireSetAttributes{Attributes: attrs}, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	return out.info(), nil
}

// DeleteQueue deletes the queue and its messages.
func (q *Queue) DeleteQueue(ctx context.Context) error {
	_, err := q.c.do(ctx, request{method: http.MethodDelete, path: q.path, idempotent: true,
		okOnRetry: ErrQueueDoesNotExist.Code})
	return err
}

// Purge deletes every message of the queue.
func (q *Queue) Purge(ctx context.Context) error {
	_, err := q.c.do(ctx, request{method: http.MethodPost, path: q.path + "/purge", idempotent: true,
		okOnRetry: ErrPurgeQueueInProgress.Code})
	return err
}

// ---------------------------------------------------------------------------
// Messages

// Attribute is a message attribute. DataType is "String", "Number" or
// "Binary", optionally with a custom suffix ("Number.float").
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// StringAttr is a String attribute.
func StringAttr(v string) Attribute { return Attribute{DataType: "String", StringValue: v} }

// NumberAttr is a Number attribute.
func NumberAttr(v int64) Attribute {
	return Attribute{DataType: "Number", StringValue: strconv.FormatInt(v, 10)}
}

// BinaryAttr is a Binary attribute.
func BinaryAttr(b []byte) Attribute { return Attribute{DataType: "Binary", BinaryValue: b} }

func toWireAttrs(m map[string]Attribute) map[string]wireAttribute {
	if len(m) == 0 {
		return nil
	}
	w := make(map[string]wireAttribute, len(m))
	for k, a := range m {
		wa := wireAttribute{DataType: a.DataType, BinaryValue: a.BinaryValue}
		if a.BinaryValue == nil {
			s := a.StringValue
			wa.StringValue = &s
		}
		w[k] = wa
	}
	return w
}

func fromWireAttrs(w map[string]wireAttribute) map[string]Attribute {
	if len(w) == 0 {
		return nil
	}
	m := make(map[string]Attribute, len(w))
	for k, a := range w {
		v := Attribute{DataType: a.DataType, BinaryValue: a.BinaryValue}
		if a.StringValue != nil {
			v.StringValue = *a.StringValue
		}
		m[k] = v
	}
	return m
}

// Message is a received message.
type Message struct {
	ID string
	// ReceiptHandle identifies this receipt of the message: pass it to
	// Delete and ChangeVisibility.
	ReceiptHandle string
	Body          string
	MD5OfBody     string
	Attributes    map[string]Attribute
	// ReceiveCount counts the receipts of the message, this one included.
	ReceiveCount    int
	SentAt          time.Time
	FirstReceivedAt time.Time
}

// SendOption tunes one Send.
type SendOption func(*SendEntry)

// WithDelay delays the message's first delivery (0 to 15 minutes, whole
// seconds; default: the queue's DelaySeconds).
func WithDelay(d time.Duration) SendOption { return func(e *SendEntry) { e.Delay = &d } }

// WithAttribute adds a message attribute.
func WithAttribute(name string, a Attribute) SendOption {
	return func(e *SendEntry) {
		if e.Attributes == nil {
			e.Attributes = map[string]Attribute{}
		}
		e.Attributes[name] = a
	}
}

// WithIdempotencyKey sets the send's idempotency key instead of a random
// one. A producer that stores its own keys (with the work that produced
// the message) can then resend after its own crash, within 5 minutes,
// without a duplicate.
func WithIdempotencyKey(key string) SendOption {
	return func(e *SendEntry) { e.IdempotencyKey = key }
}

// SendEntry is one message of a SendBatch.
type SendEntry struct {
	// ID names the entry in its result; "" means its position.
	ID   string
	Body string
	// Delay, when set, overrides the queue's DelaySeconds.
	Delay      *time.Duration
	Attributes map[string]Attribute
	// IdempotencyKey, when "", is a random key drawn by the client.
	IdempotencyKey string
}

func (e *SendEntry) wire() wireSend {
	w := wireSend{ID: e.ID, Body: e.Body, Attributes: toWireAttrs(e.Attributes), IdempotencyKey: e.IdempotencyKey}
	if e.Delay != nil {
		s := int(*e.Delay / time.Second)
		w.DelaySeconds = &s
	}
	if w.IdempotencyKey == "" {
		w.IdempotencyKey = newKey()
	}
	return w
}

// SendResult is the outcome of one SendEntry: MessageID, or Err.
type SendResult struct {
	ID        string
	MessageID string
	Err       error
}

// sendRetryWindow bounds the retries of a send: the cluster remembers an
// idempotency key for 5 minutes, so a retry later than that could enqueue
// a second copy.
const sendRetryWindow = 4 * time.Minute

// Send enqueues one message and returns its ID. The send carries an
// idempotency key that the client reuses on every retry, so the message is
// enqueued exactly once even when an answer is lost and the call retried
// (on another node, after a leader change...). Retries of one send stop
// after 4 minutes whatever the context allows, inside the cluster's
// 5-minute memory of keys.
//
// Concurrent sends to one queue through one Client are coalesced: a send
// goes out at once, alone, while fewer than 8 requests of the client to
// the queue are in flight; past that it waits for one of them to end and
// leaves with the other sends waiting, up to 10 (and 1 MiB) per batch
// request, each with its own key. Its result and error are its own, as if
// it had been sent alone: an invalid message fails alone, with the error
// a lone send would get; an error of the whole request (the queue does
// not exist, every retry failed) reaches every send in it. A send in a
// batch is checked against the MD5 of its body when the answer carries
// one (the batch route's answers do not; a body that is not valid UTF-8,
// which the server would alter, always goes alone and is checked).
//
// When ctx ends while the send waits for its turn, Send returns ctx.Err()
// and the message is not sent. When ctx ends after the message left, Send
// returns too, but the request goes on for the other sends in it (it is
// cancelled only when all of them stopped waiting): as for any call cut
// by its context, whether the message was enqueued is then unknown.
func (q *Queue) Send(ctx context.Context, body string, opts ...SendOption) (string, error) {
	e := SendEntry{Body: body}
	for _, o := range opts {
		o(&e)
	}
	raw, err := json.Marshal(e.wire())
	if err != nil {
		return "", fmt.Errorf("wharf: encoding request: %w", err)
	}
	cl := &call{raw: raw, size: len(raw), solo: !utf8.ValidString(body)}
	out, err := q.c.coalesce(ctx, q.sendRoute(), cl)
	if err != nil {
		return "", err
	}
	if err := checkMD5(body, out.MD5OfBody); err != nil {
		return out.MessageID, err
	}
	return out.MessageID, nil
}

// sendRoute is the route of Send's coalesced calls.
func (q *Queue) sendRoute() route {
	return route{single: q.path + "/messages", batch: q.path + "/messages/batch",
		maxBytes: maxSendBatchBytes, retryWindow: sendRetryWindow}
}

func checkMD5(body, got string) error {
	if got == "" {
		return nil
	}
	sum := md5.Sum([]byte(body))
	if want := hex.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("wharf: MD5 of the body is %s, the server answered %s", want, got)
	}
	return nil
}

// SendBatch enqueues several messages, exactly once each (see Send), in
// requests of at most 10. The results follow the entries' order; an entry
// that failed has Err set. The error is non-nil only when a request failed
// as a whole, and then results covers the requests sent before it.
func (q *Queue) SendBatch(ctx context.Context, entries []SendEntry) ([]SendResult, error) {
	results := make([]SendResult, 0, len(entries))
	for start := 0; start < len(entries); start += 10 {
		chunk := entries[start:min(start+10, len(entries))]
		in := wireBatch{Messages: make([]wireSend, len(chunk))}
		for i := range chunk {
			in.Messages[i] = chunk[i].wire()
			if in.Messages[i].ID == "" {
				in.Messages[i].ID = strconv.Itoa(start + i)
			}
		}
		var out wireBatchResults
		if _, err := q.c.do(ctx, request{method: http.MethodPost, path: q.path + "/messages/batch",
			in: in, out: &out, idempotent: true, retryWindow: sendRetryWindow}); err != nil {
			return results, err
		}
		byID := make(map[string]wireSendResult, len(out.Results))
		for _, r := range out.Results {
			byID[r.ID] = r
		}
		for i, w := range in.Messages {
			r, ok := byID[w.ID]
			res := SendResult{ID: w.ID, MessageID: r.MessageID}
			switch {
			case !ok:
				res.Err = fmt.Errorf("wharf: no result for batch entry %q", w.ID)
			case r.Error != nil:
				res.Err = entryError(r.Error)
			default:
				res.Err = checkMD5(chunk[i].Body, r.MD5OfBody)
			}
			results = append(results, res)
		}
	}
	return results, nil
}

// ReceiveOption tunes Receive (and Consume).
type ReceiveOption interface {
	applyReceive(*receiveConfig)
	ConsumeOption
}

type receiveConfig struct {
	max        int
	wait       *time.Duration
	visibility *time.Duration
}

type maxMessages int

func (m maxMessages) applyReceive(c *receiveConfig) { c.max = int(m) }
func (m maxMessages) applyConsume(c *consumeConfig) { c.recv.max = int(m) }

// MaxMessages asks for up to n messages, 1 to 10 (default 1; Consume
// default 10).
func MaxMessages(n int) ReceiveOption { return maxMessages(n) }

type waitTime time.Duration

func (w waitTime) applyReceive(c *receiveConfig) { d := time.Duration(w); c.wait = &d }
func (w waitTime) applyConsume(c *consumeConfig) { w.applyReceive(&c.recv) }

// WaitTime long-polls: Receive waits up to d (at most 20 s) for a message
// to arrive. Default: the queue's ReceiveMessageWaitTimeSeconds (Consume:
// 20 s).
func WaitTime(d time.Duration) ReceiveOption { return waitTime(d) }

type visibilityTimeout time.Duration

func (v visibilityTimeout) applyReceive(c *receiveConfig) { d := time.Duration(v); c.visibility = &d }
func (v visibilityTimeout) applyConsume(c *consumeConfig) { v.applyReceive(&c.recv) }

// VisibilityTimeout hides the received messages from other receivers for
// d (whole seconds, up to 12 hours). Default: the queue's
// VisibilityTimeout (Consume: 30 s, extended while the handler runs).
func VisibilityTimeout(d time.Duration) ReceiveOption { return visibilityTimeout(d) }

func secondsPtr(d *time.Duration) *int {
	if d == nil {
		return nil
	}
	s := int(*d / time.Second)
	return &s
}

// Receive takes up to MaxMessages visible messages, which stay invisible
// to other receivers for the visibility timeout: delete each one once
// processed, or it is delivered again. It returns no messages and no error
// when none arrived within the wait time. A receive retried after a lost
// answer may leave the messages of the lost answer invisible until their
// visibility timeout ends (as with any SQS client): they are delivered
// then.
func (q *Queue) Receive(ctx context.Context, opts ...ReceiveOption) ([]Message, error) {
	var rc receiveConfig
	for _, o := range opts {
		o.applyReceive(&rc)
	}
	return q.receive(ctx, rc)
}

func (q *Queue) receive(ctx context.Context, rc receiveConfig) ([]Message, error) {
	in := wireReceive{Max: rc.max, WaitSeconds: secondsPtr(rc.wait), VisibilityTimeout: secondsPtr(rc.visibility)}
	wait := 20 * time.Second
	if rc.wait != nil {
		wait = *rc.wait
	}
	var out wireMessages
	if _, err := q.c.do(ctx, request{method: http.MethodPost, path: q.path + "/messages/receive",
		in: in, out: &out, idempotent: true, wait: wait}); err != nil {
		return nil, err
	}
	msgs := make([]Message, 0, len(out.Messages))
	for _, w := range out.Messages {
		msgs = append(msgs, Message{
			ID: w.MessageID, ReceiptHandle: w.ReceiptHandle, Body: w.Body, MD5OfBody: w.MD5OfBody,
			Attributes: fromWireAttrs(w.Attributes), ReceiveCount: w.ReceiveCount,
			SentAt: time.Time(w.SentTimestamp), FirstReceivedAt: time.Time(w.FirstReceiveTimestamp),
		})
	}
	return msgs, nil
}

// Delete deletes received messages by receipt handle, in requests of at
// most 10. When some fail, the error joins one error per failed handle
// (errors.Is finds their codes, e.g. ErrReceiptHandleIsInvalid).
func (q *Queue) Delete(ctx context.Context, receiptHandles ...string) error {
	var errs []error
	for start := 0; start < len(receiptHandles); start += 10 {
		chunk := receiptHandles[start:min(start+10, len(receiptHandles))]
		var out wireDeleteResults
		if _, err := q.c.do(ctx, request{method: http.MethodPost, path: q.path + "/messages/delete",
			in: wireDelete{ReceiptHandles: chunk}, out: &out, idempotent: true}); err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, r := range out.Results {
			if r.Error != nil {
				errs = append(errs, &handleError{handle: r.ReceiptHandle, err: entryError(r.Error)})
			}
		}
	}
	return errors.Join(errs...)
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "..."
	}
	return h
}

// ChangeVisibility makes a received message visible again after d (0:
// now), counted from this call.
func (q *Queue) ChangeVisibility(ctx context.Context, receiptHandle string, d time.Duration) error {
	_, err := q.c.do(ctx, request{method: http.MethodPost, path: q.path + "/messages/visibility",
		in: wireVisibility{ReceiptHandle: receiptHandle, VisibilityTimeout: int(d / time.Second)}, idempotent: true})
	return err
}
