package node

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wharfmq/wharf/fsm"
)

// One message sent to a queue with many long polls waiting wakes one of
// them, not all: the others propose no receive. Every poll still ends with
// a message of its own once enough are sent.
func TestOneSendWakesOneLongPoll(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.leader()
	ctx := context.Background()
	q := fsm.QueueKey{Region: "us-east-1", Account: "000000000000", Name: "herd"}
	if err := leader.CreateQueue(ctx, fsm.CreateQueue{Queue: q}); err != nil {
		t.Fatal(err)
	}
	const polls = 20
	got := make(chan string, polls)
	var wg sync.WaitGroup
	for range polls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msgs, err := leader.ReceiveMessages(ctx, fsm.ReceiveMessages{Queue: q, Max: 1, VisibilityTimeout: 30}, 20*time.Second)
			if err != nil || len(msgs) != 1 {
				got <- fmt.Sprintf("error %v, %d messages", err, len(msgs))
				return
			}
			got <- msgs[0].Body
		}()
	}
	waitFor(t, 10*time.Second, func() error {
		if n := leader.fsm.WaitingReceivers(q); n != polls {
			return fmt.Errorf("%d polls waiting", n)
		}
		return nil
	})
	before := testutil.ToFloat64(leader.metrics.commands)
	send := func(body string) {
		if _, err := leader.SendMessages(ctx, fsm.SendMessages{Queue: q, Entries: []fsm.SendEntry{{Body: body, DelaySeconds: -1}}}); err != nil {
			t.Fatal(err)
		}
	}
	send("first")
	if b := <-got; b != "first" {
		t.Fatalf("the first poll to answer got %s", b)
	}
	// The poll that got the message woke one more, which found nothing
	// and waits again: the send, one receive, no more.
	waitFor(t, 10*time.Second, func() error {
		if n := leader.fsm.WaitingReceivers(q); n != polls-1 {
			return fmt.Errorf("%d polls waiting", n)
		}
		return nil
	})
	if n := testutil.ToFloat64(leader.metrics.commands) - before; n > 2 {
		t.Fatalf("one send to %d waiting polls cost %v commands (want the send and one receive)", polls, n)
	}
	seen := map[string]bool{"first": true}
	for i := 1; i < polls; i++ {
		send(fmt.Sprint("m", i))
	}
	wg.Wait()
	close(got)
	for b := range got {
		if seen[b] {
			t.Fatalf("poll result %q twice (or an error)", b)
		}
		seen[b] = true
	}
	if len(seen) != polls {
		t.Fatalf("%d distinct answers, want %d", len(seen), polls)
	}
}
