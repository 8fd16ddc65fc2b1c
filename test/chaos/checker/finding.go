//go:build chaos

package checker

import (
	"fmt"
	"time"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// Class is the kind of a finding.
type Class string

// Finding classes. All of them are violations except Note.
const (
	Lost           Class = "lost"
	Phantom        Class = "phantom"
	Resurrection   Class = "resurrection"
	UnexplainedDup Class = "unexplained_dup"
	MinorityAck    Class = "minority_ack"
	Unavailable    Class = "unavailable"
	NotLinear      Class = "not_linearizable"
	Note           Class = "note"
)

// Finding is one violation (or note) with its evidence.
type Finding struct {
	Class    Class    `json:"class"`
	Body     string   `json:"body,omitempty"`
	Summary  string   `json:"summary"`
	Evidence []string `json:"evidence,omitempty"`
}

func (f Finding) String() string {
	s := fmt.Sprintf("[%s] %s", f.Class, f.Summary)
	for _, e := range f.Evidence {
		s += "\n    " + e
	}
	return s
}

// secs formats a history time in seconds.
func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

// describe is one line of evidence about an operation.
func describe(op *history.Op) string {
	s := fmt.Sprintf("op %d %s %s on %s [%s .. %s] %s", op.ID, op.Process, op.Kind, op.Node,
		secs(op.Invoke), secs(op.Complete), op.Outcome)
	if op.Err != "" {
		s += " (" + op.Err + ")"
	}
	return s
}
