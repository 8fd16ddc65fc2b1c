package test

// SQS FIFO queues with real clients: the boto3 script py/sqs_fifo.py over
// both SQS protocols, the AWS CLI, and aws-sdk-go-v2 producers and a
// consumer while the leader is killed.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// runPythonProtocol runs a py/ script like runPython, with
// WHARF_SQS_PROTOCOL set to protocol ("json" or "query").
func runPythonProtocol(t *testing.T, script, endpoint, prefix, protocol string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python(), filepath.Join("py", script))
	cmd.Env = append(os.Environ(),
		"WHARF_ENDPOINT="+endpoint,
		"WHARF_PREFIX="+prefix,
		"WHARF_SQS_PROTOCOL="+protocol,
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
		"PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("%s (%s) against %s:\n%s", script, protocol, endpoint, out)
	if err != nil {
		t.Errorf("%s (%s) failed: %v", script, protocol, err)
	}
}

// TestFifoBoto3 runs py/sqs_fifo.py through the leader and a follower, on
// the JSON and on the query protocol.
func TestFifoBoto3(t *testing.T) {
	requireTool(t, python(), "-c", "import boto3")
	c := shared(t)
	for target, ep := range targets(t, c) {
		for _, proto := range []string{"json", "query"} {
			t.Run(target+"-"+proto, func(t *testing.T) {
				t.Parallel()
				runPythonProtocol(t, "sqs_fifo.py", ep, uniq("fifo-"+proto+"-"+target), proto)
			})
		}
	}
}

// TestFifoAWSCLI: create-queue with FifoQueue=true, send-message with
// --message-group-id (content-based and explicit deduplication), and
// receive-message in order with the FIFO system attributes.
func TestFifoAWSCLI(t *testing.T) {
	requireTool(t, "aws", "--version")
	c := shared(t)
	for target, ep := range targets(t, c) {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			name := uniq("cli-fifo-"+target) + ".fifo"
			doc := mustCLI(t, ep, "create-queue", "--queue-name", name,
				"--attributes", "FifoQueue=true,ContentBasedDeduplication=true,VisibilityTimeout=60")
			url := str(doc["QueueUrl"])
			if want := ep + "/" + testAccount + "/" + name; url != want {
				t.Fatalf("create-queue QueueUrl = %q, want %q", url, want)
			}
			_, stderr, err := awsCLI(t, ep, "create-queue", "--queue-name", uniq("cli-fifo-bad")+".fifo")
			if err == nil || !strings.Contains(stderr, "InvalidParameterValue") {
				t.Errorf("create-queue of a .fifo name without FifoQueue: err %v, stderr %q; want InvalidParameterValue", err, stderr)
			}
			attrs, _ := mustCLI(t, ep, "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"].(map[string]any)
			if str(attrs["FifoQueue"]) != "true" || str(attrs["ContentBasedDeduplication"]) != "true" {
				t.Errorf("get-queue-attributes = %v, want FifoQueue and ContentBasedDeduplication true", attrs)
			}

			var seqs []string
			var ids []string
			for i, args := range [][]string{
				{"--message-body", "first", "--message-group-id", "g1"},
				{"--message-body", "other group", "--message-group-id", "g2"},
				{"--message-body", "second", "--message-group-id", "g1", "--message-deduplication-id", "second-id"},
				{"--message-body", "first", "--message-group-id", "g1"}, // a content-based duplicate
			} {
				doc := mustCLI(t, ep, append([]string{"send-message", "--queue-url", url}, args...)...)
				seq := str(doc["SequenceNumber"])
				if _, err := strconv.ParseUint(seq, 10, 64); err != nil || str(doc["MessageId"]) == "" {
					t.Errorf("send-message %d: output %v, want a MessageId and a numeric SequenceNumber", i, doc)
				}
				seqs = append(seqs, seq)
				ids = append(ids, str(doc["MessageId"]))
			}
			if ids[3] != ids[0] || seqs[3] != seqs[0] {
				t.Errorf("duplicate send-message answered %s/%s, want the original %s/%s", ids[3], seqs[3], ids[0], seqs[0])
			}
			if !(seqs[0] < seqs[1] && seqs[1] < seqs[2]) { // same width, so string order is numeric order
				t.Errorf("SequenceNumbers not increasing: %v", seqs[:3])
			}
			_, stderr, err = awsCLI(t, ep, "send-message", "--queue-url", url, "--message-body", "x")
			if err == nil || !strings.Contains(stderr, "MissingParameter") {
				t.Errorf("send-message without --message-group-id: err %v, stderr %q; want MissingParameter", err, stderr)
			}

			doc = mustCLI(t, ep, "receive-message", "--queue-url", url, "--max-number-of-messages", "10",
				"--attribute-names", "All", "--wait-time-seconds", "2")
			msgs, _ := doc["Messages"].([]any)
			type got struct{ body, group, seq, dedup string }
			var all []got
			for _, x := range msgs {
				m, _ := x.(map[string]any)
				a, _ := m["Attributes"].(map[string]any)
				all = append(all, got{str(m["Body"]), str(a["MessageGroupId"]), str(a["SequenceNumber"]), str(a["MessageDeduplicationId"])})
				mustCLI(t, ep, "delete-message", "--queue-url", url, "--receipt-handle", str(m["ReceiptHandle"]))
			}
			// Group g1 first (its oldest message is the oldest), as many of
			// it as possible, then g2.
			want := []got{{"first", "g1", seqs[0], ""}, {"second", "g1", seqs[2], "second-id"}, {"other group", "g2", seqs[1], ""}}
			if len(all) != len(want) {
				t.Fatalf("receive-message returned %+v, want %+v", all, want)
			}
			for i := range want {
				g := all[i]
				if g.body != want[i].body || g.group != want[i].group || g.seq != want[i].seq {
					t.Errorf("message %d = %+v, want %+v", i, g, want[i])
				}
				if want[i].dedup != "" && g.dedup != want[i].dedup {
					t.Errorf("message %d MessageDeduplicationId = %q, want %q", i, g.dedup, want[i].dedup)
				}
				if want[i].dedup == "" && len(g.dedup) != 64 {
					t.Errorf("message %d content-based MessageDeduplicationId = %q, want a SHA-256 in hex", i, g.dedup)
				}
			}
			mustCLI(t, ep, "delete-queue", "--queue-url", url)
		})
	}
}

