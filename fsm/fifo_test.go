package fsm

import (
	"bytes"
	"fmt"
	"testing"
)

var fifoQueue = QueueKey{Region: "us-east-1", Account: "000000000000", Name: "f.fifo"}

func (h *harness) sendFifo(q QueueKey, group, dedup, body string) SendResult {
	h.t.Helper()
	res := h.ok(SendMessages{Queue: q, Entries: []SendEntry{{MessageID: fmt.Sprintf("m%d", h.index), Body: body,
		DelaySeconds: -1, MessageGroupID: group, DeduplicationID: dedup}}}).([]SendResult)
	return res[0]
}

func bodies(ms []ReceivedMessage) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Body)
	}
	return out
}

func TestFifoCreateRules(t *testing.T) {
	h := newHarness(t)
	h.code(CreateQueue{Queue: fifoQueue}, CodeInvalidParameterValue)
	h.code(CreateQueue{Queue: testQueue, Attributes: map[string]string{AttrFifoQueue: "true"}}, CodeInvalidParameterValue)
	h.code(CreateQueue{Queue: testQueue, Attributes: map[string]string{AttrContentBasedDeduplication: "true"}}, CodeInvalidAttributeName)
	h.code(CreateQueue{Queue: fifoQueue, Attributes: map[string]string{AttrFifoQueue: "true", AttrFifoThroughputLimit: "perMessageGroupId"}}, CodeInvalidAttributeValue)
	h.ok(CreateQueue{Queue: fifoQueue, Attributes: map[string]string{AttrFifoQueue: "true"}})
	if h.attr(fifoQueue, AttrDeduplicationScope) != "queue" || h.attr(fifoQueue, AttrContentBasedDeduplication) != "false" {
		t.Fatal("FIFO defaults missing")
	}
	h.code(SetQueueAttributes{Queue: fifoQueue, Attributes: map[string]string{AttrFifoQueue: "true"}}, CodeInvalidAttributeName)
	h.ok(SetQueueAttributes{Queue: fifoQueue, Attributes: map[string]string{AttrDeduplicationScope: "messageGroup", AttrFifoThroughputLimit: "perMessageGroupId"}})
	// A FIFO queue's dead-letter queue must be FIFO.
	h.ok(CreateQueue{Queue: testQueue})
	h.code(SetQueueAttributes{Queue: fifoQueue, Attributes: map[string]string{AttrRedrivePolicy: `{"deadLetterTargetArn":"` + testQueue.ARN() + `","maxReceiveCount":1}`}}, CodeInvalidParameterValue)
}

func TestFifoSendRulesAndDeduplication(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateQueue{Queue: fifoQueue, Attributes: map[string]string{AttrFifoQueue: "true"}})
	res := h.ok(SendMessages{Queue: fifoQueue, Entries: []SendEntry{
		{ID: "nogroup", MessageID: "a", Body: "x", DelaySeconds: -1, DeduplicationID: "d"},
		{ID: "delay", MessageID: "b", Body: "x", DelaySeconds: 5, MessageGroupID: "g", DeduplicationID: "d"},
		{ID: "nodedup", MessageID: "c", Body: "x", DelaySeconds: -1, MessageGroupID: "g"},
	}}).([]SendResult)
	if res[0].Err == nil || res[0].Err.Code != CodeMissingParameter || res[1].Err == nil || res[2].Err == nil {
		t.Fatalf("FIFO send rules: %+v", res)
	}
	first := h.sendFifo(fifoQueue, "g", "d1", "one")
	dup := h.sendFifo(fifoQueue, "other", "d1", "again")
	if first.SequenceNumber == "" || dup.MessageID != first.MessageID || dup.SequenceNumber != first.SequenceNumber {
		t.Fatalf("duplicate answered %+v, first %+v", dup, first)
	}
	second := h.sendFifo(fifoQueue, "g", "d2", "two")
	if second.SequenceNumber <= first.SequenceNumber {
		t.Fatalf("sequence numbers not increasing: %s then %s", first.SequenceNumber, second.SequenceNumber)
	}
	// Remembered after the message is deleted.
	got := h.receive(fifoQueue, 10, 30)
	h.ok(DeleteMessages{Queue: fifoQueue, Entries: []HandleEntry{{ID: "1", ReceiptHandle: got[0].ReceiptHandle}}})
	if again := h.sendFifo(fifoQueue, "g", "d1", "one"); again.MessageID != first.MessageID {
		t.Fatal("deduplication forgot a deleted message")
	}
	h.now += dedupWindow + 1
	if later := h.sendFifo(fifoQueue, "g", "d1", "one"); later.MessageID == first.MessageID {
		t.Fatal("deduplication outlived its 5-minute window")
	}

	// Content-based deduplication, scoped by group.
	h.ok(SetQueueAttributes{Queue: fifoQueue, Attributes: map[string]string{AttrContentBasedDeduplication: "true", AttrDeduplicationScope: "messageGroup"}})
	a := h.sendFifo(fifoQueue, "g1", "", "same body")
	b := h.sendFifo(fifoQueue, "g1", "", "same body")
	c := h.sendFifo(fifoQueue, "g2", "", "same body")
	if a.MessageID != b.MessageID || c.MessageID == a.MessageID {
		t.Fatalf("content dedup by group: %s %s %s", a.MessageID, b.MessageID, c.MessageID)
	}
}

