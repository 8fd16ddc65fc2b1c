//go:build chaos

package workload

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// CreateQueue creates a standard queue, trying every node until one
// answers, up to timeout; it returns the queue URL.
func CreateQueue(ctx context.Context, c *Clients, name string, timeout time.Duration) (string, error) {
	var url string
	err := retryNodes(ctx, c, timeout, func(cctx context.Context, n string) error {
		out, err := c.On(n).CreateQueue(cctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err == nil {
			url = aws.ToString(out.QueueUrl)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", name, err)
	}
	return url, nil
}

// Counters are a queue's approximate counts.
type Counters struct {
	Visible, NotVisible, Delayed int
}

// GetCounters reads ApproximateNumberOfMessages{,NotVisible,Delayed}
// through node.
func GetCounters(ctx context.Context, c *Clients, node, url string) (Counters, error) {
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	out, err := c.On(node).GetQueueAttributes(cctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		return Counters{}, err
	}
	get := func(k string) int {
		v, _ := strconv.Atoi(out.Attributes[k])
		return v
	}
	return Counters{Visible: get("ApproximateNumberOfMessages"), NotVisible: get("ApproximateNumberOfMessagesNotVisible"),
		Delayed: get("ApproximateNumberOfMessagesDelayed")}, nil
}

// CreateFanout creates an SNS topic and a queue subscribed to it with raw
// delivery (the queue's bodies are the published messages), trying every
// node until one answers, up to timeout. It returns the topic ARN and the
// queue URL.
func CreateFanout(ctx context.Context, c *Clients, topic, queue string, timeout time.Duration) (topicArn, queueURL string, err error) {
	if queueURL, err = CreateQueue(ctx, c, queue, timeout); err != nil {
		return "", "", err
	}
	err = retryNodes(ctx, c, timeout, func(cctx context.Context, n string) error {
		out, err := c.SNS(n).CreateTopic(cctx, &sns.CreateTopicInput{Name: aws.String(topic)})
		if err != nil {
			return err
		}
		topicArn = aws.ToString(out.TopicArn)
		attrs, err := c.On(n).GetQueueAttributes(cctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
		if err != nil {
			return err
		}
		_, err = c.SNS(n).Subscribe(cctx, &sns.SubscribeInput{TopicArn: aws.String(topicArn), Protocol: aws.String("sqs"),
			Endpoint: aws.String(attrs.Attributes["QueueArn"]), Attributes: map[string]string{"RawMessageDelivery": "true"}})
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("create fan-out %s: %w", topic, err)
	}
	return topicArn, queueURL, nil
}

// retryNodes runs f on one node after another until it succeeds, up to
// timeout.
func retryNodes(ctx context.Context, c *Clients, timeout time.Duration, f func(context.Context, string) error) error {
	deadline := time.Now().Add(timeout)
	for i := 0; ; i++ {
		n := c.Nodes()[i%len(c.Nodes())]
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := f(cctx, n)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}
