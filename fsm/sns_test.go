package fsm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

var testTopic = TopicKey{Region: "us-east-1", Account: "000000000000", Name: "t"}

func (h *harness) subscribe(protocol, endpoint string, attrs map[string]string) SubscribeResult {
	h.t.Helper()
	return h.ok(Subscribe{
		Topic: testTopic, Protocol: protocol, Endpoint: endpoint, Attributes: attrs, Owner: "000000000000",
		SubscriptionID: "sub-" + strings.Repeat("x", int(h.index%7)) + endpoint[len(endpoint)-1:], Token: "tok-" + endpoint,
		Confirmation: Notice{MessageID: "conf", Timestamp: h.now, SubscribeURL: "http://x/confirm"},
	}).(SubscribeResult)
}

func (h *harness) publish(entries ...PublishEntry) []PublishResult {
	h.t.Helper()
	return h.ok(Publish{Topic: testTopic, Entries: entries, Timestamp: h.now, SignatureVersion: "1", BaseURL: "http://wharf"}).([]PublishResult)
}

func queueKey(name string) QueueKey {
	return QueueKey{Region: "us-east-1", Account: "000000000000", Name: name}
}

// A publish reaches every matching SQS subscription in the same apply:
// envelope or raw, filtered by attributes.
func TestPublishFansOutToQueues(t *testing.T) {
	h := newHarness(t)
	for _, q := range []string{"env", "raw", "filtered"} {
		h.ok(CreateQueue{Queue: queueKey(q)})
	}
	if arn := h.ok(CreateTopic{Topic: testTopic}); arn != testTopic.ARN() {
		t.Fatalf("CreateTopic answered %v", arn)
	}
	h.subscribe("sqs", queueKey("env").ARN(), nil)
	h.subscribe("sqs", queueKey("raw").ARN(), map[string]string{SubAttrRawMessageDelivery: "true"})
	h.subscribe("sqs", queueKey("filtered").ARN(), map[string]string{SubAttrFilterPolicy: `{"color":["red"]}`})

	res := h.publish(PublishEntry{MessageID: "m1", Subject: "hi", Message: "blue <&>",
		Attributes: map[string]MessageAttribute{"color": {DataType: "String", StringValue: "blue"}}})
	if len(res) != 1 || res[0].Err != nil || res[0].MessageID != "m1" {
		t.Fatalf("publish: %+v", res)
	}
	env := h.receive(queueKey("env"), 10, 30)
	if len(env) != 1 {
		t.Fatalf("envelope queue got %d messages", len(env))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(env[0].Body), &doc); err != nil {
		t.Fatalf("envelope is not JSON: %v\n%s", err, env[0].Body)
	}
	if doc["Type"] != "Notification" || doc["MessageId"] != "m1" || doc["TopicArn"] != testTopic.ARN() ||
		doc["Subject"] != "hi" || doc["Message"] != "blue <&>" || !strings.Contains(doc["UnsubscribeURL"].(string), "Action=Unsubscribe") {
		t.Fatalf("envelope fields: %v", doc)
	}
	if !strings.Contains(env[0].Body, "<&>") {
		t.Fatalf("envelope escaped HTML: %s", env[0].Body)
	}
	raw := h.receive(queueKey("raw"), 10, 30)
	if len(raw) != 1 || raw[0].Body != "blue <&>" || raw[0].Attributes["color"].StringValue != "blue" {
		t.Fatalf("raw delivery: %+v", raw)
	}
	if got := h.receive(queueKey("filtered"), 10, 30); len(got) != 0 {
		t.Fatalf("filtered queue got a message its policy rejects: %+v", got)
	}
	h.publish(PublishEntry{MessageID: "m2", Message: "red",
		Attributes: map[string]MessageAttribute{"color": {DataType: "String", StringValue: "red"}}})
	if got := h.receive(queueKey("filtered"), 10, 30); len(got) != 1 {
		t.Fatalf("filtered queue missed a matching message: %+v", got)
	}
	// A deleted queue's subscription drops; the others still get messages.
	h.ok(DeleteQueue{Queue: queueKey("env")})
	h.publish(PublishEntry{MessageID: "m3", Message: "x"})
	if got := h.receive(queueKey("raw"), 10, 30); len(got) != 2 || got[0].Body != "red" || got[1].Body != "x" {
		t.Fatalf("raw queue after another's deletion: %+v", got)
	}
}

