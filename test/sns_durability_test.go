package test

// SNS durability: a burst of publishes from several goroutines (through
// aws-sdk-go-v2's SNS client, to every node) to a topic with two SQS
// subscribers (one filtered, one raw) and one HTTP subscriber, while the
// leader is SIGKILLed midway; the HTTP endpoint is down until then, so the
// new leader inherits a backlog of pushes stamped by the dead one. Every
// acknowledged publish must reach every matching subscriber at least once
// (the HTTP endpoint in a form it can verify with the killed node still
// down), and nothing that was never published may appear. The killed node then comes back (catching up from a
// snapshot: the snapshot threshold is low), takes the leadership, and
// delivers a second round from its restored state; the replicas end
// byte-identical.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
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

	"github.com/wharfmq/wharf/fsm/envelope"
	"github.com/wharfmq/wharf/node/push"
)

// snsLedger records what the publishers did.
type snsLedger struct {
	mu        sync.Mutex
	attempted map[string]bool   // every message a publisher tried
	acked     map[string]string // message -> MessageId of the publish answered 200
	errs      map[string]int    // publish error text -> count
	acks      atomic.Int64
}

func newSNSLedger() *snsLedger {
	return &snsLedger{attempted: map[string]bool{}, acked: map[string]string{}, errs: map[string]int{}}
}

