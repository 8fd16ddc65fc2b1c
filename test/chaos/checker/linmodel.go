//go:build chaos

package checker

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// LinInput is a linearizability sub-workload call: send(ID),
// receive (max 1, wait 0, visibility long enough never to expire), or
// delete(ID) by the handle its receive returned.
type LinInput struct {
	Kind history.Kind
	ID   int
}

// LinOutput is a call's result: its outcome and, for an ok receive, the ID
// received (-1: empty).
type LinOutput struct {
	Outcome history.Outcome
	ID      int
}

// linState is a standard queue whose in-flight messages never become
// visible again: the IDs visible and the IDs in flight, both sorted.
type linState struct {
	visible  []int
	inflight []int
}

func (s linState) with(visible, inflight []int) linState {
	return linState{visible: visible, inflight: inflight}
}

func insertSorted(xs []int, x int) []int {
	i, found := slices.BinarySearch(xs, x)
	if found {
		return xs
	}
	out := make([]int, 0, len(xs)+1)
	out = append(out, xs[:i]...)
	out = append(out, x)
	return append(out, xs[i:]...)
}

func removeSorted(xs []int, x int) ([]int, bool) {
	i, found := slices.BinarySearch(xs, x)
	if !found {
		return xs, false
	}
	out := make([]int, 0, len(xs)-1)
	out = append(out, xs[:i]...)
	return append(out, xs[i+1:]...), true
}

// linStep is the nondeterministic step of the queue model. An operation
// with an unknown outcome never returns, so "it did not happen" is the
// linearization that places it after everything else: its step only
// applies the effect. An unknown receive may have taken any visible
// message (which then stays in flight for good): one state per choice.
func linStep(state, input, output any) []any {
	s := state.(linState)
	in := input.(LinInput)
	out := output.(LinOutput)
	switch in.Kind {
	case history.LinSend:
		added := s.with(insertSorted(s.visible, in.ID), s.inflight)
		switch out.Outcome {
		case history.OK:
			return []any{added}
		case history.Fail:
			return []any{s}
		default:
			return []any{added}
		}
	case history.LinReceive:
		switch out.Outcome {
		case history.Fail:
			return []any{s}
		case history.OK:
			if out.ID < 0 {
				if len(s.visible) == 0 {
					return []any{s}
				}
				return nil
			}
			vis, ok := removeSorted(s.visible, out.ID)
			if !ok {
				return nil
			}
			return []any{s.with(vis, insertSorted(s.inflight, out.ID))}
		default:
			if len(s.visible) == 0 {
				return []any{s}
			}
			var next []any
			for _, id := range s.visible {
				vis, _ := removeSorted(s.visible, id)
				next = append(next, s.with(vis, insertSorted(s.inflight, id)))
			}
			return next
		}
	case history.LinDelete:
		inf, ok := removeSorted(s.inflight, in.ID)
		switch out.Outcome {
		case history.OK:
			if !ok {
				return nil
			}
			return []any{s.with(s.visible, inf)}
		case history.Fail:
			return []any{s}
		default:
			return []any{s.with(s.visible, inf)}
		}
	}
	return nil
}

func linEqual(a, b any) bool {
	x, y := a.(linState), b.(linState)
	return slices.Equal(x.visible, y.visible) && slices.Equal(x.inflight, y.inflight)
}

func linHash(state any) uint64 {
	s := state.(linState)
	h := uint64(1469598103934665603)
	mix := func(v int) {
		h ^= uint64(v) + 0x9e3779b97f4a7c15
		h *= 1099511628211
	}
	for _, v := range s.visible {
		mix(v)
	}
	mix(-1)
	for _, v := range s.inflight {
		mix(v)
	}
	return h
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// linSet is the set of states the nondeterministic queue may be in,
// deduplicated by key and sorted, so that equal sets compare equal.
type linSet struct {
	states []linState
	key    string
}

func (s linState) key() string { return joinInts(s.visible) + "|" + joinInts(s.inflight) }

func newLinSet(m map[string]linState) linSet {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	set := linSet{key: strings.Join(keys, ";")}
	for _, k := range keys {
		set.states = append(set.states, m[k])
	}
	return set
}

// linSetStep steps every state of the set (porcupine's own
// nondeterministic wrapper deduplicates in quadratic time and cannot be
// interrupted; this one hashes and checks ctx).
func linSetStep(ctx context.Context, state, input, output any) (bool, any) {
	next := map[string]linState{}
	for _, s := range state.(linSet).states {
		if ctx.Err() != nil {
			return false, nil
		}
		for _, n := range linStep(s, input, output) {
			ns := n.(linState)
			next[ns.key()] = ns
		}
	}
	if len(next) == 0 {
		return false, nil
	}
	return true, newLinSet(next)
}

// QueueModel is the porcupine model of a standard queue with a visibility
// timeout longer than the test: see linStep.
func QueueModel() porcupine.Model {
	nm := porcupine.NondeterministicModel{
		Init:  func() []any { return []any{linState{}} },
		Step:  linStep,
		Equal: linEqual,
		Hash:  linHash,
		DescribeOperation: func(input, output any) string {
			in, out := input.(LinInput), output.(LinOutput)
			switch in.Kind {
			case history.LinSend:
				return fmt.Sprintf("send(%d) -> %s", in.ID, out.Outcome)
			case history.LinReceive:
				if out.Outcome == history.OK {
					if out.ID < 0 {
						return "receive() -> empty"
					}
					return fmt.Sprintf("receive() -> %d", out.ID)
				}
				return "receive() -> " + string(out.Outcome)
			default:
				return fmt.Sprintf("delete(%d) -> %s", in.ID, out.Outcome)
			}
		},
		DescribeState: func(state any) string {
			s := state.(linState)
			return fmt.Sprintf("visible [%s] in flight [%s]", joinInts(s.visible), joinInts(s.inflight))
		},
	}
	m := nm.ToModel()
	m.Init = func() any { return linSet{states: []linState{{}}, key: "|"} }
	m.Step = nil
	m.StepContext = linSetStep
	m.Equal = func(a, b any) bool { return a.(linSet).key == b.(linSet).key }
	m.Hash = func(state any) uint64 {
		h := uint64(1469598103934665603)
		for _, c := range []byte(state.(linSet).key) {
			h = (h ^ uint64(c)) * 1099511628211
		}
		return h
	}
	describe := nm.DescribeState
	m.DescribeState = func(state any) string {
		var parts []string
		for _, s := range state.(linSet).states {
			parts = append(parts, describe(s))
		}
		return strings.Join(parts, " OR ")
	}
	return m
}