func TestFifoGroupOrderAndLocks(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateQueue{Queue: fifoQueue, Attributes: map[string]string{AttrFifoQueue: "true", AttrContentBasedDeduplication: "true"}})
	for i := 1; i <= 3; i++ {
		h.sendFifo(fifoQueue, "A", "", fmt.Sprintf("A%d", i))
		h.sendFifo(fifoQueue, "B", "", fmt.Sprintf("B%d", i))
	}
	// As many of one group as possible, then the next, each in order.
	got := h.receive(fifoQueue, 4, 30)
	if fmt.Sprint(bodies(got)) != "[A1 A2 A3 B1]" {
		t.Fatalf("first receive: %v", bodies(got))
	}
	// Both groups are locked now: nothing more.
	if more := h.receive(fifoQueue, 10, 30); len(more) != 0 {
		t.Fatalf("a locked group delivered: %v", bodies(more))
	}
	// Deleting B1 unlocks B.
	h.ok(DeleteMessages{Queue: fifoQueue, Entries: []HandleEntry{{ID: "1", ReceiptHandle: got[3].ReceiptHandle}}})
	if more := h.receive(fifoQueue, 10, 30); fmt.Sprint(bodies(more)) != "[B2 B3]" {
		t.Fatalf("after deleting B1: %v", bodies(more))
	}
	// A's messages come back in order when their visibility expires.
	h.now += 31_000
	back := h.receive(fifoQueue, 1, 30)
	if fmt.Sprint(bodies(back)) != "[A1]" || back[0].SequenceNumber == "" || back[0].MessageGroupID != "A" {
		t.Fatalf("after the visibility timeout: %+v", back)
	}
}

func TestFifoReceiveAttemptReplay(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateQueue{Queue: fifoQueue, Attributes: map[string]string{AttrFifoQueue: "true", AttrContentBasedDeduplication: "true"}})
	h.sendFifo(fifoQueue, "g", "", "1")
	h.sendFifo(fifoQueue, "h", "", "2")
	recv := func(attempt string) []ReceivedMessage {
		return h.ok(ReceiveMessages{Queue: fifoQueue, Max: 1, VisibilityTimeout: 30, Nonce: h.index * 31, AttemptID: attempt}).([]ReceivedMessage)
	}
	first := recv("try-1")
	again := recv("try-1")
	if len(first) != 1 || len(again) != 1 || again[0].ReceiptHandle != first[0].ReceiptHandle {
		t.Fatalf("retry with the same attempt ID: %+v vs %+v", again, first)
	}
	other := recv("try-2")
	if len(other) != 1 || other[0].Body == first[0].Body {
		t.Fatalf("another attempt ID: %+v", other)
	}
	// Once a message of the attempt changed, the replay is a new receive.
	h.ok(DeleteMessages{Queue: fifoQueue, Entries: []HandleEntry{{ID: "1", ReceiptHandle: first[0].ReceiptHandle}}})
	if r := recv("try-1"); len(r) != 0 {
		t.Fatalf("replay after a delete returned %+v", r)
	}
	var a, b bytes.Buffer
	if err := h.f.Snapshot().Persist(&a); err != nil {
		t.Fatal(err)
	}
	g := New()
	if err := g.Restore(bytes.NewReader(a.Bytes())); err != nil {
		t.Fatal(err)
	}
	if err := g.Snapshot().Persist(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("FIFO state differs after snapshot and restore")
	}
}

func TestFifoDeadLetterKeepsOrder(t *testing.T) {
	h := newHarness(t)
	dlq := QueueKey{Region: "us-east-1", Account: "000000000000", Name: "dlq.fifo"}
	h.ok(CreateQueue{Queue: dlq, Attributes: map[string]string{AttrFifoQueue: "true"}})
	h.ok(CreateQueue{Queue: fifoQueue, Attributes: map[string]string{AttrFifoQueue: "true", AttrContentBasedDeduplication: "true",
		AttrRedrivePolicy: `{"deadLetterTargetArn":"` + dlq.ARN() + `","maxReceiveCount":1}`}})
	for i := 1; i <= 3; i++ {
		h.sendFifo(fifoQueue, "g", "", fmt.Sprint(i))
	}
	h.receive(fifoQueue, 10, 1)
	h.now += 2000
	if got := h.receive(fifoQueue, 10, 30); len(got) != 0 {
		t.Fatalf("messages past maxReceiveCount were delivered: %v", bodies(got))
	}
	if got := h.receive(dlq, 10, 30); fmt.Sprint(bodies(got)) != "[1 2 3]" || got[0].MessageGroupID != "g" {
		t.Fatalf("dead-letter queue: %+v", got)
	}
}

