package node

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/wharfmq/wharf/fsm"
	"github.com/wharfmq/wharf/node/push"
)

// deliveryWorkers bounds the concurrent push deliveries of a leader.
const deliveryWorkers = 16

// deliveryLoop runs on the leader: it delivers the outbox entries that
// are due, each in its own goroutine, and records every outcome as a
// command. It stops with the leadership; the next leader starts from the
// replicated outbox, so an attempt cut short is simply made again.
func (n *Node) deliveryLoop(stop <-chan struct{}) {
	client := push.NewHTTPClient(n.cfg.AllowPrivateEndpoints)
	defer client.CloseIdleConnections()
	inFlight := make(map[uint64]bool)
	done := make(chan uint64, deliveryWorkers)
	for {
		watch := n.fsm.WatchOutbox()
		due, nextAt := n.fsm.DueDeliveries(nowMillis(), deliveryWorkers+len(inFlight))
		for _, d := range due {
			if inFlight[d.ID] || len(inFlight) >= deliveryWorkers {
				continue
			}
			inFlight[d.ID] = true
			go func(d fsm.Delivery) {
				n.deliver(client, stop, d)
				done <- d.ID
			}(d)
		}
		wait := time.Second
		if nextAt > 0 {
			if until := time.Duration(nextAt-nowMillis()) * time.Millisecond; until < wait {
				wait = max(until, time.Millisecond)
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-stop:
			timer.Stop()
			return
		case id := <-done:
			delete(inFlight, id)
		case <-watch:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// deliver makes one delivery attempt and records its outcome.
func (n *Node) deliver(client *http.Client, stop <-chan struct{}, d fsm.Delivery) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	policy, err := push.EffectiveDeliveryPolicy(d.SubscriptionDeliveryPolicy, d.TopicDeliveryPolicy)
	if err != nil {
		// Validated when set; a policy an older version accepted falls
		// back to AWS's defaults rather than stopping delivery.
		policy = push.DefaultDeliveryPolicy()
	}
	err = n.post(ctx, client, d, policy)
	if ctx.Err() != nil {
		return // leadership lost: the next leader tries again
	}
	outcome := fsm.RecordDelivery{ID: d.ID, Attempt: d.Attempt, Delivered: err == nil}
	if err != nil {
		delay, again := policy.HealthyRetryPolicy.Delay(d.Attempt + 1)
		if again && push.IsRetryable(err) {
			// Jitter of up to 10% spreads retries of many messages.
			delay += time.Duration(rand.Int64N(int64(delay)/10 + 1))
			outcome.RetryAt = nowMillis() + delay.Milliseconds()
			if outcome.RetryAt <= nowMillis() {
				outcome.RetryAt = nowMillis() + 1
			}
		}
		n.log.Info("push delivery failed", "subscription", d.SubscriptionArn, "attempt", d.Attempt+1, "retry", outcome.RetryAt > 0, "err", err)
	}
	n.metrics.countDelivery(d, err == nil)
	actx, acancel := context.WithTimeout(ctx, 10*time.Second)
	defer acancel()
	if _, err := n.apply(actx, outcome); err != nil {
		n.log.Warn("recording a push delivery failed", "subscription", d.SubscriptionArn, "err", err)
	}
}

// post sends one delivery to its endpoint.
func (n *Node) post(ctx context.Context, client *http.Client, d fsm.Delivery, policy push.DeliveryPolicy) error {
	if err := push.CheckEndpoint(d.Endpoint, d.Protocol, n.cfg.AllowPrivateEndpoints); err != nil {
		return err
	}
	// The leader that stamped the notice may be gone (a notice outlives
	// its leader in the outbox): point the unsigned URLs at this node,
	// which serves the same replicated certificate. A --public-url makes
	// both the same anyway.
	if d.Notice.SigningCertURL != "" {
		d.Notice.SigningCertURL = n.publicURL() + SigningCertPath
	}
	if base := d.Notice.BaseURL; base != "" && strings.HasPrefix(d.UnsubscribeURL, base) {
		d.UnsubscribeURL = n.publicURL() + strings.TrimPrefix(d.UnsubscribeURL, base)
	}
	if !d.Raw && d.Notice.Signature == "" && d.Notice.SignatureVersion != "" {
		// Subscribed after the publish looked at the topic: sign now.
		if err := n.sign(ctx, d.TopicArn, &d.Notice); err != nil {
			return err
		}
	}
	e := d.Notice.Envelope(d.TopicArn, d.UnsubscribeURL)
	body := []byte(d.Notice.Message)
	if !d.Raw {
		var err error
		if body, err = e.MarshalJSON(); err != nil {
			return err
		}
	}
	h := push.Headers(e, d.SubscriptionArn, d.Raw, policy.ContentType())
	return push.Post(ctx, client, d.Endpoint, body, h)
}
