package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// TopicInfo describes an SNS topic. Attributes and Tags are filled by
// Topic.Attributes and Topic.SetAttributes only.
type TopicInfo struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// Attributes are the SNS attributes (DisplayName, DeliveryPolicy,
	// SubscriptionsConfirmed, SubscriptionsPending...), values as SNS
	// writes them.
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// Subscription is a topic's subscription.
type Subscription struct {
	// ID is the last segment of the ARN: it names the subscription in
	// Topic's calls.
	ID string `json:"id"`
	// ARN is the subscription's ARN, also while it is pending.
	ARN      string `json:"arn"`
	Topic    string `json:"topic"`
	TopicARN string `json:"topic_arn"`
	// Protocol is "sqs", "http" or "https".
	Protocol string `json:"protocol"`
	// Endpoint is the queue's ARN (sqs) or the URL (http, https).
	Endpoint string `json:"endpoint"`
	// Pending is true until an HTTP/S endpoint confirms the subscription.
	Pending bool `json:"pending"`
	// Attributes are all the subscription's attributes
	// (RawMessageDelivery, FilterPolicy, FilterPolicyScope,
	// RedrivePolicy...).
	Attributes map[string]string `json:"attributes,omitempty"`
}

// RawMessageDelivery reports whether the subscriber gets the bare message
// (and, on SQS, its attributes) instead of the SNS JSON envelope.
func (s *Subscription) RawMessageDelivery() bool {
	return strings.EqualFold(s.Attributes["RawMessageDelivery"], "true")
}

// FilterPolicy is the subscription's filter policy, "" when it has none
// (it gets every message).
func (s *Subscription) FilterPolicy() string { return s.Attributes["FilterPolicy"] }

// TopicOption tunes CreateTopic.
type TopicOption func(*wireCreateTopic)

// WithTags tags the topic CreateTopic creates.
func WithTags(tags map[string]string) TopicOption {
	return func(w *wireCreateTopic) { w.Tags = tags }
}