// A standard queue with message groups serves its groups in turn: a busy
// group does not starve a quiet one, and groups with fewer messages in
// flight go first.
func TestFairQueue(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateQueue{Queue: testQueue})
	var entries []SendEntry
	for i := 0; i < 100; i++ {
		entries = append(entries, SendEntry{MessageID: fmt.Sprintf("a%d", i), Body: fmt.Sprintf("A%d", i), DelaySeconds: -1, MessageGroupID: "busy"})
	}
	h.ok(SendMessages{Queue: testQueue, Entries: entries})
	h.ok(SendMessages{Queue: testQueue, Entries: []SendEntry{{MessageID: "b", Body: "B0", DelaySeconds: -1, MessageGroupID: "quiet"}}})
	if got := bodies(h.receive(testQueue, 2, 30)); fmt.Sprint(got) != "[A0 B0]" {
		t.Fatalf("first receive: %v", got)
	}
	h.ok(SendMessages{Queue: testQueue, Entries: []SendEntry{{MessageID: "b1", Body: "B1", DelaySeconds: -1, MessageGroupID: "quiet"}, {MessageID: "c", Body: "C0", DelaySeconds: -1}}})
	// busy and quiet have one in flight each; the ungrouped message has
	// none and goes first.
	if got := bodies(h.receive(testQueue, 3, 30)); fmt.Sprint(got) != "[C0 A1 B1]" {
		t.Fatalf("second receive: %v", got)
	}
}

// Found by the boto3 FIFO checks: an explicit DelaySeconds of 0 is
// accepted, a replayed attempt restarts the visibility timeout, and a
// lowered queue delay applies to the messages still waiting.
func TestFifoDelayAndReplayVisibility(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateQueue{Queue: fifoQueue, Attributes: map[string]string{AttrFifoQueue: "true", AttrContentBasedDeduplication: "true", AttrDelaySeconds: "60"}})
	res := h.ok(SendMessages{Queue: fifoQueue, Entries: []SendEntry{{MessageID: "z", Body: "zero", DelaySeconds: 0, MessageGroupID: "g"}}}).([]SendResult)
	if res[0].Err != nil {
		t.Fatalf("DelaySeconds 0: %v", res[0].Err)
	}
	if got := h.receive(fifoQueue, 10, 3); len(got) != 0 {
		t.Fatal("the queue's 60 s delay was skipped")
	}
	h.ok(SetQueueAttributes{Queue: fifoQueue, Attributes: map[string]string{AttrDelaySeconds: "0"}})
	recv := func() []ReceivedMessage {
		return h.ok(ReceiveMessages{Queue: fifoQueue, Max: 1, VisibilityTimeout: 3, Nonce: h.index, AttemptID: "A"}).([]ReceivedMessage)
	}
	first := recv()
	if len(first) != 1 {
		t.Fatal("a lowered delay did not release the waiting message")
	}
	h.now += 2000
	if again := recv(); len(again) != 1 || again[0].ReceiptHandle != first[0].ReceiptHandle {
		t.Fatalf("replay: %+v", again)
	}
	h.now += 1500 // 3.5 s after the first receive, 1.5 s after the replay
	if got := h.receive(fifoQueue, 10, 3); len(got) != 0 {
		t.Fatal("the replay did not restart the visibility timeout")
	}
}

// slowPickFifo is pickFifo as a scan of every ready message: the
// reference the per-group state must agree with.
func slowPickFifo(q *queue, max int) []*message {
	var order []string
	byGroup := map[string][]*message{}
	q.ready.Ascend(func(m *message) bool {
		g := m.groupID()
		if q.groupInFlight[g] == 0 {
			if _, seen := byGroup[g]; !seen {
				order = append(order, g)
			}
			byGroup[g] = append(byGroup[g], m)
		}
		return true
	})
	var out []*message
	for _, g := range order {
		for _, m := range byGroup[g] {
			if len(out) < max {
				out = append(out, m)
			}
		}
	}
	return out
}

