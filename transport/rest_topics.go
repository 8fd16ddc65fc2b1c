package transport

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfmq/wharf/fsm"
)

// The topic routes of the native API (docs/rest-api.md, Topics). Topics
// are named by name in the call's account and region, like queues; a
// subscription by its ID, the last segment of its ARN, under its topic.
// The SNS rules are those of the SNS query API (sns_*.go), run on the
// same parameters: the REST fields are handed to its validators, and
// their errors keep SNS's codes (InvalidParameter, ParameterValueInvalid,
// NotFound...).

// restTopicRef names a topic.
type restTopicRef struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

// restTopic is a topic with its attributes (subscription counts
// included) and tags.
type restTopic struct {
	restTopicRef
	Attributes map[string]string `json:"attributes"`
	Tags       map[string]string `json:"tags"`
}

type restCreateTopicInput struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes"`
	Tags       map[string]string `json:"tags"`
}

type restPatchAttributesInput struct {
	Attributes map[string]string `json:"attributes"`
}

type restListTopicsOutput struct {
	Topics []restTopicRef `json:"topics"`
}

// restSubscription is a subscription with all its attributes. ARN is the
// real ARN even while the subscription waits for its confirmation (SNS's
// own lists say "PendingConfirmation" there).
type restSubscription struct {
	ID       string `json:"id"`
	ARN      string `json:"arn"`
	Topic    string `json:"topic"`
	TopicARN string `json:"topic_arn"`
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
	// Pending: an HTTP/S endpoint has not confirmed it yet.
	Pending    bool              `json:"pending"`
	Attributes map[string]string `json:"attributes"`
}

type restSubscribeInput struct {
	Protocol   string            `json:"protocol"`
	Endpoint   string            `json:"endpoint"`
	Attributes map[string]string `json:"attributes"`
}

type restConfirmInput struct {
	Token string `json:"token"`
}

type restListSubscriptionsOutput struct {
	Subscriptions []restSubscription `json:"subscriptions"`
}

// restPublishInput is one message to publish.
type restPublishInput struct {
	Message *string `json:"message"`
	Subject *string `json:"subject"`
	// MessageStructure "json" makes Message a JSON object of one message
	// per protocol ("default" required; "sqs", "http", "https").
	MessageStructure string              `json:"message_structure"`
	Attributes       map[string]restAttr `json:"attributes"`
	// MessageGroupID and DeduplicationID are for FIFO topics.
	MessageGroupID  string `json:"message_group_id"`
	DeduplicationID string `json:"message_deduplication_id"`
	// IdempotencyKey makes the publish exactly-once for 5 minutes, as for
	// sends.
	IdempotencyKey string `json:"idempotency_key"`
}

type restPublishOutput struct {
	MessageID      string `json:"message_id"`
	SequenceNumber string `json:"sequence_number,omitempty"`
}

type restPublishBatchEntry struct {
	ID string `json:"id"`
	restPublishInput
}

type restPublishBatchInput struct {
	Messages []restPublishBatchEntry `json:"messages"`
}

// restPublishBatchResult is one entry's outcome: MessageID or Error.
type restPublishBatchResult struct {
	ID             string     `json:"id"`
	MessageID      string     `json:"message_id,omitempty"`
	SequenceNumber string     `json:"sequence_number,omitempty"`
	Error          *restError `json:"error,omitempty"`
}

type restPublishBatchOutput struct {
	Results []restPublishBatchResult `json:"results"`
}

// maxSubscriptionIDLen bounds a subscription ID in a path (the IDs the
// cluster makes are UUIDs).
const maxSubscriptionIDLen = 128

// topicKey is the topic named by the route's :name, in the call's account
// and region.
func (r *restRequest) topicKey() (fsm.TopicKey, error) {
	name := r.ec.Param("name")
	if err := checkTopicName(name); err != nil {
		return fsm.TopicKey{}, err
	}
	return fsm.TopicKey{Region: r.c.region, Account: r.c.account, Name: name}, nil
}

// subscriptionARN is the ARN of the subscription named by the route's :id
// under topic key.
func (r *restRequest) subscriptionARN(key fsm.TopicKey) (string, error) {
	id := r.ec.Param("id")
	ok := id != "" && len(id) <= maxSubscriptionIDLen
	for i := 0; ok && i < len(id); i++ {
		b := id[i]
		ok = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_'
	}
	if !ok {
		return "", invalidValue("id", id, "A subscription ID is the last segment of its ARN: 1 to 128 letters, digits, hyphens and underscores.")
	}
	return key.ARN() + ":" + id, nil
}

