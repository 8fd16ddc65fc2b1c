package fsm

import (
	"sort"
	"strconv"
)

// GetTopic returns a topic's attributes as GetTopicAttributes answers them.
func (f *FSM) GetTopic(key TopicKey) (TopicView, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	t, ok := f.topics[key]
	if !ok {
		return TopicView{}, topicNotFound()
	}
	attrs := map[string]string{
		"TopicArn":                key.ARN(),
		"Owner":                   key.Account,
		TopicAttrDisplayName:      "",
		TopicAttrPolicy:           defaultTopicPolicy(key),
		"EffectiveDeliveryPolicy": DefaultEffectiveDeliveryPolicy,
		"SubscriptionsDeleted":    "0",
	}
	for k, v := range t.Attributes {
		attrs[k] = v
	}
	if t.fifo() {
		attrs[TopicAttrFifoTopic] = "true"
	}
	if v := t.Attributes[TopicAttrDeliveryPolicy]; v != "" {
		attrs["EffectiveDeliveryPolicy"] = v
	}
	confirmed, pending := 0, 0
	for _, arn := range t.Subs {
		if f.subs[arn].Pending {
			pending++
		} else {
			confirmed++
		}
	}
	attrs["SubscriptionsConfirmed"] = strconv.Itoa(confirmed)
	attrs["SubscriptionsPending"] = strconv.Itoa(pending)
	return TopicView{Key: key, Attributes: attrs}, nil
}

// TopicSignatureVersion is the SignatureVersion a topic signs with ("1"
// when unset or the topic is gone).
func (f *FSM) TopicSignatureVersion(key TopicKey) string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if t, ok := f.topics[key]; ok && t.Attributes[TopicAttrSignatureVersion] == "2" {
		return "2"
	}
	return "1"
}

// TopicEnvelopeProtocols reports which protocols of the topic's
// subscriptions receive the signed JSON envelope (those without raw
// delivery): a publish needs a signature for those only. A subscription
// made after this read and before the publish applies gets an envelope
// without a signature (SQS) or signed at delivery (HTTP/S).
func (f *FSM) TopicEnvelopeProtocols(key TopicKey) map[string]bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	t, ok := f.topics[key]
	if !ok {
		return nil
	}
	out := make(map[string]bool, 3)
	for _, arn := range t.Subs {
		if s := f.subs[arn]; s != nil && !s.raw() {
			out[s.Protocol] = true
		}
	}
	return out
}

// ListTopics returns the ARNs of the topics of an account in a region,
// sorted.
func (f *FSM) ListTopics(region, account string) []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var arns []string
	for k := range f.topics {
		if k.Region == region && k.Account == account {
			arns = append(arns, k.ARN())
		}
	}
	sort.Strings(arns)
	return arns
}

// TopicTags returns a copy of a topic's tags.
func (f *FSM) TopicTags(key TopicKey) (map[string]string, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	t, ok := f.topics[key]
	if !ok {
		return nil, Errorf("ResourceNotFound", "Resource does not exist")
	}
	tags := make(map[string]string, len(t.Tags))
	for k, v := range t.Tags {
		tags[k] = v
	}
	return tags, nil
}

// view is what reads show of a subscription.
func (s *subscription) view() SubscriptionView {
	attrs := map[string]string{
		"SubscriptionArn":              s.ARN,
		"TopicArn":                     s.Topic.ARN(),
		"Owner":                        s.Owner,
		"Protocol":                     s.Protocol,
		"Endpoint":                     s.Endpoint,
		"PendingConfirmation":          strconv.FormatBool(s.Pending),
		"ConfirmationWasAuthenticated": strconv.FormatBool(!s.Pending),
		SubAttrRawMessageDelivery:      "false",
	}
	for k, v := range s.Attributes {
		attrs[k] = v
	}
	if attrs[SubAttrFilterPolicy] != "" && attrs[SubAttrFilterPolicyScope] == "" {
		attrs[SubAttrFilterPolicyScope] = "MessageAttributes"
	}
	if s.Protocol == "http" || s.Protocol == "https" {
		attrs["EffectiveDeliveryPolicy"] = s.deliveryPolicy(nil, DefaultEffectiveDeliveryPolicy)
	}
	arn := s.ARN
	if s.Pending {
		arn = "PendingConfirmation"
	}
	return SubscriptionView{
		SubscriptionArn: arn, TopicArn: s.Topic.ARN(), Owner: s.Owner, Protocol: s.Protocol,
		Endpoint: s.Endpoint, Pending: s.Pending, Attributes: attrs,
	}
}

