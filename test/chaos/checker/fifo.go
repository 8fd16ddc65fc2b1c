//go:build chaos

package checker

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// FIFO finding classes: a message group delivered out of send order, and
// a message delivered while another message of its group was in flight.
const (
	OutOfOrder Class = "fifo_order"
	GroupLock  Class = "fifo_group_lock"
)

// DedupWindow is SQS's FIFO deduplication interval: resends of a body
// within it must not enqueue it again.
const DedupWindow = 5 * time.Minute

// FifoResult is the outcome of the FIFO check.
type FifoResult struct {
	Attempted int       `json:"attempted"` // distinct bodies sent
	Calls     int       `json:"calls"`     // send calls, resends included
	Resends   int       `json:"resends"`   // sends of a body already tried (after an unknown outcome)
	Acked     int       `json:"acked"`     // distinct bodies acknowledged
	Received  int       `json:"received_distinct"`
	Groups    int       `json:"groups"`
	Dups      int       `json:"duplicates"`
	Explained int       `json:"duplicates_explained"`
	Findings  []Finding `json:"findings"`
}

// fifoBody splits "f<producer>-<n>" into its group ("g<producer>") and n.
func fifoBody(body string) (group string, n int, ok bool) {
	p, c, found := strings.Cut(strings.TrimPrefix(body, "f"), "-")
	if !found || !strings.HasPrefix(body, "f") {
		return "", 0, false
	}
	if _, err := strconv.Atoi(p); err != nil {
		return "", 0, false
	}
	n, err := strconv.Atoi(c)
	if err != nil {
		return "", 0, false
	}
	return "g" + p, n, true
}