// isSNSNotFound reports whether err says that a topic or subscription
// does not exist.
func isSNSNotFound(err error) bool {
	var fe *fsm.Error
	return errors.As(err, &fe) && (fe.Code == fsm.CodeSNSNotFound || fe.Code == "ResourceNotFound")
}

// checkNewTopic runs CreateTopic's rules (snsCreateTopic's) on a name and
// its attributes; the state machine checks the rest (FIFO topics).
func checkNewTopic(name string, attrs map[string]string) error {
	if err := checkTopicName(name); err != nil {
		return err
	}
	for _, k := range sortedKeys(attrs) {
		if err := checkTopicAttributeValue(k, attrs[k]); err != nil {
			return err
		}
	}
	return nil
}

// restTopicTags checks tags with SNS's rules (snsTags).
func restTopicTags(tags map[string]string) (map[string]string, error) {
	p := url.Values{}
	for i, k := range sortedKeys(tags) {
		n := "Tags.member." + strconv.Itoa(i+1) + "."
		p.Set(n+"Key", k)
		p.Set(n+"Value", tags[k])
	}
	return snsTags(p)
}

// restPublishEntry validates one message to publish with the SNS query
// API's rules (publishEntry) and converts it.
func restPublishEntry(in *restPublishInput) (fsm.PublishEntry, error) {
	if in.Message == nil {
		return fsm.PublishEntry{}, missing("message")
	}
	p := url.Values{}
	p.Set("Message", *in.Message)
	if in.Subject != nil {
		p.Set("Subject", *in.Subject)
	}
	if in.MessageStructure != "" {
		p.Set("MessageStructure", in.MessageStructure)
	}
	if in.MessageGroupID != "" {
		p.Set("MessageGroupId", in.MessageGroupID)
	}
	if in.DeduplicationID != "" {
		p.Set("MessageDeduplicationId", in.DeduplicationID)
	}
	for i, name := range slices.Sorted(maps.Keys(in.Attributes)) {
		a := in.Attributes[name]
		n := "MessageAttributes.entry." + strconv.Itoa(i+1) + "."
		p.Set(n+"Name", name)
		p.Set(n+"Value.DataType", a.DataType)
		if a.StringValue != nil {
			p.Set(n+"Value.StringValue", *a.StringValue)
		}
		if a.BinaryValue != nil {
			p.Set(n+"Value.BinaryValue", base64.StdEncoding.EncodeToString(a.BinaryValue))
		}
	}
	if err := validIdempotencyKey(in.IdempotencyKey); err != nil {
		return fsm.PublishEntry{}, err
	}
	e, err := publishEntry(p)
	e.IdempotencyKey = in.IdempotencyKey
	return e, err
}

// restSubscriptionOf describes a subscription read from the backend.
func restSubscriptionOf(v fsm.SubscriptionView) restSubscription {
	arn := v.Attributes["SubscriptionArn"]
	if arn == "" {
		arn = v.SubscriptionArn
	}
	topic, _ := fsm.ParseTopicARN(v.TopicArn)
	attrs := make(map[string]string, len(v.Attributes))
	for k, val := range v.Attributes {
		attrs[k] = val
	}
	return restSubscription{
		ID: arn[strings.LastIndexByte(arn, ':')+1:], ARN: arn, Topic: topic.Name, TopicARN: v.TopicArn,
		Protocol: v.Protocol, Endpoint: v.Endpoint, Pending: v.Pending, Attributes: attrs,
	}
}

// restSubscriptions describes a list of subscriptions.
func restSubscriptions(views []fsm.SubscriptionView) restListSubscriptionsOutput {
	out := restListSubscriptionsOutput{Subscriptions: make([]restSubscription, 0, len(views))}
	for _, v := range views {
		out.Subscriptions = append(out.Subscriptions, restSubscriptionOf(v))
	}
	return out
}

// ---------------------------------------------------------------------------
// Topics

