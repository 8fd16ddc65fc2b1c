//go:build chaos

package checker

import (
	"fmt"
	"testing"
	"time"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// fh builds handcrafted FIFO histories: producer 0 sends "f0-n" in group
// g0 (message ID "m-f0-n" unless told), one consumer.
type fh struct {
	hb
	seq uint64
}

func (h *fh) send(body string, at time.Duration, out history.Outcome, id string) {
	if id == "" {
		id = "m-" + body
	}
	op := &history.Op{Process: "f0", Kind: history.FifoSend, Body: body, Group: "g0", Invoke: at, Complete: at + 10*time.Millisecond, Outcome: out}
	if out == history.OK {
		op.MessageID = id
	}
	h.add(op)
}

func (h *fh) fmsg(body string, count int, seq uint64) history.Msg {
	return history.Msg{Body: body, Attr: body, MessageID: "m-" + body, Handle: fmt.Sprintf("%s#%d", body, count),
		ReceiveCount: count, Group: "g0", SequenceNumber: fmt.Sprintf("%020d", seq)}
}

func (h *fh) recv(at time.Duration, msgs ...history.Msg) {
	h.add(&history.Op{Process: "c4", Kind: history.FifoReceive, Invoke: at, Complete: at + 10*time.Millisecond,
		Outcome: history.OK, Messages: msgs})
}

func (h *fh) del(at time.Duration, out history.Outcome, msgs ...history.Msg) {
	op := &history.Op{Process: "c4", Kind: history.FifoDelete, Invoke: at, Complete: at + 10*time.Millisecond, Outcome: out}
	for _, m := range msgs {
		op.Entries = append(op.Entries, history.DeleteEntry{Body: m.Body, Handle: m.Handle, Outcome: out})
	}
	h.add(op)
}

func fifoClasses(t *testing.T, r *FifoResult, want map[Class]int) {
	t.Helper()
	got := map[Class]int{}
	for _, f := range r.Findings {
		got[f.Class]++
	}
	for c, n := range want {
		if got[c] != n {
			t.Errorf("%s: got %d, want %d", c, got[c], n)
		}
	}
	for c, n := range got {
		if _, ok := want[c]; !ok {
			t.Errorf("unexpected %d %s findings", n, c)
		}
	}
	if t.Failed() {
		for _, f := range r.Findings {
			t.Log(f)
		}
	}
}

func TestFifoClean(t *testing.T) {
	h := &fh{}
	h.send("f0-1", 0, history.Unknown, "")
	h.send("f0-1", 100*time.Millisecond, history.OK, "") // resend after an unknown outcome
	h.send("f0-2", 200*time.Millisecond, history.OK, "")
	h.send("f0-3", 300*time.Millisecond, history.Fail, "") // refused: given up
	h.send("f0-4", 400*time.Millisecond, history.OK, "")
	a, b, d := h.fmsg("f0-1", 1, 10), h.fmsg("f0-2", 1, 11), h.fmsg("f0-4", 1, 13)
	h.recv(1*sec, a, b)
	h.del(1100*time.Millisecond, history.Unknown, a, b) // the delete's answer is lost: not deleted
	a2, b2 := h.fmsg("f0-1", 2, 10), h.fmsg("f0-2", 2, 11)
	h.recv(10*sec, a2, b2) // after the visibility timeout: redelivered in order
	h.del(10100*time.Millisecond, history.OK, a2, b2)
	h.recv(11*sec, d)
	h.del(11100*time.Millisecond, history.OK, d)
	r := CheckFifo(h.ops, cfg)
	fifoClasses(t, r, map[Class]int{})
	if r.Attempted != 4 || r.Calls != 5 || r.Resends != 1 || r.Acked != 3 || r.Received != 3 || r.Dups != 2 || r.Explained != 2 || r.Groups != 1 {
		t.Errorf("result %+v", r)
	}
}

func TestFifoOutOfOrder(t *testing.T) {
	h := &fh{}
	h.send("f0-1", 0, history.OK, "")
	h.send("f0-2", 100*time.Millisecond, history.OK, "")
	h.recv(1*sec, h.fmsg("f0-2", 1, 11))
	h.recv(2*sec, h.fmsg("f0-1", 1, 10)) // and f0-2 was in flight
	fifoClasses(t, CheckFifo(h.ops, cfg), map[Class]int{OutOfOrder: 1, GroupLock: 1})
}

func TestFifoSequenceNotIncreasing(t *testing.T) {
	h := &fh{}
	h.send("f0-1", 0, history.OK, "")
	h.send("f0-2", 100*time.Millisecond, history.OK, "")
	h.recv(1*sec, h.fmsg("f0-1", 1, 12), h.fmsg("f0-2", 1, 11))
	fifoClasses(t, CheckFifo(h.ops, cfg), map[Class]int{OutOfOrder: 1})
}

func TestFifoLostAndGap(t *testing.T) {
	h := &fh{}
	h.send("f0-1", 0, history.OK, "")
	h.send("f0-2", 100*time.Millisecond, history.OK, "")
	h.send("f0-3", 200*time.Millisecond, history.OK, "")
	h.recv(1*sec, h.fmsg("f0-1", 1, 10), h.fmsg("f0-3", 1, 12)) // f0-2 skipped and never delivered
	fifoClasses(t, CheckFifo(h.ops, cfg), map[Class]int{Lost: 1})
}

func TestFifoDuplicateEnqueue(t *testing.T) {
	h := &fh{}
	h.send("f0-1", 0, history.Unknown, "")
	h.send("f0-1", 100*time.Millisecond, history.OK, "m-other") // the resend was not deduplicated
	m1 := h.fmsg("f0-1", 1, 10)
	m2 := h.fmsg("f0-1", 1, 11)
	m2.MessageID = "m-other"
	h.recv(1*sec, m1, m2)
	fifoClasses(t, CheckFifo(h.ops, cfg), map[Class]int{UnexplainedDup: 1})
}

func TestFifoEarlyRedelivery(t *testing.T) {
	h := &fh{}
	h.send("f0-1", 0, history.OK, "")
	h.recv(1*sec, h.fmsg("f0-1", 1, 10))
	h.recv(2*sec, h.fmsg("f0-1", 2, 10)) // the group lock and visibility held it 8 s
	fifoClasses(t, CheckFifo(h.ops, cfg), map[Class]int{UnexplainedDup: 1})
}

func TestFifoPhantom(t *testing.T) {
	h := &fh{}
	h.send("f0-1", 0, history.Fail, "")
	m := h.fmsg("f0-1", 1, 10)
	h.recv(1*sec, m)
	other := h.fmsg("f0-9", 1, 11)
	other.Group = "g1"
	h.recv(2*sec, other)
	// f0-1 refused yet delivered; f0-9 never sent and in the wrong group.
	fifoClasses(t, CheckFifo(h.ops, cfg), map[Class]int{Phantom: 3})
}

func TestFifoGroupLock(t *testing.T) {
	h := &fh{}
	h.send("f0-1", 0, history.OK, "")
	h.send("f0-2", 100*time.Millisecond, history.OK, "")
	h.send("f0-3", 200*time.Millisecond, history.OK, "")
	a, b, c := h.fmsg("f0-1", 1, 10), h.fmsg("f0-2", 1, 11), h.fmsg("f0-3", 1, 12)
	h.recv(1*sec, a)
	h.recv(2*sec, b) // f0-1 in flight (8 s visibility, no delete): the group was locked
	h.del(3*sec, history.Unknown, b)
	h.recv(4*sec, c) // f0-2's delete may have been applied; f0-1 still in flight
	h.del(5*sec, history.OK, a, c)
	fifoClasses(t, CheckFifo(h.ops, cfg), map[Class]int{GroupLock: 2})
}

func TestFifoGroupLockRespected(t *testing.T) {
	h := &fh{}
	h.send("f0-1", 0, history.OK, "")
	h.send("f0-2", 100*time.Millisecond, history.OK, "")
	a, b := h.fmsg("f0-1", 1, 10), h.fmsg("f0-2", 1, 11)
	h.recv(1*sec, a)
	h.del(1100*time.Millisecond, history.Unknown, a) // maybe deleted
	h.recv(2*sec, b)
	h.del(2100*time.Millisecond, history.Fail, b) // not deleted
	h.recv(11*sec, h.fmsg("f0-2", 2, 11))         // after its visibility timeout
	fifoClasses(t, CheckFifo(h.ops, cfg), map[Class]int{})
}
