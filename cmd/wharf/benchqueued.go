package main

// `wharf bench --queued N`: fill one queue of a fresh cluster with N
// messages, read every node's Go heap before and after, then restart a
// follower (SIGKILL, then SIGTERM) and time it to ready.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// restartReadyTimeout bounds the wait for a restarted node to be ready.
const restartReadyTimeout = 5 * time.Minute

// queuedSenders is the number of concurrent SendMessageBatch senders that
// fill the queue.
const queuedSenders = 64

// queuedResult is what the queued phase measured.
type queuedResult struct {
	n     int
	size  int
	fill  time.Duration
	depth string // the queue's ApproximateNumberOfMessages after the fill

	nodes         []string // node IDs, leader first
	roles         []string
	before, after []heapStats
	heapErr       error

	restarted            string // the follower restarted
	killReady, termReady time.Duration
	killErr, termErr     error
}

// runQueued runs the queued phase on a cluster of its own.
func (s *suite) runQueued(ctx context.Context) error {
	q := &queuedResult{n: s.o.queued, size: s.o.size}
	s.queued = q
	c, err := startBenchCluster(ctx, s.bin, filepath.Join(s.dir, "queued"), s.procs, s.stderr)
	if err != nil {
		return err
	}
	defer c.stop()
	for i, n := range c.roleOrder() {
		q.nodes = append(q.nodes, n.id)
		q.roles = append(q.roles, map[bool]string{true: "leader", false: "follower"}[i == 0])
	}
	q.heapErr = q.fillAndWeigh(ctx, s, c)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if q.heapErr != nil {
		fmt.Fprintf(s.stderr, "bench: queued: %v\n", q.heapErr)
	}
	q.restartFollower(ctx, c, s.stderr)
	return ctx.Err()
}

// fillAndWeigh reads the heaps, fills a queue through the leader, waits
// until every node applied it and reads the heaps again.
func (q *queuedResult) fillAndWeigh(ctx context.Context, s *suite, c *benchCluster) error {
	t := newSDKTarget([]string{c.leader.url()}, queuedSenders, s.o.region)
	sq, err := t.createQueue(ctx, "bench-queued")
	if err != nil {
		return err
	}
	if q.before, err = readHeaps(ctx, c); err != nil {
		return err
	}
	fmt.Fprintf(s.stderr, "bench: queued: filling %s with %d messages of %d bytes ...\n", sq.name, q.n, q.size)
	var done atomic.Int64
	stop := make(chan struct{})
	go progressCounter(s.stderr, "queued", &done, q.n, 2*time.Second, stop)
	start := time.Now()
	err = t.preload(ctx, sq, q.n, benchBody(q.size), queuedSenders, &done)
	close(stop)
	q.fill = time.Since(start)
	if err != nil {
		return fmt.Errorf("fill: %w", err)
	}
	if err := waitApplied(ctx, c); err != nil {
		return err
	}
	q.depth = queueDepth(ctx, t, sq)
	q.after, err = readHeaps(ctx, c)
	return err
}

// readHeaps reads every node's heap, leader first.
func readHeaps(ctx context.Context, c *benchCluster) ([]heapStats, error) {
	var out []heapStats
	for _, n := range c.roleOrder() {
		h, err := c.heap(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("heap of %s: %w", n.id, err)
		}
		out = append(out, h)
	}
	return out, nil
}

// waitApplied waits until every node has applied what the leader has
// committed now.
func waitApplied(ctx context.Context, c *benchCluster) error {
	st, err := c.status(ctx, c.leader)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, n := range c.nodes {
		for {
			ns, err := c.status(ctx, n)
			if err == nil && ns.AppliedIndex >= st.CommitIndex {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s did not apply up to index %d", n.id, st.CommitIndex)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// queueDepth is the queue's ApproximateNumberOfMessages, "?" when it
// cannot be read.
func queueDepth(ctx context.Context, t *sdkTarget, q *sdkQueue) string {
	out, err := t.sqs[0].GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.urls[0]),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return "?"
	}
	return out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)]
}

// restartFollower stops a follower with SIGKILL and restarts it, then
// does the same with SIGTERM, timing each from process start to ready.
func (q *queuedResult) restartFollower(ctx context.Context, c *benchCluster, stderr io.Writer) {
	f := c.followers[0]
	q.restarted = f.id
	q.killReady, q.killErr = restartNode(ctx, c, f, syscall.SIGKILL, stderr)
	if q.killErr != nil {
		return
	}
	q.termReady, q.termErr = restartNode(ctx, c, f, syscall.SIGTERM, stderr)
}

