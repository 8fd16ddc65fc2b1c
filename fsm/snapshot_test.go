package fsm

import (
	"bytes"
	"testing"
)

// roundTrip snapshots f, restores the bytes into a new machine and checks
// that it snapshots to the same bytes.
func roundTrip(t *testing.T, f *FSM) *FSM {
	t.Helper()
	a := snapshotBytes(t, f)
	g := New()
	if err := g.Restore(bytes.NewReader(a)); err != nil {
		t.Fatal(err)
	}
	if b := snapshotBytes(t, g); !bytes.Equal(a, b) {
		t.Fatalf("snapshot differs after restore:\n%s", firstDifference(stateDump(g), stateDump(f)))
	}
	return g
}

// Every shape of message survives the binary format: IDs that are not
// canonical UUIDs, senders that change, times that go backwards between
// messages (a dead-lettered message keeps its send time), receive state,
// both kinds of attributes side by side, FIFO fields.
func TestBinarySnapshotMessages(t *testing.T) {
	h := newHarness(t)
	dlq := queueKey("dlq")
	src := queueKey("src")
	fifo := queueKey("f.fifo")
	h.ok(CreateQueue{Queue: dlq})
	h.ok(CreateQueue{Queue: src, Attributes: map[string]string{AttrRedrivePolicy: `{"deadLetterTargetArn":"` + dlq.ARN() + `","maxReceiveCount":1}`}})
	h.ok(CreateQueue{Queue: fifo, Attributes: map[string]string{AttrFifoQueue: "true"}})
	mixed := map[string]MessageAttribute{
		"a": {DataType: "String", StringValue: "v"}, "b": {DataType: "Binary", BinaryValue: []byte{9}}, "c": {DataType: "Number", StringValue: "1"},
	}
	h.ok(SendMessages{Queue: src, SenderID: "one", Entries: []SendEntry{
		{MessageID: "0b9e1a4c-5d2f-4e8a-9c3b-1a2b3c4d5e6f", Body: "uuid", DelaySeconds: -1, Attributes: mixed},
		{MessageID: "0B9E1A4C-5D2F-4E8A-9C3B-1A2B3C4D5E6F", Body: "upper", DelaySeconds: -1},
		{MessageID: "", Body: "", DelaySeconds: 900},
	}})
	h.now += 5000
	h.ok(SendMessages{Queue: dlq, SenderID: "two", Entries: []SendEntry{{MessageID: "later", Body: "x", DelaySeconds: -1}}})
	h.receive(src, 10, 1)
	h.now += 2000
	h.receive(src, 10, 1) // dead-letters the two visible ones, sent before "later"
	h.ok(SendMessages{Queue: fifo, SenderID: "one", Entries: []SendEntry{
		{MessageID: "f1", Body: "f", DelaySeconds: -1, MessageGroupID: "g", DeduplicationID: "d1", Attributes: mixed},
	}})
	got := h.ok(ReceiveMessages{Queue: fifo, Max: 1, VisibilityTimeout: 30, Nonce: 3, AttemptID: "try"}).([]ReceivedMessage)
	g := roundTrip(t, h.f)
	// The replayed attempt answers what the live one did, attributes
	// included (a msgpack map of structs would mix them up).
	data, _ := Encode(h.now, ReceiveMessages{Queue: fifo, Max: 1, VisibilityTimeout: 30, Nonce: 4, AttemptID: "try"})
	replay := g.Apply(h.index+1, data).([]ReceivedMessage)
	if len(replay) != 1 || replay[0].ReceiptHandle != got[0].ReceiptHandle || replay[0].Attributes["a"].StringValue != "v" ||
		replay[0].Attributes["b"].StringValue != "" || string(replay[0].Attributes["b"].BinaryValue) != "\x09" {
		t.Fatalf("replayed attempt after restore: %+v, want %+v", replay, got)
	}
	peek, _ := g.Peek(dlq, h.now, 10)
	if len(peek) != 3 || peek[0].MessageID != "later" || peek[1].MessageID != "0b9e1a4c-5d2f-4e8a-9c3b-1a2b3c4d5e6f" ||
		peek[2].MessageID != "0B9E1A4C-5D2F-4E8A-9C3B-1A2B3C4D5E6F" || peek[1].DeadLetterSourceArn != src.ARN() || peek[1].SenderID != "one" {
		t.Fatalf("dead-letter queue after restore: %+v", peek)
	}
}

// An outbox notice keeps attributes of both kinds through a snapshot.
func TestBinarySnapshotOutboxAttributes(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateTopic{Topic: testTopic})
	h.subscribe("http", "http://example.test/1", nil)
	h.ok(ConfirmSubscription{Topic: testTopic, Token: "tok-http://example.test/1"})
	h.publish(PublishEntry{MessageID: "p", Message: "m", Attributes: map[string]MessageAttribute{
		"a": {DataType: "String", StringValue: "v"}, "b": {DataType: "Binary", BinaryValue: []byte{1}},
	}})
	g := roundTrip(t, h.f)
	due, _ := g.DueDeliveries(h.now, 10)
	seen := false
	for _, d := range due {
		if a := d.Notice.Attributes; a != nil {
			seen = true
			if a["b"].StringValue != "" || a["a"].BinaryValue != nil || string(a["b"].BinaryValue) != "\x01" {
				t.Fatalf("restored notice attributes mixed up: %+v", a)
			}
		}
	}
	if !seen {
		t.Fatal("no restored notice with attributes")
	}
}

func TestUUIDRoundTrip(t *testing.T) {
	for _, s := range []string{"7d444840-9dc0-11d1-b245-5ffdce74fad2", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"} {
		u, ok := parseUUID(s)
		if !ok || formatUUID(u) != s {
			t.Fatalf("%s: %v %s", s, ok, formatUUID(u))
		}
	}
	for _, s := range []string{"", "m-1", "7D444840-9DC0-11D1-B245-5FFDCE74FAD2", "7d444840x9dc0-11d1-b245-5ffdce74fad2", "7d444840-9dc0-11d1-b245-5ffdce74fad", "7d444840-9dc0-11d1-b245-5ffdce74fadg"} {
		if _, ok := parseUUID(s); ok {
			t.Fatalf("%q parsed as a UUID", s)
		}
	}
}

// A corrupt snapshot is refused with an error, never a panic.
func FuzzRestore(f *testing.F) {
	h := goldenState(&testing.T{})
	var b bytes.Buffer
	if err := h.f.Snapshot().Persist(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:len(b.Bytes())/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = New().Restore(bytes.NewReader(data))
	})
}
