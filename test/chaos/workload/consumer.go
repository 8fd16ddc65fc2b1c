//go:build chaos

package workload

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// Receive settings of the main workload.
const (
	ReceiveWait   = 1 * time.Second
	Visibility    = 8 * time.Second
	DeleteTimeout = 3 * time.Second
)

// Seen tracks what consumers received, for the drain.
type Seen struct {
	mu        sync.Mutex
	bodies    map[string]bool
	lastBusy  time.Duration // completion of the last receive that was not an ok empty one
	emptyRuns int           // ok empty receives since lastBusy
}

// NewSeen makes an empty tracker.
func NewSeen() *Seen { return &Seen{bodies: map[string]bool{}} }

// Has reports whether body was received.
func (s *Seen) Has(body string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bodies[body]
}

// Quiet is how long receives have come back ok and empty, and how many.
func (s *Seen) Quiet(now time.Duration) (time.Duration, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return now - s.lastBusy, s.emptyRuns
}

func (s *Seen) note(op *history.Op) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range op.Messages {
		s.bodies[m.Body] = true
	}
	if op.Outcome == history.OK && len(op.Messages) == 0 {
		s.emptyRuns++
		return
	}
	s.lastBusy, s.emptyRuns = op.Complete, 0
}

// Consumer receives up to 10 messages (long poll, visibility timeout) and
// deletes them in one batch. Fanout marks the consumer of the queue
// subscribed to the chaos topic: its operations are recorded as
// FanoutReceive and FanoutDelete, apart from the main queue's. Fifo marks
// the consumer of the FIFO queue (FifoReceive and FifoDelete; it asks for
// the messages' groups and sequence numbers).
type Consumer struct {
	ID      int
	Clients *Clients
	Rec     *history.Recorder
	Queue   string
	Seen    *Seen
	Fanout  bool
	Fifo    bool
	// SkipDeleteEvery, when above 0, leaves the messages of every Nth
	// non-empty receive undeleted (a consumer that failed to process
	// them): they come back after the visibility timeout, and on a FIFO
	// queue their groups stay locked until then.
	SkipDeleteEvery int
}

// kinds are the operation kinds the consumer records.
func (c *Consumer) kinds() (receive, del history.Kind) {
	if c.Fanout {
		return history.FanoutReceive, history.FanoutDelete
	}
	if c.Fifo {
		return history.FifoReceive, history.FifoDelete
	}
	return history.Receive, history.Delete
}

// Run consumes until ctx is done.
func (c *Consumer) Run(ctx context.Context) {
	r := &rotor{nodes: c.Clients.Nodes(), i: c.ID + 1}
	proc := fmt.Sprintf("c%d", c.ID)
	receiveKind, _ := c.kinds()
	nonEmpty := 0
	for ctx.Err() == nil {
		node := r.node()
		op := c.Rec.Begin(proc, receiveKind, node)
		op.Visibility = Visibility
		sysAttrs := []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}
		if c.Fifo {
			sysAttrs = append(sysAttrs, types.MessageSystemAttributeNameMessageGroupId, types.MessageSystemAttributeNameSequenceNumber)
		}
		cctx, cancel := context.WithTimeout(context.Background(), ReceiveWait+3*time.Second)
		out, err := c.Clients.On(node).ReceiveMessage(cctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(c.Queue),
			MaxNumberOfMessages:         10,
			WaitTimeSeconds:             int32(ReceiveWait / time.Second),
			VisibilityTimeout:           int32(Visibility / time.Second),
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: sysAttrs,
		})
		cancel()
		Outcome(op, err)
		if err == nil {
			for _, m := range out.Messages {
				op.Messages = append(op.Messages, toMsg(m))
			}
		}
		c.Rec.End(op)
		c.Seen.note(op)
		if op.Outcome != history.OK {
			r.next()
			sleepCtx(ctx, 50*time.Millisecond)
			continue
		}
		if len(op.Messages) == 0 {
			continue
		}
		nonEmpty++
		if c.SkipDeleteEvery > 0 && nonEmpty%c.SkipDeleteEvery == 0 {
			continue
		}
		if !c.delete(proc, node, op.Messages) {
			r.next()
		}
	}
}

func toMsg(m types.Message) history.Msg {
	hm := history.Msg{Body: aws.ToString(m.Body), MessageID: aws.ToString(m.MessageId), Handle: aws.ToString(m.ReceiptHandle)}
	if a, ok := m.MessageAttributes["id"]; ok {
		hm.Attr = aws.ToString(a.StringValue)
	}
	hm.ReceiveCount, _ = strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	hm.Group = m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]
	hm.SequenceNumber = m.Attributes[string(types.MessageSystemAttributeNameSequenceNumber)]
	return hm
}

// delete deletes msgs in one batch; it reports whether the call succeeded.
func (c *Consumer) delete(proc, node string, msgs []history.Msg) bool {
	_, deleteKind := c.kinds()
	op := c.Rec.Begin(proc, deleteKind, node)
	in := &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(c.Queue)}
	for i, m := range msgs {
		in.Entries = append(in.Entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(m.Handle)})
		op.Entries = append(op.Entries, history.DeleteEntry{Body: m.Body, Handle: m.Handle, Outcome: history.Unknown})
	}
	cctx, cancel := context.WithTimeout(context.Background(), DeleteTimeout)
	out, err := c.Clients.On(node).DeleteMessageBatch(cctx, in)
	cancel()
	Outcome(op, err)
	if err == nil {
		for _, s := range out.Successful {
			if i, e := strconv.Atoi(aws.ToString(s.Id)); e == nil && i < len(op.Entries) {
				op.Entries[i].Outcome = history.OK
			}
		}
		for _, f := range out.Failed {
			if i, e := strconv.Atoi(aws.ToString(f.Id)); e == nil && i < len(op.Entries) {
				op.Entries[i].Outcome = history.Unknown
				if f.SenderFault {
					op.Entries[i].Outcome = history.Fail
				}
				op.Entries[i].Err = aws.ToString(f.Code) + ": " + aws.ToString(f.Message)
			}
		}
	} else if op.Outcome == history.Fail {
		for i := range op.Entries {
			op.Entries[i].Outcome = history.Fail
		}
	}
	c.Rec.End(op)
	return op.Outcome == history.OK
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
