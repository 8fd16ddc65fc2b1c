//go:build chaos

package checker

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// LinResult is the outcome of the linearizability check.
type LinResult struct {
	Ops      int    `json:"ops"`
	Unknown  int    `json:"unknown"`
	Result   string `json:"result"` // Ok, Illegal or Unknown (timed out)
	HTMLPath string `json:"html,omitempty"`
	Findings []Finding
}

// LinID parses the ID of a lin body "l<client>-<n>": the body itself is
// kept in Op.Body; IDs are assigned by the history converter.
type linIDs map[string]int

func (m linIDs) id(body string) int {
	if id, ok := m[body]; ok {
		return id
	}
	id := len(m)
	m[body] = id
	return id
}

// LinOperations converts the linearizability sub-workload of a history to
// porcupine operations. An unknown outcome never returns: its return time
// is after everything else. Each unknown retires its client: the client's
// next call gets a fresh client ID (one outstanding call per client ID).
func LinOperations(ops []*history.Op) []porcupine.Operation {
	ids := linIDs{}
	clientOf := map[string]int{}
	nextClient := 0
	var out []porcupine.Operation
	for _, op := range ops {
		if op.Kind != history.LinSend && op.Kind != history.LinReceive && op.Kind != history.LinDelete {
			continue
		}
		c, ok := clientOf[op.Process]
		if !ok {
			c = nextClient
			nextClient++
			clientOf[op.Process] = c
		}
		in := LinInput{Kind: op.Kind, ID: -1}
		outp := LinOutput{Outcome: op.Outcome, ID: -1}
		switch op.Kind {
		case history.LinSend, history.LinDelete:
			in.ID = ids.id(op.Body)
		case history.LinReceive:
			if op.Outcome == history.OK && len(op.Messages) > 0 {
				outp.ID = ids.id(op.Messages[0].Body)
			}
		}
		ret := int64(op.Complete)
		if op.Outcome == history.Unknown && op.NotApplied {
			outp.Outcome = history.Fail // held to "nothing was applied"
		} else if op.Outcome == history.Unknown {
			ret = math.MaxInt64
			delete(clientOf, op.Process)
		}
		out = append(out, porcupine.Operation{ClientId: c, Input: in, Call: int64(op.Invoke), Output: outp, Return: ret,
			Metadata: fmt.Sprintf("op %d %s on %s", op.ID, op.Process, op.Node)})
	}
	return out
}

// CheckLinearizable runs porcupine on the sub-workload, bounded by
// timeout. On an illegal history it writes porcupine's visualization to
// htmlPath (when set).
func CheckLinearizable(ops []*history.Op, timeout time.Duration, htmlPath string) LinResult {
	pops := LinOperations(ops)
	res := LinResult{Ops: len(pops)}
	for _, p := range pops {
		if p.Return == math.MaxInt64 {
			res.Unknown++
		}
	}
	model := QueueModel()
	type outcome struct {
		r    porcupine.CheckResult
		info porcupine.LinearizationInfo
	}
	done := make(chan outcome, 1)
	go func() {
		r, info := porcupine.CheckOperationsVerbose(model, pops, timeout)
		done <- outcome{r, info}
	}()
	var r porcupine.CheckResult = porcupine.Unknown
	var info porcupine.LinearizationInfo
	select {
	case o := <-done:
		r, info = o.r, o.info
	case <-time.After(timeout + 15*time.Second):
		// porcupine overran its own timeout: give up on this history.
	}
	switch r {
	case porcupine.Ok:
		res.Result = "Ok"
	case porcupine.Illegal:
		res.Result = "Illegal"
		f := Finding{Class: NotLinear, Summary: "the queue sub-workload is not linearizable"}
		if htmlPath != "" {
			if err := porcupine.VisualizePath(model, info, htmlPath); err == nil {
				res.HTMLPath = htmlPath
				f.Evidence = append(f.Evidence, "porcupine visualization: "+htmlPath)
			} else {
				f.Evidence = append(f.Evidence, "visualization failed: "+err.Error())
			}
		}
		f.Evidence = append(f.Evidence, longestPartial(info, pops)...)
		res.Findings = append(res.Findings, f)
	default:
		res.Result = "Unknown"
		res.Findings = append(res.Findings, Finding{Class: Note,
			Summary: fmt.Sprintf("porcupine did not finish within %s (%d ops, %d unknown): linearizability not decided", timeout, res.Ops, res.Unknown)})
	}
	return res
}

// longestPartial describes where the longest partial linearization got
// stuck: the operations it linearized last.
func longestPartial(info porcupine.LinearizationInfo, pops []porcupine.Operation) []string {
	var best []porcupine.Operation
	for _, part := range info.PartialLinearizationsOperations() {
		for _, lin := range part {
			if len(lin) > len(best) {
				best = lin
			}
		}
	}
	if len(best) == 0 {
		return nil
	}
	var lines []string
	model := QueueModel()
	from := max(0, len(best)-8)
	lines = append(lines, fmt.Sprintf("longest partial linearization: %d of %d ops; its last ones:", len(best), len(pops)))
	for _, op := range best[from:] {
		lines = append(lines, fmt.Sprintf("  %s  [%s]", model.DescribeOperation(op.Input, op.Output), op.Metadata))
	}
	return lines
}

// LinBody is the body of lin message n of client c.
func LinBody(client, n int) string { return "l" + strconv.Itoa(client) + "-" + strconv.Itoa(n) }

// IsLinBody reports whether body belongs to the lin sub-workload.
func IsLinBody(body string) bool { return strings.HasPrefix(body, "l") }
