//go:build chaos

package checker

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// FaultWindow is what the checker needs to know about one injected fault.
type FaultWindow struct {
	ID   int    `json:"id"`
	Kind string `json:"kind"`
	// Start is when the fault was in place; End when healing began
	// (restart, SIGCONT, rules flushed).
	Start time.Duration `json:"start_ns"`
	End   time.Duration `json:"end_ns"`
	// Horizon bounds the window in which writes are measured: the next
	// fault's start, or the end of the fault phase.
	Horizon time.Duration `json:"horizon_ns"`
	// MajorityUp: a connected majority stayed up throughout, so writes
	// must resume quickly.
	MajorityUp bool `json:"majority_up"`
	// Cut are nodes that could not reach a majority during [Start, End]:
	// they must acknowledge nothing invoked in that window.
	Cut []string `json:"cut,omitempty"`
}

// Availability is the measured write availability around one fault.
type Availability struct {
	FaultID int    `json:"fault_id"`
	Kind    string `json:"kind"`
	// Recover is the time from the fault's start to the completion of the
	// first successful send invoked after it.
	Recover time.Duration `json:"recover_ns"`
	// MaxGap is the longest stretch without a successful send completing,
	// from the fault's start until it healed and settled.
	MaxGap  time.Duration `json:"max_gap_ns"`
	Counted bool          `json:"counted"`
}

// Settle is how long after healing write gaps still count against a fault
// (a node coming back may disrupt the leader).
const Settle = 10 * time.Second

// CheckAvailability measures, per fault, how long writes stopped, and
// flags faults that kept a majority up yet stopped writes longer than limit.
func CheckAvailability(ops []*history.Op, faults []FaultWindow, limit time.Duration) ([]Availability, []Finding) {
	var oks []*history.Op
	for _, op := range ops {
		if op.Kind == history.Send && op.Outcome == history.OK {
			oks = append(oks, op)
		}
	}
	sort.Slice(oks, func(i, j int) bool { return oks[i].Complete < oks[j].Complete })
	var avs []Availability
	var fs []Finding
	for _, f := range faults {
		until := min(f.Horizon, f.End+Settle)
		a := Availability{FaultID: f.ID, Kind: f.Kind, Counted: f.MajorityUp, Recover: -1}
		last := f.Start
		var lastOp, gapOp *history.Op
		var gapFrom *history.Op
		for _, op := range oks {
			if op.Complete < f.Start {
				continue
			}
			if op.Complete > until {
				break
			}
			if a.Recover < 0 && op.Invoke >= f.Start {
				a.Recover = op.Complete - f.Start
			}
			if g := op.Complete - last; g > a.MaxGap {
				a.MaxGap, gapFrom, gapOp = g, lastOp, op
			}
			last, lastOp = op.Complete, op
		}
		if g := until - last; g > a.MaxGap {
			a.MaxGap, gapFrom, gapOp = g, lastOp, nil
		}
		avs = append(avs, a)
		if f.MajorityUp && a.MaxGap > limit {
			ev := []string{fmt.Sprintf("fault %d %s: in place %s, healed %s, measured until %s", f.ID, f.Kind, secs(f.Start), secs(f.End), secs(until))}
			if gapFrom != nil {
				ev = append(ev, "last successful send before the gap: "+describe(gapFrom))
			}
			if gapOp != nil {
				ev = append(ev, "first successful send after the gap: "+describe(gapOp))
			}
			fs = append(fs, Finding{Class: Unavailable,
				Summary:  fmt.Sprintf("fault %d (%s) kept a majority up but no write succeeded for %.2fs (limit %s)", f.ID, f.Kind, a.MaxGap.Seconds(), limit),
				Evidence: ev})
		}
	}
	return avs, fs
}

// MaxUnavailable is the largest MaxGap over the faults that kept a
// majority up.
func MaxUnavailable(avs []Availability) time.Duration {
	var m time.Duration
	for _, a := range avs {
		if a.Counted && a.MaxGap > m {
			m = a.MaxGap
		}
	}
	return m
}

// CutGrace is how long after a cut is in place an acknowledgement from the
// cut node is still tolerated (requests already committed).
const CutGrace = 100 * time.Millisecond

// CheckCutAcks flags every operation a node cut off from the majority
// acknowledged although it was invoked after the cut was in place and
// completed before it healed.
func CheckCutAcks(ops []*history.Op, faults []FaultWindow) []Finding {
	var fs []Finding
	for _, f := range faults {
		if len(f.Cut) == 0 {
			continue
		}
		for _, op := range ops {
			if !slices.Contains(f.Cut, op.Node) || op.Invoke < f.Start+CutGrace || op.Complete > f.End {
				continue
			}
			if !acked(op) {
				continue
			}
			fs = append(fs, Finding{Class: MinorityAck, Body: op.Body,
				Summary: fmt.Sprintf("node %s, cut off from the majority by fault %d (%s, %s .. %s), acknowledged an operation invoked after the cut",
					op.Node, f.ID, f.Kind, secs(f.Start), secs(f.End)),
				Evidence: []string{describe(op)}})
		}
	}
	return fs
}

// acked reports whether op, or one entry of it, was acknowledged.
func acked(op *history.Op) bool {
	if op.Outcome != history.OK {
		return false
	}
	if op.Kind == history.Delete || op.Kind == history.FifoDelete {
		for _, e := range op.Entries {
			if e.Outcome == history.OK {
				return true
			}
		}
		return false
	}
	return true
}
