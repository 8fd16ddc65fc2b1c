package fsm

import "strings"

// TopicKey names an SNS topic: topics are namespaced by region and account
// like queues.
type TopicKey struct {
	Region  string
	Account string
	Name    string
}

// ARN returns the topic's Amazon Resource Name.
func (k TopicKey) ARN() string {
	return "arn:aws:sns:" + k.Region + ":" + k.Account + ":" + k.Name
}

// ParseTopicARN reads a topic ARN; ok is false for anything else.
func ParseTopicARN(arn string) (TopicKey, bool) {
	p := strings.Split(arn, ":")
	if len(p) != 6 || p[0] != "arn" || p[1] == "" || p[2] != "sns" || p[3] == "" || p[4] == "" || p[5] == "" {
		return TopicKey{}, false
	}
	return TopicKey{Region: p[3], Account: p[4], Name: p[5]}, true
}

// ParseSubscriptionARN reads a subscription ARN (a topic ARN followed by
// ":<id>"), returning its topic.
func ParseSubscriptionARN(arn string) (TopicKey, bool) {
	i := strings.LastIndexByte(arn, ':')
	if i < 0 || i == len(arn)-1 {
		return TopicKey{}, false
	}
	return ParseTopicARN(arn[:i])
}

// CreateTopic creates a topic, or answers the existing one when a topic of
// that name exists with the same attributes.
type CreateTopic struct {
	Topic      TopicKey
	Attributes map[string]string
	Tags       map[string]string
}

// DeleteTopic deletes a topic and its subscriptions (no error when absent).
type DeleteTopic struct {
	Topic TopicKey
}

// SetTopicAttributes sets one topic attribute.
type SetTopicAttributes struct {
	Topic TopicKey
	Name  string
	Value string
}

// TagTopic adds or replaces a topic's tags.
type TagTopic struct {
	Topic TopicKey
	Tags  map[string]string
}

// UntagTopic removes a topic's tags by key.
type UntagTopic struct {
	Topic TopicKey
	Keys  []string
}

// Notice is an SNS message as endpoints receive it, less the parts that
// depend on the subscriber: the leader stamps it (IDs, time, signature) so
// that every replica builds byte-identical envelopes.
type Notice struct {
	// Type is Notification or SubscriptionConfirmation.
	Type      string
	MessageID string
	Subject   string `codec:",omitempty"`
	Message   string
	// Timestamp is epoch milliseconds.
	Timestamp        int64
	Token            string `codec:",omitempty"`
	SubscribeURL     string `codec:",omitempty"`
	SignatureVersion string `codec:",omitempty"`
	Signature        string `codec:",omitempty"`
	SigningCertURL   string `codec:",omitempty"`
	// BaseURL is the cluster URL UnsubscribeURLs are built on.
	BaseURL    string                      `codec:",omitempty"`
	Attributes map[string]MessageAttribute `codec:",omitempty"`
	// SequenceNumber, MessageGroupID and DeduplicationID belong to FIFO
	// topics' notifications.
	SequenceNumber  string `codec:",omitempty"`
	MessageGroupID  string `codec:",omitempty"`
	DeduplicationID string `codec:",omitempty"`
}

// Subscribe subscribes an endpoint to a topic. SubscriptionID and Token
// are stamped by the leader; Confirmation is the signed
// SubscriptionConfirmation an HTTP/S endpoint is sent.
type Subscribe struct {
	Topic          TopicKey
	Protocol       string
	Endpoint       string
	Attributes     map[string]string
	Owner          string
	SubscriptionID string
	Token          string
	Confirmation   Notice
}

// SubscribeResult answers Subscribe.
type SubscribeResult struct {
	SubscriptionArn string
	// Pending: the subscription waits for its endpoint's confirmation.
	Pending bool
}

// ConfirmSubscription confirms a pending subscription by its token.
type ConfirmSubscription struct {
	Topic TopicKey
	Token string
}

// Unsubscribe deletes a subscription.
type Unsubscribe struct {
	SubscriptionArn string
}

// SetSubscriptionAttributes sets one subscription attribute.
type SetSubscriptionAttributes struct {
	SubscriptionArn string
	Name            string
	Value           string
}

// PublishEntry is one message published. The leader stamps MessageID,
// Timestamp and the signatures.
type PublishEntry struct {
	// ID is the batch entry ID ("" for Publish).
	ID      string
	Subject string `codec:",omitempty"`
	// Message is the default message; ProtocolMessages holds the
	// per-protocol ones of MessageStructure=json (keys sqs, http, https).
	Message          string
	ProtocolMessages map[string]string           `codec:",omitempty"`
	Attributes       map[string]MessageAttribute `codec:",omitempty"`
	MessageGroupID   string                      `codec:",omitempty"`
	DeduplicationID  string                      `codec:",omitempty"`
	MessageID        string
	// IdempotencyKey, when set, makes the publish exactly-once: a publish
	// with the same key to the same topic within 5 minutes fans out
	// nothing and answers the first publish's MessageID (the native API's
	// clients set it on every publish).
	IdempotencyKey string `codec:",omitempty"`
	// Signatures holds the envelope signature for each protocol (sqs,
	// http, https) of the message it carries.
	Signatures map[string]string `codec:",omitempty"`
}

// MessageFor returns the message a subscriber of protocol gets.
func (e PublishEntry) MessageFor(protocol string) string {
	if m, ok := e.ProtocolMessages[protocol]; ok {
		return m
	}
	return e.Message
}

// Publish publishes messages to a topic: every matching SQS subscription
// gets each message in this one apply, every matching HTTP/S subscription
// an outbox entry.
type Publish struct {
	Topic            TopicKey
	Entries          []PublishEntry
	Timestamp        int64
	SignatureVersion string
	SigningCertURL   string
	BaseURL          string
}

// PublishResult answers one PublishEntry.
type PublishResult struct {
	ID             string
	MessageID      string
	SequenceNumber string
	Err            *Error
}

// RecordDelivery records the outcome of one push delivery attempt.
// Attempt is the outbox entry's attempt count the worker saw: an outcome
// for another attempt (a stale or duplicate report) changes nothing.
// RetryAt is when to try again; 0 with Delivered false means the retries
// are exhausted and the message goes to the subscription's dead-letter
// queue, if it has one.
type RecordDelivery struct {
	ID        uint64
	Attempt   int
	Delivered bool
	RetryAt   int64
}

// SetSigningIdentity installs the key and certificate SNS messages are
// signed with, unless one is installed already.
type SetSigningIdentity struct {
	KeyPEM  string
	CertPEM string
}

// TopicView is a read of a topic: its attributes as GetTopicAttributes
// returns them.
type TopicView struct {
	Key        TopicKey
	Attributes map[string]string
}

// SubscriptionView is a read of a subscription.
type SubscriptionView struct {
	SubscriptionArn string
	TopicArn        string
	Owner           string
	Protocol        string
	Endpoint        string
	Pending         bool
	Attributes      map[string]string
}

// Delivery is an outbox entry due for a push attempt, with what the
// worker needs to make it.
type Delivery struct {
	ID              uint64
	Attempt         int
	SubscriptionArn string
	TopicArn        string
	Protocol        string
	Endpoint        string
	Raw             bool
	// SubscriptionDeliveryPolicy and TopicDeliveryPolicy are the
	// DeliveryPolicy attributes ("" when unset) that govern retries.
	SubscriptionDeliveryPolicy string
	TopicDeliveryPolicy        string
	Notice                     Notice
	// UnsubscribeURL is set on notifications.
	UnsubscribeURL string
}
