package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConsume(t *testing.T) {
	f := newFake(t, 1)
	c := newTestClient(t, f.urls())
	ctx := ctxT(t, 20*time.Second)
	c.CreateQueue(ctx, "q", nil)
	q := c.Queue("q")
	const n = 200
	var entries []SendEntry
	for i := 0; i < n; i++ {
		entries = append(entries, SendEntry{Body: fmt.Sprint(i)})
	}
	if _, err := q.SendBatch(ctx, entries); err != nil {
		t.Fatal(err)
	}
	var (
		mu        sync.Mutex
		seen      = map[string]int{}
		running   atomic.Int32
		maxRun    atomic.Int32
		failedOne atomic.Bool
		errs      atomic.Int32
	)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- q.Consume(cctx, func(ctx context.Context, m Message) error {
			r := running.Add(1)
			defer running.Add(-1)
			for {
				old := maxRun.Load()
				if r <= old || maxRun.CompareAndSwap(old, r) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			if m.Body == "7" && failedOne.CompareAndSwap(false, true) {
				return errors.New("first try fails")
			}
			if m.Body == "8" && m.ReceiveCount == 1 {
				panic("boom")
			}
			mu.Lock()
			seen[m.Body]++
			total := len(seen)
			mu.Unlock()
			if total == n {
				cancel()
			}
			return nil
		}, Concurrency(7), RedeliverAfter(0), OnError(func(Message, error) { errs.Add(1) }))
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Consume: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("only %d of %d handled", len(seen), n)
	}
	for i := 0; i < n; i++ {
		if seen[fmt.Sprint(i)] != 1 {
			t.Fatalf("message %d handled %d times", i, seen[fmt.Sprint(i)])
		}
	}
	if m := maxRun.Load(); m > 7 || m < 2 {
		t.Fatalf("max concurrency %d, want 2..7", m)
	}
	if errs.Load() != 2 {
		t.Fatalf("%d errors reported, want 2 (an error, a panic)", errs.Load())
	}
	if left := f.live("q"); len(left) != 0 {
		t.Fatalf("%d messages not deleted", len(left))
	}
}

// A handler slower than the visibility timeout keeps its message.
func TestConsumeExtendsVisibility(t *testing.T) {
	f := newFake(t, 1)
	c := newTestClient(t, f.urls())
	ctx := ctxT(t, 20*time.Second)
	c.CreateQueue(ctx, "q", nil)
	q := c.Queue("q")
	q.Send(ctx, "slow")
	var calls atomic.Int32
	cctx, cancel := context.WithCancel(ctx)
	err := q.Consume(cctx, func(ctx context.Context, m Message) error {
		calls.Add(1)
		// Work past the 2 s visibility until the consumer has extended
		// it twice (polled, with a deadline).
		deadline := time.Now().Add(10 * time.Second)
		for {
			f.mu.Lock()
			hits := f.visHits
			f.mu.Unlock()
			if hits >= 2 || time.Now().After(deadline) {
				break
			}
			<-time.After(50 * time.Millisecond)
		}
		cancel()
		return nil
	}, VisibilityTimeout(2*time.Second), Concurrency(4))
	if !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Fatalf("handled %d times", calls.Load())
	}
	f.mu.Lock()
	vis := f.visHits
	f.mu.Unlock()
	if vis < 2 {
		t.Fatalf("%d extensions, want >= 2", vis)
	}
	if len(f.live("q")) != 0 {
		t.Fatal("not deleted after success (with ctx cancelled)")
	}
}

// Without RedeliverAfter a failed message stays hidden until its timeout.
func TestConsumeErrorLeavesMessage(t *testing.T) {
	f := newFake(t, 1)
	c := newTestClient(t, f.urls())
	ctx := ctxT(t, 10*time.Second)
	c.CreateQueue(ctx, "q", nil)
	q := c.Queue("q")
	q.Send(ctx, "x")
	cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	var calls atomic.Int32
	q.Consume(cctx, func(ctx context.Context, m Message) error {
		calls.Add(1)
		return errors.New("no")
	})
	if calls.Load() != 1 || len(f.live("q")) != 1 {
		t.Fatalf("%d calls, %d left", calls.Load(), len(f.live("q")))
	}
}

func TestConsumeStopsOnMissingQueue(t *testing.T) {
	f := newFake(t, 1)
	c := newTestClient(t, f.urls())
	err := c.Queue("nope").Consume(ctxT(t, 5*time.Second), func(context.Context, Message) error { return nil })
	if !errors.Is(err, ErrQueueDoesNotExist) {
		t.Fatal(err)
	}
}
