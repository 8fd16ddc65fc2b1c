package transport

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/wharfmq/wharf/fsm"
)

const testAccount = "000000000000"

// newTestServer serves a Server over a memBackend.
func newTestServer(t *testing.T) (*httptest.Server, *memBackend) {
	t.Helper()
	mem := newMemBackend()
	srv := httptest.NewServer(New(Config{Backend: mem, Region: "us-east-1", AccountID: testAccount, Logger: quietLogger}).Handler())
	t.Cleanup(srv.Close)
	return srv, mem
}

// newSDKClient is an aws-sdk-go-v2 SQS client (AWS JSON 1.0) for srv,
// signing for us-west-2 with access key AKIDTEST.
func newSDKClient(srv *httptest.Server) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:           "us-west-2",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// apiCode returns the AWS error code of an SDK error.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode()
}

func TestSDKQueueLifecycle(t *testing.T) {
	srv, mem := newTestServer(t)
	cl := newSDKClient(srv)
	ctx := context.Background()

	out, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String("orders"),
		Attributes: map[string]string{"VisibilityTimeout": "45"},
		Tags:       map[string]string{"team": "a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantURL := srv.URL + "/" + testAccount + "/orders"
	if *out.QueueUrl != wantURL {
		t.Fatalf("QueueUrl = %s, want %s", *out.QueueUrl, wantURL)
	}
	key := fsm.QueueKey{Region: "us-west-2", Account: testAccount, Name: "orders"}
	if _, ok := mem.queues[key]; !ok {
		t.Fatalf("queue not created under %+v", key)
	}
	if _, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders-2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("other")}); err != nil {
		t.Fatal(err)
	}

	// Same name, other attributes.
	_, err = cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"VisibilityTimeout": "46"}})
	var exists *types.QueueNameExists
	if !errors.As(err, &exists) || apiCode(t, err) != "QueueAlreadyExists" {
		t.Fatalf("err = %v, want QueueNameExists/QueueAlreadyExists", err)
	}
	_, err = cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad name!")})
	if apiCode(t, err) != "InvalidParameterValue" {
		t.Fatalf("err = %v", err)
	}

	gu, err := cl.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	if err != nil || *gu.QueueUrl != wantURL {
		t.Fatalf("GetQueueUrl = %v, %v", gu, err)
	}
	_, err = cl.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) || apiCode(t, err) != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Fatalf("err = %v, want QueueDoesNotExist", err)
	}

	lq, err := cl.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("ord")})
	if err != nil || len(lq.QueueUrls) != 2 || lq.NextToken != nil {
		t.Fatalf("ListQueues = %+v, %v", lq, err)
	}
	var all []string
	var token *string
	for {
		page, err := cl.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.QueueUrls...)
		if page.NextToken == nil {
			break
		}
		token = page.NextToken
	}
	if strings.Join(all, ",") != srv.URL+"/"+testAccount+"/orders,"+srv.URL+"/"+testAccount+"/orders-2,"+srv.URL+"/"+testAccount+"/other" {
		t.Fatalf("paged ListQueues = %v", all)
	}

	ga, err := cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &wantURL, AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil || ga.Attributes["VisibilityTimeout"] != "45" || ga.Attributes["QueueArn"] != "arn:aws:sqs:us-west-2:"+testAccount+":orders" {
		t.Fatalf("GetQueueAttributes = %+v, %v", ga, err)
	}
	ga, err = cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &wantURL, AttributeNames: []types.QueueAttributeName{"DelaySeconds"}})
	if err != nil || len(ga.Attributes) != 1 || ga.Attributes["DelaySeconds"] != "0" {
		t.Fatalf("GetQueueAttributes(DelaySeconds) = %+v, %v", ga, err)
	}
	ga, err = cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &wantURL})
	if err != nil || len(ga.Attributes) != 0 {
		t.Fatalf("GetQueueAttributes() = %+v, %v", ga, err)
	}
	_, err = cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &wantURL, AttributeNames: []types.QueueAttributeName{"Nope"}})
	if apiCode(t, err) != "InvalidAttributeName" {
		t.Fatalf("err = %v", err)
	}
	if _, err := cl.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &wantURL, Attributes: map[string]string{"DelaySeconds": "5"}}); err != nil {
		t.Fatal(err)
	}

	if _, err := cl.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: &wantURL, Tags: map[string]string{"env": "prod"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: &wantURL, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := cl.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &wantURL})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["env"] != "prod" {
		t.Fatalf("ListQueueTags = %+v, %v", tags, err)
	}
	_, err = cl.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: &wantURL, Tags: map[string]string{"aws:x": "y"}})
	if apiCode(t, err) != "InvalidParameterValue" {
		t.Fatalf("err = %v", err)
	}

	dlqURL := srv.URL + "/" + testAccount + "/other"
	if _, err := cl.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &wantURL, Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-west-2:` + testAccount + `:other","maxReceiveCount":"3"}`,
	}}); err != nil {
		t.Fatal(err)
	}
	src, err := cl.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlqURL})
	if err != nil || len(src.QueueUrls) != 1 || src.QueueUrls[0] != wantURL {
		t.Fatalf("ListDeadLetterSourceQueues = %+v, %v", src, err)
	}

	if _, err := cl.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &wantURL}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &wantURL}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &wantURL})
	if !errors.As(err, &dne) {
		t.Fatalf("err = %v, want QueueDoesNotExist", err)
	}
	_, err = cl.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String("not-a-url")})
	var bad *types.InvalidAddress
	if !errors.As(err, &bad) {
		t.Fatalf("err = %v, want InvalidAddress", err)
	}
}

