package test

// aws-sdk-go-v2's SNS client against the shared cluster through a
// follower: its query serializer and XML parser on batches, paging and the
// modeled error types.

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestSNSGoSDK(t *testing.T) {
	c := shared(t)
	ep := c.Endpoint(c.Follower(t))
	ctx := ctxT(t, 3*time.Minute)
	cl := newSNSClient(ep)
	sq := newSQS(ep)
	name := uniq("gosdk")

	ct, err := cl.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Tags: []snstypes.Tag{{Key: aws.String("team"), Value: aws.String("wharf")}}})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	topic := aws.ToString(ct.TopicArn)
	tags, err := cl.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: ct.TopicArn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "wharf" {
		t.Errorf("ListTagsForResource = %+v, %v", tags, err)
	}
	found := false
	for p := sns.NewListTopicsPaginator(cl, &sns.ListTopicsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListTopics: %v", err)
		}
		for _, tp := range page.Topics {
			found = found || aws.ToString(tp.TopicArn) == topic
		}
	}
	if !found {
		t.Errorf("ListTopics paginator does not list %s", topic)
	}

	// PublishBatch with a failing entry, to a raw subscriber.
	url := createQueue(t, sq, name, nil)
	if _, err := cl.Subscribe(ctx, &sns.SubscribeInput{TopicArn: ct.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(queueArn(t, sq, url)), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	str := func(v string) snstypes.MessageAttributeValue {
		return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	res, err := cl.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: ct.TopicArn, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("first"), MessageAttributes: map[string]snstypes.MessageAttributeValue{"k": str("1")}},
		{Id: aws.String("bad"), Message: aws.String("bad"), MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"n": {DataType: aws.String("Number"), StringValue: aws.String("not a number")}}},
		{Id: aws.String("b"), Message: aws.String("second")},
	}})
	if err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	var okIDs []string
	for _, s := range res.Successful {
		okIDs = append(okIDs, aws.ToString(s.Id))
		if aws.ToString(s.MessageId) == "" {
			t.Errorf("PublishBatch entry %s: no MessageId", aws.ToString(s.Id))
		}
	}
	sort.Strings(okIDs)
	if strings.Join(okIDs, ",") != "a,b" || len(res.Failed) != 1 || aws.ToString(res.Failed[0].Id) != "bad" ||
		aws.ToString(res.Failed[0].Code) != "ParameterValueInvalid" || !res.Failed[0].SenderFault {
		t.Errorf("PublishBatch: successful %v, failed %+v", okIDs, res.Failed)
	}
	bodies := map[string]map[string]sqstypes.MessageAttributeValue{}
	WaitFor(t, 30*time.Second, func() error {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}})
		if err != nil {
			return err
		}
		for _, m := range out.Messages {
			bodies[aws.ToString(m.Body)] = m.MessageAttributes
		}
		if len(bodies) < 2 {
			return fmt.Errorf("%d of 2 batch messages received", len(bodies))
		}
		return nil
	})
	if a, ok := bodies["first"]["k"]; len(bodies) != 2 || !ok || aws.ToString(a.StringValue) != "1" {
		t.Errorf("received %v", bodies)
	}

	// Modeled errors.
	var notFound *snstypes.NotFoundException
	_, err = cl.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topic + "-missing")})
	if !errors.As(err, &notFound) {
		t.Errorf("GetTopicAttributes of a missing topic: %T %v, want NotFoundException", err, err)
	}
	var invalid *snstypes.InvalidParameterException
	_, err = cl.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("bad name")})
	if !errors.As(err, &invalid) {
		t.Errorf("CreateTopic with a bad name: %T %v, want InvalidParameterException", err, err)
	}
	var invalidValue *snstypes.InvalidParameterValueException
	_, err = cl.Publish(ctx, &sns.PublishInput{TopicArn: ct.TopicArn, Message: aws.String("x"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("x")}}})
	if !errors.As(err, &invalidValue) {
		t.Errorf("Publish with a bad Number: %T %v, want InvalidParameterValueException", err, err)
	}
	var tooMany *snstypes.TooManyEntriesInBatchRequestException
	var entries []snstypes.PublishBatchRequestEntry
	for i := 0; i < 11; i++ {
		entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), Message: aws.String("x")})
	}
	_, err = cl.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: ct.TopicArn, PublishBatchRequestEntries: entries})
	if !errors.As(err, &tooMany) {
		t.Errorf("PublishBatch of 11: %T %v, want TooManyEntriesInBatchRequestException", err, err)
	}
	var notDistinct *snstypes.BatchEntryIdsNotDistinctException
	_, err = cl.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: ct.TopicArn, PublishBatchRequestEntries: entries[:1:1]})
	if err != nil {
		t.Errorf("PublishBatch of 1: %v", err)
	}
	_, err = cl.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: ct.TopicArn, PublishBatchRequestEntries: append(entries[:1:1], entries[0])})
	if !errors.As(err, &notDistinct) {
		t.Errorf("PublishBatch with duplicate ids: %T %v, want BatchEntryIdsNotDistinctException", err, err)
	}
	var resNotFound *snstypes.ResourceNotFoundException
	_, err = cl.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(topic + "-missing"), Tags: []snstypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	if !errors.As(err, &resNotFound) {
		t.Errorf("TagResource of a missing topic: %T %v, want ResourceNotFoundException", err, err)
	}

	// ListSubscriptionsByTopic pages of 100; an Unsubscribe between two
	// pages skips nothing that stayed.
	want := map[string]bool{}
	for i := 0; i < 104; i++ {
		out, err := cl.Subscribe(ctx, &sns.SubscribeInput{TopicArn: ct.TopicArn, Protocol: aws.String("sqs"),
			Endpoint: aws.String(fmt.Sprintf("arn:aws:sqs:%s:%s:%s-fake-%03d", testRegion, testAccount, name, i))})
		if err != nil {
			t.Fatalf("Subscribe %d: %v", i, err)
		}
		want[aws.ToString(out.SubscriptionArn)] = true
	}
	page1, err := cl.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: ct.TopicArn})
	if err != nil {
		t.Fatalf("ListSubscriptionsByTopic: %v", err)
	}
	if len(page1.Subscriptions) != 100 || page1.NextToken == nil {
		t.Fatalf("ListSubscriptionsByTopic first page: %d subscriptions, NextToken %v; want 100 and a token", len(page1.Subscriptions), page1.NextToken)
	}
	gone := ""
	seen := map[string]bool{}
	for _, s := range page1.Subscriptions {
		arn := aws.ToString(s.SubscriptionArn)
		seen[arn] = true
		if gone == "" && want[arn] {
			gone = arn
		}
	}
	if _, err := cl.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(gone)}); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	delete(want, gone)
	p := sns.NewListSubscriptionsByTopicPaginator(cl, &sns.ListSubscriptionsByTopicInput{TopicArn: ct.TopicArn, NextToken: page1.NextToken})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListSubscriptionsByTopic: %v", err)
		}
		for _, s := range page.Subscriptions {
			arn := aws.ToString(s.SubscriptionArn)
			if seen[arn] {
				t.Errorf("ListSubscriptionsByTopic lists %s twice", arn)
			}
			seen[arn] = true
		}
	}
	for arn := range want {
		if !seen[arn] {
			t.Errorf("ListSubscriptionsByTopic skipped %s", arn)
		}
	}
	if _, err := cl.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: ct.TopicArn}); err != nil {
		t.Errorf("DeleteTopic: %v", err)
	}
}
