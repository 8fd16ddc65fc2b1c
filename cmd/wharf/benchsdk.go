package main

// The aws-sdk-go-v2 benchmark target: the SQS and SNS clients against one
// or more endpoints (a Wharf node, the no-op reference), round robin per
// worker.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The benchmark modes.
const (
	modeSend       = "send"        // SendMessage
	modeSendBatch  = "send-batch"  // SendMessageBatch of 10
	modeRecvDelete = "recv-delete" // ReceiveMessage of up to 10 + DeleteMessageBatch, on a preloaded queue
	modePublish    = "publish"     // SNS Publish to a topic with 2 SQS queues subscribed (raw delivery)
)

// allModes lists the modes in the order the suite runs them.
var allModes = []string{modeSend, modeSendBatch, modeRecvDelete, modePublish}

// workload is what one run does: the mode, the message body and, for the
// batch mode, the entries per request.
type workload struct {
	mode  string
	body  string
	batch int
}

// benchBody is a message body of size bytes.
func benchBody(size int) string {
	if size < 10 {
		return strings.Repeat("x", size)
	}
	return "wharf-" + strings.Repeat("b", size-6)
}

// prepared is a workload set up on a target: the operation to run, how
// to preload the queue (recv-delete) and how to remove what setup made.
type prepared struct {
	op      benchOp
	preload func(ctx context.Context, n int, done *atomic.Int64) error
	cleanup func()
}

// sdkTarget drives endpoints through aws-sdk-go-v2 (AWS JSON 1.0 for SQS,
// query for SNS), with the retryer's client-side rate limiter off and an
// idle pool big enough for every worker.
type sdkTarget struct {
	endpoints []string
	sqs       []*sqs.Client
	sns       []*sns.Client
}

// newSDKTarget returns SDK clients of the endpoints for up to maxWorkers
// concurrent requests.
func newSDKTarget(endpoints []string, maxWorkers int, region string) *sdkTarget {
	hc := &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        maxWorkers*len(endpoints) + 32,
		MaxIdleConnsPerHost: maxWorkers + 16,
		IdleConnTimeout:     90 * time.Second,
	}}
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "bench", SecretAccessKey: "bench", Source: "wharf-bench"}, nil
	})
	retryer := retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 5
		so.MaxBackoff = time.Second
		so.RateLimiter = ratelimit.None
	})
	t := &sdkTarget{endpoints: endpoints}
	for _, ep := range endpoints {
		t.sqs = append(t.sqs, sqs.New(sqs.Options{Region: region, Credentials: creds,
			BaseEndpoint: aws.String(ep), HTTPClient: hc, Retryer: retryer}))
		t.sns = append(t.sns, sns.New(sns.Options{Region: region, Credentials: creds,
			BaseEndpoint: aws.String(ep), HTTPClient: hc, Retryer: retryer}))
	}
	return t
}

// sdkQueue is a queue as each endpoint names it: one URL per endpoint.
type sdkQueue struct {
	name string
	urls []string
	arn  string
}

// createQueue creates the queue through the first endpoint and returns
// its URL on every endpoint.
func (t *sdkTarget) createQueue(ctx context.Context, name string) (*sdkQueue, error) {
	out, err := t.sqs[0].CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("create queue %s: %w", name, err)
	}
	path := strings.TrimPrefix(aws.ToString(out.QueueUrl), "http://")
	path = strings.TrimPrefix(path, "https://")
	if i := strings.IndexByte(path, '/'); i >= 0 {
		path = path[i:]
	} else {
		path = ""
	}
	q := &sdkQueue{name: name}
	for _, ep := range t.endpoints {
		q.urls = append(q.urls, ep+path)
	}
	// The URL path is /<account>/<name>: the ARN follows from it, without
	// an extra GetQueueAttributes (which the no-op reference lacks).
	account := "000000000000"
	if parts := strings.Split(strings.Trim(path, "/"), "/"); len(parts) == 2 {
		account = parts[0]
	}
	q.arn = fmt.Sprintf("arn:aws:sqs:%s:%s:%s", t.sqs[0].Options().Region, account, name)
	return q, nil
}

func (t *sdkTarget) deleteQueue(q *sdkQueue) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = t.sqs[0].DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(q.urls[0])})
}

// prepare sets up w under the given name (a queue, or a topic and its two
// queues) and returns its operation.
func (t *sdkTarget) prepare(ctx context.Context, w workload, name string) (*prepared, error) {
	if w.mode == modePublish {
		return t.preparePublish(ctx, w, name)
	}
	q, err := t.createQueue(ctx, name)
	if err != nil {
		return nil, err
	}
	p := &prepared{cleanup: func() { t.deleteQueue(q) }}
	switch w.mode {
	case modeSend:
		p.op = t.sendOp(q, w.body)
	case modeSendBatch:
		p.op = t.sendBatchOp(q, w.body, w.batch)
	case modeRecvDelete:
		p.op = t.recvDeleteOp(q)
		p.preload = func(ctx context.Context, n int, done *atomic.Int64) error {
			return t.preload(ctx, q, n, w.body, 32, done)
		}
	default:
		p.cleanup()
		return nil, fmt.Errorf("unknown mode %q", w.mode)
	}
	return p, nil
}

