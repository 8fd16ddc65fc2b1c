package test

// SNS durability: a burst of publishes from several goroutines (through
// aws-sdk-go-v2's SNS client, to every node) to a topic with two SQS
// subscribers (one filtered, one raw) and one HTTP subscriber, while the
// leader is SIGKILLed midway. Every acknowledged publish must reach every
// matching subscriber at least once, and nothing that was never published
// may appear.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// snsLedger records what the publishers did and what subscribers got.
type snsLedger struct {
	mu        sync.Mutex
	attempted map[string]bool   // every message a publisher tried
	acked     map[string]string // message -> MessageId of the publish answered 200
	errs      map[string]int    // publish error text -> count
	acks      atomic.Int64
}

func TestSNSPublishSurvivesLeaderKill(t *testing.T) {
	const publishers, perPublisher = 4, 75 // 300 publishes
	c := StartCluster(t, 3)
	leader := c.Leader(t)
	ep := c.Endpoint(leader)
	ctx := ctxT(t, 5*time.Minute)
	cl := newSNSClient(ep)
	sq := newSQS(ep)
	hook := newPushHook(t, nil)

	name := uniq("durable")
	ct, err := cl.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	topic := ct.TopicArn
	allURL := createQueue(t, sq, name+"-all", nil)
	evenURL := createQueue(t, sq, name+"-even", nil)
	subscribe := func(protocol, endpoint string, attrs map[string]string) string {
		t.Helper()
		out, err := cl.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String(protocol),
			Endpoint: aws.String(endpoint), Attributes: attrs, ReturnSubscriptionArn: true})
		if err != nil {
			t.Fatalf("Subscribe %s %s: %v", protocol, endpoint, err)
		}
		return aws.ToString(out.SubscriptionArn)
	}
	subscribe("sqs", queueArn(t, sq, allURL), nil)
	subscribe("sqs", queueArn(t, sq, evenURL), map[string]string{
		"FilterPolicy": `{"parity":["even"]}`, "RawMessageDelivery": "true"})
	httpSub := subscribe("http", hook.URL+"/durable", map[string]string{"DeliveryPolicy": fastRetryPolicy})
	confirmByURL(t, cl, hook, "/durable", aws.ToString(topic), httpSub, "1")

	// Publishers: each publish goes to a random running node; the SDK
	// retries.
	clients := make([]*sns.Client, len(c.Nodes))
	for i := range c.Nodes {
		clients[i] = newSNSClient(c.Endpoint(i), func(o *sns.Options) {
			o.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: sdkHTTP.Transport}
		})
	}
	l := &snsLedger{attempted: map[string]bool{}, acked: map[string]string{}, errs: map[string]int{}}
	var wg sync.WaitGroup
	for g := 0; g < publishers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < perPublisher; i++ {
				msg := fmt.Sprintf("p%d-%04d", g, i)
				parity := "odd"
				if i%2 == 0 {
					parity = "even"
				}
				l.mu.Lock()
				l.attempted[msg] = true
				l.mu.Unlock()
				pctx, cancel := context.WithTimeout(ctx, 45*time.Second)
				// A random running node, as a client that drops a dead
				// node from its list would pick.
				k := rand.IntN(len(clients))
				for !c.Nodes[k].Running() {
					k = (k + 1) % len(clients)
				}
				out, err := clients[k].Publish(pctx, &sns.PublishInput{TopicArn: topic, Message: aws.String(msg),
					MessageAttributes: map[string]snstypes.MessageAttributeValue{"parity": {DataType: aws.String("String"), StringValue: aws.String(parity)}}})
				cancel()
				l.mu.Lock()
				if err != nil {
					l.errs[shortErr(err)]++
				} else {
					l.acked[msg] = aws.ToString(out.MessageId)
				}
				l.mu.Unlock()
				if err == nil {
					l.acks.Add(1)
				}
			}
		}(g)
	}
	// Kill the leader midway, while publishes and HTTP pushes are in flight.
	WaitFor(t, 120*time.Second, func() error {
		if n := l.acks.Load(); n < publishers*perPublisher/3 {
			return fmt.Errorf("%d publishes acknowledged, waiting for %d before the kill", n, publishers*perPublisher/3)
		}
		return nil
	})
	killedAt := l.acks.Load()
	if err := c.Kill(leader); err != nil {
		t.Fatalf("kill leader %s: %v", c.Nodes[leader].ID, err)
	}
	t.Logf("killed leader %s with SIGKILL after %d acknowledged publishes", c.Nodes[leader].ID, killedAt)
	wg.Wait()
	newLeader := c.Leader(t)
	l.mu.Lock()
	t.Logf("publishers done: %d attempted, %d acknowledged; new leader %s", len(l.attempted), len(l.acked), c.Nodes[newLeader].ID)
	for e, n := range l.errs {
		t.Logf("publish error x%d: %s", n, e)
	}
	acked := make(map[string]string, len(l.acked))
	for k, v := range l.acked {
		acked[k] = v
	}
	attempted := l.attempted
	l.mu.Unlock()
	if int64(len(acked)) <= killedAt {
		t.Errorf("no publish was acknowledged after the kill (%d before, %d in all)", killedAt, len(acked))
	}

	// Drain both queues through a live node until every acknowledged
	// publish is there.
	live := newSQS(c.Endpoint(newLeader))
	type got struct {
		bodies map[string]int  // message -> copies
		ids    map[string]bool // SNS MessageIds seen (envelope deliveries)
	}
	received := map[string]*got{"all": {map[string]int{}, map[string]bool{}}, "even": {map[string]int{}, map[string]bool{}}}
	urls := map[string]string{"all": allURL, "even": evenURL}
	missing := func(q string) []string {
		var out []string
		for msg, id := range acked {
			if q == "even" && !isEven(msg) {
				continue
			}
			if received[q].bodies[msg] == 0 || (q == "all" && !received[q].ids[id]) {
				out = append(out, msg)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, q := range []string{"all", "even"} {
		err := poll(90*time.Second, func() error {
			out, err := live.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(urls[q]), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				return err
			}
			for _, m := range out.Messages {
				body := aws.ToString(m.Body)
				if q == "all" {
					env := parseEnvelope(t, []byte(body))
					body = env.Message
					received[q].ids[env.MessageID] = true
				}
				received[q].bodies[body]++
				if _, err := live.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(urls[q]), ReceiptHandle: m.ReceiptHandle}); err != nil {
					return err
				}
			}
			if m := missing(q); len(m) > 0 {
				return fmt.Errorf("queue %s: %d acknowledged publishes not received yet, first %v", q, len(m), first(m, 10))
			}
			return nil
		})
		if err != nil {
			t.Errorf("LOST in queue %s: %v", q, err)
		}
	}

	// The HTTP endpoint: every acknowledged MessageId, at least once.
	httpMissing := func() []string {
		seen := map[string]bool{}
		for _, p := range hook.Posts("/durable") {
			if p.Type() == "Notification" {
				seen[p.Header.Get("x-amz-sns-message-id")] = true
			}
		}
		var out []string
		for msg, id := range acked {
			if !seen[id] {
				out = append(out, msg)
			}
		}
		sort.Strings(out)
		return out
	}
	if err := poll(120*time.Second, func() error {
		if m := httpMissing(); len(m) > 0 {
			return fmt.Errorf("%d acknowledged publishes not POSTed yet, first %v", len(m), first(m, 10))
		}
		return nil
	}); err != nil {
		t.Errorf("LOST at the HTTP endpoint: %v", err)
	}

	// Nothing unpublished, nothing odd through the filter.
	var phantom []string
	httpBodies := map[string]int{}
	for _, p := range hook.Posts("/durable") {
		if p.Type() != "Notification" {
			continue
		}
		env := parseEnvelope(t, p.Body)
		httpBodies[env.Message]++
		if env.MessageID != p.Header.Get("x-amz-sns-message-id") || env.TopicArn != aws.ToString(topic) {
			t.Errorf("POST header/body mismatch: header id %q, envelope %+v", p.Header.Get("x-amz-sns-message-id"), env)
		}
	}
	for where, bodies := range map[string]map[string]int{"queue all": received["all"].bodies, "queue even": received["even"].bodies, "HTTP": httpBodies} {
		dups := 0
		for msg, n := range bodies {
			if !attempted[msg] {
				phantom = append(phantom, where+": "+msg)
			}
			if where == "queue even" && !isEven(msg) {
				t.Errorf("the filtered queue got odd message %q", msg)
			}
			if n > 1 {
				dups++
			}
		}
		t.Logf("%s: %d distinct messages, %d more than once (allowed)", where, len(bodies), dups)
	}
	if len(phantom) > 0 {
		sort.Strings(phantom)
		t.Errorf("PHANTOM: %d deliveries of messages never published: %v", len(phantom), first(phantom, 20))
	}
}

// isEven reports whether a durability-test message was published with
// parity=even (its sequence number is even).
func isEven(msg string) bool {
	i := strings.LastIndexByte(msg, '-')
	var n int
	fmt.Sscanf(msg[i+1:], "%d", &n)
	return n%2 == 0
}