// HTTP subscriptions start pending with a confirmation in the outbox;
// confirming activates them; notifications go to the outbox; outcomes are
// recorded; exhausted retries land in the subscription's DLQ.
func TestHTTPSubscriptionOutbox(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateTopic{Topic: testTopic})
	h.ok(CreateQueue{Queue: queueKey("dlq")})
	sub := h.subscribe("http", "http://example.test/1", map[string]string{SubAttrRedrivePolicy: `{"deadLetterTargetArn":"` + queueKey("dlq").ARN() + `"}`})
	if !sub.Pending {
		t.Fatal("an HTTP subscription must start pending")
	}
	due, _ := h.f.DueDeliveries(h.now, 10)
	if len(due) != 1 || due[0].Notice.Type != "SubscriptionConfirmation" || due[0].Notice.Token != "tok-http://example.test/1" {
		t.Fatalf("confirmation delivery: %+v", due)
	}
	h.publish(PublishEntry{MessageID: "skipped", Message: "not yet confirmed"})
	h.ok(RecordDelivery{ID: due[0].ID, Attempt: 0, Delivered: true})
	if due, _ := h.f.DueDeliveries(h.now, 10); len(due) != 0 {
		t.Fatalf("a pending subscription got a notification: %+v", due)
	}
	h.code(ConfirmSubscription{Topic: testTopic, Token: "wrong"}, CodeSNSInvalidParameter)
	if arn := h.ok(ConfirmSubscription{Topic: testTopic, Token: "tok-http://example.test/1"}); arn != sub.SubscriptionArn {
		t.Fatalf("confirm answered %v", arn)
	}
	h.publish(PublishEntry{MessageID: "n1", Message: "hello"})
	due, _ = h.f.DueDeliveries(h.now, 10)
	if len(due) != 1 || due[0].Notice.MessageID != "n1" || due[0].UnsubscribeURL == "" {
		t.Fatalf("notification delivery: %+v", due)
	}
	d := due[0]
	h.ok(RecordDelivery{ID: d.ID, Attempt: 0, RetryAt: h.now + 20_000})
	h.ok(RecordDelivery{ID: d.ID, Attempt: 0, RetryAt: h.now + 99_000}) // stale: ignored
	if due, next := h.f.DueDeliveries(h.now, 10); len(due) != 0 || next != h.now+20_000 {
		t.Fatalf("after a failure: due %+v next %d", due, next)
	}
	h.now += 20_000
	due, _ = h.f.DueDeliveries(h.now, 10)
	if len(due) != 1 || due[0].Attempt != 1 {
		t.Fatalf("retry: %+v", due)
	}
	h.ok(RecordDelivery{ID: d.ID, Attempt: 1}) // exhausted
	if h.f.OutboxLen() != 0 {
		t.Fatalf("outbox holds %d after the last retry", h.f.OutboxLen())
	}
	got := h.receive(queueKey("dlq"), 10, 30)
	if len(got) != 1 || !strings.Contains(got[0].Body, `"hello"`) {
		t.Fatalf("subscription DLQ: %+v", got)
	}
}