// fifoSend is one attempt of a FIFO producer.
type fifoSend struct {
	body      string
	messageID string // when ok
	ok        bool
	retry     bool // a resend of a body whose earlier attempt had no answer
}

// fifoGot is one message a FIFO consumer received.
type fifoGot struct {
	body, group, messageID string
	count                  int
	seq                    uint64
	at                     time.Time // when the receive answered
	recv                   int       // which receive (1, 2, ...)
}

// fifoKept is a receive whose messages the consumer left undeleted: until
// start + visibility their groups are locked.
type fifoKept struct {
	start time.Time
	msgs  []fifoGot
}

// fifoVisibility is the consumer's visibility timeout.
const fifoVisibility = 4 * time.Second

// fifoLedger records the FIFO failover workload.
type fifoLedger struct {
	mu       sync.Mutex
	sends    map[string][]fifoSend // by group, in order
	maxAcked map[string]int        // by group: highest acknowledged counter
	lastTry  map[string]int        // by group: highest counter attempted
	got      []fifoGot             // every delivery, in receive order
	kept     []fifoKept            // receives left undeleted on purpose
	errs     map[string]int
	acks     atomic.Int64
	lastAck  atomic.Int64 // unix nanos: start of the latest acknowledged attempt
	retried  atomic.Int64 // acknowledged resends after an attempt without answer
}

// requestIDs are cut from error texts so that equal errors count together.
var requestIDs = regexp.MustCompile(`RequestID: [^,]*`)

func fifoBody(group string, n int) string { return fmt.Sprintf("%s-%06d", group, n) }

// newNoRetrySQS has no SDK retries: the workload sees every failure.
func newNoRetrySQS(ep string) *sqs.Client {
	hc := &http.Client{Transport: sdkHTTP.Transport}
	return newSQS(ep, func(o *sqs.Options) { o.Retryer = aws.NopRetryer{}; o.HTTPClient = hc })
}

