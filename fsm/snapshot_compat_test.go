package fsm

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// goldenState builds a fixed state that touches every part a snapshot
// records: standard, fair, FIFO and dead-letter queues with messages in
// every state (visible, delayed, in flight, received before, moved to a
// DLQ), attributes, idempotency and FIFO dedup keys, receive attempts, a
// queue tombstone, SNS topics, subscriptions, the outbox, the signing
// identity and move tasks. Message IDs are a mix of UUIDs and other
// strings.
func goldenState(t *testing.T) *harness {
	h := newHarness(t)
	std, fair, dlq, src := queueKey("std"), queueKey("fair"), queueKey("dlq"), queueKey("src")
	fifo := queueKey("g.fifo")
	h.ok(CreateQueue{Queue: std, Tags: map[string]string{"team": "a"}})
	h.ok(CreateQueue{Queue: fair})
	h.ok(CreateQueue{Queue: dlq})
	h.ok(CreateQueue{Queue: src, Attributes: map[string]string{AttrRedrivePolicy: `{"deadLetterTargetArn":"` + dlq.ARN() + `","maxReceiveCount":1}`}})
	h.ok(CreateQueue{Queue: fifo, Attributes: map[string]string{AttrFifoQueue: "true", AttrContentBasedDeduplication: "true"}})
	h.ok(CreateQueue{Queue: queueKey("gone")})
	h.ok(DeleteQueue{Queue: queueKey("gone")})

	h.now += 10
	h.ok(SendMessages{Queue: std, SenderID: "AKIDSENDER", Entries: []SendEntry{
		{ID: "0", MessageID: "7d444840-9dc0-11d1-b245-5ffdce74fad2", Body: "plain", DelaySeconds: -1},
		// Binary and string attributes are on different messages: the
		// msgpack command decoder of the old writer's time gave an
		// attribute the fields it lacked from the attribute before it, so
		// a mixed map would be recorded as no replay through today's
		// codec makes it.
		{ID: "1", MessageID: "m-not-a-uuid", Body: "attributes", DelaySeconds: -1, Attributes: map[string]MessageAttribute{
			"s": {DataType: "String", StringValue: "v"}, "n": {DataType: "Number", StringValue: "3.5"},
		}, SystemAttributes: map[string]MessageAttribute{"AWSTraceHeader": {DataType: "String", StringValue: "Root=1-2-3"}}},
		{ID: "1b", MessageID: "m-binary", Body: "binary", DelaySeconds: -1, Attributes: map[string]MessageAttribute{
			"b": {DataType: "Binary.x", BinaryValue: []byte{0, 1, 2}},
		}},
		{ID: "2", MessageID: "7D444840-9DC0-11D1-B245-5FFDCE74FAD3", Body: "upper-case uuid, delayed", DelaySeconds: 60},
		{ID: "3", MessageID: "0b9e1a4c-5d2f-4e8a-9c3b-1a2b3c4d5e6f", Body: "idempotent", DelaySeconds: -1, IdempotencyKey: "key-1"},
		{ID: "4", MessageID: "", Body: "empty id", DelaySeconds: -1},
	}})
	h.now += 10
	h.ok(ReceiveMessages{Queue: std, Max: 1, VisibilityTimeout: 30, Nonce: 99})
	h.ok(ReceiveMessages{Queue: std, Max: 1, VisibilityTimeout: 0, Nonce: 100})

	h.ok(SendMessages{Queue: fair, SenderID: "AKIDSENDER", Entries: []SendEntry{
		{MessageID: "f-1", Body: "a1", DelaySeconds: -1, MessageGroupID: "a"},
		{MessageID: "f-2", Body: "b1", DelaySeconds: -1, MessageGroupID: "b"},
		{MessageID: "f-3", Body: "none", DelaySeconds: -1},
	}})

	h.ok(SendMessages{Queue: src, SenderID: "123456789012", Entries: []SendEntry{
		{MessageID: "11111111-2222-4333-8444-555555555555", Body: "to dlq", DelaySeconds: -1},
		{MessageID: "s-2", Body: "stays", DelaySeconds: 5},
	}})
	h.ok(ReceiveMessages{Queue: src, Max: 10, VisibilityTimeout: 1, Nonce: 7})
	h.now += 1500
	h.ok(ReceiveMessages{Queue: src, Max: 10, VisibilityTimeout: 1, Nonce: 8}) // moves "to dlq"

	for i, g := range []string{"g1", "g1", "g2", "g3"} {
		h.ok(SendMessages{Queue: fifo, SenderID: "AKIDSENDER", Entries: []SendEntry{
			{MessageID: fmt.Sprintf("9a0b%04d-0000-4000-8000-000000000000", i), Body: fmt.Sprint("fifo-", i), DelaySeconds: -1, MessageGroupID: g},
		}})
	}
	h.ok(SendMessages{Queue: fifo, SenderID: "AKIDSENDER", Entries: []SendEntry{
		{MessageID: "explicit-dedup", Body: "d", DelaySeconds: -1, MessageGroupID: "g4", DeduplicationID: "dd-1"},
	}})
	h.ok(ReceiveMessages{Queue: fifo, Max: 2, VisibilityTimeout: 30, Nonce: 5, AttemptID: "attempt-1"})

	h.ok(CreateTopic{Topic: testTopic, Tags: map[string]string{"k": "v"}})
	ft := TopicKey{Region: "us-east-1", Account: "000000000000", Name: "t.fifo"}
	h.ok(CreateTopic{Topic: ft, Attributes: map[string]string{TopicAttrFifoTopic: "true", TopicAttrContentBasedDeduplication: "true"}})
	h.subscribe("sqs", std.ARN(), map[string]string{SubAttrRawMessageDelivery: "true", SubAttrFilterPolicy: `{"n":[{"numeric":[">",1]}]}`})
	h.subscribe("sqs", fair.ARN(), nil)
	h.subscribe("http", "http://example.test/2", nil)
	h.ok(SetSigningIdentity{KeyPEM: "key", CertPEM: "cert"})
	h.publish(PublishEntry{MessageID: "pub-1", Message: "hello", Attributes: map[string]MessageAttribute{"n": {DataType: "Number", StringValue: "2"}}})
	h.ok(Subscribe{Topic: ft, Protocol: "sqs", Endpoint: fifo.ARN(), SubscriptionID: "fs", Token: "ft"})
	h.ok(Publish{Topic: ft, Timestamp: h.now, Entries: []PublishEntry{{MessageID: "fp-1", Message: "fifo pub", MessageGroupID: "g9"}}})

	h.ok(StartMoveTask{TaskID: "task-1", Source: dlq.ARN(), Rate: 5})
	h.now += 100
	return h
}