func TestTopicAndSubscriptionRules(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateTopic{Topic: testTopic, Attributes: map[string]string{TopicAttrDisplayName: "d"}})
	h.ok(CreateTopic{Topic: testTopic, Attributes: map[string]string{TopicAttrDisplayName: "d"}})
	h.code(CreateTopic{Topic: testTopic, Attributes: map[string]string{TopicAttrDisplayName: "other"}}, CodeSNSInvalidParameter)
	h.code(SetTopicAttributes{Topic: testTopic, Name: "Nope", Value: "x"}, CodeSNSInvalidParameter)
	h.code(SetTopicAttributes{Topic: testTopic, Name: TopicAttrSignatureVersion, Value: "3"}, CodeSNSInvalidParameter)
	h.ok(SetTopicAttributes{Topic: testTopic, Name: TopicAttrSignatureVersion, Value: "2"})
	if h.f.TopicSignatureVersion(testTopic) != "2" {
		t.Fatal("SignatureVersion not kept")
	}
	h.code(Subscribe{Topic: TopicKey{Region: "us-east-1", Account: "000000000000", Name: "none"}, Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:000000000000:q"}, CodeSNSNotFound)
	a := h.subscribe("sqs", queueKey("q").ARN(), nil)
	if b := h.subscribe("sqs", queueKey("q").ARN(), nil); b.SubscriptionArn != a.SubscriptionArn {
		t.Fatalf("subscribing twice gave two ARNs: %s %s", a.SubscriptionArn, b.SubscriptionArn)
	}
	h.code(SetSubscriptionAttributes{SubscriptionArn: a.SubscriptionArn, Name: SubAttrFilterPolicy, Value: `{"a": "not-an-array"}`}, CodeSNSInvalidParameter)
	h.code(SetSubscriptionAttributes{SubscriptionArn: a.SubscriptionArn, Name: SubAttrRawMessageDelivery, Value: "maybe"}, CodeSNSInvalidParameter)
	h.ok(SetSubscriptionAttributes{SubscriptionArn: a.SubscriptionArn, Name: SubAttrFilterPolicy, Value: `{"a":["b"]}`})
	v, err := h.f.GetSubscription(a.SubscriptionArn)
	if err != nil || v.Attributes[SubAttrFilterPolicyScope] != "MessageAttributes" || v.Attributes["PendingConfirmation"] != "false" {
		t.Fatalf("subscription view: %+v %v", v, err)
	}
	h.ok(Unsubscribe{SubscriptionArn: a.SubscriptionArn})
	h.code(Unsubscribe{SubscriptionArn: a.SubscriptionArn}, CodeSNSNotFound)
	h.ok(DeleteTopic{Topic: testTopic})
	h.ok(DeleteTopic{Topic: testTopic})
	if len(h.f.ListTopics("us-east-1", "000000000000")) != 0 {
		t.Fatal("topic still listed")
	}
}

// SNS state survives snapshot and restore byte for byte, filter policies
// included, and replicas replaying the same log agree.
func TestSNSSnapshotRoundTrip(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateQueue{Queue: queueKey("q")})
	h.ok(CreateTopic{Topic: testTopic, Tags: map[string]string{"k": "v"}})
	h.subscribe("sqs", queueKey("q").ARN(), map[string]string{SubAttrFilterPolicy: `{"n":[{"numeric":[">",1]}]}`})
	h.subscribe("http", "http://example.test/2", nil)
	h.ok(SetSigningIdentity{KeyPEM: "key", CertPEM: "cert"})
	h.publish(PublishEntry{MessageID: "p", Message: "m", Attributes: map[string]MessageAttribute{"n": {DataType: "Number", StringValue: "2"}}})

	var a bytes.Buffer
	if err := h.f.Snapshot().Persist(&a); err != nil {
		t.Fatal(err)
	}
	g := New()
	if err := g.Restore(bytes.NewReader(a.Bytes())); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := g.Snapshot().Persist(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("snapshot differs after restore")
	}
	if k, c := g.SigningIdentity(); k != "key" || c != "cert" {
		t.Fatal("signing identity lost")
	}
	// The restored filter still filters.
	sub := g.ListSubscriptions("us-east-1", "000000000000")
	if len(sub) != 2 {
		t.Fatalf("restored subscriptions: %+v", sub)
	}
	data, _ := Encode(h.now, Publish{Topic: testTopic, Timestamp: h.now, Entries: []PublishEntry{{MessageID: "low", Message: "m", Attributes: map[string]MessageAttribute{"n": {DataType: "Number", StringValue: "0"}}}}})
	g.Apply(h.index+1, data)
	if st := g.QueueStats(h.now); st[0].Visible != 1 {
		t.Fatalf("restored filter let a non-matching message through: %+v", st)
	}
	replica := New()
	for i, e := range h.log {
		replica.Apply(uint64(i+1), e)
	}
	_, h1 := h.f.StateHash()
	_, h2 := replica.StateHash()
	if h1 != h2 {
		t.Fatal("a replica replaying the log differs")
	}
}