// runFifoProducer sends group's bodies in order, each only after the one
// before was acknowledged. A send without an answer (timeout, connection
// error, 5xx) is resent with the same MessageDeduplicationId (the body)
// until acknowledged. With lossy set the first attempt of every body has
// a very short deadline, so that many first attempts are applied but
// their answers lost.
func runFifoProducer(ctx context.Context, wg *sync.WaitGroup, group string, lossy bool, clients []*sqs.Client, urls []string, l *fifoLedger) {
	defer wg.Done()
	tick := time.NewTicker(30 * time.Millisecond)
	defer tick.Stop()
	k := 0
	for n := 1; ; n++ {
		body := fifoBody(group, n)
		l.mu.Lock()
		l.lastTry[group] = n
		l.mu.Unlock()
		for attempt := 0; ; attempt++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			timeout := 10 * time.Second
			if lossy && attempt == 0 {
				// 2 to 16 ms: some first attempts are answered, many
				// time out after the send was applied, some before.
				timeout = time.Duration(2<<(n%4)) * time.Millisecond
			}
			start := time.Now()
			sctx, cancel := context.WithTimeout(context.Background(), timeout)
			out, err := clients[k%len(clients)].SendMessage(sctx, &sqs.SendMessageInput{
				QueueUrl: aws.String(urls[k%len(clients)]), MessageBody: aws.String(body),
				MessageGroupId: aws.String(group), MessageDeduplicationId: aws.String(body),
			})
			cancel()
			s := fifoSend{body: body, retry: attempt > 0}
			if err == nil {
				s.ok, s.messageID = true, aws.ToString(out.MessageId)
			}
			l.mu.Lock()
			l.sends[group] = append(l.sends[group], s)
			if err != nil {
				l.errs[requestIDs.ReplaceAllString(shortErr(err), "RequestID: *")]++
			} else {
				l.maxAcked[group] = n
			}
			l.mu.Unlock()
			if err != nil {
				k++ // another node next time
				continue
			}
			if attempt > 0 {
				l.retried.Add(1)
			}
			l.acks.Add(1)
			for {
				prev := l.lastAck.Load()
				if start.UnixNano() <= prev || l.lastAck.CompareAndSwap(prev, start.UnixNano()) {
					break
				}
			}
			break
		}
	}
}

// runFifoConsumer receives up to 10 and deletes them in a batch, except
// every 25th non-empty receive, which it leaves undeleted (their groups
// stay locked until the visibility timeout ends).
func runFifoConsumer(ctx context.Context, wg *sync.WaitGroup, clients []*sqs.Client, urls []string, l *fifoLedger) {
	defer wg.Done()
	nonEmpty := 0
	for k := 0; ctx.Err() == nil; {
		i := k % len(clients)
		start := time.Now()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		out, err := clients[i].ReceiveMessage(rctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(urls[i]), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: int32(fifoVisibility / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		cancel()
		if err != nil {
			k++
			continue
		}
		if len(out.Messages) == 0 {
			continue
		}
		nonEmpty++
		var entries []types.DeleteMessageBatchRequestEntry
		var gots []fifoGot
		at := time.Now()
		l.mu.Lock()
		for j, m := range out.Messages {
			g := fifoGot{body: aws.ToString(m.Body), group: m.Attributes["MessageGroupId"], messageID: aws.ToString(m.MessageId), at: at, recv: nonEmpty}
			g.count, _ = strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
			g.seq, _ = strconv.ParseUint(m.Attributes["SequenceNumber"], 10, 64)
			l.got = append(l.got, g)
			gots = append(gots, g)
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), ReceiptHandle: m.ReceiptHandle})
		}
		keep := nonEmpty%25 == 0
		if keep {
			l.kept = append(l.kept, fifoKept{start: start, msgs: gots})
		}
		l.mu.Unlock()
		if keep {
			continue
		}
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := clients[i].DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(urls[i]), Entries: entries}); err != nil {
			k++
		}
		cancel()
	}
}

