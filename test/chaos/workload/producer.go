//go:build chaos

package workload

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// SendTimeout bounds one SendMessage.
const SendTimeout = 2 * time.Second

// Producer sends "p<ID>-<counter>" bodies, one at a time, at most Rate a
// second, each body once (never resent). With Topic set it publishes them
// to that SNS topic instead of sending them to Queue.
type Producer struct {
	ID      int
	Clients *Clients
	Rec     *history.Recorder
	Queue   string
	Topic   string
	Rate    float64

	mu        sync.Mutex
	maxAcked  int // highest acked counter, 0 when none
	lastAcked time.Duration
}

// MaxAcked is the highest counter this producer had acknowledged.
func (p *Producer) MaxAcked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxAcked
}

// Body is the body of counter n of producer id.
func Body(id, n int) string { return fmt.Sprintf("p%d-%d", id, n) }

// Run sends until ctx is done.
func (p *Producer) Run(ctx context.Context) {
	r := &rotor{nodes: p.Clients.Nodes(), i: p.ID}
	interval := time.Duration(float64(time.Second) / p.Rate)
	next := time.Now()
	for n := 1; ctx.Err() == nil; n++ {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		next = next.Add(interval)
		if time.Until(next) < -time.Second {
			next = time.Now() // do not burst after a long stall
		}
		body := Body(p.ID, n)
		node := r.node()
		kind := history.Send
		if p.Topic != "" {
			kind = history.Publish
		}
		op := p.Rec.Begin(fmt.Sprintf("p%d", p.ID), kind, node)
		op.Body = body
		cctx, cancel := context.WithTimeout(context.Background(), SendTimeout)
		id, err := p.send(cctx, node, body)
		cancel()
		Outcome(op, err)
		if err == nil {
			op.MessageID = id
		}
		p.Rec.End(op)
		if op.Outcome == history.OK {
			p.mu.Lock()
			p.maxAcked = n
			p.lastAcked = op.Complete
			p.mu.Unlock()
		} else {
			r.next()
		}
	}
}

// send sends (or publishes) one body through node and returns its message ID.
func (p *Producer) send(ctx context.Context, node, body string) (string, error) {
	if p.Topic != "" {
		out, err := p.Clients.SNS(node).Publish(ctx, &sns.PublishInput{
			TopicArn: aws.String(p.Topic),
			Message:  aws.String(body),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{
				"id": {DataType: aws.String("String"), StringValue: aws.String(body)},
			},
		})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.MessageId), nil
	}
	out, err := p.Clients.On(node).SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(p.Queue),
		MessageBody: aws.String(body),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"id": {DataType: aws.String("String"), StringValue: aws.String(body)},
		},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.MessageId), nil
}
