package test

// Message move tasks and permissions through aws-sdk-go-v2: a task that
// redrives a dead-letter queue keeps going when the leader is killed
// midway, and every message ends up in its source queue exactly once.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// deadLetter fills a new dead-letter queue with n messages from a new
// source queue (maxReceiveCount 1) and returns both URLs and the DLQ's ARN.
func deadLetter(t *testing.T, cl *sqs.Client, prefix string, n int) (srcURL, dlqURL, dlqArn string) {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	d, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(prefix + "-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: d.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	dlqArn = attrs.Attributes["QueueArn"]
	policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1}`, dlqArn)
	s, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(prefix + "-src"),
		Attributes: map[string]string{"RedrivePolicy": policy, "VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for i := 0; i < n; i++ {
		bodies = append(bodies, fmt.Sprintf("m%04d", i))
	}
	sendBatched(t, cl, *s.QueueUrl, bodies)
	// Receive everything once, let it become visible again, and receive
	// again: the second receives move it to the DLQ.
	drainOnce := func() {
		for {
			out, err := cl.ReceiveMessage(ctxT(t, 10*time.Second), &sqs.ReceiveMessageInput{QueueUrl: s.QueueUrl, MaxNumberOfMessages: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) == 0 {
				return
			}
		}
	}
	drainOnce()
	WaitFor(t, 30*time.Second, func() error {
		drainOnce()
		n2 := queueCount(t, cl, *d.QueueUrl, "ApproximateNumberOfMessages")
		if n2 != n {
			return fmt.Errorf("%d of %d messages in the DLQ", n2, n)
		}
		return nil
	})
	return *s.QueueUrl, *d.QueueUrl, dlqArn
}

func queueCount(t *testing.T, cl *sqs.Client, url, attr string) int {
	t.Helper()
	out, err := cl.GetQueueAttributes(ctxT(t, 10*time.Second), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeName(attr)}})
	if err != nil {
		t.Fatal(err)
	}
	return int(mustInt(out.Attributes[attr]))
}

func TestMoveTaskSurvivesLeaderKill(t *testing.T) {
	c := StartCluster(t, 3)
	leader := c.Leader(t)
	clients := make([]*sqs.Client, len(c.Nodes))
	for i := range c.Nodes {
		clients[i] = newSQS(c.Endpoint(i))
	}
	follower := (leader + 1) % len(c.Nodes)
	cl := clients[follower]
	const n = 300
	srcURL, dlqURL, dlqArn := deadLetter(t, cl, "move", n)

	// Rules first: not a DLQ, rate out of range, one task at a time.
	srcArn := strings.Replace(dlqArn, "move-dlq", "move-src", 1)
	if _, err := cl.StartMessageMoveTask(ctxT(t, 10*time.Second), &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(srcArn)}); err == nil {
		t.Fatal("a move task from a queue that is no dead-letter queue started")
	}
	if _, err := cl.StartMessageMoveTask(ctxT(t, 10*time.Second), &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn), MaxNumberOfMessagesPerSecond: aws.Int32(501)}); err == nil {
		t.Fatal("a rate of 501 was accepted")
	}
	start, err := cl.StartMessageMoveTask(ctxT(t, 10*time.Second), &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn), MaxNumberOfMessagesPerSecond: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.StartMessageMoveTask(ctxT(t, 10*time.Second), &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn)}); err == nil {
		t.Fatal("a second task on the same source started")
	}
	// Kill the leader once the task has moved some messages.
	WaitFor(t, 20*time.Second, func() error {
		if moved := queueCount(t, cl, srcURL, "ApproximateNumberOfMessages"); moved < 50 {
			return fmt.Errorf("%d moved", moved)
		}
		return nil
	})
	if err := c.Kill(leader); err != nil {
		t.Fatal(err)
	}
	var last types.ListMessageMoveTasksResultEntry
	WaitFor(t, 60*time.Second, func() error {
		out, err := cl.ListMessageMoveTasks(ctxT(t, 10*time.Second), &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqArn), MaxResults: aws.Int32(10)})
		if err != nil {
			return err
		}
		if len(out.Results) != 1 {
			return fmt.Errorf("%d tasks listed", len(out.Results))
		}
		last = out.Results[0]
		if aws.ToString(last.Status) != "COMPLETED" {
			return fmt.Errorf("task %s, %d moved", aws.ToString(last.Status), last.ApproximateNumberOfMessagesMoved)
		}
		return nil
	})
	if last.ApproximateNumberOfMessagesMoved != n || last.ApproximateNumberOfMessagesToMove == nil || *last.ApproximateNumberOfMessagesToMove != n {
		t.Fatalf("finished task: %+v", last)
	}
	if _, err := cl.CancelMessageMoveTask(ctxT(t, 10*time.Second), &sqs.CancelMessageMoveTaskInput{TaskHandle: start.TaskHandle}); err == nil {
		t.Fatal("a completed task was cancelled")
	}
	if got := queueCount(t, cl, dlqURL, "ApproximateNumberOfMessages"); got != 0 {
		t.Fatalf("%d messages left in the DLQ", got)
	}
	// Every message is back in its source exactly once.
	seen := map[string]int{}
	for {
		out, err := cl.ReceiveMessage(ctxT(t, 10*time.Second), &sqs.ReceiveMessageInput{QueueUrl: aws.String(srcURL), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			seen[aws.ToString(m.Body)]++
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct messages back in the source, want %d", len(seen), n)
	}
	for b, k := range seen {
		if k != 1 {
			t.Fatalf("%s is in the source %d times", b, k)
		}
	}
}

func TestPermissionsSDK(t *testing.T) {
	c := shared(t)
	cl := newSQS(c.Endpoint(c.Follower(t)))
	ctx := ctxT(t, 30*time.Second)
	q, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq("perm"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: q.QueueUrl, Label: aws.String("send"),
		AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage", "ReceiveMessage"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: q.QueueUrl, Label: aws.String("send"),
		AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}}); err == nil || !strings.Contains(err.Error(), "Already exists") {
		t.Fatalf("a duplicate label: %v", err)
	}
	attrs, err := cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNamePolicy}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Sid       string
			Principal struct{ AWS []string }
			Action    []string
		}
	}
	if err := json.Unmarshal([]byte(attrs.Attributes["Policy"]), &doc); err != nil || len(doc.Statement) != 1 ||
		doc.Statement[0].Sid != "send" || doc.Statement[0].Principal.AWS[0] != "arn:aws:iam::111122223333:root" || doc.Statement[0].Action[1] != "SQS:ReceiveMessage" {
		t.Fatalf("policy %s: %+v %v", attrs.Attributes["Policy"], doc, err)
	}
	if _, err := cl.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: q.QueueUrl, Label: aws.String("send")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: q.QueueUrl, Label: aws.String("send")}); err == nil {
		t.Fatal("removing a missing label succeeded")
	}
}