// TestFifoKillLeader: producers send to a FIFO queue with several groups
// while a consumer receives and deletes, and the leader is killed twice.
// Per group, the first deliveries are the bodies in send order with no
// gap; every acknowledged send is received; a body is enqueued once,
// however many times it was resent with its deduplication ID.
func TestFifoKillLeader(t *testing.T) {
	c := StartCluster(t, 3)
	name := uniq("fifo-failover") + ".fifo"
	setup := newSQS(c.Endpoint(c.Leader(t)))
	createQueue(t, setup, name, map[string]string{"FifoQueue": "true", "VisibilityTimeout": "4"})
	var clients []*sqs.Client
	var urls []string
	for _, ep := range c.Endpoints() {
		clients = append(clients, newNoRetrySQS(ep))
		urls = append(urls, ep+"/"+testAccount+"/"+name)
	}
	groups := []string{"ga", "gb", "gc", "gd"}
	l := &fifoLedger{sends: map[string][]fifoSend{}, maxAcked: map[string]int{}, lastTry: map[string]int{}, errs: map[string]int{}}
	prodCtx, stopProducers := context.WithCancel(context.Background())
	consCtx, stopConsumer := context.WithCancel(context.Background())
	var prodWG, consWG sync.WaitGroup
	defer func() { stopProducers(); stopConsumer(); prodWG.Wait(); consWG.Wait() }()
	for i, g := range groups {
		prodWG.Add(1)
		go runFifoProducer(prodCtx, &prodWG, g, i == 0, clients, urls, l)
	}
	consWG.Add(1)
	go runFifoConsumer(consCtx, &consWG, clients, urls, l)

	waitAcks := func(n int64, what string) {
		t.Helper()
		WaitFor(t, 60*time.Second, func() error {
			if got := l.acks.Load(); got < n {
				return fmt.Errorf("%s: %d acknowledged sends, waiting for %d", what, got, n)
			}
			return nil
		})
	}
	waitAcks(100, "warm-up")
	for round := 1; round <= 2; round++ {
		old := c.Leader(t)
		killedAt := time.Now()
		if err := c.Kill(old); err != nil {
			t.Fatalf("round %d: kill leader %s: %v", round, c.Nodes[old].ID, err)
		}
		WaitFor(t, 30*time.Second, func() error {
			nl, err := c.leaderNow()
			if err == nil && nl == old {
				return errors.New("old leader still reported")
			}
			return err
		})
		WaitFor(t, 30*time.Second, func() error {
			if l.lastAck.Load() <= killedAt.UnixNano() {
				return errors.New("no FIFO send started after the kill has been acknowledged")
			}
			return nil
		})
		t.Logf("round %d: killed leader %s; FIFO sends resumed after %v", round, c.Nodes[old].ID, time.Since(killedAt).Round(time.Millisecond))
		if err := c.Restart(old); err != nil {
			t.Fatalf("round %d: restart %s: %v", round, c.Nodes[old].ID, err)
		}
		if err := c.WaitReady(60 * time.Second); err != nil {
			t.Fatalf("round %d: restarted %s not ready: %v", round, c.Nodes[old].ID, err)
		}
		waitAcks(l.acks.Load()+100, fmt.Sprintf("round %d: after restart", round))
	}
	stopProducers()
	prodWG.Wait()

	// A resend of an acknowledged body with its deduplication ID answers
	// the first message ID and enqueues nothing.
	l.mu.Lock()
	lastAcked := map[string]fifoSend{}
	for g, ss := range l.sends {
		for _, s := range ss {
			if s.ok {
				lastAcked[g] = s
			}
		}
	}
	l.mu.Unlock()
	leaderCl := newSQS(c.Endpoint(c.Leader(t)))
	for g, s := range lastAcked {
		out, err := leaderCl.SendMessage(ctxT(t, 30*time.Second), &sqs.SendMessageInput{QueueUrl: aws.String(c.Endpoint(c.Leader(t)) + "/" + testAccount + "/" + name),
			MessageBody: aws.String(s.body), MessageGroupId: aws.String(g), MessageDeduplicationId: aws.String(s.body)})
		if err != nil {
			t.Errorf("resend of %s: %v", s.body, err)
		} else if aws.ToString(out.MessageId) != s.messageID {
			t.Errorf("resend of %s with its deduplication ID answered message %s, want the first send's %s", s.body, aws.ToString(out.MessageId), s.messageID)
		}
	}

	// Drain: every acknowledged body received, then the queue empty.
	drainErr := poll(90*time.Second, func() error {
		l.mu.Lock()
		seen := map[string]bool{}
		for _, g := range l.got {
			seen[g.body] = true
		}
		missing := 0
		for g, n := range l.maxAcked {
			for i := 1; i <= n; i++ {
				if !seen[fifoBody(g, i)] {
					missing++
				}
			}
		}
		l.mu.Unlock()
		if missing > 0 {
			return fmt.Errorf("%d acknowledged messages not received yet", missing)
		}
		v, nv, d, err := counts(setup, c.Endpoint(0)+"/"+testAccount+"/"+name)
		if err == nil && (v != "0" || nv != "0" || d != "0") {
			err = fmt.Errorf("queue not empty: visible %s, in flight %s, delayed %s", v, nv, d)
		}
		return err
	})
	stopConsumer()
	consWG.Wait()
	if drainErr != nil {
		t.Errorf("drain: %v", drainErr)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	for e, n := range l.errs {
		t.Logf("send error x%d: %s", n, e)
	}
	t.Logf("%d acknowledged sends, %d of them resends after an attempt without answer; %d deliveries",
		l.acks.Load(), l.retried.Load(), len(l.got))
	if l.retried.Load() == 0 {
		t.Errorf("no send was resent after an attempt without answer: the deduplication retry path went untested")
	}
	ackedID := map[string]string{} // body -> message ID the acknowledged attempts answered
	for _, ss := range l.sends {
		for _, s := range ss {
			if !s.ok {
				continue
			}
			if prev, ok := ackedID[s.body]; ok && prev != s.messageID {
				t.Errorf("%s: acknowledged with message IDs %s and %s", s.body, prev, s.messageID)
			}
			ackedID[s.body] = s.messageID
		}
	}
	firsts := map[string][]fifoGot{}
	idOf := map[string]string{}
	lastSeq := map[string]uint64{}
	for _, g := range l.got {
		if id, ok := idOf[g.body]; ok {
			if id != g.messageID {
				t.Errorf("DUPLICATE: %s enqueued twice (message IDs %s and %s)", g.body, id, g.messageID)
			}
			if g.count < 2 {
				t.Errorf("%s delivered again with ApproximateReceiveCount %d", g.body, g.count)
			}
			continue
		}
		idOf[g.body] = g.messageID
		if !strings.HasPrefix(g.body, g.group+"-") {
			t.Errorf("%s delivered with MessageGroupId %q", g.body, g.group)
		}
		if g.seq <= lastSeq[g.group] {
			t.Errorf("%s: SequenceNumber %d not above the group's previous %d", g.body, g.seq, lastSeq[g.group])
		}
		lastSeq[g.group] = g.seq
		firsts[g.group] = append(firsts[g.group], g)
		if id, ok := ackedID[g.body]; ok && id != g.messageID {
			t.Errorf("%s: received as message %s, but its send was acknowledged as %s", g.body, g.messageID, id)
		}
	}
	// Group lock: while a kept (undeleted) message is in flight, no other
	// message of its group may be received.
	locks := 0
	for _, k := range l.kept {
		until := k.start.Add(fifoVisibility - 500*time.Millisecond)
		for _, held := range k.msgs {
			locks++
			for _, g := range l.got {
				if g.group == held.group && g.body != held.body && g.recv > held.recv && g.at.Before(until) {
					t.Errorf("GROUP LOCK: %s received %v after %s, which was left in flight (received %v earlier, visibility %v)",
						g.body, g.at.Sub(k.start).Round(time.Millisecond), held.body, held.at.Sub(k.start).Round(time.Millisecond), fifoVisibility)
					break
				}
			}
		}
	}
	t.Logf("%d messages left undeleted on purpose (their groups locked for %v)", locks, fifoVisibility)
	var summary []string
	for _, group := range groups {
		fs := firsts[group]
		for i, g := range fs {
			if want := fifoBody(group, i+1); g.body != want {
				t.Errorf("ORDER: group %s: delivery %d (first deliveries) is %s, want %s; first deliveries around it: %v",
					group, i+1, g.body, want, bodiesAround(fs, i))
				break
			}
		}
		acked, tried := l.maxAcked[group], l.lastTry[group]
		if len(fs) < acked {
			t.Errorf("LOST: group %s: %d bodies received, but %d were acknowledged", group, len(fs), acked)
		}
		if len(fs) > tried {
			t.Errorf("PHANTOM: group %s: %d bodies received, but only %d were sent", group, len(fs), tried)
		}
		summary = append(summary, fmt.Sprintf("%s: acked %d, received %d", group, acked, len(fs)))
	}
	sort.Strings(summary)
	t.Logf("per group: %s", strings.Join(summary, "; "))
}

func bodiesAround(fs []fifoGot, i int) []string {
	var out []string
	for j := max(0, i-3); j < min(len(fs), i+4); j++ {
		out = append(out, fs[j].body)
	}
	return out
}