// publishBurst publishes perPublisher messages from each of publishers
// goroutines, each to a random running node, and returns when all are
// done; onProgress is called after every acknowledged publish.
func publishBurst(ctx context.Context, c *Cluster, clients []*sns.Client, topic *string, round string, publishers, perPublisher int, l *snsLedger) {
	var wg sync.WaitGroup
	for g := 0; g < publishers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < perPublisher; i++ {
				msg := fmt.Sprintf("%s-p%d-%04d", round, g, i)
				parity := "odd"
				if isEven(msg) {
					parity = "even"
				}
				l.mu.Lock()
				l.attempted[msg] = true
				l.mu.Unlock()
				// A random running node, as a client that drops a dead
				// node from its list would pick.
				k := rand.IntN(len(clients))
				for !c.Nodes[k].Running() {
					k = (k + 1) % len(clients)
				}
				pctx, cancel := context.WithTimeout(ctx, 45*time.Second)
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
	wg.Wait()
}

// snsReceived is what the subscribers got.
type snsReceived struct {
	all     map[string]int  // message -> copies in the envelope queue
	allIDs  map[string]bool // SNS MessageIds seen there
	even    map[string]int  // message -> copies in the filtered raw queue
	httpIDs map[string]bool // SNS MessageIds POSTed
}

func TestSNSPublishSurvivesLeaderKill(t *testing.T) {
	const publishers, perPublisher = 4, 75 // 300 publishes
	// Snapshots every 64 commands, 32 kept: the restarted node catches up
	// from a snapshot holding the topic, subscriptions and push outbox.
	t.Setenv("WHARF_SNAPSHOT_THRESHOLD", "64")
	t.Setenv("WHARF_TRAILING_LOGS", "32")
	c := StartCluster(t, 3)
	leader := c.Leader(t)
	ep := c.Endpoint(leader)
	ctx := ctxT(t, 6*time.Minute)
	cl := newSNSClient(ep)
	sq := newSQS(ep)
	// The HTTP endpoint is down (503) until the leader has been killed, so
	// the outbox holds a backlog stamped by the old leader for the new one
	// to deliver. Then it verifies each notification as it arrives, with
	// the certificate its SigningCertURL names fetched then (no cache), and
	// answers 500 when it cannot, so SNS tries again; verified records the
	// MessageIds that verified.
	var up atomic.Bool
	var verifiedMu sync.Mutex
	verified := map[string]bool{}
	certClient := &http.Client{Timeout: 5 * time.Second}
	hook := newPushHook(t, func(p hookPost, _ int) int {
		if p.Type() != "Notification" {
			return http.StatusOK
		}
		if !up.Load() {
			return http.StatusServiceUnavailable
		}
		var env envelope.Envelope
		if json.Unmarshal(p.Body, &env) != nil {
			return http.StatusBadRequest
		}
		resp, err := certClient.Get(env.SigningCertURL)
		if err != nil {
			return http.StatusInternalServerError
		}
		cert, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if push.Verify(&env, string(cert)) != nil {
			return http.StatusInternalServerError
		}
		// Both unsigned URLs name the node that delivered.
		if base := strings.TrimSuffix(env.SigningCertURL, "/SimpleNotificationService.pem"); !strings.HasPrefix(env.UnsubscribeURL, base+"/") {
			t.Errorf("UnsubscribeURL %s and SigningCertURL %s name different nodes", env.UnsubscribeURL, env.SigningCertURL)
		}
		verifiedMu.Lock()
		verified[env.MessageID] = true
		verifiedMu.Unlock()
		return http.StatusOK
	})

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
	// 40 retries 1 s apart outlast the endpoint's downtime.
	httpSub := subscribe("http", hook.URL+"/durable", map[string]string{"DeliveryPolicy": `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":40,"numNoDelayRetries":0,"numMinDelayRetries":0,"numMaxDelayRetries":0,"backoffFunction":"linear"}}`})
	confirmByURL(t, cl, hook, "/durable", aws.ToString(topic), httpSub, "1")

	clients := make([]*sns.Client, len(c.Nodes))
	for i := range c.Nodes {
		clients[i] = newSNSClient(c.Endpoint(i), func(o *sns.Options) {
			o.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: sdkHTTP.Transport}
		})
	}
	l := newSNSLedger()
	got := &snsReceived{all: map[string]int{}, allIDs: map[string]bool{}, even: map[string]int{}, httpIDs: map[string]bool{}}

	// Round 1: kill the leader midway, while publishes and HTTP pushes
	// are in flight.
	burstDone := make(chan struct{})
	go func() {
		publishBurst(ctx, c, clients, topic, "r1", publishers, perPublisher, l)
		close(burstDone)
	}()
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
	newLeader := c.Leader(t)
	up.Store(true)
	<-burstDone
	acked := l.report(t, "round 1")
	if int64(len(acked)) <= killedAt {
		t.Errorf("no publish was acknowledged after the kill (%d before, %d in all)", killedAt, len(acked))
	}
	checkSNSDelivered(t, ctx, c.Endpoint(newLeader), allURL, evenURL, hook, acked, got, "round 1")
	// Every acknowledged publish reached the endpoint in a form it could
	// verify while the killed node was down: a notice stamped by the dead
	// leader and delivered by the new one names a certificate URL that
	// answers.
	if err := poll(60*time.Second, func() error {
		verifiedMu.Lock()
		defer verifiedMu.Unlock()
		var missing []string
		for msg, id := range acked {
			if !verified[id] {
				missing = append(missing, msg)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return fmt.Errorf("%d acknowledged publishes have not reached the endpoint in a form it can verify, first %v", len(missing), first(missing, 10))
		}
		return nil
	}); err != nil {
		t.Error(err)
	}

	// Round 2: once the leader has taken a snapshot (raft checks the
	// threshold every 10-20 s) the killed node, whose log ends before the
	// leader's, comes back and catches up by installing it; then it leads.
	before := snapshotDirs(c.Nodes[leader])
	WaitFor(t, 60*time.Second, func() error {
		if len(snapshotDirs(c.Nodes[newLeader])) == 0 {
			return fmt.Errorf("%s has taken no snapshot yet", c.Nodes[newLeader].ID)
		}
		return nil
	})
	if err := c.Restart(leader); err != nil {
		t.Fatalf("restart %s: %v", c.Nodes[leader].ID, err)
	}
	if err := c.WaitReady(60 * time.Second); err != nil {
		t.Fatalf("restarted %s not ready: %v", c.Nodes[leader].ID, err)
	}
	waitStateHashes(t, c)
	t.Logf("%s's snapshots before the kill %v, after catching up %v (leader %s: %v)", c.Nodes[leader].ID, before,
		snapshotDirs(c.Nodes[leader]), c.Nodes[newLeader].ID, snapshotDirs(c.Nodes[newLeader]))
	transferLeader(t, c, c.Nodes[leader].ID)
	t.Logf("%s restarted and leads again", c.Nodes[leader].ID)
	publishBurst(ctx, c, clients, topic, "r2", 2, 20, l)
	acked = l.report(t, "rounds 1 and 2")
	checkSNSDelivered(t, ctx, c.Endpoint(leader), allURL, evenURL, hook, acked, got, "round 2")

	// Nothing unpublished, nothing odd through the filter.
	l.mu.Lock()
	attempted := l.attempted
	l.mu.Unlock()
	httpBodies := map[string]int{}
	for _, p := range hook.Posts("/durable") {
		if p.Type() != "Notification" {
			continue
		}
		env := parseEnvelope(t, p.Body)
		if !attempted[env.Message] {
			t.Errorf("PHANTOM: the endpoint got %q, never published", env.Message)
		}
		if p.Status == http.StatusOK { // accepted: the copies that count
			httpBodies[env.Message]++
		}
		if env.MessageID != p.Header.Get("x-amz-sns-message-id") || env.TopicArn != aws.ToString(topic) {
			t.Errorf("POST header/body mismatch: header id %q, envelope %+v", p.Header.Get("x-amz-sns-message-id"), env)
		}
	}
	var phantom []string
	for where, bodies := range map[string]map[string]int{"queue all": got.all, "queue even": got.even, "HTTP": httpBodies} {
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
	waitStateHashes(t, c)
}

// report logs a round's outcome and returns a copy of the acknowledged
// publishes.
func (l *snsLedger) report(t *testing.T, what string) map[string]string {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("%s: %d publishes attempted, %d acknowledged", what, len(l.attempted), len(l.acked))
	for e, n := range l.errs {
		t.Logf("%s: publish error x%d: %s", what, n, e)
	}
	acked := make(map[string]string, len(l.acked))
	for k, v := range l.acked {
		acked[k] = v
	}
	return acked
}

// checkSNSDelivered drains both queues through ep into got until every
// acknowledged publish is there (by its MessageId in the envelope queue,
// by body in the raw one, even messages only), and waits until the HTTP
// endpoint has had every acknowledged MessageId.
func checkSNSDelivered(t *testing.T, ctx context.Context, ep, allURL, evenURL string, hook *pushHook, acked map[string]string, got *snsReceived, what string) {
	t.Helper()
	sq := newSQS(ep)
	missing := func(q string) []string {
		var out []string
		for msg, id := range acked {
			switch {
			case q == "all" && !got.allIDs[id], q == "even" && isEven(msg) && got.even[msg] == 0, q == "http" && !got.httpIDs[id]:
				out = append(out, msg)
			}
		}
		sort.Strings(out)
		return out
	}
	for q, url := range map[string]string{"all": allURL, "even": evenURL} {
		err := poll(90*time.Second, func() error {
			out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				return err
			}
			for _, m := range out.Messages {
				body := aws.ToString(m.Body)
				if q == "all" {
					env := parseEnvelope(t, []byte(body))
					got.all[env.Message]++
					got.allIDs[env.MessageID] = true
				} else {
					got.even[body]++
				}
				if _, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
					return err
				}
			}
			if m := missing(q); len(m) > 0 {
				return fmt.Errorf("%d acknowledged publishes not received yet, first %v", len(m), first(m, 10))
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: LOST in queue %s: %v", what, q, err)
		}
	}
	if err := poll(120*time.Second, func() error {
		for _, p := range hook.Posts("/durable") {
			if p.Type() == "Notification" {
				got.httpIDs[p.Header.Get("x-amz-sns-message-id")] = true
			}
		}
		if m := missing("http"); len(m) > 0 {
			return fmt.Errorf("%d acknowledged publishes not POSTed yet, first %v", len(m), first(m, 10))
		}
		return nil
	}); err != nil {
		t.Errorf("%s: LOST at the HTTP endpoint: %v", what, err)
	}
}

// waitStateHashes waits until every running node reports the same state
// hash at the same applied index: replicas that applied the same commands
// hold byte-identical state (topics, subscriptions, outbox, queues).
func waitStateHashes(t *testing.T, c *Cluster) {
	t.Helper()
	WaitFor(t, 60*time.Second, func() error {
		var first struct {
			Index uint64 `json:"applied_index"`
			Hash  string `json:"hash"`
		}
		for i, n := range c.Nodes {
			if !n.Running() {
				continue
			}
			resp, err := c.http.Get(c.Endpoint(i) + "/v1/cluster/state-hash")
			if err != nil {
				return err
			}
			var h struct {
				Index uint64 `json:"applied_index"`
				Hash  string `json:"hash"`
			}
			err = json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if err != nil {
				return err
			}
			if first.Hash == "" {
				first = h
				continue
			}
			if h.Index != first.Index {
				return fmt.Errorf("applied indexes differ: %d vs %d", first.Index, h.Index)
			}
			if h.Hash != first.Hash {
				t.Fatalf("replicas at index %d differ: %s has state hash %s, another %s", h.Index, n.ID, h.Hash, first.Hash)
			}
		}
		return nil
	})
}

// snapshotDirs lists the raft snapshots in a node's data directory.
func snapshotDirs(n *Node) []string {
	entries, _ := os.ReadDir(filepath.Join(n.DataDir, "snapshots", "snapshots")) // raft adds the inner folder
	var out []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasSuffix(e.Name(), ".tmp") {
			out = append(out, e.Name())
		}
	}
	return out
}

// transferLeader moves the leadership to node id and waits until every
// node agrees.
func transferLeader(t *testing.T, c *Cluster, id string) {
	t.Helper()
	WaitFor(t, 60*time.Second, func() error {
		l, err := c.leaderNow()
		if err != nil {
			return err
		}
		if c.Nodes[l].ID == id {
			return nil
		}
		body, _ := json.Marshal(map[string]string{"to": id})
		resp, err := c.http.Post(c.Endpoint(l)+"/v1/cluster/leader/transfer", "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return fmt.Errorf("leader is %s; transfer to %s answered HTTP %d %s", c.Nodes[l].ID, id, resp.StatusCode, strings.TrimSpace(string(b)))
	})
}

// isEven reports whether a durability-test message was published with
// parity=even (its sequence number is even).
func isEven(msg string) bool {
	i := strings.LastIndexByte(msg, '-')
	var n int
	fmt.Sscanf(msg[i+1:], "%d", &n)
	return n%2 == 0
}
