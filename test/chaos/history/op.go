//go:build chaos

package history

import "time"

// Outcome is how an operation ended.
type Outcome string

// Outcomes. Unknown means the operation may or may not have taken effect.
const (
	OK      Outcome = "ok"
	Fail    Outcome = "fail"
	Unknown Outcome = "unknown"
)

// Kind names an operation.
type Kind string

// Operation kinds of the main workload and of the linearizability
// sub-workload.
const (
	Send       Kind = "send"
	Receive    Kind = "receive"
	Delete     Kind = "delete"
	LinSend    Kind = "lin-send"
	LinReceive Kind = "lin-receive"
	LinDelete  Kind = "lin-delete"
	// The SNS fan-out sub-workload: publishes to a topic, and the
	// receives and deletes on the queue subscribed to it.
	Publish       Kind = "publish"
	FanoutReceive Kind = "fanout-receive"
	FanoutDelete  Kind = "fanout-delete"
	// The FIFO sub-workload: sends to a FIFO queue (one message group per
	// producer), and the receives and deletes of its consumer.
	FifoSend    Kind = "fifo-send"
	FifoReceive Kind = "fifo-receive"
	FifoDelete  Kind = "fifo-delete"
)

// Op is one operation of the history.
type Op struct {
	ID       int64         `json:"id"`
	Process  string        `json:"process"`
	Kind     Kind          `json:"kind"`
	Node     string        `json:"node"`
	Invoke   time.Duration `json:"invoke_ns"`
	Complete time.Duration `json:"complete_ns"`
	Outcome  Outcome       `json:"outcome"`
	Err      string        `json:"err,omitempty"`
	// NotApplied marks an unknown outcome that the server or the network
	// says had no effect: HTTP 503 (the server's "nothing was applied,
	// retry") or a refused connection. The checks hold the server to it.
	NotApplied bool `json:"not_applied,omitempty"`
	// Body is the body sent (sends) or the message id to delete (lin deletes).
	Body      string `json:"body,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	// Group is a FIFO send's MessageGroupId (its MessageDeduplicationId is
	// the body).
	Group string `json:"group,omitempty"`
	// SequenceNumber is what an ok FIFO send answered.
	SequenceNumber string `json:"sequence_number,omitempty"`
	// Messages are what an ok receive returned.
	Messages []Msg `json:"messages,omitempty"`
	// Entries are the entries of a delete batch, each with its outcome.
	Entries []DeleteEntry `json:"entries,omitempty"`
	// Visibility is the visibility timeout a receive asked for.
	Visibility time.Duration `json:"visibility_ns,omitempty"`
}

// Msg is one message a receive returned.
type Msg struct {
	Body      string `json:"body"`
	Attr      string `json:"attr"`
	MessageID string `json:"message_id"`
	Handle    string `json:"handle"`
	// ReceiveCount is ApproximateReceiveCount, 0 when absent.
	ReceiveCount int `json:"receive_count"`
	// Group and SequenceNumber are a FIFO message's MessageGroupId and
	// SequenceNumber.
	Group          string `json:"group,omitempty"`
	SequenceNumber string `json:"sequence_number,omitempty"`
}

// DeleteEntry is one entry of a delete batch.
type DeleteEntry struct {
	Body    string  `json:"body"`
	Handle  string  `json:"handle"`
	Outcome Outcome `json:"outcome"`
	Err     string  `json:"err,omitempty"`
}

// Window reports whether the operation's interval [Invoke, Complete]
// intersects [from, to].
func (o *Op) Window(from, to time.Duration) bool {
	return o.Invoke <= to && o.Complete >= from
}
