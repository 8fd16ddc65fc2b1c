package main

// The native benchmark target: the Go client library (package client,
// the REST API) against the leader.

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/wharfmq/wharf/client"
)

// nativeTarget drives a cluster through one client.Client.
type nativeTarget struct {
	c *client.Client
}

// newNativeTarget returns a client of the cluster that starts from addr
// (the leader's API address).
func newNativeTarget(addr string) (*nativeTarget, error) {
	c, err := client.New([]string{addr})
	if err != nil {
		return nil, err
	}
	return &nativeTarget{c: c}, nil
}

// close releases the client's idle connections.
func (t *nativeTarget) close() { t.c.Close() }

// prepare sets up w under the given name and returns its operation.
func (t *nativeTarget) prepare(ctx context.Context, w workload, name string) (*prepared, error) {
	if w.mode == modePublish {
		return t.preparePublish(ctx, w, name)
	}
	if _, err := t.c.CreateQueue(ctx, name, nil); err != nil {
		return nil, fmt.Errorf("create queue %s: %w", name, err)
	}
	q := t.c.Queue(name)
	p := &prepared{cleanup: func() { deleteNativeQueue(q) }}
	switch w.mode {
	case modeSend:
		p.op = func(ctx context.Context, _ int, tl *tally) {
			t0 := time.Now()
			_, err := q.Send(ctx, w.body)
			if tl.request(ctx, 0, t0, err) {
				tl.messages(1)
			}
		}
	case modeSendBatch:
		p.op = func(ctx context.Context, _ int, tl *tally) {
			t0 := time.Now()
			res, err := q.SendBatch(ctx, nativeEntries(w.batch, w.body))
			if tl.request(ctx, 0, t0, err) {
				countSendResults(tl, res)
			}
		}
	case modeRecvDelete:
		p.op = nativeRecvDeleteOp(q)
		p.preload = func(ctx context.Context, n int, done *atomic.Int64) error {
			return nativePreload(ctx, q, n, w.body, 32, done)
		}
	default:
		p.cleanup()
		return nil, fmt.Errorf("unknown mode %q", w.mode)
	}
	return p, nil
}

func deleteNativeQueue(q *client.Queue) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = q.DeleteQueue(ctx)
}

func nativeEntries(n int, body string) []client.SendEntry {
	entries := make([]client.SendEntry, n)
	for i := range entries {
		entries[i].Body = body
	}
	return entries
}

func countSendResults(tl *tally, res []client.SendResult) {
	for _, r := range res {
		if r.Err != nil {
			tl.failed(1)
		} else {
			tl.messages(1)
		}
	}
}

// nativeRecvDeleteOp receives up to 10 messages (waiting up to 1 s) and
// deletes them in one request; the messages count once deleted. A delete
// that fails counts one error and no message.
func nativeRecvDeleteOp(q *client.Queue) benchOp {
	return func(ctx context.Context, _ int, tl *tally) {
		t0 := time.Now()
		msgs, err := q.Receive(ctx, client.MaxMessages(10), client.WaitTime(time.Second))
		if !tl.request(ctx, 0, t0, err) {
			return
		}
		if len(msgs) == 0 {
			tl.emptyReceive()
			return
		}
		handles := make([]string, len(msgs))
		for i, m := range msgs {
			handles[i] = m.ReceiptHandle
		}
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		t1 := time.Now()
		if tl.request(dctx, 1, t1, q.Delete(dctx, handles...)) {
			tl.messages(len(handles))
		}
	}
}

// nativePreload fills q with n messages from senders concurrent SendBatch
// calls of 10.
func nativePreload(ctx context.Context, q *client.Queue, n int, body string, senders int, done *atomic.Int64) error {
	return fill(ctx, n, senders, done, func(_, k int) error {
		res, err := q.SendBatch(ctx, nativeEntries(k, body))
		for _, r := range res {
			if err == nil && r.Err != nil {
				err = r.Err
			}
		}
		return err
	})
}

// preparePublish creates a topic and two queues subscribed to it with raw
// message delivery.
func (t *nativeTarget) preparePublish(ctx context.Context, w workload, name string) (*prepared, error) {
	var queues []*client.Queue
	topic := t.c.Topic(name)
	created := false
	cleanup := func() {
		if created {
			c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_ = topic.Delete(c)
			cancel()
		}
		for _, q := range queues {
			deleteNativeQueue(q)
		}
	}
	if _, err := t.c.CreateTopic(ctx, name, nil); err != nil {
		return nil, fmt.Errorf("create topic %s: %w", name, err)
	}
	created = true
	for k := 1; k <= 2; k++ {
		qname := fmt.Sprintf("%s-sub%d", name, k)
		if _, err := t.c.CreateQueue(ctx, qname, nil); err != nil {
			cleanup()
			return nil, fmt.Errorf("create queue %s: %w", qname, err)
		}
		queues = append(queues, t.c.Queue(qname))
		if _, err := topic.SubscribeQueue(ctx, qname, map[string]string{"RawMessageDelivery": "true"}); err != nil {
			cleanup()
			return nil, fmt.Errorf("subscribe %s to %s: %w", qname, name, err)
		}
	}
	op := func(ctx context.Context, _ int, tl *tally) {
		t0 := time.Now()
		_, err := topic.Publish(ctx, w.body)
		if tl.request(ctx, 0, t0, err) {
			tl.messages(1)
		}
	}
	return &prepared{op: op, cleanup: cleanup}, nil
}