// goldenPath names the snapshot of goldenState written by the msgpack
// writer of format n.
func goldenPath(n int) string { return filepath.Join("testdata", fmt.Sprintf("snapshot-v%d.bin", n)) }

// clearAfterFormat drops from f what a snapshot of the given format does
// not record: SNS state before format 2, move tasks before format 3.
func clearAfterFormat(f *FSM, format int) {
	if format < 2 {
		f.topics = map[TopicKey]*topic{}
		f.subs = map[string]*subscription{}
		f.outbox = newOutbox()
		f.identity = signingIdentity{}
	}
	if format < 3 {
		f.moveTasks = nil
	}
}

// Snapshots written by the msgpack formats 1-3 (before the binary format)
// still restore, to exactly the state they recorded.
func TestRestoreOldSnapshotFormats(t *testing.T) {
	for format := 1; format <= 3; format++ {
		t.Run(fmt.Sprint("v", format), func(t *testing.T) {
			old, err := os.ReadFile(goldenPath(format))
			if err != nil {
				t.Fatal(err)
			}
			restored := New()
			if err := restored.Restore(bytes.NewReader(old)); err != nil {
				t.Fatal(err)
			}
			want := goldenState(t).f
			clearAfterFormat(want, format)
			if !bytes.Equal(snapshotBytes(t, restored), snapshotBytes(t, want)) {
				t.Fatalf("the restored state differs from the state the snapshot recorded:\n%s", firstDifference(stateDump(restored), stateDump(want)))
			}
		})
	}
}

// stateDump renders what a state holds as text, one line per item, to
// show where two states differ.
func stateDump(f *FSM) []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	add("now %d applied %d deleted %v", f.now, f.applied, f.deleted)
	keys := make([]QueueKey, 0, len(f.queues))
	for k := range f.queues {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return lessKey(keys[i], keys[j]) })
	for _, k := range keys {
		q := f.queues[k]
		add("queue %+v", q.queueMeta)
		q.dedup.byExpiry.Ascend(func(e *dedupEntry) bool { add("  dedup %+v", *e); return true })
		for _, a := range q.sortedAttempts() {
			add("  attempt %+v", *a)
		}
		q.all.Ascend(func(m *message) bool {
			add("  message %d %+v ext %+v", m.Seq, m.view(), *m.x())
			add("    visible %d expires %d", m.VisibleAt, m.ExpiresAt)
			return true
		})
	}
	for _, k := range f.sortedTopicKeys() {
		add("topic %+v", *f.topics[k])
	}
	f.outbox.byID.Ascend(func(d *delivery) bool { add("delivery %+v", *d); return true })
	add("identity %+v", f.identity)
	for _, t := range f.moveTasks {
		add("task %+v", *t)
	}
	return out
}

// firstDifference shows the first line where two dumps differ.
func firstDifference(a, b []string) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return "got:  " + x + "\nwant: " + y
		}
	}
	return strings.Join(a, "\n")
}