// The per-group state a FIFO queue keeps up to date picks what a scan of
// all ready messages picks, through sends, receives, deletes, visibility
// changes, timeouts, a dead-letter queue and a purge; and the readiness
// check of long polls agrees with it.
func TestFifoGroupsMatchScan(t *testing.T) {
	h := newHarness(t)
	dlq := queueKey("d.fifo")
	h.ok(CreateQueue{Queue: dlq, Attributes: map[string]string{AttrFifoQueue: "true"}})
	h.ok(CreateQueue{Queue: fifoQueue, Attributes: map[string]string{AttrFifoQueue: "true", AttrContentBasedDeduplication: "true",
		AttrRedrivePolicy: `{"deadLetterTargetArn":"` + dlq.ARN() + `","maxReceiveCount":3}`}})
	var handles []string
	for i := 0; i < 3000; i++ {
		h.now += int64(i % 700)
		switch i % 7 {
		case 0, 1, 2:
			h.sendFifo(fifoQueue, fmt.Sprint("g", i%11), "", fmt.Sprint(i))
		case 3:
			for _, m := range h.receive(fifoQueue, 1+i%10, i%4) {
				handles = append(handles, m.ReceiptHandle)
			}
		case 4:
			if len(handles) > 0 {
				h.apply(DeleteMessages{Queue: fifoQueue, Entries: []HandleEntry{{ReceiptHandle: handles[i%len(handles)]}}})
			}
		case 5:
			if len(handles) > 0 {
				h.apply(ChangeVisibility{Queue: fifoQueue, Entries: []HandleEntry{{ReceiptHandle: handles[i%len(handles)], VisibilityTimeout: i % 2}}})
			}
		case 6:
			if i == 2001 {
				h.now += purgeInterval
				h.ok(PurgeQueue{Queue: fifoQueue})
			}
		}
		q := h.f.queues[fifoQueue]
		q.advance(h.now)
		want, got := slowPickFifo(q, 10), q.pickFifo(10)
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Fatalf("step %d: picked %v, a scan picks %v", i, got, want)
		}
		if ready, _, _ := h.f.ReceiveReady(fifoQueue, h.now); ready != (len(want) > 0) {
			t.Fatalf("step %d: ReceiveReady %v with %d receivable", i, ready, len(want))
		}
	}
}

// Receive attempts are forgotten once their window ends, and only the
// ones due are looked at.
func TestFifoAttemptsExpire(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateQueue{Queue: fifoQueue, Attributes: map[string]string{AttrFifoQueue: "true", AttrContentBasedDeduplication: "true"}})
	for i := 0; i < 5; i++ {
		h.sendFifo(fifoQueue, fmt.Sprint("g", i), "", fmt.Sprint(i))
		h.ok(ReceiveMessages{Queue: fifoQueue, Max: 1, VisibilityTimeout: 1, Nonce: uint64(i), AttemptID: fmt.Sprint("a", i)})
		h.now += 60_000
	}
	// Attempt a0 again: a new receive under the same ID replaces it.
	h.now += 1000
	h.ok(ReceiveMessages{Queue: fifoQueue, Max: 1, VisibilityTimeout: 1, Nonce: 9, AttemptID: "a0"})
	q := h.f.queues[fifoQueue]
	if len(q.attempts) != 5 || q.attemptsByExpiry.Len() != 5 {
		t.Fatalf("attempts: %d by ID, %d by expiry", len(q.attempts), q.attemptsByExpiry.Len())
	}
	h.now += 180_000 // past the window of a1, a2 and a3, not of a4 or the new a0
	h.ok(Sweep{})
	if _, ok := q.attempts["a0"]; !ok || len(q.attempts) != 2 || q.attemptsByExpiry.Len() != 2 {
		t.Fatalf("after the window of a1-a3: %v", q.sortedAttempts())
	}
}

// A FIFO queue's new DelaySeconds applies to the messages still delayed,
// not to one whose delay ended before anything touched the queue again:
// a replica restored in between agrees.
func TestFifoRedelayAfterRestore(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateQueue{Queue: fifoQueue, Attributes: map[string]string{AttrFifoQueue: "true", AttrContentBasedDeduplication: "true", AttrDelaySeconds: "10"}})
	h.sendFifo(fifoQueue, "g", "", "early")
	h.now += 11_000
	restored := roundTrip(t, h.f)
	data, _ := Encode(h.now, SetQueueAttributes{Queue: fifoQueue, Attributes: map[string]string{AttrDelaySeconds: "60"}})
	h.f.Apply(h.index+1, data)
	restored.Apply(h.index+1, data)
	if !bytes.Equal(snapshotBytes(t, h.f), snapshotBytes(t, restored)) {
		t.Fatalf("diverged:\n%s", firstDifference(stateDump(restored), stateDump(h.f)))
	}
	if ready, _, _ := h.f.ReceiveReady(fifoQueue, h.now); !ready {
		t.Fatal("a message past its delay was delayed again")
	}
}
