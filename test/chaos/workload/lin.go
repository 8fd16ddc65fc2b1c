//go:build chaos

package workload

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// Lin sub-workload settings: a visibility timeout that never expires
// during a run, no long polling, short timeouts.
const (
	LinVisibility = 3600
	LinTimeout    = 2 * time.Second
	linPause      = 50 * time.Millisecond
)

// LinClient runs one call at a time on the lin queue: send(id),
// receive(max 1, wait 0, visibility 3600) and delete(id) with the handle
// its receive returned.
type LinClient struct {
	ID      int
	Clients *Clients
	Rec     *history.Recorder
	Queue   string
	Rand    *rand.Rand
}

// Run calls until ctx is done.
func (l *LinClient) Run(ctx context.Context) {
	r := &rotor{nodes: l.Clients.Nodes(), i: l.ID}
	proc := fmt.Sprintf("l%d", l.ID)
	var handles []history.Msg // received, to delete
	n := 0
	for ctx.Err() == nil {
		sleepCtx(ctx, linPause)
		if ctx.Err() != nil {
			return
		}
		node := r.node()
		var op *history.Op
		cctx, cancel := context.WithTimeout(context.Background(), LinTimeout)
		// Receives outnumber sends, so the visible set (and the model's
		// nondeterminism after an unknown receive) stays small.
		switch x, y := l.Rand.Float64(), l.Rand.Float64(); {
		case len(handles) > 0 && x < 0.4:
			m := handles[0]
			handles = handles[1:]
			op = l.Rec.Begin(proc, history.LinDelete, node)
			op.Body = m.Body
			_, err := l.Clients.On(node).DeleteMessage(cctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(l.Queue), ReceiptHandle: aws.String(m.Handle)})
			Outcome(op, err)
		case y < 0.4:
			n++
			body := fmt.Sprintf("l%d-%d", l.ID, n)
			op = l.Rec.Begin(proc, history.LinSend, node)
			op.Body = body
			out, err := l.Clients.On(node).SendMessage(cctx, &sqs.SendMessageInput{QueueUrl: aws.String(l.Queue), MessageBody: aws.String(body)})
			Outcome(op, err)
			if err == nil {
				op.MessageID = aws.ToString(out.MessageId)
			}
		default:
			op = l.Rec.Begin(proc, history.LinReceive, node)
			op.Visibility = LinVisibility * time.Second
			out, err := l.Clients.On(node).ReceiveMessage(cctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(l.Queue),
				MaxNumberOfMessages: 1, WaitTimeSeconds: 0, VisibilityTimeout: LinVisibility})
			Outcome(op, err)
			if err == nil {
				for _, m := range out.Messages {
					hm := history.Msg{Body: aws.ToString(m.Body), MessageID: aws.ToString(m.MessageId), Handle: aws.ToString(m.ReceiptHandle)}
					op.Messages = append(op.Messages, hm)
					handles = append(handles, hm)
				}
			}
		}
		cancel()
		l.Rec.End(op)
		if op.Outcome != history.OK {
			r.next()
		}
	}
}
