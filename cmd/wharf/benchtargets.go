package main

// The performance targets of issue 9, evaluated from the suite's medians.

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// targetCheck is one target (or one part of it) evaluated: value against
// need, at least (>=) or at most (<=).
type targetCheck struct {
	id      string // "1", "5"
	part    string // "leader", "@16"; "" when the target has one part
	figures string // the medians it is computed from
	measure string // what value is: "ratio", "excess ms", ...
	value   float64
	need    float64
	atMost  bool
	skipped string // why it was not evaluated; "" when it was
}

func (c targetCheck) ok() bool {
	if c.skipped != "" || math.IsNaN(c.value) {
		return false
	}
	if c.atMost {
		return c.value <= c.need
	}
	return c.value >= c.need
}

func (c targetCheck) name() string {
	if c.part == "" {
		return "target " + c.id
	}
	return "target " + c.id + " " + c.part
}

func (c targetCheck) result() string {
	switch {
	case c.skipped != "":
		return "skip"
	case c.ok():
		return "ok"
	}
	return "MISS"
}

// String is the check's line in the targets block.
func (c targetCheck) String() string {
	if c.skipped != "" {
		return fmt.Sprintf("%s: not measured (%s)", c.name(), c.skipped)
	}
	op := ">="
	if c.atMost {
		op = "<="
	}
	return fmt.Sprintf("%s: %s: %s %s (need %s %s) %s", c.name(), c.figures, c.measure,
		trimNum(c.value), op, trimNum(c.need), c.result())
}

// summary is the check's summary line.
func (c targetCheck) summary() string {
	part := c.part
	if part == "" {
		part = "-"
	}
	value := trimNum(c.value)
	if c.skipped != "" {
		value = "-"
	}
	return fmt.Sprintf("summary kind=target target=%s part=%s measure=%s value=%s need=%s result=%s",
		c.id, strings.TrimPrefix(part, "@"), strings.ReplaceAll(c.measure, " ", "_"),
		value, trimNum(c.need), c.result())
}

// trimNum prints v with up to 3 decimals, "-" when NaN.
func trimNum(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func printChecks(w io.Writer, checks []targetCheck) {
	fmt.Fprintln(w, "\ntargets (issue 9; from the medians above):")
	for _, c := range checks {
		fmt.Fprintln(w, c.String())
	}
}

// checkTargets evaluates the seven targets from what ran.
func (s *suite) checkTargets() []targetCheck {
	var out []targetCheck
	out = append(out,
		s.ratioCheck("1", "leader", cellKey{modeSend, targetSDKLeader, 64}, cellKey{modeSend, targetNoop, 64}, 0.75),
		s.ratioCheck("1", "follower", cellKey{modeSend, targetSDKFollower, 64}, cellKey{modeSend, targetNoop, 64}, 0.6),
		s.ratioCheck("2", "", cellKey{modeSend, targetNative, 64}, cellKey{target: targetRaft, workers: 64}, 2))
	for _, w := range s.o.workers {
		out = append(out, s.ratioCheck("3", fmt.Sprintf("@%d", w),
			cellKey{modeSendBatch, targetSDKLeader, w}, cellKey{modeSend, targetSDKLeader, w}, 8))
	}
	if len(s.o.workers) == 0 {
		out = append(out, targetCheck{id: "3", skipped: "no concurrency"})
	}
	out = append(out,
		s.ratioCheck("4", "", cellKey{modeRecvDelete, targetSDKLeader, 16}, cellKey{modeSend, targetSDKLeader, 16}, 1),
		s.latencyCheck("leader", targetSDKLeader, 0.4),
		s.latencyCheck("follower", targetSDKFollower, 0.7))
	out = append(out, s.queuedChecks()...)
	return out
}

// cellName is how a check names a cell: "sdk-leader send@64".
func cellName(k cellKey) string {
	if k.target == targetRaft {
		return fmt.Sprintf("raft@%d", k.workers)
	}
	return fmt.Sprintf("%s %s@%d", k.target, k.mode, k.workers)
}

// ratioCheck is msg/s of a over msg/s of b, at least need.
func (s *suite) ratioCheck(id, part string, a, b cellKey, need float64) targetCheck {
	c := targetCheck{id: id, part: part, measure: "ratio", need: need}
	sa, okA := s.summary(a)
	sb, okB := s.summary(b)
	switch {
	case !okA:
		c.skipped = cellName(a) + " did not run"
	case !okB:
		c.skipped = cellName(b) + " did not run"
	case sb.rate == 0:
		c.skipped = cellName(b) + " did nothing"
	default:
		c.value = sa.rate / sb.rate
		c.figures = fmt.Sprintf("%s %.0f msg/s, %s %.0f msg/s", cellName(a), sa.rate, cellName(b), sb.rate)
	}
	return c
}

// latencyCheck is target 5: a target's send p50 at 1 in flight exceeds
// raft's p50 at 1 in flight by at most slack ms.
func (s *suite) latencyCheck(part, target string, slack float64) targetCheck {
	c := targetCheck{id: "5", part: part, measure: "excess ms", need: slack, atMost: true}
	a := cellKey{modeSend, target, 1}
	b := cellKey{target: targetRaft, workers: 1}
	sa, okA := s.summary(a)
	sb, okB := s.summary(b)
	switch {
	case !okA:
		c.skipped = cellName(a) + " did not run"
	case !okB:
		c.skipped = cellName(b) + " did not run"
	default:
		c.value = sa.p50 - sb.p50
		c.figures = fmt.Sprintf("%s p50 %.2f ms, %s p50 %.2f ms", cellName(a), sa.p50, cellName(b), sb.p50)
	}
	return c
}

// queuedChecks are targets 6 and 7, from the queued phase.
func (s *suite) queuedChecks() []targetCheck {
	c6 := targetCheck{id: "6", measure: "bytes/msg", atMost: true, need: float64(s.o.size) + 200}
	c7 := targetCheck{id: "7", measure: "seconds", atMost: true, need: 10}
	q := s.queued
	if q == nil {
		c6.skipped = "run with --queued N (e.g. --queued 1000000)"
		c7.skipped = c6.skipped
		return []targetCheck{c6, c7}
	}
	if node, v, ok := q.worstHeap(); ok {
		c6.value = v
		c6.figures = fmt.Sprintf("Go heap per queued message, worst node %s, %d messages: %.0f B = payload %d B + %.0f B",
			node, q.n, v, s.o.size, v-float64(s.o.size))
		if q.n < 1_000_000 {
			c6.figures += " (the target is for 1M)"
		}
	} else {
		c6.value = math.NaN()
		c6.figures = "no heap figures (" + q.errText() + ")"
	}
	if q.killErr == nil && q.termErr == nil && q.killReady > 0 {
		worst := max(q.killReady, q.termReady).Seconds()
		c7.value = worst
		c7.figures = fmt.Sprintf("follower ready after restart with %d messages queued: SIGKILL %.2f s, SIGTERM %.2f s",
			q.n, q.killReady.Seconds(), q.termReady.Seconds())
	} else {
		c7.value = math.NaN()
		c7.figures = "a restarted follower did not get ready (" + q.errText() + ")"
	}
	return []targetCheck{c6, c7}
}
