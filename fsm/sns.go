package fsm

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"

	"github.com/wharfmq/wharf/fsm/filterpolicy"
)

// topic is an SNS topic. Its maps are replaced, never changed in place,
// so a snapshot may share them.
type topic struct {
	Key        TopicKey
	Attributes map[string]string
	Tags       map[string]string
	CreatedAt  int64
	// Subs lists the topic's subscription ARNs in creation order: fan-out
	// follows it, so every replica delivers in the same order.
	Subs []string
}

// subscription is one endpoint subscribed to a topic.
type subscription struct {
	ARN        string
	Topic      TopicKey
	Protocol   string
	Endpoint   string
	Owner      string
	Attributes map[string]string
	Pending    bool
	Token      string
	// filter is the parsed FilterPolicy (nil: everything matches).
	filter *filterpolicy.Policy
}

// signingIdentity is the cluster's SNS signing key and certificate.
type signingIdentity struct {
	KeyPEM  string
	CertPEM string
}

func (f *FSM) createTopic(now int64, c CreateTopic) any {
	for name, v := range c.Attributes {
		if name == TopicAttrFifoTopic {
			if strings.EqualFold(v, "true") {
				return snsInvalid("Attributes Reason: FifoTopic: FIFO topics are not supported by this server yet.")
			}
			continue
		}
		if name == "ContentBasedDeduplication" || name == "FifoThroughputScope" {
			return snsInvalid("Attributes Reason: %s: Content based deduplication can only be set for FIFO topics.", name)
		}
		if err := checkTopicAttribute(name, v); err != nil {
			return err
		}
	}
	if t, ok := f.topics[c.Topic]; ok {
		for name, v := range c.Attributes {
			if name == TopicAttrFifoTopic {
				continue
			}
			if t.Attributes[name] != v {
				return snsInvalid("Attributes Reason: Topic already exists with different attributes")
			}
		}
		for k, v := range c.Tags {
			if have, ok := t.Tags[k]; !ok || have != v {
				return snsInvalid("Tags Reason: Topic already exists with different tags")
			}
		}
		return c.Topic.ARN()
	}
	attrs := make(map[string]string, len(c.Attributes))
	for k, v := range c.Attributes {
		if k != TopicAttrFifoTopic {
			attrs[k] = v
		}
	}
	tags := make(map[string]string, len(c.Tags))
	for k, v := range c.Tags {
		tags[k] = v
	}
	f.topics[c.Topic] = &topic{Key: c.Topic, Attributes: attrs, Tags: tags, CreatedAt: now}
	return c.Topic.ARN()
}

func (f *FSM) deleteTopic(c DeleteTopic) *Error {
	t, ok := f.topics[c.Topic]
	if !ok {
		return nil
	}
	for _, arn := range t.Subs {
		f.dropSubscription(arn)
	}
	delete(f.topics, c.Topic)
	return nil
}

// dropSubscription forgets a subscription and its pending deliveries (the
// caller updates the topic's list).
func (f *FSM) dropSubscription(arn string) {
	delete(f.subs, arn)
	f.outbox.dropSubscription(arn)
}

func (f *FSM) setTopicAttributes(c SetTopicAttributes) *Error {
	t, ok := f.topics[c.Topic]
	if !ok {
		return topicNotFound()
	}
	if c.Name == TopicAttrFifoTopic {
		return snsInvalid("AttributeName: FifoTopic can be set only when the topic is created")
	}
	if err := checkTopicAttribute(c.Name, c.Value); err != nil {
		return err
	}
	attrs := make(map[string]string, len(t.Attributes)+1)
	for k, v := range t.Attributes {
		attrs[k] = v
	}
	if c.Value == "" {
		delete(attrs, c.Name)
	} else {
		attrs[c.Name] = c.Value
	}
	u := *t
	u.Attributes = attrs
	f.topics[c.Topic] = &u
	return nil
}

