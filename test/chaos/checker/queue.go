//go:build chaos

package checker

import (
	"fmt"
	"sort"
	"time"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// QueueConfig tunes the queue check.
type QueueConfig struct {
	// Visibility is the visibility timeout every receive used.
	Visibility time.Duration
	// Tolerance absorbs clock differences between the harness and the
	// leader that stamped a deadline.
	Tolerance time.Duration
}

// QueueResult is the outcome of the queue check.
type QueueResult struct {
	Attempted int       `json:"attempted"`
	Acked     int       `json:"acked"`
	Received  int       `json:"received_distinct"`
	Dups      int       `json:"duplicates"`
	Explained int       `json:"duplicates_explained"`
	Findings  []Finding `json:"findings"`
}

// Count returns how many findings have class c.
func (r *QueueResult) Count(c Class) int {
	n := 0
	for _, f := range r.Findings {
		if f.Class == c {
			n++
		}
	}
	return n
}

// receipt is one delivery of a message: the receive op and the message.
type receipt struct {
	op  *history.Op
	msg history.Msg
}

// deletion is one delete entry with its batch op.
type deletion struct {
	op    *history.Op
	entry history.DeleteEntry
}

// CheckQueue checks the main workload's history (sends, receives, delete
// batches on one standard queue); the history must include the drain.
func CheckQueue(ops []*history.Op, cfg QueueConfig) *QueueResult {
	res := &QueueResult{}
	sends := map[string]*history.Op{}
	var unknownReceives []*history.Op
	receipts := map[string][]receipt{}
	deletes := map[string][]deletion{} // by handle
	for _, op := range ops {
		switch op.Kind {
		case history.Send:
			sends[op.Body] = op
			res.Attempted++
			if op.Outcome == history.OK {
				res.Acked++
			}
		case history.Receive:
			if op.Outcome != history.OK {
				unknownReceives = append(unknownReceives, op)
				continue
			}
			for _, m := range op.Messages {
				receipts[m.Body] = append(receipts[m.Body], receipt{op, m})
			}
		case history.Delete:
			for _, e := range op.Entries {
				deletes[e.Handle] = append(deletes[e.Handle], deletion{op, e})
			}
		}
	}
	res.Received = len(receipts)

	bodies := make([]string, 0, len(sends))
	for b := range sends {
		bodies = append(bodies, b)
	}
	sort.Strings(bodies)
	for _, b := range bodies {
		s := sends[b]
		if s.Outcome == history.OK && len(receipts[b]) == 0 {
			res.Findings = append(res.Findings, Finding{Class: Lost, Body: b,
				Summary:  fmt.Sprintf("acknowledged send of %s (message %s) never received", b, s.MessageID),
				Evidence: []string{describe(s)}})
		}
	}

	rbodies := make([]string, 0, len(receipts))
	for b := range receipts {
		rbodies = append(rbodies, b)
	}
	sort.Strings(rbodies)
	for _, b := range rbodies {
		rs := receipts[b]
		if s, ok := sends[b]; !ok {
			res.Findings = append(res.Findings, Finding{Class: Phantom, Body: b,
				Summary: fmt.Sprintf("received %q, which was never sent", b), Evidence: []string{describe(rs[0].op)}})
			continue
		} else if s.NotApplied {
			res.Findings = append(res.Findings, Finding{Class: Phantom, Body: b,
				Summary:  fmt.Sprintf("received %s, whose send was answered 503 or refused (nothing applied)", b),
				Evidence: []string{describe(s), describe(rs[0].op)}})
		} else if s.Outcome == history.Fail {
			res.Findings = append(res.Findings, Finding{Class: Phantom, Body: b,
				Summary:  fmt.Sprintf("received %s, whose send failed with a 4xx (a definite failure)", b),
				Evidence: []string{describe(s), describe(rs[0].op)}})
		}
		for _, r := range rs {
			if r.msg.Attr != r.msg.Body {
				res.Findings = append(res.Findings, Finding{Class: Phantom, Body: b,
					Summary:  fmt.Sprintf("message %s carries attribute id=%q, not its body", r.msg.MessageID, r.msg.Attr),
					Evidence: []string{describe(r.op)}})
			}
		}
		checkDeliveries(res, b, rs, deletes, unknownReceives, cfg)
	}
	return res
}

// checkDeliveries checks every delivery of one body after the first.
func checkDeliveries(res *QueueResult, body string, rs []receipt, deletes map[string][]deletion,
	unknownReceives []*history.Op, cfg QueueConfig) {
	ids := map[string]bool{}
	for _, r := range rs {
		ids[r.msg.MessageID] = true
	}
	if len(ids) > 1 {
		ev := []string{}
		for _, r := range rs {
			ev = append(ev, fmt.Sprintf("%s -> message %s count %d", describe(r.op), r.msg.MessageID, r.msg.ReceiveCount))
		}
		res.Findings = append(res.Findings, Finding{Class: UnexplainedDup, Body: body,
			Summary:  fmt.Sprintf("%s was enqueued %d times (distinct message IDs) but sent once", body, len(ids)),
			Evidence: ev})
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].msg.ReceiveCount != rs[j].msg.ReceiveCount {
			return rs[i].msg.ReceiveCount < rs[j].msg.ReceiveCount
		}
		return rs[i].op.Complete < rs[j].op.Complete
	})
	if first := rs[0]; first.msg.ReceiveCount > 1 && !anyReceiveBefore(unknownReceives, first.op.Complete) {
		res.Findings = append(res.Findings, Finding{Class: UnexplainedDup, Body: body,
			Summary:  fmt.Sprintf("first delivery of %s has receive count %d, and no receive with a lost response could account for the earlier ones", body, first.msg.ReceiveCount),
			Evidence: []string{describe(first.op)}})
	}
	for i := 1; i < len(rs); i++ {
		res.Dups++
		if f, bad := judgeRedelivery(body, rs[i-1], rs[i], deletes, unknownReceives, cfg); bad {
			res.Findings = append(res.Findings, f)
		} else {
			res.Explained++
		}
	}
}

