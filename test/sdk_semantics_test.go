package test

// aws-sdk-go-v2: long polling, dead-letter redrive and bad input.

import (
	"errors"
	"fmt"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// otherEndpoint returns the endpoint of a node other than ep.
func otherEndpoint(t *testing.T, ep string) string {
	c := shared(t)
	for _, e := range c.Endpoints() {
		if e != ep {
			return e
		}
	}
	t.Fatal("no other endpoint")
	return ""
}

func testLongPollWakesOnSend(t *testing.T, cl *sqs.Client, ep string) {
	url := createQueue(t, cl, uniq("longpoll"), nil)
	// The send goes through another node: the wake-up must cross nodes.
	sender := newSQS(otherEndpoint(t, ep))
	senderURL := strings.Replace(url, ep, otherEndpoint(t, ep), 1)

	var once sync.Once
	wrote := make(chan struct{})
	ctx := httptrace.WithClientTrace(ctxT(t, 40*time.Second), &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(wrote) }) },
	})
	type result struct {
		msgs []types.Message
		err  error
		at   time.Time
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		out, err := cl.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20, MaxNumberOfMessages: 10})
		r := result{err: err, at: time.Now()}
		if out != nil {
			r.msgs = out.Messages
		}
		done <- r
	}()
	select {
	case <-wrote:
	case r := <-done:
		t.Fatalf("long poll returned before its request was written: %v", r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("long-poll request not written within 10 s")
	}
	// Let the poll reach the server and park: one round trip through the
	// same node (a linearizable read on the leader) after the receive
	// request was written. A causal wait, not a fixed sleep.
	queueAttrs(t, cl, url, types.QueueAttributeNameApproximateNumberOfMessages)
	sentAt := time.Now()
	if _, err := sender.SendMessage(ctxT(t, 10*time.Second), &sqs.SendMessageInput{QueueUrl: aws.String(senderURL), MessageBody: aws.String("wake up")}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("long poll did not return within 30 s")
	}
	if r.err != nil {
		t.Fatalf("long poll: %v", r.err)
	}
	if len(r.msgs) != 1 || aws.ToString(r.msgs[0].Body) != "wake up" {
		t.Fatalf("long poll returned %d messages, want the one sent", len(r.msgs))
	}
	afterSend := r.at.Sub(sentAt)
	t.Logf("long poll returned %v after the send (%v after it started; WaitTimeSeconds 20)", afterSend.Round(time.Millisecond), r.at.Sub(start).Round(time.Millisecond))
	if afterSend > 3*time.Second || r.at.Sub(start) > 10*time.Second {
		t.Errorf("long poll returned %v after the send, %v after it started: want well before WaitTimeSeconds=20", afterSend, r.at.Sub(start))
	}
}

// testLongPollWakesOnDelay: a message sent with DelaySeconds=2 before a
// 20 s long poll starts is returned when it becomes visible, so the poll
// must be waiting on the server and wake on the visibility deadline.
func testLongPollWakesOnDelay(t *testing.T, cl *sqs.Client, ep string) {
	url := createQueue(t, cl, uniq("longpoll-delay"), nil)
	sender := newSQS(otherEndpoint(t, ep))
	senderURL := strings.Replace(url, ep, otherEndpoint(t, ep), 1)
	sentAt := time.Now()
	if _, err := sender.SendMessage(ctxT(t, 10*time.Second), &sqs.SendMessageInput{QueueUrl: aws.String(senderURL), MessageBody: aws.String("in 2 s"), DelaySeconds: 2}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	msgs := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
	el := time.Since(sentAt)
	t.Logf("long poll returned the delayed message %v after the send (delay 2 s, WaitTimeSeconds 20)", el.Round(time.Millisecond))
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "in 2 s" {
		t.Fatalf("long poll returned %d messages, want the delayed one", len(msgs))
	}
	if el < 1800*time.Millisecond || el > 7*time.Second {
		t.Errorf("delayed message returned %v after the send, want about 2 s", el)
	}
}

func testLongPollTimesOut(t *testing.T, cl *sqs.Client, ep string) {
	url := createQueue(t, cl, uniq("longpoll-empty"), nil)
	start := time.Now()
	msgs := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 2})
	el := time.Since(start)
	if len(msgs) != 0 {
		t.Fatalf("empty queue returned %d messages", len(msgs))
	}
	if el < 1800*time.Millisecond || el > 8*time.Second {
		t.Errorf("empty long poll with WaitTimeSeconds=2 took %v, want about 2 s", el)
	}
	// The queue's ReceiveMessageWaitTimeSeconds applies when the request
	// sets none.
	url2 := createQueue(t, cl, uniq("longpoll-default"), map[string]string{"ReceiveMessageWaitTimeSeconds": "2"})
	start = time.Now()
	msgs = receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url2)})
	el = time.Since(start)
	if len(msgs) != 0 || el < 1800*time.Millisecond || el > 8*time.Second {
		t.Errorf("receive on a queue with ReceiveMessageWaitTimeSeconds=2: %d messages after %v, want 0 after about 2 s", len(msgs), el)
	}
}

