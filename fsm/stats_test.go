package fsm

import (
	"bytes"
	"testing"
)

func TestQueueStats(t *testing.T) {
	h := newHarness(t)
	other := QueueKey{Region: "us-east-1", Account: "000000000000", Name: "a-first"}
	h.ok(CreateQueue{Queue: testQueue})
	h.ok(CreateQueue{Queue: other})
	if got := h.f.QueueStats(h.now); len(got) != 2 || got[0].Queue != other || got[1].Queue != testQueue || got[1].OldestSentAt != 0 {
		t.Fatalf("empty stats: %+v", got)
	}
	sentAt := h.now
	h.send(testQueue, "a", "b", "c")
	h.now += 1000
	h.ok(SendMessages{Queue: testQueue, Entries: []SendEntry{{ID: "d", MessageID: "delayed", Body: "d", DelaySeconds: 60}}})
	h.receive(testQueue, 1, 30)

	var snap1 bytes.Buffer
	if err := h.f.Snapshot().Persist(&snap1); err != nil {
		t.Fatal(err)
	}
	st := h.f.QueueStats(h.now + 5000)
	s := st[1]
	if s.Visible != 2 || s.InFlight != 1 || s.Delayed != 1 || s.OldestSentAt != sentAt {
		t.Fatalf("stats: %+v", s)
	}
	if age := s.OldestAgeSeconds(h.now + 5000); age != 6 {
		t.Fatalf("age %v, want 6", age)
	}
	// Past the visibility and delay deadlines, the read counts them as
	// visible without changing the state.
	s = h.f.QueueStats(h.now + 120_000)[1]
	if s.Visible != 4 || s.InFlight != 0 || s.Delayed != 0 {
		t.Fatalf("stats later: %+v", s)
	}
	var snap2 bytes.Buffer
	if err := h.f.Snapshot().Persist(&snap2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(snap1.Bytes(), snap2.Bytes()) {
		t.Fatal("QueueStats changed the state")
	}
}