// CreateTopic creates an SNS topic with SNS attributes (nil for the
// defaults). Creating a topic that exists with the same attributes and
// tags succeeds; with others it fails with ErrInvalidParameter.
func (c *Client) CreateTopic(ctx context.Context, name string, attrs map[string]string, opts ...TopicOption) (*TopicInfo, error) {
	in := wireCreateTopic{Name: name, Attributes: attrs}
	for _, o := range opts {
		o(&in)
	}
	var out TopicInfo
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/topics", in: in, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTopics lists the topics whose name starts with prefix ("" for all),
// sorted by name.
func (c *Client) ListTopics(ctx context.Context, prefix string) ([]TopicInfo, error) {
	var out struct {
		Topics []TopicInfo `json:"topics"`
	}
	p := "/v1/topics"
	if prefix != "" {
		p += "?prefix=" + url.QueryEscape(prefix)
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: p, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	if out.Topics == nil {
		out.Topics = []TopicInfo{}
	}
	return out.Topics, nil
}

// Subscriptions lists every subscription of every topic, by topic then
// creation.
func (c *Client) Subscriptions(ctx context.Context) ([]Subscription, error) {
	return c.subscriptions(ctx, "/v1/subscriptions")
}

func (c *Client) subscriptions(ctx context.Context, path string) ([]Subscription, error) {
	var out wireSubscriptions
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	if out.Subscriptions == nil {
		out.Subscriptions = []Subscription{}
	}
	return out.Subscriptions, nil
}

// Topic is a handle on an SNS topic: cheap, made without a call, safe for
// concurrent use. Calls on a topic that does not exist fail with
// ErrNotFound.
type Topic struct {
	c    *Client
	name string
	path string
}

// Topic returns a handle on the named topic.
func (c *Client) Topic(name string) *Topic {
	return &Topic{c: c, name: name, path: "/v1/topics/" + url.PathEscape(name)}
}

// Name is the topic's name.
func (t *Topic) Name() string { return t.name }

// Attributes returns the topic's description with all its attributes
// (the subscription counts included) and tags.
func (t *Topic) Attributes(ctx context.Context) (*TopicInfo, error) {
	var out TopicInfo
	if _, err := t.c.do(ctx, request{method: http.MethodGet, path: t.path, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetAttributes changes some of the topic's attributes (an empty value
// removes one) and returns the topic's description after the change. The
// attributes are set one at a time, in name order: when one is refused,
// the ones before it stay set.
func (t *Topic) SetAttributes(ctx context.Context, attrs map[string]string) (*TopicInfo, error) {
	var out TopicInfo
	if _, err := t.c.do(ctx, request{method: http.MethodPatch, path: t.path,
		in: wireSetAttributes{Attributes: attrs}, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete deletes the topic and its subscriptions.
func (t *Topic) Delete(ctx context.Context) error {
	_, err := t.c.do(ctx, request{method: http.MethodDelete, path: t.path, idempotent: true,
		okOnRetry: ErrNotFound.Code})
	return err
}

// ---------------------------------------------------------------------------
// Subscriptions

// Subscribe subscribes an endpoint to the topic: protocol "sqs" with a
// queue's ARN (see SubscribeQueue), or "http"/"https" with a URL. attrs
// are SNS subscription attributes (RawMessageDelivery, FilterPolicy,
// FilterPolicyScope, RedrivePolicy, DeliveryPolicy), nil for none. An
// SQS subscription is confirmed at once; an HTTP/S one stays Pending
// until its endpoint confirms it (it is sent a SubscriptionConfirmation
// whose token ConfirmSubscription takes). Subscribing the same endpoint
// again with the same attributes returns the existing subscription.
func (t *Topic) Subscribe(ctx context.Context, protocol, endpoint string, attrs map[string]string) (*Subscription, error) {
	var out Subscription
	if _, err := t.c.do(ctx, request{method: http.MethodPost, path: t.path + "/subscriptions",
		in: wireSubscribe{Protocol: protocol, Endpoint: endpoint, Attributes: attrs}, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	return &out, nil
}

// SubscribeQueue subscribes the named queue of the same cluster (it reads
// the queue's ARN first): every message published to the topic that
// passes the filter policy is enqueued on it, in the same replicated
// command as the publish.
func (t *Topic) SubscribeQueue(ctx context.Context, queue string, attrs map[string]string) (*Subscription, error) {
	q, err := t.c.Queue(queue).Attributes(ctx)
	if err != nil {
		return nil, err
	}
	return t.Subscribe(ctx, "sqs", q.ARN, attrs)
}

// Subscriptions lists the topic's subscriptions, in creation order.
func (t *Topic) Subscriptions(ctx context.Context) ([]Subscription, error) {
	return t.c.subscriptions(ctx, t.path+"/subscriptions")
}

// subscriptionPath is the path of a subscription given by ID or by ARN.
func (t *Topic) subscriptionPath(idOrARN string) (string, error) {
	id := idOrARN
	if strings.HasPrefix(idOrARN, "arn:") {
		parts := strings.Split(idOrARN, ":")
		if len(parts) != 7 || parts[2] != "sns" || parts[5] != t.name || parts[6] == "" {
			return "", fmt.Errorf("wharf: %q is not the ARN of a subscription to topic %s", idOrARN, t.name)
		}
		id = parts[6]
	}
	if id == "" {
		return "", errors.New("wharf: no subscription ID")
	}
	return t.path + "/subscriptions/" + url.PathEscape(id), nil
}

// Subscription returns one of the topic's subscriptions, by ID or ARN,
// with all its attributes.
func (t *Topic) Subscription(ctx context.Context, idOrARN string) (*Subscription, error) {
	p, err := t.subscriptionPath(idOrARN)
	if err != nil {
		return nil, err
	}
	var out Subscription
	if _, err := t.c.do(ctx, request{method: http.MethodGet, path: p, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetSubscriptionAttributes changes some attributes of a subscription
// given by ID or ARN (an empty value removes one) and returns it after
// the change. The attributes are set one at a time, in name order
// (FilterPolicy before FilterPolicyScope, but the scope first when a
// subscription with a policy moves to the MessageBody scope): when one is
// refused, the ones before it stay set.
func (t *Topic) SetSubscriptionAttributes(ctx context.Context, idOrARN string, attrs map[string]string) (*Subscription, error) {
	p, err := t.subscriptionPath(idOrARN)
	if err != nil {
		return nil, err
	}
	var out Subscription
	if _, err := t.c.do(ctx, request{method: http.MethodPatch, path: p,
		in: wireSetAttributes{Attributes: attrs}, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Unsubscribe deletes a subscription, given by ID or ARN, pending or not.
func (t *Topic) Unsubscribe(ctx context.Context, idOrARN string) error {
	p, err := t.subscriptionPath(idOrARN)
	if err != nil {
		return err
	}
	_, err = t.c.do(ctx, request{method: http.MethodDelete, path: p, idempotent: true, okOnRetry: ErrNotFound.Code})
	return err
}

// ConfirmSubscription confirms a pending HTTP/S subscription with the
// token its endpoint received in the SubscriptionConfirmation, and
// returns it. Confirming again changes nothing.
func (t *Topic) ConfirmSubscription(ctx context.Context, token string) (*Subscription, error) {
	var out Subscription
	if _, err := t.c.do(ctx, request{method: http.MethodPost, path: t.path + "/confirm",
		in: wireConfirm{Token: token}, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	return &out, nil
}

// ---------------------------------------------------------------------------
// Publishing

// PublishEntry is one message to publish.
type PublishEntry struct {
	// ID names the entry in its result (PublishBatch); "" means its
	// position.
	ID      string
	Message string
	// Subject is the envelope's Subject ("" for none): up to 99
	// printable ASCII characters.
	Subject string
	// MessageStructure "json" makes Message a JSON object of one message
	// per protocol: "default" (required), "sqs", "http", "https".
	MessageStructure string
	// Attributes are the message attributes filter policies match.
	Attributes map[string]Attribute
	// MessageGroupID is required on a FIFO topic: a group's messages are
	// delivered in order.
	MessageGroupID string
	// DeduplicationID, on a FIFO topic, makes a second publish with the
	// same ID within 5 minutes deliver nothing (required unless the topic
	// has ContentBasedDeduplication).
	DeduplicationID string
	// IdempotencyKey, when "", is a random key drawn by the client: a
	// publish retried after a lost answer fans out once (for 5 minutes).
	IdempotencyKey string
}

func (e *PublishEntry) wire() wirePublish {
	w := wirePublish{ID: e.ID, Message: e.Message, MessageStructure: e.MessageStructure, Attributes: toWireAttrs(e.Attributes),
		MessageGroupID: e.MessageGroupID, DeduplicationID: e.DeduplicationID, IdempotencyKey: e.IdempotencyKey}
	if w.IdempotencyKey == "" {
		w.IdempotencyKey = newKey()
	}
	if e.Subject != "" {
		s := e.Subject
		w.Subject = &s
	}
	return w
}

// PublishOption tunes one Publish.
type PublishOption func(*PublishEntry)

// WithPublishIdempotencyKey sets the publish's idempotency key instead of
// a random one: a publish with a key the topic saw in the last 5 minutes
// fans out nothing and answers the first publish's ID.
func WithPublishIdempotencyKey(key string) PublishOption {
	return func(e *PublishEntry) { e.IdempotencyKey = key }
}

// WithSubject sets the message's Subject.
func WithSubject(subject string) PublishOption { return func(e *PublishEntry) { e.Subject = subject } }

// WithPublishAttribute adds a message attribute (filter policies match
// them; raw SQS subscribers receive them as SQS message attributes).
func WithPublishAttribute(name string, a Attribute) PublishOption {
	return func(e *PublishEntry) {
		if e.Attributes == nil {
			e.Attributes = map[string]Attribute{}
		}
		e.Attributes[name] = a
	}
}

// WithMessageStructure sets the MessageStructure: "json" for one message
// per protocol (see PublishEntry).
func WithMessageStructure(s string) PublishOption {
	return func(e *PublishEntry) { e.MessageStructure = s }
}

// WithMessageGroup sets the message group of a publish to a FIFO topic.
func WithMessageGroup(id string) PublishOption {
	return func(e *PublishEntry) { e.MessageGroupID = id }
}

// WithDeduplicationID sets the deduplication ID of a publish to a FIFO
// topic: with one, a publish retried after a lost answer is delivered
// once.
func WithDeduplicationID(id string) PublishOption {
	return func(e *PublishEntry) { e.DeduplicationID = id }
}

// PublishResult is the outcome of one PublishEntry: MessageID, or Err.
type PublishResult struct {
	ID        string
	MessageID string
	// SequenceNumber is set by FIFO topics.
	SequenceNumber string
	Err            error
}

// maxPublishBatchBytes is what the messages of one batch request may hold
// in all.
const maxPublishBatchBytes = 256 * 1024

// Publish publishes a message to the topic and returns its ID: every
// confirmed SQS subscription whose filter policy matches has it enqueued
// when Publish returns, and each matching HTTP/S subscription gets it
// pushed by the cluster.
//
// Like Queue.Send, a publish carries an idempotency key that the client
// reuses on every retry, so a publish retried after a lost answer (the
// leader died after committing it) fans out once; the cluster remembers
// the key for 5 minutes. HTTP/S subscribers may still see a push twice,
// as SNS allows (a delivery cut by a leader change is made again).
//
// Concurrent publishes to one topic through one Client are coalesced
// like sends (see Queue.Send): past 8 requests in flight they leave
// together, up to 10 messages and 256 KiB of messages per batch request,
// each with its own key, result and error. When ctx ends while the
// publish waits for its turn, it is not published; once it left, whether
// it was is unknown.
func (t *Topic) Publish(ctx context.Context, message string, opts ...PublishOption) (string, error) {
	e := PublishEntry{Message: message}
	for _, o := range opts {
		o(&e)
	}
	raw, err := json.Marshal(e.wire())
	if err != nil {
		return "", fmt.Errorf("wharf: encoding request: %w", err)
	}
	// A message that is not valid UTF-8 grows in the JSON (each bad byte
	// becomes U+FFFD): alone, it cannot make a batch too long.
	cl := &call{raw: raw, size: len(message), solo: !utf8.ValidString(message)}
	out, err := t.c.coalesce(ctx, t.publishRoute(), cl)
	if err != nil {
		return "", err
	}
	return out.MessageID, nil
}

// publishRoute is the route of Publish's coalesced calls.
func (t *Topic) publishRoute() route {
	return route{single: t.path + "/publish", batch: t.path + "/publish/batch", maxBytes: maxPublishBatchBytes}
}

// PublishBatch publishes several messages, in requests of at most 10
// messages and 256 KiB of messages. The results follow the entries'
// order; an entry that failed has Err set. The error is non-nil only when
// a request failed as a whole, and then results covers the requests sent
// before it. Like Publish, each entry carries an idempotency key, so a
// request retried after a lost answer fans each message out once.
func (t *Topic) PublishBatch(ctx context.Context, entries []PublishEntry) ([]PublishResult, error) {
	results := make([]PublishResult, 0, len(entries))
	for start := 0; start < len(entries); {
		end, size := start, 0
		for end < len(entries) && end-start < 10 && (end == start || size+len(entries[end].Message) <= maxPublishBatchBytes) {
			size += len(entries[end].Message)
			end++
		}
		in := wirePublishBatch{Messages: make([]wirePublish, 0, end-start)}
		for i := start; i < end; i++ {
			w := entries[i].wire()
			if w.ID == "" {
				w.ID = strconv.Itoa(i)
			}
			in.Messages = append(in.Messages, w)
		}
		var out wirePublishBatchResults
		if _, err := t.c.do(ctx, request{method: http.MethodPost, path: t.path + "/publish/batch",
			in: in, out: &out, idempotent: true}); err != nil {
			return results, err
		}
		byID := make(map[string]wirePublishResult, len(out.Results))
		for _, r := range out.Results {
			byID[r.ID] = r
		}
		for _, w := range in.Messages {
			r, ok := byID[w.ID]
			res := PublishResult{ID: w.ID, MessageID: r.MessageID, SequenceNumber: r.SequenceNumber}
			switch {
			case !ok:
				res.Err = fmt.Errorf("wharf: no result for batch entry %q", w.ID)
			case r.Error != nil:
				res.Err = entryError(r.Error)
			}
			results = append(results, res)
		}
		start = end
	}
	return results, nil
}
