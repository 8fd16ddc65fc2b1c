//go:build chaos

package checker

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharfmq/wharf/test/chaos/history"
)

const sec = time.Second

var cfg = QueueConfig{Visibility: 8 * sec, Tolerance: 500 * time.Millisecond}

// hb builds handcrafted histories.
type hb struct {
	ops []*history.Op
	id  int64
}

func (h *hb) add(op *history.Op) *history.Op {
	h.id++
	op.ID = h.id
	if op.Node == "" {
		op.Node = "n1"
	}
	h.ops = append(h.ops, op)
	return op
}

func (h *hb) send(body string, at time.Duration, out history.Outcome) {
	h.add(&history.Op{Process: "p0", Kind: history.Send, Body: body, MessageID: "m-" + body,
		Invoke: at, Complete: at + 10*time.Millisecond, Outcome: out})
}

func (h *hb) recv(at time.Duration, msgs ...history.Msg) {
	h.add(&history.Op{Process: "c0", Kind: history.Receive, Invoke: at, Complete: at + 10*time.Millisecond,
		Outcome: history.OK, Messages: msgs})
}

func (h *hb) recvUnknown(at time.Duration) {
	h.add(&history.Op{Process: "c1", Kind: history.Receive, Invoke: at, Complete: at + 4*sec, Outcome: history.Unknown})
}

func (h *hb) del(at time.Duration, out history.Outcome, handle, body string) {
	h.add(&history.Op{Process: "c0", Kind: history.Delete, Invoke: at, Complete: at + 10*time.Millisecond,
		Outcome: out, Entries: []history.DeleteEntry{{Body: body, Handle: handle, Outcome: out}}})
}

func msg(body string, count int) history.Msg {
	return history.Msg{Body: body, Attr: body, MessageID: "m-" + body, Handle: body + "#" + string(rune('0'+count)), ReceiveCount: count}
}

func classes(r *QueueResult) map[Class]int {
	m := map[Class]int{}
	for _, f := range r.Findings {
		m[f.Class]++
	}
	return m
}

func expect(t *testing.T, r *QueueResult, want map[Class]int) {
	t.Helper()
	got := classes(r)
	for c, n := range want {
		if got[c] != n {
			t.Errorf("%s: got %d, want %d", c, got[c], n)
		}
	}
	for c, n := range got {
		if _, ok := want[c]; !ok && n > 0 {
			t.Errorf("unexpected %d %s findings", n, c)
		}
	}
	if t.Failed() {
		for _, f := range r.Findings {
			t.Log(f)
		}
	}
}

func TestCleanHistory(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.OK)
	h.send("p0-2", sec, history.Unknown) // never arrived: fine
	h.recv(2*sec, msg("p0-1", 1))
	h.del(2*sec+20*time.Millisecond, history.OK, "p0-1#1", "p0-1")
	r := CheckQueue(h.ops, cfg)
	expect(t, r, map[Class]int{})
	if r.Acked != 1 || r.Attempted != 2 {
		t.Errorf("acked %d attempted %d", r.Acked, r.Attempted)
	}
}

func TestLost(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.OK)
	h.send("p0-2", 0, history.OK)
	h.recv(sec, msg("p0-1", 1))
	r := CheckQueue(h.ops, cfg)
	expect(t, r, map[Class]int{Lost: 1})
	if r.Findings[0].Body != "p0-2" {
		t.Errorf("lost %s", r.Findings[0].Body)
	}
}

func TestPhantom(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.OK)
	h.send("p0-3", 0, history.Fail) // a 4xx: must never be received
	h.recv(sec, msg("p0-1", 1), msg("p0-2", 1), msg("p0-3", 1))
	r := CheckQueue(h.ops, cfg)
	expect(t, r, map[Class]int{Phantom: 2})
}

func TestUnknownSendReceivedIsFine(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.Unknown)
	h.recv(sec, msg("p0-1", 1))
	expect(t, CheckQueue(h.ops, cfg), map[Class]int{})
}

func TestExplainedDuplicates(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.OK)
	h.send("p0-2", 0, history.OK)
	// p0-1: its delete timed out; redelivered after the visibility timeout.
	h.recv(sec, msg("p0-1", 1))
	h.del(sec+50*time.Millisecond, history.Unknown, "p0-1#1", "p0-1")
	h.recv(sec+9*sec, msg("p0-1", 2))
	// p0-2: a receive whose response was lost took it (count 2), its
	// visibility expired, then we got count 3. Our delete of count 1's
	// handle came after the lost receive: stale, a no-op.
	h.recv(sec, msg("p0-2", 1))
	h.recvUnknown(9 * sec)
	h.del(12*sec, history.OK, "p0-2#1", "p0-2")
	h.recv(20*sec, msg("p0-2", 3))
	r := CheckQueue(h.ops, cfg)
	expect(t, r, map[Class]int{})
	if r.Dups != 2 || r.Explained != 2 {
		t.Errorf("dups %d explained %d", r.Dups, r.Explained)
	}
}