func TestSDKMessages(t *testing.T) {
	srv, mem := newTestServer(t)
	cl := newSDKClient(srv)
	ctx := context.Background()
	q, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]types.MessageAttributeValue{
		"color":   {DataType: aws.String("String"), StringValue: aws.String("blue")},
		"count":   {DataType: aws.String("Number"), StringValue: aws.String("42")},
		"blob":    {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
		"x.label": {DataType: aws.String("String.custom"), StringValue: aws.String("ü")},
	}
	sm, err := cl.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          q.QueueUrl,
		MessageBody:       aws.String("hello"),
		MessageAttributes: attrs,
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *sm.MD5OfMessageBody != "5d41402abc4b2a76b9719d911017c592" || sm.MessageId == nil {
		t.Fatalf("SendMessage = %+v", sm)
	}
	if sm.MD5OfMessageAttributes == nil || sm.MD5OfMessageSystemAttributes == nil {
		t.Fatalf("missing attribute MD5s: %+v", sm)
	}
	if mem.lastSend.SenderID != "AKIDTEST" || mem.lastSend.Entries[0].DelaySeconds != -1 {
		t.Fatalf("backend got %+v", mem.lastSend)
	}

	sb, err := cl.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("one"), DelaySeconds: 3},
		{Id: aws.String("b"), MessageBody: aws.String("reject-me")},
		{Id: aws.String("c"), MessageBody: aws.String("two"), DelaySeconds: 901},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sb.Successful) != 1 || *sb.Successful[0].Id != "a" || *sb.Successful[0].MD5OfMessageBody != md5Hex("one") {
		t.Fatalf("Successful = %+v", sb.Successful)
	}
	if len(sb.Failed) != 2 || *sb.Failed[0].Id != "b" || *sb.Failed[0].Code != "InvalidParameterValue" || !sb.Failed[0].SenderFault ||
		*sb.Failed[1].Id != "c" {
		t.Fatalf("Failed = %+v", sb.Failed)
	}

	_, err = cl.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("one")}, {Id: aws.String("a"), MessageBody: aws.String("one")},
	}})
	var dup *types.BatchEntryIdsNotDistinct
	if !errors.As(err, &dup) {
		t.Fatalf("err = %v, want BatchEntryIdsNotDistinct", err)
	}

	rm, err := cl.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.Messages) != 2 {
		t.Fatalf("received %d messages", len(rm.Messages))
	}
	m := rm.Messages[0]
	if *m.Body != "hello" || *m.MD5OfBody != "5d41402abc4b2a76b9719d911017c592" || *m.MD5OfMessageAttributes != *sm.MD5OfMessageAttributes {
		t.Fatalf("message = %+v", m)
	}
	if string(m.MessageAttributes["blob"].BinaryValue) != "\x00\x01\x02\xff" || *m.MessageAttributes["x.label"].StringValue != "ü" {
		t.Fatalf("attributes = %+v", m.MessageAttributes)
	}
	if m.Attributes["SenderId"] != "AKIDTEST" || m.Attributes["SentTimestamp"] != "1700000000123" ||
		m.Attributes["ApproximateReceiveCount"] != "1" || !strings.HasPrefix(m.Attributes["AWSTraceHeader"], "Root=") {
		t.Fatalf("system attributes = %+v", m.Attributes)
	}
	if mem.lastWait.Seconds() != 2 || mem.lastRecv.Max != 10 || mem.lastRecv.VisibilityTimeout != -1 {
		t.Fatalf("backend receive = %+v wait %v", mem.lastRecv, mem.lastWait)
	}

	empty, err := cl.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(empty.Messages) != 0 {
		t.Fatalf("empty receive = %+v, %v", empty, err)
	}

	if _, err := cl.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 10})
	var rhi *types.ReceiptHandleIsInvalid
	if !errors.As(err, &rhi) {
		t.Fatalf("err = %v, want ReceiptHandleIsInvalid", err)
	}
	cb, err := cl.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: q.QueueUrl, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("1"), ReceiptHandle: rm.Messages[1].ReceiptHandle, VisibilityTimeout: 5},
		{Id: aws.String("2"), ReceiptHandle: aws.String("rh-x"), VisibilityTimeout: 50000},
	}})
	if err != nil || len(cb.Successful) != 1 || len(cb.Failed) != 1 || *cb.Failed[0].Code != "InvalidParameterValue" {
		t.Fatalf("ChangeMessageVisibilityBatch = %+v, %v", cb, err)
	}

	if _, err := cl.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	db, err := cl.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("ok"), ReceiptHandle: rm.Messages[1].ReceiptHandle},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("garbage")},
	}})
	if err != nil || len(db.Successful) != 1 || *db.Successful[0].Id != "ok" || len(db.Failed) != 1 || *db.Failed[0].Code != "ReceiptHandleIsInvalid" {
		t.Fatalf("DeleteMessageBatch = %+v, %v", db, err)
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, 11)
	for i := range entries {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(string(rune('a' + i))), ReceiptHandle: aws.String("rh")}
	}
	_, err = cl.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries})
	var tooMany *types.TooManyEntriesInBatchRequest
	if !errors.As(err, &tooMany) {
		t.Fatalf("err = %v, want TooManyEntriesInBatchRequest", err)
	}

	_, err = cl.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 11})
	if apiCode(t, err) != "InvalidParameterValue" {
		t.Fatalf("err = %v", err)
	}
}
