package fsm

// QueueKey names a queue: queues are namespaced by region and account.
type QueueKey struct {
	Region  string
	Account string
	Name    string
}

// ARN returns the queue's Amazon Resource Name.
func (k QueueKey) ARN() string {
	return "arn:aws:sqs:" + k.Region + ":" + k.Account + ":" + k.Name
}

// MessageAttribute is one typed message attribute: DataType is String,
// Number or Binary, optionally followed by a custom ".label".
type MessageAttribute struct {
	DataType    string
	StringValue string `codec:",omitempty"`
	BinaryValue []byte `codec:",omitempty"`
}

// IsBinary reports whether the attribute carries a binary value.
func (a MessageAttribute) IsBinary() bool {
	return len(a.DataType) >= 6 && a.DataType[:6] == "Binary"
}

// CreateQueue creates a queue, or succeeds without change when a queue of
// that name exists with the same values for every attribute given.
type CreateQueue struct {
	Queue      QueueKey
	Attributes map[string]string
	Tags       map[string]string
}

// DeleteQueue deletes a queue and its messages.
type DeleteQueue struct {
	Queue QueueKey
}

// SetQueueAttributes changes settable queue attributes.
type SetQueueAttributes struct {
	Queue      QueueKey
	Attributes map[string]string
}

// TagQueue adds or replaces tags.
type TagQueue struct {
	Queue QueueKey
	Tags  map[string]string
}

// UntagQueue removes tags by key.
type UntagQueue struct {
	Queue QueueKey
	Keys  []string
}

// PurgeQueue deletes every message in a queue.
type PurgeQueue struct {
	Queue QueueKey
}

// SendEntry is one message to enqueue.
type SendEntry struct {
	// ID is the batch entry ID given by the client ("" for SendMessage).
	ID string
	// MessageID is stamped by the leader (a UUID).
	MessageID string
	Body      string
	// DelaySeconds is the per-message delay; -1 means the queue's default.
	DelaySeconds     int
	Attributes       map[string]MessageAttribute
	SystemAttributes map[string]MessageAttribute
	MessageGroupID   string
	DeduplicationID  string
	// IdempotencyKey, when set, makes the send exactly-once: a send with
	// the same key within 5 minutes enqueues nothing and answers the first
	// send's MessageID (the native API's clients set it on every send).
	IdempotencyKey string `codec:",omitempty"`
}

// SendMessages enqueues one or more messages (SendMessage, SendMessageBatch).
type SendMessages struct {
	Queue    QueueKey
	SenderID string
	Entries  []SendEntry
}

// SendResult answers one SendEntry: either Err is set, or the message was
// stored under MessageID.
type SendResult struct {
	ID             string
	MessageID      string
	SequenceNumber string
	Err            *Error
}

// ReceiveMessages takes up to Max visible messages and makes them
// invisible for VisibilityTimeout seconds (-1 means the queue's default).
type ReceiveMessages struct {
	Queue             QueueKey
	Max               int
	VisibilityTimeout int
	// Nonce is stamped by the leader; it makes receipt handles unguessable
	// and distinct across receives.
	Nonce uint64
	// AttemptID is a FIFO queue's ReceiveRequestAttemptId: a retry with
	// the same ID within 5 minutes returns the same messages and receipt
	// handles, as long as none of them was deleted or changed.
	AttemptID string `codec:",omitempty"`
}

// ReceivedMessage is one message handed out by a receive.
type ReceivedMessage struct {
	MessageID        string
	ReceiptHandle    string
	Body             string
	Attributes       map[string]MessageAttribute
	SystemAttributes map[string]MessageAttribute
	SenderID         string
	// SentTimestamp and FirstReceiveTimestamp are epoch milliseconds.
	SentTimestamp         int64
	FirstReceiveTimestamp int64
	ReceiveCount          int
	MessageGroupID        string
	DeduplicationID       string
	SequenceNumber        string
	DeadLetterSourceArn   string
}

// HandleEntry names a message by receipt handle, for delete and visibility
// changes. VisibilityTimeout is used by ChangeVisibility only.
type HandleEntry struct {
	ID                string
	ReceiptHandle     string
	VisibilityTimeout int
}

// DeleteMessages deletes messages by receipt handle.
type DeleteMessages struct {
	Queue   QueueKey
	Entries []HandleEntry
}

// ChangeVisibility changes the visibility timeout of in-flight messages.
type ChangeVisibility struct {
	Queue   QueueKey
	Entries []HandleEntry
}

// EntryResult answers one entry of a delete or visibility batch.
type EntryResult struct {
	ID  string
	Err *Error
}

// Batch is several commands proposed as one raft entry: the leader
// coalesces concurrent requests. Each element is a command as Encode
// returns it; they are applied in order and Apply returns []any with one
// result per command.
type Batch struct {
	Commands [][]byte
}

// Sweep removes messages past their retention period from every queue.
type Sweep struct{}

// QueueView is a read of a queue: its attributes as GetQueueAttributes
// returns them (settable ones, counters, timestamps and the ARN).
type QueueView struct {
	Key        QueueKey
	Attributes map[string]string
}