func TestUnexplainedDuplicate(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.OK)
	h.recv(sec, msg("p0-1", 1))
	// Redelivered 2 s later, long before the 8 s visibility timeout.
	h.recv(3*sec, msg("p0-1", 2))
	expect(t, CheckQueue(h.ops, cfg), map[Class]int{UnexplainedDup: 1})
}

func TestSameCountTwice(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.OK)
	h.recv(sec, msg("p0-1", 1))
	h.add(&history.Op{Process: "c2", Kind: history.Receive, Node: "n3", Invoke: sec, Complete: sec + 20*time.Millisecond,
		Outcome: history.OK, Messages: []history.Msg{msg("p0-1", 1)}})
	expect(t, CheckQueue(h.ops, cfg), map[Class]int{UnexplainedDup: 1})
}

func TestDoubleEnqueue(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.OK)
	m2 := msg("p0-1", 1)
	m2.MessageID = "other"
	h.recv(sec, msg("p0-1", 1))
	h.del(sec+20*time.Millisecond, history.OK, "p0-1#1", "p0-1")
	h.recv(2*sec, m2)
	// Two distinct message IDs, and (counts both 1) same count twice.
	r := CheckQueue(h.ops, cfg)
	if classes(r)[UnexplainedDup] == 0 {
		t.Fatalf("double enqueue not caught: %v", r.Findings)
	}
}

func TestResurrection(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.OK)
	h.recv(sec, msg("p0-1", 1))
	h.del(sec+20*time.Millisecond, history.OK, "p0-1#1", "p0-1")
	h.recv(10*sec, msg("p0-1", 2))
	expect(t, CheckQueue(h.ops, cfg), map[Class]int{Resurrection: 1})
}

func TestResurrectionNotExcusedByEarlyLostReceive(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.OK)
	h.recv(sec, msg("p0-1", 1))
	// A lost receive exists, but the delete came before the first
	// delivery's visibility could expire: no receive could have made the
	// handle stale.
	h.recvUnknown(sec)
	h.del(sec+20*time.Millisecond, history.OK, "p0-1#1", "p0-1")
	h.recv(12*sec, msg("p0-1", 3))
	expect(t, CheckQueue(h.ops, cfg), map[Class]int{Resurrection: 1})
}

func TestCountGapWithoutLostReceive(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.OK)
	h.recv(sec, msg("p0-1", 1))
	h.recv(30*sec, msg("p0-1", 3))
	expect(t, CheckQueue(h.ops, cfg), map[Class]int{UnexplainedDup: 1})
}

func TestCutAcks(t *testing.T) {
	h := &hb{}
	h.add(&history.Op{Process: "p0", Kind: history.Send, Node: "n1", Body: "p0-1", Invoke: 5 * sec, Complete: 5*sec + 1, Outcome: history.OK})
	h.add(&history.Op{Process: "p1", Kind: history.Send, Node: "n2", Body: "p1-1", Invoke: 5 * sec, Complete: 5*sec + 1, Outcome: history.OK})
	h.add(&history.Op{Process: "p0", Kind: history.Send, Node: "n1", Body: "p0-2", Invoke: 5 * sec, Complete: 6 * sec, Outcome: history.Unknown})
	fs := CheckCutAcks(h.ops, []FaultWindow{{ID: 1, Kind: "isolate-leader", Start: 4 * sec, End: 8 * sec, Cut: []string{"n1"}}})
	if len(fs) != 1 || fs[0].Body != "p0-1" {
		t.Fatalf("findings %v", fs)
	}
}

func TestAvailability(t *testing.T) {
	h := &hb{}
	for _, at := range []time.Duration{0, sec, 2 * sec, 9 * sec, 10 * sec, 11 * sec, 30 * sec} {
		h.send("x"+at.String(), at, history.OK)
	}
	faults := []FaultWindow{
		{ID: 1, Kind: "kill-leader", Start: 2500 * time.Millisecond, End: 5 * sec, Horizon: 12 * sec, MajorityUp: true},
		{ID: 2, Kind: "kill-all", Start: 12 * sec, End: 14 * sec, Horizon: 40 * sec},
	}
	avs, fs := CheckAvailability(h.ops, faults, 5*sec)
	if len(fs) != 1 || fs[0].Class != Unavailable {
		t.Fatalf("findings %v", fs)
	}
	if got := avs[0].Recover.Round(time.Millisecond); got != 6510*time.Millisecond {
		t.Errorf("recover %s", got)
	}
	if got := MaxUnavailable(avs); got.Round(time.Millisecond) != 6510*time.Millisecond {
		t.Errorf("max unavailable %s", got)
	}
}

