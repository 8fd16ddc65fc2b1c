package fsm

import (
	"fmt"
	"io"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// The msgpack snapshot formats 1-3, read only: a header, then per queue a
// record and its messages, then (format 2 on) the SNS record, then (format
// 3) the move tasks, each one msgpack value.

// legacyQueueRecord precedes a queue's messages in a msgpack snapshot.
type legacyQueueRecord struct {
	Meta     queueMeta
	Messages int
	Dedup    []*dedupEntry
	Attempts []*receiveAttempt
}

// legacyMessage is a message as msgpack snapshots recorded it (by field
// name: keep the names).
type legacyMessage struct {
	Seq                 uint64
	ID                  string
	Body                string
	Attributes          map[string]MessageAttribute
	SystemAttributes    map[string]MessageAttribute
	SenderID            string
	SentAt              int64
	VisibleAt           int64
	ExpiresAt           int64
	ReceiveCount        int
	FirstReceiveAt      int64
	LastReceiveAt       int64
	ReceiptNonce        uint64
	MessageGroupID      string
	DeduplicationID     string
	DeadLetterSourceArn string
}

// toMessage converts a recorded message, sharing strings and maps.
func (l *legacyMessage) toMessage(q *queue) *message {
	m := &message{
		Seq: l.Seq, SentAt: l.SentAt, VisibleAt: l.VisibleAt, ExpiresAt: l.ExpiresAt,
		Body: l.Body, SenderID: q.internSender(l.SenderID), ReceiveCount: int32(l.ReceiveCount),
	}
	e := messageExt{
		FirstReceiveAt: l.FirstReceiveAt, LastReceiveAt: l.LastReceiveAt, ReceiptNonce: l.ReceiptNonce,
		Attributes: l.Attributes, SystemAttributes: l.SystemAttributes, MessageGroupID: l.MessageGroupID,
		DeduplicationID: l.DeduplicationID, DeadLetterSourceArn: l.DeadLetterSourceArn,
	}
	if u, ok := parseUUID(l.ID); ok {
		m.uid, m.hasUID = u, true
	} else {
		e.ID = l.ID
	}
	if !e.isZero() {
		m.ext = new(messageExt)
		*m.ext = e
	}
	return m
}

// readMsgpackSnapshot reads a snapshot of format 1, 2 or 3.
func readMsgpackSnapshot(r io.Reader) (*restoredState, error) {
	dec := codec.NewDecoder(r, msgpackHandle)
	st := &restoredState{}
	h := &st.header
	if err := dec.Decode(h); err != nil {
		return nil, errSnapshot("header", err)
	}
	if h.Format < 1 || h.Format > 3 {
		return nil, fmt.Errorf("fsm: unknown snapshot format %d", h.Format)
	}
	st.queues = make(map[QueueKey]*queue, min(h.Queues, 1024))
	for i := 0; i < h.Queues; i++ {
		var rec legacyQueueRecord
		if err := dec.Decode(&rec); err != nil {
			return nil, errSnapshot("queue", err)
		}
		q := newRestoredQueue(rec.Meta, rec.Dedup, rec.Attempts)
		for j := 0; j < rec.Messages; j++ {
			var l legacyMessage
			if err := dec.Decode(&l); err != nil {
				return nil, errSnapshot("message", err)
			}
			q.insert(l.toMessage(q), h.Now)
		}
		st.queues[rec.Meta.Key] = q
	}
	if h.Format >= 2 {
		if err := dec.Decode(&st.sns); err != nil {
			return nil, errSnapshot("SNS state", err)
		}
	}
	if h.Format >= 3 {
		if err := dec.Decode(&st.tasks); err != nil {
			return nil, errSnapshot("move tasks", err)
		}
	}
	return st, nil
}