func (f *FSM) tagTopic(c TagTopic) *Error {
	t, ok := f.topics[c.Topic]
	if !ok {
		return Errorf("ResourceNotFound", "Resource does not exist")
	}
	tags := make(map[string]string, len(t.Tags)+len(c.Tags))
	for k, v := range t.Tags {
		tags[k] = v
	}
	for k, v := range c.Tags {
		tags[k] = v
	}
	if len(tags) > 50 {
		return Errorf("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	u := *t
	u.Tags = tags
	f.topics[c.Topic] = &u
	return nil
}

func (f *FSM) untagTopic(c UntagTopic) *Error {
	t, ok := f.topics[c.Topic]
	if !ok {
		return Errorf("ResourceNotFound", "Resource does not exist")
	}
	tags := make(map[string]string, len(t.Tags))
	for k, v := range t.Tags {
		tags[k] = v
	}
	for _, k := range c.Keys {
		delete(tags, k)
	}
	u := *t
	u.Tags = tags
	f.topics[c.Topic] = &u
	return nil
}

// filterPolicies counts the subscriptions of a topic with a filter policy.
func (f *FSM) filterPolicies(t *topic, except string) int {
	n := 0
	for _, arn := range t.Subs {
		if s := f.subs[arn]; s != nil && arn != except && s.Attributes[SubAttrFilterPolicy] != "" {
			n++
		}
	}
	return n
}

func (f *FSM) subscribe(c Subscribe) any {
	t, ok := f.topics[c.Topic]
	if !ok {
		return topicNotFound()
	}
	attrs := make(map[string]string, len(c.Attributes))
	for k, v := range c.Attributes {
		if v != "" {
			attrs[k] = v
		}
	}
	filter, err := checkSubscriptionAttributes(c.Protocol, attrs, true)
	if err != nil {
		return err
	}
	for _, arn := range t.Subs {
		s := f.subs[arn]
		if s.Protocol != c.Protocol || s.Endpoint != c.Endpoint {
			continue
		}
		for k, v := range attrs {
			if s.Attributes[k] != v {
				return snsInvalid("Attributes Reason: Subscription already exists with different attributes")
			}
		}
		return SubscribeResult{SubscriptionArn: s.ARN, Pending: s.Pending}
	}
	if filter != nil && f.filterPolicies(t, "") >= maxFilterPoliciesPerTopic {
		return Errorf(CodeSNSFilterPolicyLimitExceeded, "Filter policy limit exceeded")
	}
	s := &subscription{
		ARN: c.Topic.ARN() + ":" + c.SubscriptionID, Topic: c.Topic, Protocol: c.Protocol,
		Endpoint: c.Endpoint, Owner: c.Owner, Attributes: attrs, filter: filter,
	}
	if c.Protocol == "http" || c.Protocol == "https" {
		s.Pending = true
		s.Token = c.Token
		n := c.Confirmation
		n.Type = "SubscriptionConfirmation"
		n.Token = c.Token
		f.outbox.add(&delivery{SubscriptionArn: s.ARN, Notice: n, NextAt: n.Timestamp})
		f.wakeOutbox = true
	}
	f.subs[s.ARN] = s
	u := *t
	u.Subs = append(append([]string(nil), t.Subs...), s.ARN)
	f.topics[c.Topic] = &u
	return SubscribeResult{SubscriptionArn: s.ARN, Pending: s.Pending}
}

func (f *FSM) confirmSubscription(c ConfirmSubscription) any {
	t, ok := f.topics[c.Topic]
	if !ok {
		return topicNotFound()
	}
	for _, arn := range t.Subs {
		s := f.subs[arn]
		if s.Token == "" || s.Token != c.Token {
			continue
		}
		if s.Pending {
			u := *s
			u.Pending = false
			f.subs[arn] = &u
		}
		return arn
	}
	return snsInvalid("Token")
}

func (f *FSM) unsubscribe(c Unsubscribe) *Error {
	s, ok := f.subs[c.SubscriptionArn]
	if !ok {
		return subscriptionNotFound()
	}
	f.dropSubscription(s.ARN)
	if t, ok := f.topics[s.Topic]; ok {
		u := *t
		u.Subs = make([]string, 0, len(t.Subs))
		for _, arn := range t.Subs {
			if arn != s.ARN {
				u.Subs = append(u.Subs, arn)
			}
		}
		f.topics[s.Topic] = &u
	}
	return nil
}

func (f *FSM) setSubscriptionAttributes(c SetSubscriptionAttributes) *Error {
	s, ok := f.subs[c.SubscriptionArn]
	if !ok {
		return subscriptionNotFound()
	}
	if !subscriptionAttributeSettable(c.Name) {
		return snsInvalid("AttributeName")
	}
	attrs := make(map[string]string, len(s.Attributes)+1)
	for k, v := range s.Attributes {
		attrs[k] = v
	}
	if c.Value == "" {
		delete(attrs, c.Name)
		if c.Name == SubAttrFilterPolicy {
			delete(attrs, SubAttrFilterPolicyScope)
		}
	} else {
		attrs[c.Name] = c.Value
	}
	filter, err := checkSubscriptionAttributes(s.Protocol, attrs, false)
	if err != nil {
		return err
	}
	if filter != nil && s.filter == nil {
		if t := f.topics[s.Topic]; t != nil && f.filterPolicies(t, s.ARN) >= maxFilterPoliciesPerTopic {
			return Errorf(CodeSNSFilterPolicyLimitExceeded, "Filter policy limit exceeded")
		}
	}
	u := *s
	u.Attributes = attrs
	u.filter = filter
	f.subs[s.ARN] = &u
	return nil
}

func (f *FSM) setSigningIdentity(c SetSigningIdentity) *Error {
	if f.identity.KeyPEM == "" {
		f.identity = signingIdentity(c)
	}
	return nil
}

// publish fans each entry out to the topic's confirmed subscriptions whose
// filter policy matches: SQS subscribers get the message now, HTTP/S ones
// an outbox entry.
func (f *FSM) publish(now int64, c Publish, wake *[]QueueKey) any {
	t, ok := f.topics[c.Topic]
	if !ok {
		return topicNotFound()
	}
	results := make([]PublishResult, len(c.Entries))
	for i, e := range c.Entries {
		results[i] = PublishResult{ID: e.ID, MessageID: e.MessageID}
		attrs := filterAttributes(e.Attributes)
		for _, arn := range t.Subs {
			s := f.subs[arn]
			if s.Pending {
				continue
			}
			if s.filter != nil && !s.filter.Match(attrs, e.Message) {
				continue
			}
			n := Notice{
				Type: "Notification", MessageID: e.MessageID, Subject: e.Subject,
				Message: e.MessageFor(s.Protocol), Timestamp: c.Timestamp,
				SignatureVersion: c.SignatureVersion, Signature: e.Signatures[s.Protocol],
				SigningCertURL: c.SigningCertURL, BaseURL: c.BaseURL, Attributes: e.Attributes,
			}
			if s.Protocol == "sqs" {
				f.deliverToQueue(now, s, n, s.Endpoint, wake)
				continue
			}
			f.outbox.add(&delivery{SubscriptionArn: s.ARN, Notice: n, NextAt: now})
			f.wakeOutbox = true
		}
	}
	return results
}

// filterAttributes converts message attributes to the filter's form.
func filterAttributes(attrs map[string]MessageAttribute) map[string]filterpolicy.Attribute {
	out := make(map[string]filterpolicy.Attribute, len(attrs))
	for k, a := range attrs {
		out[k] = filterpolicy.Attribute{DataType: a.DataType, Value: a.StringValue}
	}
	return out
}

// deliverToQueue enqueues a notification on the SQS queue queueArn (a
// subscription's endpoint or its dead-letter queue). A missing queue
// sends it on to the subscription's dead-letter queue, if any; it is
// dropped when neither exists, as SNS drops what it cannot deliver.
func (f *FSM) deliverToQueue(now int64, s *subscription, n Notice, queueArn string, wake *[]QueueKey) {
	q := f.queueByARN(queueArn)
	if q == nil {
		if dlq := subscriptionDeadLetterQueue(s.Attributes); dlq != "" && dlq != queueArn {
			f.deliverToQueue(now, s, n, dlq, wake)
		}
		return
	}
	q.advance(now)
	m := &message{
		ID: derivedMessageID(n.MessageID, s.ARN, queueArn), SenderID: s.Topic.Account, SentAt: now,
		VisibleAt: now + int64(q.intAttr(AttrDelaySeconds))*1000,
		ExpiresAt: now + int64(q.intAttr(AttrMessageRetentionPeriod))*1000,
		Seq:       q.NextSeq,
	}
	if s.raw() {
		m.Body = n.Message
		m.Attributes = n.Attributes
	} else {
		m.Body = envelopeJSON(n, s.Topic.ARN(), s.ARN)
	}
	q.NextSeq++
	q.insert(m, now)
	*wake = append(*wake, q.Key)
}

// raw reports whether the subscription has raw message delivery.
func (s *subscription) raw() bool {
	return strings.EqualFold(s.Attributes[SubAttrRawMessageDelivery], "true")
}

// derivedMessageID is the SQS message ID of a notification delivered to a
// queue: a UUID-shaped hash of what identifies the delivery, the same on
// every replica.
func derivedMessageID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h[6] = h[6]&0x0f | 0x50 // version 5 (name-based)
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// unsubscribeURL is the URL that cancels a subscription.
func unsubscribeURL(base, subArn string) string {
	return base + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(subArn)
}

// sortedTopicKeys returns the topics' keys in order.
func (f *FSM) sortedTopicKeys() []TopicKey {
	keys := make([]TopicKey, 0, len(f.topics))
	for k := range f.topics {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return lessKey(QueueKey(keys[i]), QueueKey(keys[j])) })
	return keys
}