// lin history helpers
func linOp(h *hb, proc string, kind history.Kind, body string, from, to time.Duration, out history.Outcome, got string) {
	op := &history.Op{Process: proc, Kind: kind, Body: body, Invoke: from, Complete: to, Outcome: out}
	if got != "" {
		op.Messages = []history.Msg{{Body: got}}
	}
	h.add(op)
}

func TestLinearizableQueue(t *testing.T) {
	h := &hb{}
	linOp(h, "l0", history.LinSend, "a", 0, 10, history.OK, "")
	linOp(h, "l1", history.LinSend, "b", 5, 20, history.Unknown, "")
	linOp(h, "l2", history.LinReceive, "", 30, 40, history.OK, "b") // the unknown send happened
	linOp(h, "l0", history.LinReceive, "", 50, 60, history.OK, "a")
	linOp(h, "l0", history.LinDelete, "a", 70, 80, history.OK, "")
	linOp(h, "l2", history.LinReceive, "", 90, 100, history.OK, "") // empty: a and b in flight
	r := CheckLinearizable(h.ops, 10*sec, "")
	if r.Result != "Ok" {
		t.Fatalf("result %s %v", r.Result, r.Findings)
	}
}

func TestNotLinearizableEmptyReceive(t *testing.T) {
	h := &hb{}
	linOp(h, "l0", history.LinSend, "a", 0, 10, history.OK, "")
	linOp(h, "l1", history.LinReceive, "", 20, 30, history.OK, "") // empty although a is visible
	linOp(h, "l1", history.LinReceive, "", 40, 50, history.OK, "a")
	html := filepath.Join(t.TempDir(), "lin.html")
	r := CheckLinearizable(h.ops, 10*sec, html)
	if r.Result != "Illegal" || len(r.Findings) != 1 {
		t.Fatalf("result %s %v", r.Result, r.Findings)
	}
	if r.HTMLPath == "" || !strings.Contains(strings.Join(r.Findings[0].Evidence, "\n"), "lin.html") {
		t.Errorf("no visualization: %v", r.Findings[0].Evidence)
	}
}

func TestNotLinearizableDoubleReceive(t *testing.T) {
	h := &hb{}
	linOp(h, "l0", history.LinSend, "a", 0, 10, history.OK, "")
	linOp(h, "l1", history.LinReceive, "", 20, 30, history.OK, "a")
	linOp(h, "l2", history.LinReceive, "", 25, 35, history.OK, "a") // in flight for an hour
	r := CheckLinearizable(h.ops, 10*sec, "")
	if r.Result != "Illegal" {
		t.Fatalf("result %s", r.Result)
	}
}

func TestUnknownReceiveMayTakeAMessage(t *testing.T) {
	h := &hb{}
	linOp(h, "l0", history.LinSend, "a", 0, 10, history.OK, "")
	linOp(h, "l1", history.LinReceive, "", 20, 30, history.Unknown, "")
	linOp(h, "l2", history.LinReceive, "", 40, 50, history.OK, "") // the unknown receive took a
	r := CheckLinearizable(h.ops, 10*sec, "")
	if r.Result != "Ok" {
		t.Fatalf("result %s %v", r.Result, r.Findings)
	}
}

func TestNotAppliedSendReceivedIsPhantom(t *testing.T) {
	h := &hb{}
	h.send("p0-1", 0, history.Unknown)
	h.ops[0].NotApplied = true // answered 503: the server said nothing was applied
	h.recv(sec, msg("p0-1", 1))
	expect(t, CheckQueue(h.ops, cfg), map[Class]int{Phantom: 1})
}

func TestLinNotAppliedIsHeldToIt(t *testing.T) {
	h := &hb{}
	linOp(h, "l0", history.LinSend, "a", 0, 10, history.Unknown, "")
	h.ops[0].NotApplied = true
	linOp(h, "l1", history.LinReceive, "", 20, 30, history.OK, "a")
	if r := CheckLinearizable(h.ops, 10*sec, ""); r.Result != "Illegal" {
		t.Fatalf("result %s", r.Result)
	}
}
