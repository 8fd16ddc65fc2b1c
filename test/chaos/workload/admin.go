//go:build chaos

package workload

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// CreateQueue creates a standard queue, trying every node until one
// answers, up to timeout; it returns the queue URL.
func CreateQueue(ctx context.Context, c *Clients, name string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	var last error
	for i := 0; ; i++ {
		n := c.Nodes()[i%len(c.Nodes())]
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		out, err := c.On(n).CreateQueue(cctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		cancel()
		if err == nil {
			return aws.ToString(out.QueueUrl), nil
		}
		last = err
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", fmt.Errorf("create queue %s: %w", name, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
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