// A FIFO topic delivers to FIFO queues in order with the publish's group,
// drops duplicates within 5 minutes, and numbers its messages.
func TestFifoTopic(t *testing.T) {
	h := newHarness(t)
	ft := TopicKey{Region: "us-east-1", Account: "000000000000", Name: "t.fifo"}
	h.code(CreateTopic{Topic: ft}, CodeSNSInvalidParameter)
	h.code(CreateTopic{Topic: testTopic, Attributes: map[string]string{TopicAttrFifoTopic: "true"}}, CodeSNSInvalidParameter)
	h.code(CreateTopic{Topic: testTopic, Attributes: map[string]string{TopicAttrContentBasedDeduplication: "true"}}, CodeSNSInvalidParameter)
	h.ok(CreateTopic{Topic: ft, Attributes: map[string]string{TopicAttrFifoTopic: "true", TopicAttrContentBasedDeduplication: "true"}})
	fq := queueKey("sub.fifo")
	h.ok(CreateQueue{Queue: fq, Attributes: map[string]string{AttrFifoQueue: "true"}})
	h.code(Subscribe{Topic: ft, Protocol: "http", Endpoint: "http://example.test/x", SubscriptionID: "h", Token: "t"}, CodeSNSInvalidParameter)
	h.ok(Subscribe{Topic: ft, Protocol: "sqs", Endpoint: fq.ARN(), SubscriptionID: "s", Token: "t", Attributes: map[string]string{SubAttrRawMessageDelivery: "true"}})
	h.ok(CreateTopic{Topic: testTopic})
	h.code(Subscribe{Topic: testTopic, Protocol: "sqs", Endpoint: fq.ARN(), SubscriptionID: "x", Token: "t"}, CodeSNSInvalidParameter)

	pub := func(entries ...PublishEntry) []PublishResult {
		return h.ok(Publish{Topic: ft, Entries: entries, Timestamp: h.now}).([]PublishResult)
	}
	res := pub(PublishEntry{ID: "nogroup", MessageID: "x", Message: "x"},
		PublishEntry{ID: "1", MessageID: "a1", Message: "A1", MessageGroupID: "A"},
		PublishEntry{ID: "2", MessageID: "a2", Message: "A2", MessageGroupID: "A"},
		PublishEntry{ID: "3", MessageID: "dup", Message: "A1", MessageGroupID: "A"})
	if res[0].Err == nil || res[1].Err != nil || res[1].SequenceNumber == "" || res[2].SequenceNumber <= res[1].SequenceNumber {
		t.Fatalf("FIFO publish results: %+v", res)
	}
	if res[3].MessageID != "a1" || res[3].SequenceNumber != res[1].SequenceNumber {
		t.Fatalf("a duplicate publish answered %+v", res[3])
	}
	got := h.receive(fq, 10, 30)
	if fmt.Sprint(bodies(got)) != "[A1 A2]" || got[0].MessageGroupID != "A" {
		t.Fatalf("FIFO subscriber got %+v", got)
	}
}

// Two FIFO topics delivering the same deduplication ID to one FIFO queue:
// the queue deduplicates like a send.
func TestFifoQueueDeduplicatesFanOut(t *testing.T) {
	h := newHarness(t)
	fq := queueKey("both.fifo")
	h.ok(CreateQueue{Queue: fq, Attributes: map[string]string{AttrFifoQueue: "true"}})
	for i, name := range []string{"t1.fifo", "t2.fifo"} {
		topic := TopicKey{Region: "us-east-1", Account: "000000000000", Name: name}
		h.ok(CreateTopic{Topic: topic, Attributes: map[string]string{TopicAttrFifoTopic: "true"}})
		h.ok(Subscribe{Topic: topic, Protocol: "sqs", Endpoint: fq.ARN(), SubscriptionID: fmt.Sprint("s", i), Token: "t",
			Attributes: map[string]string{SubAttrRawMessageDelivery: "true"}})
		h.ok(Publish{Topic: topic, Timestamp: h.now, Entries: []PublishEntry{{MessageID: fmt.Sprint("m", i), Message: "x", MessageGroupID: "g", DeduplicationID: "shared"}}})
	}
	if got := h.receive(fq, 10, 30); len(got) != 1 {
		t.Fatalf("the FIFO queue holds %d copies of one deduplication ID", len(got))
	}
}

