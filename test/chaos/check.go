//go:build chaos

package chaos

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wharfmq/wharf/test/chaos/checker"
	"github.com/wharfmq/wharf/test/chaos/history"
	"github.com/wharfmq/wharf/test/chaos/workload"
)

// LinCheckTimeout bounds porcupine.
const LinCheckTimeout = 60 * time.Second

// check runs every history check of a segment and records the findings.
func check(sc SegmentConfig, res *SegmentResult, ops []*history.Op, recs []*Record) {
	res.Faults = recs
	res.Queue = checker.CheckQueue(ops, checker.QueueConfig{Visibility: workload.Visibility, Tolerance: 500 * time.Millisecond})
	for _, f := range res.Queue.Findings {
		if f.Class != checker.Note {
			res.Violations = append(res.Violations, f)
		}
	}
	if sc.Publishers > 0 {
		res.Fanout = checker.CheckFanout(ops)
		res.Violations = append(res.Violations, res.Fanout.Findings...)
	}
	if sc.FifoProducers > 0 {
		res.Fifo = checker.CheckFifo(ops, checker.QueueConfig{Visibility: workload.Visibility, Tolerance: 500 * time.Millisecond})
		for _, f := range res.Fifo.Findings {
			if f.Class != checker.Note {
				res.Violations = append(res.Violations, f)
			}
		}
	}
	var windows []checker.FaultWindow
	for _, r := range recs {
		if r.Err != "" && r.Start == 0 {
			continue
		}
		windows = append(windows, checker.FaultWindow{ID: r.ID, Kind: string(r.Kind), Start: r.Start, End: r.End,
			Horizon: r.Horizon, MajorityUp: r.MajorityUp, Cut: r.Cut})
		if r.SnapshotInstalled != nil && !*r.SnapshotInstalled {
			res.violate(ClassNoSnapshot, fmt.Sprintf("fault %d: the restarted follower did not catch up by snapshot install", r.ID), r.Notes...)
		}
	}
	avs, avFindings := checker.CheckAvailability(ops, windows, sc.MaxUnavailable)
	res.Availability = avs
	res.Violations = append(res.Violations, avFindings...)
	res.MaxUnavailable = checker.MaxUnavailable(res.Availability)
	res.Violations = append(res.Violations, checker.CheckCutAcks(ops, windows)...)
	if sc.LinClients > 0 {
		res.Lin = checker.CheckLinearizable(ops, LinCheckTimeout, filepath.Join(sc.Dir, "linearizability.html"))
		for _, f := range res.Lin.Findings {
			if f.Class == checker.Note {
				res.Notes = append(res.Notes, f.Summary)
			} else {
				res.Violations = append(res.Violations, f)
			}
		}
	}
}

// writeFaults writes the fault records as JSONL.
func writeFaults(path string, recs []*Record) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, r := range recs {
		enc.Encode(r)
	}
	return f.Close()
}
