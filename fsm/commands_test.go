package fsm

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// legacyEncode writes a command the way builds before the compact form
// did: the type byte, then msgpack of {Now, Cmd}.
func legacyEncode(t *testing.T, typ byte, now int64, cmd any) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteByte(typ)
	if err := codec.NewEncoder(&buf, msgpackHandle).Encode(envelope[any]{Now: now, Cmd: cmd}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hotCommands are one of each command that has a compact form, with every
// field set. mixed adds a binary attribute before string ones, which
// msgpack decoding gets wrong (see msgpackHandle).
func hotCommands(mixed bool) []any {
	attrs := map[string]MessageAttribute{
		"n": {DataType: "Number", StringValue: "3.5"},
		"s": {DataType: "String", StringValue: "v"},
	}
	if mixed {
		attrs["b"] = MessageAttribute{DataType: "Binary.x", BinaryValue: []byte{0, 1, 2}}
	}
	return []any{
		SendMessages{Queue: testQueue, SenderID: "AIDA", Entries: []SendEntry{
			{ID: "a", MessageID: "m1", Body: "one", DelaySeconds: -1, Attributes: attrs,
				SystemAttributes: map[string]MessageAttribute{"AWSTraceHeader": {DataType: "String", StringValue: "Root=1"}},
				MessageGroupID:   "g", DeduplicationID: "d", IdempotencyKey: "k"},
			{ID: "b", MessageID: "m2", Body: "", DelaySeconds: 900},
		}},
		ReceiveMessages{Queue: testQueue, Max: 10, VisibilityTimeout: -1, Nonce: 1<<64 - 1, AttemptID: "att"},
		DeleteMessages{Queue: testQueue, Entries: []HandleEntry{{ID: "x", ReceiptHandle: "rh"}, {ID: "y", ReceiptHandle: "rh2"}}},
		ChangeVisibility{Queue: testQueue, Entries: []HandleEntry{{ID: "x", ReceiptHandle: "rh", VisibilityTimeout: 43200}}},
		Publish{Topic: testTopic, Timestamp: 1_700_000_000_123, SignatureVersion: "2", SigningCertURL: "http://h/c.pem", BaseURL: "http://h",
			Entries: []PublishEntry{{ID: "1", Subject: "s", Message: "m", ProtocolMessages: map[string]string{"sqs": "q", "http": "h"},
				Attributes: attrs, MessageGroupID: "g", DeduplicationID: "d", MessageID: "p1", IdempotencyKey: "k",
				Signatures: map[string]string{"sqs": "sig"}}}},
	}
}

func TestCompactCommandsRoundTrip(t *testing.T) {
	for _, cmd := range hotCommands(true) {
		data, err := Encode(42, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if spec := commandByType[data[0]]; spec == nil || spec.encode == nil {
			t.Fatalf("%T: encoded as type %d, not a compact type", cmd, data[0])
		}
		now, got, err := Decode(data)
		if err != nil || now != 42 || !reflect.DeepEqual(got, cmd) {
			t.Fatalf("%T: round trip gave %d %+v %v", cmd, now, got, err)
		}
		again, _ := Encode(42, got)
		if !bytes.Equal(again, data) {
			t.Fatalf("%T: encoding is not stable", cmd)
		}
		// Every truncation is an error, never a panic or a shorter command.
		for i := 1; i < len(data); i++ {
			if _, _, err := Decode(data[:i]); err == nil {
				t.Fatalf("%T: truncated to %d of %d bytes decoded", cmd, i, len(data))
			}
		}
	}
}

// Entries written before the compact form still decode to the same
// commands, and a legacy batch applies like a compact one.
func TestLegacyEntriesStillDecode(t *testing.T) {
	legacyType := map[reflect.Type]byte{
		reflect.TypeFor[SendMessages]():     typeSendMessages,
		reflect.TypeFor[ReceiveMessages]():  typeReceiveMessages,
		reflect.TypeFor[DeleteMessages]():   typeDeleteMessages,
		reflect.TypeFor[ChangeVisibility](): typeChangeVisibility,
		reflect.TypeFor[Publish]():          typePublish,
	}
	for _, cmd := range hotCommands(false) {
		data := legacyEncode(t, legacyType[reflect.TypeOf(cmd)], 7, cmd)
		now, got, err := Decode(data)
		if err != nil || now != 7 || !reflect.DeepEqual(got, cmd) {
			t.Fatalf("%T: legacy entry gave %d %+v %v", cmd, now, got, err)
		}
	}

	run := func(batch func(h *harness, cmds [][]byte) []byte, enc func(h *harness, cmd any) []byte) []byte {
		h := newHarness(t)
		h.ok(CreateQueue{Queue: testQueue})
		cmds := [][]byte{
			enc(h, SendMessages{Queue: testQueue, Entries: []SendEntry{{MessageID: "m1", Body: "one", DelaySeconds: -1}}}),
			enc(h, ReceiveMessages{Queue: testQueue, Max: 10, VisibilityTimeout: 30, Nonce: 5}),
		}
		h.index++
		res := h.f.Apply(h.index, batch(h, cmds)).([]any)
		if len(res) != 2 || len(res[1].([]ReceivedMessage)) != 1 {
			t.Fatalf("batch results %+v", res)
		}
		return snapshotBytes(t, h.f)
	}
	legacy := run(
		func(h *harness, cmds [][]byte) []byte {
			return legacyEncode(t, typeBatch, h.now, Batch{Commands: cmds})
		},
		func(h *harness, cmd any) []byte { return legacyEncode(t, legacyType[reflect.TypeOf(cmd)], h.now, cmd) })
	compact := run(
		func(h *harness, cmds [][]byte) []byte { return EncodeBatch(h.now, cmds) },
		func(h *harness, cmd any) []byte { b, _ := Encode(h.now, cmd); return b })
	if !bytes.Equal(legacy, compact) {
		t.Fatal("a legacy log and a compact log of the same commands give different states")
	}
}

// Every command type of the table can be encoded, and decodes to its type.
func TestCommandTableIsComplete(t *testing.T) {
	for typ, spec := range commandTable {
		if typ&ignoreUnknown != 0 {
			t.Fatalf("type %d has the ignore bit", typ)
		}
		if _, ok := encodeAs[spec.goType]; !ok {
			t.Fatalf("type %d (%v) has no encoder", typ, spec.goType)
		}
		if spec.apply == nil && spec.goType != reflect.TypeFor[Batch]() {
			t.Fatalf("type %d (%v) has no apply", typ, spec.goType)
		}
	}
	if _, _, err := Decode([]byte{0x7f}); err == nil {
		t.Fatal("an unknown type decoded")
	}
	if _, _, err := Decode([]byte{0xff}); err != errUnknownIgnorable {
		t.Fatalf("an unknown ignorable type gave %v", err)
	}
}

// A batch nested in a batch is refused: it would be applied with the
// identities of its parent's commands.
func TestNestedBatchPanics(t *testing.T) {
	inner := EncodeBatch(1, [][]byte{})
	defer func() {
		if recover() == nil {
			t.Fatal("a nested batch was applied")
		}
	}()
	New().Apply(1, EncodeBatch(1, [][]byte{inner}))
}