// deliveryPolicy is the policy that governs a subscription's retries: its
// own, else its topic's, else def.
func (s *subscription) deliveryPolicy(t *topic, def string) string {
	if v := s.Attributes[SubAttrDeliveryPolicy]; v != "" {
		return v
	}
	if t != nil {
		if v := t.Attributes[TopicAttrDeliveryPolicy]; v != "" {
			return v
		}
	}
	return def
}

// GetSubscription returns a subscription's attributes.
func (f *FSM) GetSubscription(arn string) (SubscriptionView, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s, ok := f.subs[arn]
	if !ok {
		return SubscriptionView{}, subscriptionNotFound()
	}
	v := s.view()
	v.SubscriptionArn = s.ARN
	return v, nil
}

// ListSubscriptions returns the subscriptions of an account in a region,
// sorted by topic then creation.
func (f *FSM) ListSubscriptions(region, account string) []SubscriptionView {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []SubscriptionView
	for _, k := range f.sortedTopicKeys() {
		if k.Region != region || k.Account != account {
			continue
		}
		for _, arn := range f.topics[k].Subs {
			out = append(out, f.subs[arn].view())
		}
	}
	return out
}

// ListSubscriptionsByTopic returns a topic's subscriptions in creation
// order.
func (f *FSM) ListSubscriptionsByTopic(key TopicKey) ([]SubscriptionView, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	t, ok := f.topics[key]
	if !ok {
		return nil, topicNotFound()
	}
	out := make([]SubscriptionView, 0, len(t.Subs))
	for _, arn := range t.Subs {
		out = append(out, f.subs[arn].view())
	}
	return out, nil
}

// SigningIdentity returns the cluster's SNS signing key and certificate
// (empty until the leader installs them).
func (f *FSM) SigningIdentity() (keyPEM, certPEM string) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.identity.KeyPEM, f.identity.CertPEM
}

// DueDeliveries returns up to max outbox entries due at now, earliest
// first, and the due time of the next entry not yet due (0: none).
func (f *FSM) DueDeliveries(now int64, max int) (due []Delivery, nextAt int64) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	f.outbox.byDue.Ascend(func(d *delivery) bool {
		if d.NextAt > now {
			nextAt = d.NextAt
			return false
		}
		if len(due) >= max {
			nextAt = d.NextAt
			return false
		}
		s, ok := f.subs[d.SubscriptionArn]
		if !ok {
			return true
		}
		v := Delivery{
			ID: d.ID, Attempt: d.Attempts, SubscriptionArn: s.ARN, TopicArn: s.Topic.ARN(),
			Protocol: s.Protocol, Endpoint: s.Endpoint, Raw: s.raw() && d.Notice.Type == "Notification",
			SubscriptionDeliveryPolicy: s.Attributes[SubAttrDeliveryPolicy], Notice: d.Notice,
		}
		if t := f.topics[s.Topic]; t != nil {
			v.TopicDeliveryPolicy = t.Attributes[TopicAttrDeliveryPolicy]
		}
		if d.Notice.Type == "Notification" {
			v.UnsubscribeURL = unsubscribeURL(d.Notice.BaseURL, s.ARN)
		}
		due = append(due, v)
		return true
	})
	return due, nextAt
}

// TopicCount is the number of topics.
func (f *FSM) TopicCount() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.topics)
}

// OutboxLen is the number of push deliveries waiting.
func (f *FSM) OutboxLen() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.outbox.len()
}

// outboxKey is the reserved watch key raised when the outbox changes.
var outboxKey = QueueKey{Name: "\x00outbox"}

// WatchOutbox returns a channel closed when the outbox next changes.
func (f *FSM) WatchOutbox() <-chan struct{} { return f.Watch(outboxKey) }