func testDeadLetterRedrive(t *testing.T, cl *sqs.Client, ep string) {
	dlqURL := createQueue(t, cl, uniq("redrive-dlq"), nil)
	dlqArn := queueAttrs(t, cl, dlqURL, types.QueueAttributeNameQueueArn)["QueueArn"]
	srcURL := createQueue(t, cl, uniq("redrive-src"), map[string]string{
		"VisibilityTimeout": "0",
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"2"}`,
	})
	srcArn := queueAttrs(t, cl, srcURL, types.QueueAttributeNameQueueArn)["QueueArn"]
	ids := sendBodies(t, cl, srcURL, "poison")
	receives := 0
	var dead []types.Message
	WaitFor(t, 30*time.Second, func() error {
		m := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(srcURL), WaitTimeSeconds: 1})
		receives += len(m)
		dead = receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), VisibilityTimeout: 600,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
		if len(dead) == 0 {
			return fmt.Errorf("message not in the dead-letter queue after %d receives", receives)
		}
		return nil
	})
	if receives != 2 {
		t.Errorf("the source queue delivered the message %d times, want maxReceiveCount = 2", receives)
	}
	if len(dead) != 1 || aws.ToString(dead[0].Body) != "poison" || aws.ToString(dead[0].MessageId) != ids[0] {
		t.Fatalf("dead-letter queue returned %d messages (%+v), want the poison message %s", len(dead), dead, ids[0])
	}
	if got := dead[0].Attributes["DeadLetterQueueSourceArn"]; got != srcArn {
		t.Errorf("DeadLetterQueueSourceArn = %q, want %q", got, srcArn)
	}
	waitCounts(t, cl, srcURL, 0, 0, 0)
	waitCounts(t, cl, dlqURL, 0, 1, 0)
}

func testBadInput(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	url := createQueue(t, cl, uniq("badinput"), nil)

	sendEntries := func(n int) []types.SendMessageBatchRequestEntry {
		e := []types.SendMessageBatchRequestEntry{}
		for i := 0; i < n; i++ {
			e = append(e, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprintf("id%d", i)), MessageBody: aws.String("x")})
		}
		return e
	}
	_, err := cl.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: sendEntries(11)})
	wantErr(t, err, "TooManyEntriesInBatchRequest", "SendMessageBatch with 11 entries")
	_, err = cl.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: sendEntries(0)})
	wantErr(t, err, "EmptyBatchRequest", "SendMessageBatch with no entries")
	dup := sendEntries(3)
	dup[2].Id = aws.String("id0")
	_, err = cl.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: dup})
	wantErr(t, err, "BatchEntryIdsNotDistinct", "SendMessageBatch with duplicate ids")
	for _, bad := range []string{"bad id", "dots.are.bad", strings.Repeat("i", 81)} {
		e := sendEntries(2)
		e[1].Id = aws.String(bad)
		_, err = cl.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: e})
		wantErr(t, err, "InvalidBatchEntryId", fmt.Sprintf("SendMessageBatch with entry id %q", bad))
	}

	var del []types.DeleteMessageBatchRequestEntry
	var cmv []types.ChangeMessageVisibilityBatchRequestEntry
	for i := 0; i < 11; i++ {
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprintf("d%d", i)), ReceiptHandle: aws.String("h")})
		cmv = append(cmv, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(fmt.Sprintf("c%d", i)), ReceiptHandle: aws.String("h")})
	}
	_, err = cl.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
	wantErr(t, err, "TooManyEntriesInBatchRequest", "DeleteMessageBatch with 11 entries")
	_, err = cl.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: cmv})
	wantErr(t, err, "TooManyEntriesInBatchRequest", "ChangeMessageVisibilityBatch with 11 entries")
	_, err = cl.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{}})
	wantErr(t, err, "EmptyBatchRequest", "DeleteMessageBatch with no entries")
	_, err = cl.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{}})
	wantErr(t, err, "EmptyBatchRequest", "ChangeMessageVisibilityBatch with no entries")
	dupDel := []types.DeleteMessageBatchRequestEntry{{Id: aws.String("x"), ReceiptHandle: aws.String("h")}, {Id: aws.String("x"), ReceiptHandle: aws.String("h2")}}
	_, err = cl.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: dupDel})
	wantErr(t, err, "BatchEntryIdsNotDistinct", "DeleteMessageBatch with duplicate ids")

	_, err = cl.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(strings.Repeat("Z", 300))})
	wantErr(t, err, "ReceiptHandleIsInvalid", "DeleteMessage with a 300-char garbage handle")

	big := strings.Repeat("B", 1024*1024+1)
	_, err = cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(big)})
	wantErr(t, err, "InvalidParameterValueException", "SendMessage with a 1 MiB + 1 body")
	exact := strings.Repeat("E", 1024*1024)
	if _, err = cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(exact)}); err != nil {
		t.Errorf("SendMessage with a body of exactly 1 MiB: %v", err)
	}
	for what, body := range map[string]string{"NUL": "a\x00b", "C0 control": "a\x01b", "U+FFFE": "a\uFFFEb", "U+FFFF": "a\uFFFFb"} {
		_, err = cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
		wantErr(t, err, "InvalidMessageContents", "SendMessage with "+what)
	}
	// Allowed unusual characters: tab, newline, CR, astral plane.
	if _, err = cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("tab\tnl\ncr\r 😀 \uE000")}); err != nil {
		t.Errorf("SendMessage with tab/newline/CR/emoji: %v", err)
	}
	_, err = cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(ep + "/" + testAccount + "/" + uniq("missing")), MessageBody: aws.String("x")})
	wantErr(t, err, "QueueDoesNotExist", "SendMessage to a missing queue")
	// Only the two valid sends above changed the queue.
	waitCounts(t, cl, url, 2, 0, 0)
}

// testNotYetSupported: actions and features Wharf does not implement yet
// must answer a clear AWS-style client error (not a 5xx, not a hang) and
// change nothing.
func testNotYetSupported(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	url := createQueue(t, cl, uniq("unsupported"), nil)
	arn := queueAttrs(t, cl, url, types.QueueAttributeNameQueueArn)["QueueArn"]
	clientErr := func(err error, what string) {
		t.Helper()
		if err == nil {
			return // implemented meanwhile: fine
		}
		var ae smithy.APIError
		var re *awshttp.ResponseError
		if !errors.As(err, &ae) || !errors.As(err, &re) {
			t.Errorf("%s: %v (%T), want an AWS client error", what, err, err)
			return
		}
		if s := re.HTTPStatusCode(); s < 400 || s >= 500 || ae.ErrorCode() == "" {
			t.Errorf("%s: HTTP %d code %q, want 4xx with an error code", what, s, ae.ErrorCode())
		}
		t.Logf("%s: %s (HTTP %d)", what, ae.ErrorCode(), re.HTTPStatusCode())
	}
	_, err := cl.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String("l"), AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}})
	clientErr(err, "AddPermission")
	_, err = cl.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: aws.String(url), Label: aws.String("l")})
	clientErr(err, "RemovePermission")
	_, err = cl.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(arn)})
	clientErr(err, "ListMessageMoveTasks")
	_, err = cl.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(arn)})
	clientErr(err, "StartMessageMoveTask")
	_, err = cl.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String("bogus")})
	clientErr(err, "CancelMessageMoveTask")
	_, err = cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq("fifo") + ".fifo"), Attributes: map[string]string{"FifoQueue": "true"}})
	clientErr(err, "CreateQueue FifoQueue=true")
	waitCounts(t, cl, url, 0, 0, 0)
}

// testRetentionExpiry: with MessageRetentionPeriod=60 (the minimum) a
// message disappears after a minute. Slow, but it runs beside the other
// cases, so it costs about a minute of wall time.
func testRetentionExpiry(t *testing.T, cl *sqs.Client, ep string) {
	url := createQueue(t, cl, uniq("retention"), map[string]string{"MessageRetentionPeriod": "60"})
	sent := time.Now()
	sendBodies(t, cl, url, "short-lived", "in flight and short-lived")
	if m := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 1, VisibilityTimeout: 600}); len(m) != 1 {
		t.Fatalf("received %d messages, want 1", len(m))
	}
	waitCounts(t, cl, url, 1, 1, 0)
	// Both messages, the visible and the in-flight one, expire.
	WaitFor(t, 150*time.Second, func() error {
		v, nv, _, err := counts(cl, url)
		if err != nil {
			return err
		}
		if v != "0" || nv != "0" {
			return fmt.Errorf("after %v: %s visible, %s in flight; want both expired", time.Since(sent).Round(time.Second), v, nv)
		}
		return nil
	})
	if el := time.Since(sent); el < 55*time.Second {
		t.Errorf("messages expired after %v, before the 60 s retention period", el)
	}
	if m := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10}); len(m) != 0 {
		t.Errorf("receive after retention expiry returned %d messages", len(m))
	}
}