// Subscribing a still-pending HTTP endpoint again sends a new
// confirmation; the tokens of both confirm.
func TestResubscribePendingSendsNewConfirmation(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateTopic{Topic: testTopic})
	sub := func(token string) SubscribeResult {
		return h.ok(Subscribe{Topic: testTopic, Protocol: "https", Endpoint: "https://example.test/x", SubscriptionID: token, Token: token,
			Confirmation: Notice{MessageID: token, Timestamp: h.now}}).(SubscribeResult)
	}
	a, b := sub("tok1"), sub("tok2")
	if a.SubscriptionArn != b.SubscriptionArn || !b.Pending {
		t.Fatalf("re-subscribe: %+v %+v", a, b)
	}
	due, _ := h.f.DueDeliveries(h.now, 10)
	if len(due) != 2 || due[1].Notice.Token != "tok2" {
		t.Fatalf("confirmations queued: %+v", due)
	}
	h.code(ConfirmSubscription{Topic: testTopic, Token: "tok3"}, CodeSNSInvalidParameter)
	h.ok(ConfirmSubscription{Topic: testTopic, Token: "tok2"})
	h.ok(ConfirmSubscription{Topic: testTopic, Token: "tok1"})
}

// A subscription left unconfirmed for 48 hours is deleted by the sweep.
func TestPendingSubscriptionExpires(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateTopic{Topic: testTopic})
	sub := h.subscribe("http", "http://example.test/p", nil)
	h.now += pendingLifetime - 1
	if h.f.NeedsSweep(h.now) {
		t.Fatal("a sweep is due before 48 hours")
	}
	h.now += 1
	if !h.f.NeedsSweep(h.now) {
		t.Fatal("no sweep due after 48 hours")
	}
	h.ok(Sweep{})
	if _, err := h.f.GetSubscription(sub.SubscriptionArn); err == nil {
		t.Fatal("the pending subscription outlived 48 hours")
	}
	if v, _ := h.f.GetTopic(testTopic); v.Attributes["SubscriptionsPending"] != "0" || h.f.OutboxLen() != 0 {
		t.Fatalf("after expiry: %v, outbox %d", v.Attributes, h.f.OutboxLen())
	}
}

// A publish retried with its idempotency key fans out once and answers
// the first MessageID.
func TestPublishIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateQueue{Queue: queueKey("q")})
	h.ok(CreateTopic{Topic: testTopic})
	h.subscribe("sqs", queueKey("q").ARN(), map[string]string{SubAttrRawMessageDelivery: "true"})
	first := h.publish(PublishEntry{MessageID: "m1", Message: "x", IdempotencyKey: "k"})
	again := h.publish(PublishEntry{MessageID: "m2", Message: "x", IdempotencyKey: "k"})
	other := h.publish(PublishEntry{MessageID: "m3", Message: "y", IdempotencyKey: "k2"})
	if first[0].MessageID != "m1" || again[0].MessageID != "m1" || other[0].MessageID != "m3" {
		t.Fatalf("answers: %+v %+v %+v", first, again, other)
	}
	if got := bodies(h.receive(queueKey("q"), 10, 30)); fmt.Sprint(got) != "[x y]" {
		t.Fatalf("the subscriber got %v", got)
	}
	h.now += dedupWindow + 1
	if late := h.publish(PublishEntry{MessageID: "m4", Message: "x", IdempotencyKey: "k"}); late[0].MessageID != "m4" {
		t.Fatal("the key outlived its 5-minute window")
	}
}

// Only subscriptions without raw delivery get the signed envelope, so
// only their protocols need a signature.
func TestTopicEnvelopeProtocols(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateTopic{Topic: testTopic})
	for _, q := range []string{"raw", "env"} {
		h.ok(CreateQueue{Queue: queueKey(q)})
	}
	if got := h.f.TopicEnvelopeProtocols(testTopic); len(got) != 0 {
		t.Fatalf("no subscriptions: %v", got)
	}
	h.subscribe("sqs", queueKey("raw").ARN(), map[string]string{SubAttrRawMessageDelivery: "true"})
	if got := h.f.TopicEnvelopeProtocols(testTopic); len(got) != 0 {
		t.Fatalf("raw only: %v", got)
	}
	h.subscribe("sqs", queueKey("env").ARN(), nil)
	h.subscribe("https", "https://example.com/hook", nil)
	if got := h.f.TopicEnvelopeProtocols(testTopic); len(got) != 2 || !got["sqs"] || !got["https"] {
		t.Fatalf("raw, envelope and https: %v", got)
	}
}
