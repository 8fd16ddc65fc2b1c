//go:build chaos

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wharfmq/wharf/test/chaos/cluster"
)

// CompactTimeout bounds the wait for the leader to compact its log past a
// stopped follower (raft checks the threshold every 10-20 s).
const CompactTimeout = 60 * time.Second

// latestSnapshotIndex reads the highest snapshot index in a data dir
// (hashicorp/raft's FileSnapshotStore: snapshots/<id>/meta.json).
func latestSnapshotIndex(dataDir string) uint64 {
	// The node opens its store at <data>/snapshots; the store keeps its
	// snapshots in a "snapshots" directory below that.
	dirs, _ := filepath.Glob(filepath.Join(dataDir, "snapshots", "*", "meta.json"))
	more, _ := filepath.Glob(filepath.Join(dataDir, "snapshots", "snapshots", "*", "meta.json"))
	dirs = append(dirs, more...)
	var best uint64
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var meta struct{ Index uint64 }
		if json.Unmarshal(b, &meta) == nil && meta.Index > best {
			best = meta.Index
		}
	}
	return best
}

// snapshotCatchup stops follower f, waits while the workload writes until
// the leader has compacted its log beyond what f holds, restarts f and
// checks that f caught up by installing the leader's snapshot.
func (n *Nemesis) snapshotCatchup(ctx context.Context, rec *Record, leader, f string) error {
	st, err := cluster.GetStatus(ctx, n.cl, f)
	if err != nil {
		return fmt.Errorf("status of %s: %w", f, err)
	}
	last := max(st.CommitIndex, st.AppliedIndex)
	if err := n.kill(rec, f); err != nil {
		return err
	}
	need := last + n.trailingLogs + 1
	deadline := time.Now().Add(CompactTimeout)
	var snap uint64
	for {
		snap = latestSnapshotIndex(n.cl.DataDir(leader))
		if snap > need {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			rec.Notes = append(rec.Notes, fmt.Sprintf("leader %s compacted only to snapshot %d (follower had %d, trailing logs %d): install not forced", leader, snap, last, n.trailingLogs))
			break
		}
		sleepCtx(ctx, 250*time.Millisecond)
	}
	rec.End = n.clock.Now()
	if err := n.cl.Start(ctx, f); err != nil {
		return err
	}
	if err := cluster.WaitReady(ctx, n.cl, []string{f}, RecoverTimeout); err != nil {
		return err
	}
	got := latestSnapshotIndex(n.cl.DataDir(f))
	ok := snap > need && got >= snap
	rec.SnapshotInstalled = &ok
	rec.Notes = append(rec.Notes, fmt.Sprintf("follower %s had index %d; leader snapshot %d; follower's latest snapshot after catch-up %d", f, last, snap, got))
	return nil
}