// restCreateTopic serves POST /v1/topics: 201 when created, 200 when the
// topic existed with the same attributes and tags.
func (s *Server) restCreateTopic(ctx context.Context, r *restRequest) (int, any, error) {
	var in restCreateTopicInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Name == "" {
		return 0, nil, missing("name")
	}
	if err := checkNewTopic(in.Name, in.Attributes); err != nil {
		return 0, nil, err
	}
	tags, err := restTopicTags(in.Tags)
	if err != nil {
		return 0, nil, err
	}
	key := fsm.TopicKey{Region: r.c.region, Account: r.c.account, Name: in.Name}
	status := http.StatusOK
	if _, err := s.cfg.Backend.GetTopic(ctx, key); err != nil {
		if !isSNSNotFound(err) {
			return 0, nil, err
		}
		status = http.StatusCreated
	}
	arn, err := s.cfg.Backend.CreateTopic(ctx, fsm.CreateTopic{Topic: key, Attributes: in.Attributes, Tags: tags})
	if err != nil {
		return 0, nil, err
	}
	return status, restTopicRef{Name: key.Name, ARN: arn}, nil
}

// restListTopics serves GET /v1/topics?prefix=.
func (s *Server) restListTopics(ctx context.Context, r *restRequest) (int, any, error) {
	arns, err := s.cfg.Backend.ListTopics(ctx, r.c.region, r.c.account)
	if err != nil {
		return 0, nil, err
	}
	prefix := r.ec.QueryParam("prefix")
	out := restListTopicsOutput{Topics: make([]restTopicRef, 0, len(arns))}
	for _, arn := range arns {
		k, ok := fsm.ParseTopicARN(arn)
		if ok && strings.HasPrefix(k.Name, prefix) {
			out.Topics = append(out.Topics, restTopicRef{Name: k.Name, ARN: arn})
		}
	}
	return http.StatusOK, out, nil
}

// topicDescription reads a topic's attributes and tags.
func (s *Server) topicDescription(ctx context.Context, key fsm.TopicKey) (restTopic, error) {
	view, err := s.cfg.Backend.GetTopic(ctx, key)
	if err != nil {
		return restTopic{}, err
	}
	tags, err := s.cfg.Backend.ListTopicTags(ctx, key)
	if err != nil {
		return restTopic{}, err
	}
	t := restTopic{restTopicRef: restTopicRef{Name: key.Name, ARN: key.ARN()}, Attributes: view.Attributes, Tags: tags}
	if t.Attributes == nil {
		t.Attributes = map[string]string{}
	}
	if t.Tags == nil {
		t.Tags = map[string]string{}
	}
	return t, nil
}

// restGetTopic serves GET /v1/topics/{name}.
func (s *Server) restGetTopic(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.topicKey()
	if err != nil {
		return 0, nil, err
	}
	t, err := s.topicDescription(ctx, key)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, t, nil
}

// restPatchTopic serves PATCH /v1/topics/{name}: it sets the attributes
// given, one at a time in name order (an empty value removes one), and
// answers the topic as GET does. A refused attribute stops the call; the
// ones before it stay set.
func (s *Server) restPatchTopic(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.topicKey()
	if err != nil {
		return 0, nil, err
	}
	var in restPatchAttributesInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	if len(in.Attributes) == 0 {
		return 0, nil, missing("attributes")
	}
	names := sortedKeys(in.Attributes)
	for _, n := range names {
		if err := checkTopicAttributeValue(n, in.Attributes[n]); err != nil {
			return 0, nil, err
		}
	}
	for _, n := range names {
		if err := s.cfg.Backend.SetTopicAttributes(ctx, fsm.SetTopicAttributes{Topic: key, Name: n, Value: in.Attributes[n]}); err != nil {
			return 0, nil, err
		}
	}
	t, err := s.topicDescription(ctx, key)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, t, nil
}

