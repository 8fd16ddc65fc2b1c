package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/wharfmq/wharf/client"
)

// These examples need a running cluster (`make run`); they compile but do
// not run under go test.

func Example() {
	ctx := context.Background()
	c, err := client.New([]string{"http://127.0.0.1:9324", "http://127.0.0.1:9325", "http://127.0.0.1:9326"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, err := c.CreateQueue(ctx, "jobs", nil); err != nil {
		log.Fatal(err)
	}
	q := c.Queue("jobs")
	id, err := q.Send(ctx, "hello")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent", id)

	msgs, err := q.Receive(ctx, client.MaxMessages(10), client.WaitTime(5*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range msgs {
		fmt.Println("got", m.Body)
		if err := q.Delete(ctx, m.ReceiptHandle); err != nil {
			log.Fatal(err)
		}
	}
}

func ExampleQueue_Consume() {
	c, err := client.New([]string{"127.0.0.1:9324"})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = c.Queue("jobs").Consume(ctx, func(ctx context.Context, m client.Message) error {
		fmt.Println("processing", m.Body)
		return nil // nil deletes the message; an error leaves it for redelivery
	}, client.Concurrency(8), client.VisibilityTimeout(30*time.Second),
		client.OnError(func(m client.Message, err error) { log.Printf("message %s: %v", m.ID, err) }))
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Fatal(err)
	}
}

func ExampleQueue_SendBatch() {
	ctx := context.Background()
	c, err := client.New([]string{"127.0.0.1:9324"})
	if err != nil {
		log.Fatal(err)
	}
	var entries []client.SendEntry
	for i := range 25 { // sent as requests of 10, 10 and 5
		entries = append(entries, client.SendEntry{Body: fmt.Sprintf("job %d", i)})
	}
	results, err := c.Queue("jobs").SendBatch(ctx, entries)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			log.Printf("entry %s: %v", r.ID, r.Err)
		}
	}
}

func ExampleError() {
	ctx := context.Background()
	c, _ := client.New([]string{"127.0.0.1:9324"})
	_, err := c.Queue("missing").Send(ctx, "x")
	switch {
	case errors.Is(err, client.ErrQueueDoesNotExist):
		fmt.Println("create the queue first")
	case client.IsRetryable(err):
		fmt.Println("the cluster is unavailable; retries ran out")
	case err != nil:
		var e *client.Error
		if errors.As(err, &e) {
			fmt.Println(e.Code, e.Status, e.Message)
		}
	}
}

func ExampleClient_Status() {
	c, _ := client.New([]string{"127.0.0.1:9324"})
	st, err := c.Status(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("leader:", st.LeaderID, "term:", st.Term)
	for _, m := range st.Members {
		fmt.Println(m.ID, m.APIAddr, m.GossipStatus)
	}
}

func ExampleTopic_Publish() {
	ctx := context.Background()
	c, err := client.New([]string{"127.0.0.1:9324"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.CreateQueue(ctx, "new-orders", nil); err != nil {
		log.Fatal(err)
	}
	if _, err := c.CreateTopic(ctx, "orders", nil, client.WithTags(map[string]string{"team": "shop"})); err != nil {
		log.Fatal(err)
	}
	t := c.Topic("orders")
	// The queue gets the bare messages whose attribute kind is "new".
	if _, err := t.SubscribeQueue(ctx, "new-orders", map[string]string{
		"RawMessageDelivery": "true",
		"FilterPolicy":       `{"kind": ["new"]}`,
	}); err != nil {
		log.Fatal(err)
	}
	// Retried after a lost answer, a publish may be delivered twice.
	id, err := t.Publish(ctx, "order 42", client.WithSubject("order"),
		client.WithPublishAttribute("kind", client.StringAttr("new")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("published", id)

	subs, err := t.Subscriptions(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range subs {
		fmt.Println(s.Protocol, s.Endpoint, "pending:", s.Pending, "raw:", s.RawMessageDelivery(), "filter:", s.FilterPolicy())
	}
}

func ExampleTopic_ConfirmSubscription() {
	ctx := context.Background()
	c, _ := client.New([]string{"127.0.0.1:9324"})
	t := c.Topic("orders")
	sub, err := t.Subscribe(ctx, "https", "https://hooks.example.com/orders", nil)
	if err != nil {
		log.Fatal(err)
	}
	// The endpoint receives a SubscriptionConfirmation with a Token.
	token := "token-from-the-confirmation"
	if sub.Pending {
		if _, err := t.ConfirmSubscription(ctx, token); err != nil {
			log.Fatal(err)
		}
	}
}
