package fsm

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
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
	// NextSeq numbers a FIFO topic's messages (their SequenceNumber).
	NextSeq uint64
	// dedup remembers a FIFO topic's deduplication IDs for 5 minutes. The
	// tree is shared by the topic's copies; snapshots clone it.
	dedup dedupTable
}

// fifo reports whether this is a FIFO topic.
func (t *topic) fifo() bool { return strings.HasSuffix(t.Key.Name, ".fifo") }

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
	// CreatedAt is when the subscription was made (epoch ms): a pending
	// one is deleted pendingLifetime later.
	CreatedAt int64 `codec:",omitempty"`
	// MoreTokens are the tokens of confirmations sent again (a pending
	// endpoint subscribed again); each confirms, like Token.
	MoreTokens []string `codec:",omitempty"`
	// filter is the parsed FilterPolicy (nil: everything matches).
	filter *filterpolicy.Policy
}

// signingIdentity is the cluster's SNS signing key and certificate.
type signingIdentity struct {
	KeyPEM  string
	CertPEM string
}

func (f *FSM) createTopic(now int64, c CreateTopic) any {
	fifo := strings.HasSuffix(c.Topic.Name, ".fifo")
	if fifo && !strings.EqualFold(c.Attributes[TopicAttrFifoTopic], "true") {
		return snsInvalid("Topic Name")
	}
	attrs := make(map[string]string, len(c.Attributes))
	for name, v := range c.Attributes {
		if name == TopicAttrFifoTopic {
			if strings.EqualFold(v, "true") != fifo {
				return snsInvalid("Topic Name")
			}
			continue
		}
		if err := checkTopicAttribute(name, v, fifo); err != nil {
			return err
		}
		attrs[name] = v
	}
	if fifo && attrs[TopicAttrContentBasedDeduplication] == "" {
		attrs[TopicAttrContentBasedDeduplication] = "false"
	}
	if t, ok := f.topics[c.Topic]; ok {
		for name, v := range attrs {
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
	tags := make(map[string]string, len(c.Tags))
	for k, v := range c.Tags {
		tags[k] = v
	}
	f.topics[c.Topic] = &topic{Key: c.Topic, Attributes: attrs, Tags: tags, CreatedAt: now, NextSeq: 1, dedup: newDedupTable()}
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
	if err := checkTopicAttribute(c.Name, c.Value, t.fifo()); err != nil {
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
	return f.editTopicTags(c.Topic, func(tags map[string]string) *Error {
		for k, v := range c.Tags {
			tags[k] = v
		}
		if len(tags) > 50 {
			return Errorf("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
		}
		return nil
	})
}

func (f *FSM) untagTopic(c UntagTopic) *Error {
	return f.editTopicTags(c.Topic, func(tags map[string]string) *Error {
		for _, k := range c.Keys {
			delete(tags, k)
		}
		return nil
	})
}

// editTopicTags runs edit on a copy of a topic's tags and keeps the copy
// unless edit refuses it.
func (f *FSM) editTopicTags(key TopicKey, edit func(map[string]string) *Error) *Error {
	t, ok := f.topics[key]
	if !ok {
		return Errorf("ResourceNotFound", "Resource does not exist")
	}
	tags := make(map[string]string, len(t.Tags))
	for k, v := range t.Tags {
		tags[k] = v
	}
	if err := edit(tags); err != nil {
		return err
	}
	u := *t
	u.Tags = tags
	f.topics[key] = &u
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

func (f *FSM) subscribe(now int64, c Subscribe) any {
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
	if t.fifo() && c.Protocol != "sqs" {
		return snsInvalid("Invalid protocol type: %s", c.Protocol)
	}
	if !t.fifo() && c.Protocol == "sqs" && strings.HasSuffix(c.Endpoint, ".fifo") {
		return snsInvalid("Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
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
		if s.Pending && c.Token != "" {
			// Subscribing a pending endpoint again sends a new
			// confirmation, as SNS does; either token confirms.
			u := *s
			u.MoreTokens = append(append([]string(nil), s.MoreTokens...), c.Token)
			if len(u.MoreTokens) > maxExtraTokens {
				u.MoreTokens = u.MoreTokens[len(u.MoreTokens)-maxExtraTokens:]
			}
			f.subs[arn] = &u
			f.queueConfirmation(&u, c)
		}
		return SubscribeResult{SubscriptionArn: s.ARN, Pending: s.Pending}
	}
	if filter != nil && f.filterPolicies(t, "") >= maxFilterPoliciesPerTopic {
		return Errorf(CodeSNSFilterPolicyLimitExceeded, "Filter policy limit exceeded")
	}
	s := &subscription{
		ARN: c.Topic.ARN() + ":" + c.SubscriptionID, Topic: c.Topic, Protocol: c.Protocol, CreatedAt: now,
		Endpoint: c.Endpoint, Owner: c.Owner, Attributes: attrs, filter: filter,
	}
	if c.Protocol == "http" || c.Protocol == "https" {
		s.Pending = true
		s.Token = c.Token
		f.queueConfirmation(s, c)
	}
	f.subs[s.ARN] = s
	u := *t
	u.Subs = append(append([]string(nil), t.Subs...), s.ARN)
	f.topics[c.Topic] = &u
	return SubscribeResult{SubscriptionArn: s.ARN, Pending: s.Pending}
}

// maxExtraTokens bounds the confirmation tokens a pending subscription
// keeps from repeated subscribes.
const maxExtraTokens = 10

// queueConfirmation puts the SubscriptionConfirmation the leader stamped
// into c in the outbox for s.
func (f *FSM) queueConfirmation(s *subscription, c Subscribe) {
	n := c.Confirmation
	n.Type = "SubscriptionConfirmation"
	n.Token = c.Token
	f.outbox.add(&delivery{SubscriptionArn: s.ARN, Notice: n, NextAt: n.Timestamp})
	f.wakeOutbox = true
}

func (f *FSM) confirmSubscription(c ConfirmSubscription) any {
	t, ok := f.topics[c.Topic]
	if !ok {
		return topicNotFound()
	}
	for _, arn := range t.Subs {
		s := f.subs[arn]
		if s.Token == "" || (s.Token != c.Token && !slices.Contains(s.MoreTokens, c.Token)) {
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
	f.removeSubscription(s)
	return nil
}

// pendingLifetime is how long a subscription may wait for its
// confirmation before it is deleted (AWS: 48 hours).
const pendingLifetime = 48 * 60 * 60 * 1000

// expirePending deletes the pending subscriptions older than
// pendingLifetime, in ARN order.
func (f *FSM) expirePending(now int64) {
	var gone []*subscription
	for _, s := range f.subs {
		if s.Pending && s.CreatedAt > 0 && s.CreatedAt+pendingLifetime <= now {
			gone = append(gone, s)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].ARN < gone[j].ARN })
	for _, s := range gone {
		f.removeSubscription(s)
	}
}

// removeSubscription deletes a subscription, its deliveries and its place
// in its topic.
func (f *FSM) removeSubscription(s *subscription) {
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
	t.dedup.expire(now)
	for i, e := range c.Entries {
		results[i] = PublishResult{ID: e.ID, MessageID: e.MessageID}
		idemKey := ""
		if e.IdempotencyKey != "" {
			idemKey = "\x00idem\x00" + e.IdempotencyKey
			if seen, ok := t.dedup.lookup(idemKey, now); ok {
				results[i].MessageID = seen.MessageID
				if seen.Seq > 0 {
					results[i].SequenceNumber = sequenceNumber(seen.Seq)
				}
				continue
			}
		}
		seq := ""
		if t.fifo() {
			dup, err := f.fifoPublish(now, t, &e, &results[i])
			if err != nil {
				results[i].Err = err
				continue
			}
			if dup {
				continue
			}
			seq = results[i].SequenceNumber
		} else if e.DeduplicationID != "" {
			results[i].Err = snsInvalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
			continue
		}
		if idemKey != "" {
			var n uint64
			if seq != "" {
				n = t.NextSeq - 1
			}
			t.dedup.remember(&dedupEntry{Key: idemKey, MessageID: results[i].MessageID, Seq: n, ExpiresAt: now + dedupWindow})
		}
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
				SequenceNumber: seq, MessageGroupID: e.MessageGroupID, DeduplicationID: e.DeduplicationID,
			}
			if seq != "" {
				// FIFO topics do not sign their messages.
				n.SignatureVersion, n.Signature, n.SigningCertURL = "", "", ""
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
	toDeadLetter := func() {
		if dlq := subscriptionDeadLetterQueue(s.Attributes); dlq != "" && dlq != queueArn {
			f.deliverToQueue(now, s, n, dlq, wake)
		}
	}
	q := f.queueByARN(queueArn)
	if q == nil {
		toDeadLetter()
		return
	}
	q.advance(now)
	dedupID := ""
	if q.fifo() {
		// A FIFO queue keeps the publish's group and deduplication ID,
		// and deduplicates it like a send (two topics may deliver the
		// same ID).
		dedupID = n.DeduplicationID
		if n.MessageGroupID == "" {
			return // a standard topic's message cannot enter a FIFO queue
		}
		if _, dup := q.dedup.lookup(q.fifoDedupKey(n.MessageGroupID, dedupID), now); dup {
			return
		}
	}
	id := derivedMessageID(n.MessageID, s.ARN, queueArn)
	var m *message
	if s.raw() {
		m = newMessage(id, n.Message, s.Topic.Account, n.Attributes, nil, n.MessageGroupID, dedupID)
	} else {
		m = newMessage(id, envelopeJSON(n, s.Topic.ARN(), s.ARN), s.Topic.Account, nil, nil, n.MessageGroupID, dedupID)
	}
	m.Seq, m.SentAt = q.NextSeq, now
	m.VisibleAt = now + int64(q.intAttr(AttrDelaySeconds))*1000
	m.ExpiresAt = now + int64(q.intAttr(AttrMessageRetentionPeriod))*1000
	if m.size() > q.intAttr(AttrMaximumMessageSize) {
		// The queue refuses it, as SQS refuses SNS's send of a message
		// over the queue's MaximumMessageSize.
		toDeadLetter()
		return
	}
	if q.fifo() {
		q.dedup.remember(&dedupEntry{Key: q.fifoDedupKey(n.MessageGroupID, dedupID), MessageID: id, Seq: m.Seq, ExpiresAt: now + dedupWindow})
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

// fifoPublish applies a FIFO topic's rules to one publish entry: group
// required, deduplication by ID or content for 5 minutes. It sets the
// result's SequenceNumber (and, for a duplicate, the first publish's
// message ID) and reports whether the entry was a duplicate.
func (f *FSM) fifoPublish(now int64, t *topic, e *PublishEntry, res *PublishResult) (bool, *Error) {
	if e.MessageGroupID == "" {
		return false, snsInvalid("The MessageGroupId parameter is required for FIFO topics")
	}
	if e.DeduplicationID == "" {
		if t.Attributes[TopicAttrContentBasedDeduplication] != "true" {
			return false, snsInvalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		sum := sha256.Sum256([]byte(e.Message))
		e.DeduplicationID = hex.EncodeToString(sum[:])
	}
	key := e.DeduplicationID
	if t.Attributes[TopicAttrFifoThroughputScope] == "MessageGroup" {
		key = e.MessageGroupID + "\x00" + key
	}
	if seen, ok := t.dedup.lookup(key, now); ok {
		res.MessageID = seen.MessageID
		res.SequenceNumber = sequenceNumber(seen.Seq)
		return true, nil
	}
	seq := t.NextSeq
	t.NextSeq++
	t.dedup.remember(&dedupEntry{Key: key, MessageID: e.MessageID, Seq: seq, ExpiresAt: now + dedupWindow})
	res.SequenceNumber = sequenceNumber(seq)
	return false, nil
}
