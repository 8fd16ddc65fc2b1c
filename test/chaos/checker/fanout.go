//go:build chaos

package checker

import (
	"fmt"
	"sort"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// FanoutResult is the outcome of the SNS fan-out check.
type FanoutResult struct {
	Attempted int       `json:"attempted"`
	Acked     int       `json:"acked"`
	Received  int       `json:"received_distinct"`
	Findings  []Finding `json:"findings"`
}

// CheckFanout checks the SNS sub-workload: every acknowledged publish
// reached the subscribed queue (lost otherwise), and every message the
// queue delivered was published by someone (phantom otherwise: a publish
// that failed with a 4xx or was answered "not applied" must not appear).
// Duplicates are allowed, as in SNS; the history must include the drain.
func CheckFanout(ops []*history.Op) *FanoutResult {
	res := &FanoutResult{}
	publishes := map[string]*history.Op{}
	received := map[string]bool{}
	for _, op := range ops {
		switch op.Kind {
		case history.Publish:
			publishes[op.Body] = op
			res.Attempted++
			if op.Outcome == history.OK {
				res.Acked++
			}
		case history.FanoutReceive:
			if op.Outcome == history.OK {
				for _, m := range op.Messages {
					received[m.Body] = true
				}
			}
		}
	}
	res.Received = len(received)
	for body, op := range publishes {
		if op.Outcome == history.OK && !received[body] {
			res.Findings = append(res.Findings, Finding{Class: Lost, Body: body,
				Summary: fmt.Sprintf("publish %s was acknowledged (message %s, via %s) but never reached the subscribed queue", body, op.MessageID, op.Node)})
		}
	}
	for body := range received {
		op, ok := publishes[body]
		switch {
		case !ok:
			res.Findings = append(res.Findings, Finding{Class: Phantom, Body: body,
				Summary: fmt.Sprintf("the subscribed queue delivered %s, which nobody published", body)})
		case op.Outcome == history.Fail || op.NotApplied:
			res.Findings = append(res.Findings, Finding{Class: Phantom, Body: body,
				Summary: fmt.Sprintf("the subscribed queue delivered %s, whose publish failed (%s, not applied=%v)", body, op.Err, op.NotApplied)})
		}
	}
	sort.Slice(res.Findings, func(i, j int) bool { return res.Findings[i].Body < res.Findings[j].Body })
	return res
}
