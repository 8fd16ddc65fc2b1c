//go:build chaos

package chaos

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharfmq/wharf/test/chaos/checker"
)

// Report is the outcome of a chaos run.
type Report struct {
	Seed     uint64           `json:"seed"`
	Mode     string           `json:"mode"`
	Started  time.Time        `json:"started"`
	Segments []*SegmentResult `json:"segments"`
	Notes    []string         `json:"notes,omitempty"`
}

// Totals are the figures of the final line.
type Totals struct {
	Faults, Acked, Lost, Phantom, UnexplainedDup, Violations int
	// FifoOrder counts FIFO order and group lock violations (in
	// Violations, not on the final line).
	FifoOrder      int
	MaxUnavailable time.Duration
}

// Totals sums the segments. Resurrections count as unexplained
// duplicates in the final line (they are listed apart in the report).
func (r *Report) Totals() Totals {
	var t Totals
	for _, s := range r.Segments {
		for _, f := range s.Faults {
			if f.Err == "" {
				t.Faults++
			}
		}
		if s.Queue != nil {
			t.Acked += s.Queue.Acked
		}
		if s.Fanout != nil {
			t.Acked += s.Fanout.Acked
		}
		if s.Fifo != nil {
			t.Acked += s.Fifo.Acked
		}
		for _, v := range s.Violations {
			switch v.Class {
			case checker.Lost:
				t.Lost++
			case checker.Phantom:
				t.Phantom++
			case checker.UnexplainedDup, checker.Resurrection:
				t.UnexplainedDup++
			case checker.OutOfOrder, checker.GroupLock:
				t.FifoOrder++
			}
		}
		t.Violations += len(s.Violations)
		t.MaxUnavailable = max(t.MaxUnavailable, s.MaxUnavailable)
	}
	if len(r.Segments) == 0 {
		t.Violations++
	}
	return t
}

// Failed reports whether the run found any violation (or ran nothing).
func (r *Report) Failed() bool { return r.Totals().Violations > 0 }

// FinalLine is the one line every run ends with.
func (r *Report) FinalLine() string {
	t := r.Totals()
	return fmt.Sprintf("chaos: seed=%d faults=%d acked=%d lost=%d phantom=%d unexplained_dup=%d max_unavailable=%.1fs",
		r.Seed, t.Faults, t.Acked, t.Lost, t.Phantom, t.UnexplainedDup, t.MaxUnavailable.Seconds())
}

// Write writes report.json and report.md into dir.
func (r *Report) Write(dir string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.Markdown()), 0o644)
}

// Markdown renders the report for people.
func (r *Report) Markdown() string {
	var b strings.Builder
	t := r.Totals()
	fmt.Fprintf(&b, "# Wharf chaos report (%s, seed %d)\n\nstarted %s\n\n", r.Mode, r.Seed, r.Started.Format(time.RFC3339))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- note: %s\n", n)
	}
	fmt.Fprintf(&b, "\n**%d violation(s)**\n\n", t.Violations)
	for _, s := range r.Segments {
		fmt.Fprintf(&b, "## %s (%s, %s)\n\n", s.Name, s.Backend, s.Duration.Round(time.Second))
		if q := s.Queue; q != nil {
			fmt.Fprintf(&b, "- sends attempted %d, acked %d, distinct received %d, redeliveries %d (explained %d)\n",
				q.Attempted, q.Acked, q.Received, q.Dups, q.Explained)
		}
		if f := s.Fanout; f != nil {
			fmt.Fprintf(&b, "- SNS publishes attempted %d, acked %d, distinct delivered to the subscribed queue %d\n", f.Attempted, f.Acked, f.Received)
		}
		if f := s.Fifo; f != nil {
			fmt.Fprintf(&b, "- FIFO sends: %d bodies in %d groups (%d calls, %d resends after an unknown outcome), acked %d, distinct received %d, redeliveries %d (explained %d), out of order %d, group lock broken %d\n",
				f.Attempted, f.Groups, f.Calls, f.Resends, f.Acked, f.Received, f.Dups, f.Explained,
				countClass(f.Findings, checker.OutOfOrder), countClass(f.Findings, checker.GroupLock))
		}
		if s.Lin.Result != "" {
			fmt.Fprintf(&b, "- linearizability: %s (%d ops, %d unknown)\n", s.Lin.Result, s.Lin.Ops, s.Lin.Unknown)
		}
		fmt.Fprintf(&b, "- max write unavailability with a majority up: %.2fs\n", s.MaxUnavailable.Seconds())
		for _, n := range s.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		fmt.Fprintf(&b, "\n| # | fault | leader | targets | start | healed | ready | recover | max gap | notes |\n|---|---|---|---|---|---|---|---|---|---|\n")
		av := map[int]checker.Availability{}
		for _, a := range s.Availability {
			av[a.FaultID] = a
		}
		for _, f := range s.Faults {
			a := av[f.ID]
			notes := strings.Join(f.Notes, "; ")
			if f.SnapshotInstalled != nil {
				notes = fmt.Sprintf("snapshot installed: %v; %s", *f.SnapshotInstalled, notes)
			}
			if f.Err != "" {
				notes = "ERROR " + f.Err + "; " + notes
			}
			gap := fmt.Sprintf("%.2fs", a.MaxGap.Seconds())
			if !f.MajorityUp {
				gap += " (majority down)"
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %.1fs | %.1fs | %.1fs | %.2fs | %s | %s |\n", f.ID, f.Kind, f.Leader,
				strings.Join(f.Targets, ","), f.Start.Seconds(), f.End.Seconds(), f.Recovered.Seconds(), a.Recover.Seconds(), gap, notes)
		}
		if len(s.Violations) > 0 {
			fmt.Fprintf(&b, "\n### violations\n\n```\n")
			for i, v := range s.Violations {
				if i == 50 {
					fmt.Fprintf(&b, "... and %d more (report.json)\n", len(s.Violations)-50)
					break
				}
				fmt.Fprintln(&b, v.String())
			}
			fmt.Fprintf(&b, "```\n")
		}
		b.WriteString("\n")
	}
	b.WriteString(r.FinalLine() + "\n")
	return b.String()
}

// countClass counts the findings of class c.
func countClass(fs []checker.Finding, c checker.Class) int {
	n := 0
	for _, f := range fs {
		if f.Class == c {
			n++
		}
	}
	return n
}
