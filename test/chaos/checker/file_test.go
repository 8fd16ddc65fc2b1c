//go:build chaos

package checker

import (
	"os"
	"testing"
	"time"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// TestHistoryFile re-checks a recorded history.jsonl when CHAOS_HISTORY
// names one (CHAOS_HTML: where to write porcupine's visualization).
func TestHistoryFile(t *testing.T) {
	path := os.Getenv("CHAOS_HISTORY")
	if path == "" {
		t.Skip("set CHAOS_HISTORY to a history.jsonl")
	}
	ops, err := history.ReadJSONL(path)
	if err != nil {
		t.Fatal(err)
	}
	q := CheckQueue(ops, QueueConfig{Visibility: 8 * time.Second, Tolerance: 500 * time.Millisecond})
	t.Logf("queue: attempted %d acked %d received %d dups %d explained %d", q.Attempted, q.Acked, q.Received, q.Dups, q.Explained)
	for _, f := range q.Findings {
		t.Errorf("%s", f)
	}
	fr := CheckFifo(ops, QueueConfig{Visibility: 8 * time.Second, Tolerance: 500 * time.Millisecond})
	t.Logf("fifo: bodies %d (calls %d, resends %d) acked %d received %d groups %d dups %d explained %d",
		fr.Attempted, fr.Calls, fr.Resends, fr.Acked, fr.Received, fr.Groups, fr.Dups, fr.Explained)
	for _, f := range fr.Findings {
		t.Errorf("%s", f)
	}
	start := time.Now()
	lr := CheckLinearizable(ops, 2*time.Minute, os.Getenv("CHAOS_HTML"))
	t.Logf("lin: %s (%d ops, %d unknown) in %s", lr.Result, lr.Ops, lr.Unknown, time.Since(start))
	for _, f := range lr.Findings {
		t.Errorf("%s", f)
	}
}
