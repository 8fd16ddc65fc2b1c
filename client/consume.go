package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ConsumeOption tunes Consume. MaxMessages, WaitTime and VisibilityTimeout
// are ConsumeOptions too.
type ConsumeOption interface {
	applyConsume(*consumeConfig)
}

type consumeConfig struct {
	recv           receiveConfig
	concurrency    int
	onError        func(Message, error)
	redeliverAfter *time.Duration
}

type consumeFunc func(*consumeConfig)

func (f consumeFunc) applyConsume(c *consumeConfig) { f(c) }

// Concurrency bounds the handlers running at once (default 10).
func Concurrency(n int) ConsumeOption {
	return consumeFunc(func(c *consumeConfig) { c.concurrency = n })
}

// OnError is called when a handler fails (then the Message is set), and
// when receiving, extending or deleting fails on the way (a receive error
// has a zero Message). It must be safe for concurrent use. Default: errors
// are dropped.
func OnError(f func(Message, error)) ConsumeOption {
	return consumeFunc(func(c *consumeConfig) { c.onError = f })
}

// RedeliverAfter makes a message whose handler failed visible again after
// d (0: at once). By default a failed message stays invisible for the rest
// of its visibility timeout, like a message whose consumer crashed, so a
// failing message is not retried in a tight loop; the queue's RedrivePolicy
// moves it to a dead-letter queue after maxReceiveCount receives.
func RedeliverAfter(d time.Duration) ConsumeOption {
	return consumeFunc(func(c *consumeConfig) { c.redeliverAfter = &d })
}

// Consume receives messages and runs handler on each until ctx is done or
// a non-retryable error (the queue was deleted...) stops it; it returns
// that error, or ctx.Err(). At most Concurrency handlers run at once.
//
// While a handler runs, Consume extends the message's visibility (every
// half visibility timeout, by VisibilityTimeout, 30 s by default), so a
// slow handler keeps its message. When the handler returns nil the message
// is deleted. When it returns an error (or panics) the message is left for
// redelivery: it becomes visible again when its visibility timeout ends
// (see RedeliverAfter). A handler's context is cancelled when ctx is, and
// when the message's receipt is lost (its extension was refused, so
// another consumer may have it). Delivery is at least once: a handler
// must tolerate seeing a message again.
//
// When ctx is done, Consume stops receiving and waits for the running
// handlers to return; the successful ones still get their delete.
func (q *Queue) Consume(ctx context.Context, handler func(context.Context, Message) error, opts ...ConsumeOption) error {
	vis, wait := 30*time.Second, 20*time.Second
	cfg := consumeConfig{concurrency: 10, recv: receiveConfig{max: 10, wait: &wait, visibility: &vis}}
	for _, o := range opts {
		o.applyConsume(&cfg)
	}
	if cfg.concurrency < 1 {
		cfg.concurrency = 1
	}
	if cfg.recv.max < 1 || cfg.recv.max > 10 {
		cfg.recv.max = 10
	}
	if cfg.recv.visibility == nil || *cfg.recv.visibility < 2*time.Second {
		v := 2 * time.Second
		if cfg.recv.visibility != nil && *cfg.recv.visibility > v {
			v = *cfg.recv.visibility
		}
		cfg.recv.visibility = &v
	}
	report := func(m Message, err error) {
		if cfg.onError != nil {
			cfg.onError(m, err)
		}
	}

	pctx, stop := context.WithCancel(ctx)
	defer stop()
	slots := make(chan struct{}, cfg.concurrency)
	var (
		handlers sync.WaitGroup
		pollers  sync.WaitGroup
		fatalMu  sync.Mutex
		fatal    error
	)
	poll := func() {
		defer pollers.Done()
		failures := 0
		for {
			select {
			case slots <- struct{}{}:
			case <-pctx.Done():
				return
			}
			n := 1
		more:
			for n < cfg.recv.max {
				select {
				case slots <- struct{}{}:
					n++
				default:
					break more
				}
			}
			rc := cfg.recv
			rc.max = n
			msgs, err := q.receive(pctx, rc)
			for i := len(msgs); i < n; i++ {
				<-slots
			}
			if err != nil {
				if pctx.Err() != nil {
					return
				}
				if !IsRetryable(err) {
					fatalMu.Lock()
					if fatal == nil {
						fatal = err
					}
					fatalMu.Unlock()
					stop()
					return
				}
				report(Message{}, err)
				failures++
				if !sleepCtx(pctx, min(time.Duration(failures)*500*time.Millisecond, 5*time.Second)) {
					return
				}
				continue
			}
			failures = 0
			for _, m := range msgs {
				handlers.Add(1)
				go func() {
					defer handlers.Done()
					defer func() { <-slots }()
					q.handle(ctx, m, handler, &cfg, report)
				}()
			}
		}
	}
	np := (cfg.concurrency + cfg.recv.max - 1) / cfg.recv.max
	pollers.Add(np)
	for range np {
		go poll()
	}
	pollers.Wait()
	handlers.Wait()
	if fatal != nil {
		return fatal
	}
	return ctx.Err()
}

// handle runs the handler on one message with its visibility extended,
// then deletes the message or leaves it for redelivery.
func (q *Queue) handle(ctx context.Context, m Message, handler func(context.Context, Message) error, cfg *consumeConfig, report func(Message, error)) {
	vis := *cfg.recv.visibility
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	var beat sync.WaitGroup
	beat.Add(1)
	go func() {
		defer beat.Done()
		t := time.NewTicker(vis / 2)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ectx, ecancel := context.WithTimeout(context.WithoutCancel(ctx), vis/2)
			err := q.ChangeVisibility(ectx, m.ReceiptHandle, vis)
			ecancel()
			if err != nil {
				report(m, fmt.Errorf("wharf: extending the visibility of message %s: %w", m.ID, err))
				if !IsRetryable(err) && !errors.Is(err, context.DeadlineExceeded) {
					cancel() // the receipt is lost: another consumer may have the message
					return
				}
			}
		}
	}()
	err := safeRun(hctx, m, handler)
	close(done)
	beat.Wait()

	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer fcancel()
	if err == nil {
		if derr := q.Delete(fctx, m.ReceiptHandle); derr != nil {
			report(m, fmt.Errorf("wharf: deleting message %s: %w", m.ID, derr))
		}
		return
	}
	report(m, err)
	if cfg.redeliverAfter != nil {
		if verr := q.ChangeVisibility(fctx, m.ReceiptHandle, *cfg.redeliverAfter); verr != nil {
			report(m, fmt.Errorf("wharf: releasing message %s: %w", m.ID, verr))
		}
	}
}

func safeRun(ctx context.Context, m Message, handler func(context.Context, Message) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("wharf: handler panicked on message %s: %v", m.ID, r)
		}
	}()
	return handler(ctx, m)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