func (t *sdkTarget) sendOp(q *sdkQueue, body string) benchOp {
	return func(ctx context.Context, w int, tl *tally) {
		i := w % len(t.sqs)
		t0 := time.Now()
		_, err := t.sqs[i].SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.urls[i]), MessageBody: aws.String(body)})
		if tl.request(ctx, 0, t0, err) {
			tl.messages(1)
		}
	}
}

func (t *sdkTarget) sendBatchOp(q *sdkQueue, body string, batch int) benchOp {
	return func(ctx context.Context, w int, tl *tally) {
		i := w % len(t.sqs)
		t0 := time.Now()
		res, err := t.sqs[i].SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.urls[i]), Entries: sendEntries(batch, body)})
		if tl.request(ctx, 0, t0, err) {
			tl.messages(len(res.Successful))
			tl.failed(len(res.Failed))
		}
	}
}

func sendEntries(n int, body string) []types.SendMessageBatchRequestEntry {
	entries := make([]types.SendMessageBatchRequestEntry, n)
	for i := range entries {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(body)}
	}
	return entries
}

// recvDeleteOp receives up to 10 messages (waiting up to 1 s) and deletes
// them with one DeleteMessageBatch; the messages count once deleted. The
// delete finishes even when the run ends meanwhile.
func (t *sdkTarget) recvDeleteOp(q *sdkQueue) benchOp {
	return func(ctx context.Context, w int, tl *tally) {
		i := w % len(t.sqs)
		t0 := time.Now()
		res, err := t.sqs[i].ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.urls[i]), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if !tl.request(ctx, 0, t0, err) {
			return
		}
		if len(res.Messages) == 0 {
			tl.emptyReceive()
			return
		}
		entries := make([]types.DeleteMessageBatchRequestEntry, len(res.Messages))
		for k, m := range res.Messages {
			entries[k] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(k)), ReceiptHandle: m.ReceiptHandle}
		}
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		t1 := time.Now()
		dres, err := t.sqs[i].DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q.urls[i]), Entries: entries})
		if tl.request(dctx, 1, t1, err) {
			tl.failed(len(dres.Failed))
			tl.messages(len(dres.Successful))
		}
	}
}

// preparePublish creates a topic and two queues subscribed to it with raw
// message delivery.
func (t *sdkTarget) preparePublish(ctx context.Context, w workload, name string) (*prepared, error) {
	var queues []*sdkQueue
	var topicArn string
	cleanup := func() {
		if topicArn != "" {
			c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, _ = t.sns[0].DeleteTopic(c, &sns.DeleteTopicInput{TopicArn: aws.String(topicArn)})
			cancel()
		}
		for _, q := range queues {
			t.deleteQueue(q)
		}
	}
	out, err := t.sns[0].CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("create topic %s: %w", name, err)
	}
	topicArn = aws.ToString(out.TopicArn)
	for k := 1; k <= 2; k++ {
		q, err := t.createQueue(ctx, fmt.Sprintf("%s-sub%d", name, k))
		if err != nil {
			cleanup()
			return nil, err
		}
		queues = append(queues, q)
		_, err = t.sns[0].Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicArn), Protocol: aws.String("sqs"),
			Endpoint: aws.String(q.arn), Attributes: map[string]string{"RawMessageDelivery": "true"}})
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("subscribe %s to %s: %w", q.name, name, err)
		}
	}
	op := func(ctx context.Context, wk int, tl *tally) {
		i := wk % len(t.sns)
		t0 := time.Now()
		_, err := t.sns[i].Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicArn), Message: aws.String(w.body)})
		if tl.request(ctx, 0, t0, err) {
			tl.messages(1)
		}
	}
	return &prepared{op: op, cleanup: cleanup}, nil
}

// preload fills q with n messages of body using SendMessageBatch from
// senders concurrent senders, adding to done (when not nil) as batches
// succeed.
func (t *sdkTarget) preload(ctx context.Context, q *sdkQueue, n int, body string, senders int, done *atomic.Int64) error {
	return fill(ctx, n, senders, done, func(s, k int) error {
		i := s % len(t.sqs)
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		res, err := t.sqs[i].SendMessageBatch(c, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.urls[i]), Entries: sendEntries(k, body)})
		if err == nil && len(res.Failed) > 0 {
			err = fmt.Errorf("%d entries failed: %s", len(res.Failed), aws.ToString(res.Failed[0].Message))
		}
		return err
	})
}

// fill sends n messages in batches of up to 10 from senders concurrent
// senders: send(s, k) sends k messages as sender s. It adds to done (when
// not nil) as batches succeed and stops at the first error.
func fill(ctx context.Context, n, senders int, done *atomic.Int64, send func(s, k int) error) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := next.Add(10) - 10
				if start >= int64(n) {
					return
				}
				k := int(min(10, int64(n)-start))
				if err := send(s, k); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				if done != nil {
					done.Add(int64(k))
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