// judgeRedelivery decides whether cur, the delivery after prev, is
// explained. It returns the finding when it is not.
func judgeRedelivery(body string, prev, cur receipt, deletes map[string][]deletion,
	unknownReceives []*history.Op, cfg QueueConfig) (Finding, bool) {
	ev := []string{
		fmt.Sprintf("previous delivery: %s, count %d", describe(prev.op), prev.msg.ReceiveCount),
		fmt.Sprintf("this delivery:     %s, count %d", describe(cur.op), cur.msg.ReceiveCount),
	}
	counted := prev.msg.ReceiveCount > 0 && cur.msg.ReceiveCount > 0
	if counted && cur.msg.ReceiveCount == prev.msg.ReceiveCount {
		return Finding{Class: UnexplainedDup, Body: body,
			Summary:  fmt.Sprintf("%s delivered twice with the same receive count %d (one receive answered twice, or two leaders)", body, cur.msg.ReceiveCount),
			Evidence: ev}, true
	}
	gap := 1
	if counted {
		gap = cur.msg.ReceiveCount - prev.msg.ReceiveCount
	}
	// A successful delete of prev's handle completed before cur was invoked?
	var del *deletion
	for i := range deletes[prev.msg.Handle] {
		d := &deletes[prev.msg.Handle][i]
		if d.entry.Outcome == history.OK && d.op.Complete < cur.op.Invoke {
			if del == nil || d.op.Complete < del.op.Complete {
				del = d
			}
		}
	}
	if del != nil {
		ev = append(ev, "successful delete of the previous handle: "+describe(del.op))
		// Only a receive applied between prev's expiry and the delete's
		// completion, whose response was lost, makes that handle stale.
		from := prev.op.Invoke + cfg.Visibility - cfg.Tolerance
		if gap > 1 || !counted {
			if u := unknownReceiveIn(unknownReceives, from, del.op.Complete); u != nil {
				ev = append(ev, "receive with a lost response that may have taken it in between: "+describe(u))
				return Finding{}, false
			}
		}
		return Finding{Class: Resurrection, Body: body,
			Summary:  fmt.Sprintf("%s received again after a successful delete of its latest receipt handle", body),
			Evidence: ev}, true
	}
	// No delete took effect: the message must have become visible again.
	due := prev.op.Invoke + time.Duration(gap)*cfg.Visibility - cfg.Tolerance
	if cur.op.Complete < due {
		return Finding{Class: UnexplainedDup, Body: body,
			Summary: fmt.Sprintf("%s delivered again %.3fs after the previous receive was invoked, before its visibility timeout (%s x %d) expired",
				body, (cur.op.Complete - prev.op.Invoke).Seconds(), cfg.Visibility, gap),
			Evidence: ev}, true
	}
	if counted && gap > 1 && !anyReceiveBefore(unknownReceives, cur.op.Complete) {
		return Finding{Class: UnexplainedDup, Body: body,
			Summary:  fmt.Sprintf("receive count of %s jumped from %d to %d with no lost receive response to explain it", body, prev.msg.ReceiveCount, cur.msg.ReceiveCount),
			Evidence: ev}, true
	}
	return Finding{}, false
}

// unknownReceiveIn returns a receive with a lost or failed response that
// may have been applied within [from, to]: invoked before to (its effect
// may land any time after its invocation).
func unknownReceiveIn(ops []*history.Op, from, to time.Duration) *history.Op {
	for _, op := range ops {
		if op.Outcome == history.Unknown && op.Invoke <= to && from <= to {
			return op
		}
	}
	return nil
}

// anyReceiveBefore reports whether a receive with an unknown outcome was
// invoked before t.
func anyReceiveBefore(ops []*history.Op, t time.Duration) bool {
	for _, op := range ops {
		if op.Outcome == history.Unknown && op.Invoke <= t {
			return true
		}
	}
	return false
}
