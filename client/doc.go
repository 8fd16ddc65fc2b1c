// Package client is the Go client of a Wharf cluster, speaking its native
// REST API (docs/rest-api.md).
//
// Create one Client per process from the address of one or more nodes; it
// learns the members and the leader from the cluster status, sends every
// queue call straight to the leader, moves to another node when one fails
// and retries retryable failures (5xx, connection errors) with exponential
// backoff and jitter while the call's context (or the retry budget, 30 s by
// default) allows (topic calls too):
//
//	c, err := client.New([]string{"http://10.0.0.1:9324", "http://10.0.0.2:9324"})
//	if err != nil { ... }
//	defer c.Close()
//
// Queues:
//
//	_, err = c.CreateQueue(ctx, "jobs", map[string]string{"VisibilityTimeout": "60"})
//	q := c.Queue("jobs")
//	id, err := q.Send(ctx, "hello", client.WithDelay(5*time.Second))
//
// Every send carries a random 128-bit idempotency key, the same on every
// retry of the call, and the cluster remembers keys for 5 minutes: a send
// whose answer was lost (the leader died after committing it) and that the
// client retried on the new leader is enqueued once, not twice. Sends are
// exactly-once even on standard queues.
//
// Goroutines may share a Queue and call Send at will: the client
// coalesces concurrent sends to a queue. A send goes out at once, alone,
// while fewer than 8 requests of the client to that queue are in flight;
// past that it waits for one to end and leaves with the sends waiting
// with it, up to 10 per batch request, each keeping its own key, result
// and error. An idle queue adds no latency; a busy one makes full batches
// (Topic.Publish does the same). SendBatch sends its entries as given.
//
// Receiving by hand:
//
//	msgs, err := q.Receive(ctx, client.MaxMessages(10), client.WaitTime(20*time.Second))
//	for _, m := range msgs {
//		process(m.Body)
//		_ = q.Delete(ctx, m.ReceiptHandle)
//	}
//
// Or let Consume run a handler on each message with bounded concurrency,
// extend the visibility while it runs, delete the message when the handler
// returns nil and leave it for redelivery when it fails:
//
//	err = q.Consume(ctx, func(ctx context.Context, m client.Message) error {
//		return process(ctx, m.Body)
//	}, client.Concurrency(16))
//
// SNS topics fan messages out to SQS queues (in the same replicated
// command as the publish) and to HTTP/S endpoints (pushed by the cluster):
//
//	_, err = c.CreateTopic(ctx, "orders", nil)
//	t := c.Topic("orders")
//	sub, err := t.SubscribeQueue(ctx, "jobs", map[string]string{
//		"RawMessageDelivery": "true",
//		"FilterPolicy":       `{"kind": ["new"]}`,
//	})
//	id, err := t.Publish(ctx, "order 42", client.WithPublishAttribute("kind", client.StringAttr("new")))
//	err = t.Unsubscribe(ctx, sub.ID)
//
// An HTTP/S subscription (t.Subscribe(ctx, "https", url, nil)) stays
// pending until its endpoint confirms it, with the token of the
// SubscriptionConfirmation it receives (t.ConfirmSubscription) or by
// visiting its SubscribeURL. Like sends, publishes carry an idempotency
// key, so a publish retried after a lost answer fans out once.
//
// Errors answered by the cluster are *Error values with the SQS code (the
// SNS code for topic calls); errors.Is matches the sentinels:
//
//	if errors.Is(err, client.ErrQueueDoesNotExist) { ... }
//	if errors.Is(err, client.ErrNotFound) { ... } // no such topic or subscription
//
// The cluster: Status, Members, TransferLeader and RemoveMember.
package client