// restartNode stops n with sig, starts it again with the same flags and
// data dir and returns the time from its start to /readyz 200 (polled
// every 20 ms).
func restartNode(ctx context.Context, c *benchCluster, n *benchNode, sig syscall.Signal, stderr io.Writer) (time.Duration, error) {
	n.proc.signal(sig)
	if !n.proc.wait(30 * time.Second) {
		n.proc.kill()
	}
	name := map[syscall.Signal]string{syscall.SIGKILL: "SIGKILL", syscall.SIGTERM: "SIGTERM"}[sig]
	fmt.Fprintf(stderr, "bench: queued: %s stopped by %s; restarting it ...\n", n.id, name)
	if err := c.start(n); err != nil {
		return 0, err
	}
	d, err := c.waitNodeReady(ctx, n, time.Now().Add(restartReadyTimeout), 20*time.Millisecond)
	if err == nil {
		fmt.Fprintf(stderr, "bench: queued: %s ready %.2f s after its start\n", n.id, d.Seconds())
	}
	return d, err
}

// perMessage is node i's heap growth per queued message (heap_alloc, or
// heap_inuse when inuse is true).
func (q *queuedResult) perMessage(i int, inuse bool) float64 {
	b, a := q.before[i].HeapAlloc, q.after[i].HeapAlloc
	if inuse {
		b, a = q.before[i].HeapInuse, q.after[i].HeapInuse
	}
	return (float64(a) - float64(b)) / float64(q.n)
}

// worstHeap is the node with the most heap (heap_alloc) per message.
func (q *queuedResult) worstHeap() (node string, perMsg float64, ok bool) {
	if q.heapErr != nil || len(q.after) == 0 {
		return "", 0, false
	}
	perMsg = math.Inf(-1)
	for i := range q.after {
		if v := q.perMessage(i, false); v > perMsg {
			node, perMsg = q.nodes[i], v
		}
	}
	return node, perMsg, true
}

// errText joins the phase's errors for a report line.
func (q *queuedResult) errText() string {
	err := errors.Join(q.heapErr, q.killErr, q.termErr)
	if err == nil {
		return "no error"
	}
	return firstLineOf(err.Error())
}

// printQueued prints the queued phase's figures.
func (s *suite) printQueued() {
	q, out := s.queued, s.stdout
	fmt.Fprintf(out, "\nqueued: %d messages of %d bytes without attributes in one queue (SendMessageBatch from %d senders to the leader)\n",
		q.n, q.size, queuedSenders)
	if q.heapErr != nil {
		fmt.Fprintf(out, "  failed: %v\n", firstLineOf(q.heapErr.Error()))
	} else {
		fmt.Fprintf(out, "  filled in %.1f s (%.0f msg/s); queue depth %s; Go heap after a forced GC, before and after:\n",
			q.fill.Seconds(), float64(q.n)/q.fill.Seconds(), q.depth)
		fmt.Fprintf(out, "  %-5s %-9s %12s %12s %9s %17s %15s\n", "node", "role", "heap before", "heap after", "B/msg", "B/msg - payload", "inuse B/msg")
		for i := range q.nodes {
			v := q.perMessage(i, false)
			fmt.Fprintf(out, "  %-5s %-9s %12s %12s %9.0f %17.0f %15.0f\n", q.nodes[i], q.roles[i],
				mib(q.before[i].HeapAlloc), mib(q.after[i].HeapAlloc), v, v-float64(q.size), q.perMessage(i, true))
		}
	}
	fmt.Fprintf(out, "  restart of follower %s, process start to /readyz 200 (polled every 20 ms):\n", q.restarted)
	fmt.Fprintf(out, "    after SIGKILL  %s\n", readyText(q.killReady, q.killErr))
	fmt.Fprintf(out, "    after SIGTERM  %s\n", readyText(q.termReady, q.termErr))
}

func readyText(d time.Duration, err error) string {
	switch {
	case err != nil:
		return "failed: " + firstLineOf(err.Error())
	case d == 0:
		return "not run"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// printSummary prints the phase's summary line.
func (q *queuedResult) printSummary(out io.Writer) {
	var heap []string
	if q.heapErr == nil && len(q.after) > 0 {
		for i := range q.nodes {
			heap = append(heap, fmt.Sprintf("%s:%.0f", q.nodes[i], q.perMessage(i, false)))
		}
	}
	secs := func(d time.Duration, err error) string {
		if err != nil || d == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", d.Seconds())
	}
	fmt.Fprintf(out, "summary kind=queued messages=%d size=%d fill_s=%.1f heap_b_per_msg=%s ready_after_kill_s=%s ready_after_term_s=%s\n",
		q.n, q.size, q.fill.Seconds(), orDash(strings.Join(heap, ",")), secs(q.killReady, q.killErr), secs(q.termReady, q.termErr))
}