// CheckFifo checks the FIFO sub-workload's history (producers that each
// own one message group and send "f<ID>-<n>" in order, resending a body
// only after an unknown outcome and always with the body as its
// deduplication ID; one consumer receiving and deleting). The history
// must include the drain.
//
//   - lost: an acknowledged body was never received;
//   - phantom: a received body was never sent, only refused (4xx or
//     "not applied"), or carries another body's id attribute or another
//     group;
//   - unexplained_dup: a body enqueued more than once (distinct message
//     IDs) although its resends fell within the deduplication interval,
//     or a redelivery that neither an expired visibility timeout nor a
//     failed delete explains (the standard queue's rules);
//   - fifo_order: per group, the first deliveries are not in send order
//     (counter n received first after a later counter), or their
//     SequenceNumbers do not increase;
//   - fifo_group_lock: a receive returned a message while another message
//     of its group was certainly in flight from an earlier receive (its
//     visibility timeout had not run out when the later receive completed,
//     and no delete of it had been tried with a success or unknown outcome).
func CheckFifo(ops []*history.Op, cfg QueueConfig) *FifoResult {
	res := &FifoResult{}
	sends := map[string][]*history.Op{}
	var unknownReceives, receives []*history.Op
	deletes := map[string][]deletion{}
	for _, op := range ops {
		switch op.Kind {
		case history.FifoSend:
			res.Calls++
			if len(sends[op.Body]) > 0 {
				res.Resends++
			}
			sends[op.Body] = append(sends[op.Body], op)
		case history.FifoReceive:
			if op.Outcome != history.OK {
				unknownReceives = append(unknownReceives, op)
				continue
			}
			receives = append(receives, op)
		case history.FifoDelete:
			for _, e := range op.Entries {
				deletes[e.Handle] = append(deletes[e.Handle], deletion{op, e})
			}
		}
	}
	res.Attempted = len(sends)
	add := func(f Finding) { res.Findings = append(res.Findings, f) }

	// Deliveries in the order the (single) consumer saw them.
	sort.SliceStable(receives, func(i, j int) bool { return receives[i].Invoke < receives[j].Invoke })
	receipts := map[string][]receipt{}
	type first struct {
		n   int
		seq uint64
		r   receipt
	}
	firsts := map[string][]first{}
	byGroup := map[string][]receipt{} // every delivery, per group, in receive order
	for _, op := range receives {
		for _, m := range op.Messages {
			byGroup[m.Group] = append(byGroup[m.Group], receipt{op, m})
			if len(receipts[m.Body]) == 0 {
				group, n, ok := fifoBody(m.Body)
				if !ok {
					add(Finding{Class: Phantom, Body: m.Body, Summary: fmt.Sprintf("the FIFO queue delivered %q, not a FIFO producer's body", m.Body),
						Evidence: []string{describe(op)}})
				} else {
					if m.Group != group {
						add(Finding{Class: Phantom, Body: m.Body, Summary: fmt.Sprintf("%s delivered in message group %q, sent in %q", m.Body, m.Group, group),
							Evidence: []string{describe(op)}})
					}
					seq, _ := strconv.ParseUint(m.SequenceNumber, 10, 64)
					firsts[group] = append(firsts[group], first{n, seq, receipt{op, m}})
				}
			}
			if m.Attr != m.Body {
				add(Finding{Class: Phantom, Body: m.Body, Summary: fmt.Sprintf("FIFO message %s carries attribute id=%q, not its body", m.MessageID, m.Attr),
					Evidence: []string{describe(op)}})
			}
			receipts[m.Body] = append(receipts[m.Body], receipt{op, m})
		}
	}
	res.Received = len(receipts)
	res.Groups = len(firsts)

	// Order: per group, first deliveries in increasing counter and
	// SequenceNumber. A producer sends n+1 only once n is acknowledged
	// (or refused), so no later body can be enqueued before an earlier one.
	groups := make([]string, 0, len(firsts))
	for g := range firsts {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		fs := firsts[g]
		for i := 1; i < len(fs); i++ {
			prev, cur := fs[i-1], fs[i]
			if cur.n <= prev.n {
				add(Finding{Class: OutOfOrder, Body: cur.r.msg.Body,
					Summary:  fmt.Sprintf("group %s: %s first delivered after %s", g, cur.r.msg.Body, prev.r.msg.Body),
					Evidence: []string{"earlier: " + describe(prev.r.op), "later:   " + describe(cur.r.op)}})
			} else if cur.seq <= prev.seq {
				add(Finding{Class: OutOfOrder, Body: cur.r.msg.Body,
					Summary:  fmt.Sprintf("group %s: %s has SequenceNumber %d, not above %s's %d", g, cur.r.msg.Body, cur.seq, prev.r.msg.Body, prev.seq),
					Evidence: []string{describe(prev.r.op), describe(cur.r.op)}})
			}
		}
	}

	// Group lock.
	for _, g := range sortedKeys(byGroup) {
		checkGroupLock(res, g, byGroup[g], deletes, cfg)
	}

	// Lost and phantom, per body.
	bodies := make([]string, 0, len(sends))
	for b := range sends {
		bodies = append(bodies, b)
	}
	sort.Strings(bodies)
	for _, b := range bodies {
		var acked *history.Op
		for _, s := range sends[b] {
			if s.Outcome == history.OK {
				acked = s
				break
			}
		}
		if acked != nil {
			res.Acked++
			if len(receipts[b]) == 0 {
				add(Finding{Class: Lost, Body: b, Summary: fmt.Sprintf("acknowledged FIFO send of %s (message %s) never received", b, acked.MessageID),
					Evidence: []string{describe(acked)}})
			}
		}
	}
	rbodies := make([]string, 0, len(receipts))
	for b := range receipts {
		rbodies = append(rbodies, b)
	}
	sort.Strings(rbodies)
	for _, b := range rbodies {
		rs := receipts[b]
		ss := sends[b]
		if len(ss) == 0 {
			add(Finding{Class: Phantom, Body: b, Summary: fmt.Sprintf("the FIFO queue delivered %s, which was never sent", b),
				Evidence: []string{describe(rs[0].op)}})
			continue
		}
		refused := true
		for _, s := range ss {
			if !(s.Outcome == history.Fail || s.NotApplied) {
				refused = false
			}
		}
		if refused {
			ev := []string{}
			for _, s := range ss {
				ev = append(ev, describe(s))
			}
			add(Finding{Class: Phantom, Body: b, Summary: fmt.Sprintf("the FIFO queue delivered %s, whose every send was refused (4xx or not applied)", b),
				Evidence: append(ev, describe(rs[0].op))})
		}
		checkFifoDeliveries(res, b, rs, ss, deletes, unknownReceives, cfg)
	}
	return res
}