// restDeleteTopic serves DELETE /v1/topics/{name}: the topic and its
// subscriptions; 404 when there is no such topic.
func (s *Server) restDeleteTopic(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.topicKey()
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.cfg.Backend.GetTopic(ctx, key); err != nil {
		return 0, nil, err
	}
	if err := s.cfg.Backend.DeleteTopic(ctx, key); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// ---------------------------------------------------------------------------
// Subscriptions

// restSubscribe serves POST /v1/topics/{name}/subscriptions: 201 with the
// new subscription, 200 when the topic had one with the same protocol,
// endpoint and attributes. An HTTP/S subscription is pending until its
// endpoint confirms it.
func (s *Server) restSubscribe(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.topicKey()
	if err != nil {
		return 0, nil, err
	}
	var in restSubscribeInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Protocol == "" {
		return 0, nil, missing("protocol")
	}
	if in.Endpoint == "" {
		return 0, nil, missing("endpoint")
	}
	protocol := strings.ToLower(in.Protocol)
	if !snsProtocols[protocol] {
		return 0, nil, snsInvalid("Amazon SNS does not support this protocol string: %s", in.Protocol)
	}
	if err := s.checkEndpoint(protocol, in.Endpoint); err != nil {
		return 0, nil, err
	}
	for _, k := range sortedKeys(in.Attributes) {
		if err := checkSubscriptionAttributeValue(k, in.Attributes[k]); err != nil {
			return 0, nil, err
		}
	}
	existing, err := s.cfg.Backend.ListSubscriptionsByTopic(ctx, key)
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusCreated
	for _, v := range existing {
		if v.Protocol == protocol && v.Endpoint == in.Endpoint {
			status = http.StatusOK
		}
	}
	res, err := s.cfg.Backend.Subscribe(ctx, fsm.Subscribe{
		Topic: key, Protocol: protocol, Endpoint: in.Endpoint, Attributes: in.Attributes, Owner: r.c.account,
	})
	if err != nil {
		return 0, nil, err
	}
	view, err := s.cfg.Backend.GetSubscription(ctx, res.SubscriptionArn)
	if err != nil {
		return 0, nil, err
	}
	return status, restSubscriptionOf(view), nil
}

// restListTopicSubscriptions serves GET /v1/topics/{name}/subscriptions,
// in creation order.
func (s *Server) restListTopicSubscriptions(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.topicKey()
	if err != nil {
		return 0, nil, err
	}
	views, err := s.cfg.Backend.ListSubscriptionsByTopic(ctx, key)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, restSubscriptions(views), nil
}

// restListSubscriptions serves GET /v1/subscriptions: every subscription
// of the account and region, by topic then creation.
func (s *Server) restListSubscriptions(ctx context.Context, r *restRequest) (int, any, error) {
	views, err := s.cfg.Backend.ListSubscriptions(ctx, r.c.region, r.c.account)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, restSubscriptions(views), nil
}

// subscriptionRef resolves the route's topic and subscription ID.
func (r *restRequest) subscriptionRef() (string, error) {
	key, err := r.topicKey()
	if err != nil {
		return "", err
	}
	return r.subscriptionARN(key)
}

// restGetSubscription serves GET /v1/topics/{name}/subscriptions/{id}.
func (s *Server) restGetSubscription(ctx context.Context, r *restRequest) (int, any, error) {
	arn, err := r.subscriptionRef()
	if err != nil {
		return 0, nil, err
	}
	view, err := s.cfg.Backend.GetSubscription(ctx, arn)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, restSubscriptionOf(view), nil
}

// restPatchSubscription serves PATCH /v1/topics/{name}/subscriptions/{id}:
// it sets the attributes given one at a time, in name order (so a
// FilterPolicy before its FilterPolicyScope, except when a subscription
// with a policy moves to the MessageBody scope; an empty value removes
// one), and answers the subscription as GET does. A refused attribute
// stops the call; the ones before it stay set.
func (s *Server) restPatchSubscription(ctx context.Context, r *restRequest) (int, any, error) {
	arn, err := r.subscriptionRef()
	if err != nil {
		return 0, nil, err
	}
	var in restPatchAttributesInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	if len(in.Attributes) == 0 {
		return 0, nil, missing("attributes")
	}
	names := sortedKeys(in.Attributes) // FilterPolicy sorts before FilterPolicyScope
	for _, n := range names {
		if err := checkSubscriptionAttributeValue(n, in.Attributes[n]); err != nil {
			return 0, nil, err
		}
	}
	if _, both := in.Attributes[fsm.SubAttrFilterPolicy]; both && in.Attributes[fsm.SubAttrFilterPolicyScope] == "MessageBody" {
		// Moving a subscription that has a policy to the body scope: the
		// scope first, since a nested (body) policy is refused under the
		// attributes scope, and the current policy is valid in both.
		view, err := s.cfg.Backend.GetSubscription(ctx, arn)
		if err != nil {
			return 0, nil, err
		}
		if view.Attributes[fsm.SubAttrFilterPolicy] != "" {
			names = scopeFirst(names)
		}
	}
	for _, n := range names {
		req := fsm.SetSubscriptionAttributes{SubscriptionArn: arn, Name: n, Value: in.Attributes[n]}
		if err := s.cfg.Backend.SetSubscriptionAttributes(ctx, req); err != nil {
			return 0, nil, err
		}
	}
	view, err := s.cfg.Backend.GetSubscription(ctx, arn)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, restSubscriptionOf(view), nil
}

// scopeFirst moves FilterPolicyScope before FilterPolicy.
func scopeFirst(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		switch n {
		case fsm.SubAttrFilterPolicy:
			out = append(out, fsm.SubAttrFilterPolicyScope, n)
		case fsm.SubAttrFilterPolicyScope:
		default:
			out = append(out, n)
		}
	}
	return out
}

