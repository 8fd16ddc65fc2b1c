//go:build chaos

package workload

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// CreateFifoQueue creates a FIFO queue (name must end in .fifo), trying
// every node until one answers, up to timeout; it returns the queue URL.
func CreateFifoQueue(ctx context.Context, c *Clients, name string, timeout time.Duration) (string, error) {
	var url string
	err := retryNodes(ctx, c, timeout, func(cctx context.Context, n string) error {
		out, err := c.On(n).CreateQueue(cctx, &sqs.CreateQueueInput{QueueName: aws.String(name),
			Attributes: map[string]string{"FifoQueue": "true"}})
		if err == nil {
			url = aws.ToString(out.QueueUrl)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create FIFO queue %s: %w", name, err)
	}
	return url, nil
}

// FifoBody is the body of counter n of FIFO producer id.
func FifoBody(id, n int) string { return fmt.Sprintf("f%d-%d", id, n) }

// FifoGroup is the message group FIFO producer id sends to.
func FifoGroup(id int) string { return fmt.Sprintf("g%d", id) }

// FifoProducer sends "f<ID>-<counter>" bodies to a FIFO queue, all in its
// own message group, in order: counter n+1 only after n was acknowledged
// or definitely refused (4xx). A send with an unknown outcome (timeout,
// connection error, 5xx) is resent, with the same MessageDeduplicationId
// (the body), until it is answered; nothing else is ever resent. At most
// Rate calls a second.
type FifoProducer struct {
	ID      int
	Clients *Clients
	Rec     *history.Recorder
	Queue   string
	Rate    float64

	mu       sync.Mutex
	maxAcked int
}

// MaxAcked is the highest counter this producer had acknowledged.
func (p *FifoProducer) MaxAcked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxAcked
}

// Run sends until ctx is done (a resend in progress is abandoned).
func (p *FifoProducer) Run(ctx context.Context) {
	r := &rotor{nodes: p.Clients.Nodes(), i: p.ID}
	interval := time.Duration(float64(time.Second) / p.Rate)
	next := time.Now()
	proc := fmt.Sprintf("f%d", p.ID)
	group := FifoGroup(p.ID)
	n := 1
	for ctx.Err() == nil {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		next = next.Add(interval)
		if time.Until(next) < -time.Second {
			next = time.Now()
		}
		body := FifoBody(p.ID, n)
		node := r.node()
		op := p.Rec.Begin(proc, history.FifoSend, node)
		op.Body, op.Group = body, group
		cctx, cancel := context.WithTimeout(context.Background(), SendTimeout)
		out, err := p.Clients.On(node).SendMessage(cctx, &sqs.SendMessageInput{
			QueueUrl:               aws.String(p.Queue),
			MessageBody:            aws.String(body),
			MessageGroupId:         aws.String(group),
			MessageDeduplicationId: aws.String(body),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"id": {DataType: aws.String("String"), StringValue: aws.String(body)},
			},
		})
		cancel()
		Outcome(op, err)
		if err == nil {
			op.MessageID, op.SequenceNumber = aws.ToString(out.MessageId), aws.ToString(out.SequenceNumber)
		}
		p.Rec.End(op)
		switch op.Outcome {
		case history.OK:
			p.mu.Lock()
			p.maxAcked = n
			p.mu.Unlock()
			n++
		case history.Fail:
			// Definitely not applied: this body is given up.
			r.next()
			n++
		default:
			// Unknown: resent next round, same body and deduplication ID.
			r.next()
		}
	}
}