// checkFifoDeliveries checks one body's deliveries: one message ID (the
// sends' deduplication), and every redelivery explained as on a standard
// queue.
func checkFifoDeliveries(res *FifoResult, body string, rs []receipt, sends []*history.Op, deletes map[string][]deletion,
	unknownReceives []*history.Op, cfg QueueConfig) {
	ids := map[string]bool{}
	for _, r := range rs {
		ids[r.msg.MessageID] = true
	}
	for _, s := range sends {
		if s.Outcome == history.OK && !ids[s.MessageID] {
			res.Findings = append(res.Findings, Finding{Class: UnexplainedDup, Body: body,
				Summary:  fmt.Sprintf("the send of %s was acknowledged as message %s, but the queue delivered it as %v", body, s.MessageID, keys(ids)),
				Evidence: []string{describe(s), describe(rs[0].op)}})
		}
	}
	if len(ids) > 1 && sends[len(sends)-1].Invoke-sends[0].Invoke < DedupWindow {
		ev := []string{}
		for _, s := range sends {
			ev = append(ev, "send: "+describe(s))
		}
		for _, r := range rs {
			ev = append(ev, fmt.Sprintf("delivery: %s -> message %s count %d", describe(r.op), r.msg.MessageID, r.msg.ReceiveCount))
		}
		res.Findings = append(res.Findings, Finding{Class: UnexplainedDup, Body: body,
			Summary:  fmt.Sprintf("%s was enqueued %d times (distinct message IDs) although every send carried the same deduplication ID within %s", body, len(ids), DedupWindow),
			Evidence: ev})
		return
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].msg.ReceiveCount != rs[j].msg.ReceiveCount {
			return rs[i].msg.ReceiveCount < rs[j].msg.ReceiveCount
		}
		return rs[i].op.Complete < rs[j].op.Complete
	})
	if f := rs[0]; f.msg.ReceiveCount > 1 && !anyReceiveBefore(unknownReceives, f.op.Complete) {
		res.Findings = append(res.Findings, Finding{Class: UnexplainedDup, Body: body,
			Summary:  fmt.Sprintf("first delivery of %s has receive count %d, and no receive with a lost response could account for the earlier ones", body, f.msg.ReceiveCount),
			Evidence: []string{describe(f.op)}})
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

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkGroupLock flags deliveries of a group made while another message of
// the group was certainly in flight. rs is every delivery of the group in
// receive order (one consumer: receives do not overlap).
func checkGroupLock(res *FifoResult, group string, rs []receipt, deletes map[string][]deletion, cfg QueueConfig) {
	for j, cur := range rs {
		for i := 0; i < j; i++ {
			prev := rs[i]
			if prev.op == cur.op || prev.msg.Body == cur.msg.Body {
				continue // one receive's batch; a redelivery is judged elsewhere
			}
			// prev's receive was applied no earlier than its invocation, so
			// its message stays invisible at least until Invoke+Visibility.
			if cur.op.Complete >= prev.op.Invoke+cfg.Visibility-cfg.Tolerance {
				continue
			}
			tried := false
			for _, d := range deletes[prev.msg.Handle] {
				if d.entry.Outcome != history.Fail && d.op.Invoke < cur.op.Complete {
					tried = true
				}
			}
			if tried {
				continue
			}
			res.Findings = append(res.Findings, Finding{Class: GroupLock, Body: cur.msg.Body,
				Summary: fmt.Sprintf("group %s: %s delivered while %s was in flight (received %.3fs earlier, not deleted)",
					group, cur.msg.Body, prev.msg.Body, (cur.op.Complete - prev.op.Invoke).Seconds()),
				Evidence: []string{"in flight: " + describe(prev.op), "delivered: " + describe(cur.op)}})
			break
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