// restUnsubscribe serves DELETE /v1/topics/{name}/subscriptions/{id}.
func (s *Server) restUnsubscribe(ctx context.Context, r *restRequest) (int, any, error) {
	arn, err := r.subscriptionRef()
	if err != nil {
		return 0, nil, err
	}
	if err := s.cfg.Backend.Unsubscribe(ctx, arn); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// restConfirmSubscription serves POST /v1/topics/{name}/confirm: it
// confirms the pending subscription the token was sent for (in its
// SubscriptionConfirmation) and answers it.
func (s *Server) restConfirmSubscription(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.topicKey()
	if err != nil {
		return 0, nil, err
	}
	var in restConfirmInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Token == "" {
		return 0, nil, missing("token")
	}
	arn, err := s.cfg.Backend.ConfirmSubscription(ctx, fsm.ConfirmSubscription{Topic: key, Token: in.Token})
	if err != nil {
		return 0, nil, err
	}
	view, err := s.cfg.Backend.GetSubscription(ctx, arn)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, restSubscriptionOf(view), nil
}

// ---------------------------------------------------------------------------
// Publishing

// restPublish serves POST /v1/topics/{name}/publish: the message is
// delivered to every matching SQS subscription in the same replicated
// command, and queued for every matching HTTP/S one.
func (s *Server) restPublish(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.topicKey()
	if err != nil {
		return 0, nil, err
	}
	var in restPublishInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	entry, err := restPublishEntry(&in)
	if err != nil {
		return 0, nil, err
	}
	res, err := s.cfg.Backend.Publish(ctx, fsm.Publish{Topic: key, Entries: []fsm.PublishEntry{entry}})
	if err != nil {
		return 0, nil, err
	}
	if len(res) != 1 {
		return 0, nil, errf(codeInternal, "The backend answered %d results for 1 message.", len(res))
	}
	if res[0].Err != nil {
		return 0, nil, res[0].Err
	}
	return http.StatusOK, restPublishOutput{MessageID: res[0].MessageID, SequenceNumber: res[0].SequenceNumber}, nil
}

// restPublishBatch serves POST /v1/topics/{name}/publish/batch: the rules
// of the whole batch (1-10 distinct valid IDs, 256 KiB of messages in
// all) fail the call; an invalid message fails alone, in its result.
func (s *Server) restPublishBatch(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.topicKey()
	if err != nil {
		return 0, nil, err
	}
	var in restPublishBatchInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	ids := make([]string, len(in.Messages))
	total := 0
	for i := range in.Messages {
		ids[i] = in.Messages[i].ID
		if m := in.Messages[i].Message; m != nil {
			total += len(*m)
		}
	}
	if err := checkBatch(ids); err != nil {
		return 0, nil, err
	}
	if total > maxSNSMessageBytes {
		return 0, nil, errf(fsm.CodeBatchRequestTooLong, "The length of all the messages put together is more than the limit of %d bytes.", maxSNSMessageBytes)
	}
	out := restPublishBatchOutput{Results: make([]restPublishBatchResult, len(ids))}
	var entries []fsm.PublishEntry
	var pending []int
	for i := range in.Messages {
		out.Results[i].ID = ids[i]
		e, err := restPublishEntry(&in.Messages[i].restPublishInput)
		if err != nil {
			out.Results[i].Error = restEntryError(err)
			continue
		}
		e.ID = ids[i]
		pending = append(pending, i)
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		// Every entry failed: still report a missing topic.
		if _, err := s.cfg.Backend.Publish(ctx, fsm.Publish{Topic: key}); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, out, nil
	}
	results, err := s.cfg.Backend.Publish(ctx, fsm.Publish{Topic: key, Entries: entries})
	if err != nil {
		return 0, nil, err
	}
	if len(results) != len(entries) {
		return 0, nil, errf(codeInternal, "The backend answered %d results for %d messages.", len(results), len(entries))
	}
	for j, i := range pending {
		if results[j].Err != nil {
			out.Results[i].Error = restEntryError(results[j].Err)
			continue
		}
		out.Results[i].MessageID = results[j].MessageID
		out.Results[i].SequenceNumber = results[j].SequenceNumber
	}
	return http.StatusOK, out, nil
}
