package node

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// logDeleteChunk is how many entries one transaction of a log compaction
// deletes: raft compacts tens of thousands of entries at once, and one
// bolt transaction that long would hold up every StoreLogs behind it.
const logDeleteChunk = 2048

// snapshotRetryDelay is how long a failed snapshot request waits before
// the next one may be made.
const snapshotRetryDelay = time.Second

// snapshotter is the part of *raft.Raft the log store asks for snapshots.
type snapshotter interface {
	Snapshot() raft.SnapshotFuture
}

// sizedLogStore wraps raft's log store for two things raft does not do.
//
// Snapshots by bytes: raft snapshots by entry count only, but an entry is
// a batch of commands and may be large, so a count says little about how
// long a restart replays. The store counts the bytes stored since the
// last snapshot and, past a budget, asks raft for one (from a goroutine of
// its own: StoreLogs never waits for it).
//
// Compaction in chunks: raft deletes the entries a snapshot covers with
// one DeleteRange; the store deletes them logDeleteChunk at a time, so the
// log writes of the leader loop (StoreLogs) get the database between
// chunks. Only a prefix of the log is deleted in chunks, oldest first, so
// a crash between chunks still leaves a contiguous log; a suffix (a
// follower dropping conflicting entries) goes in one transaction, as raft
// expects.
type sizedLogStore struct {
	raft.LogStore
	budget int64
	logger *slog.Logger

	// stored counts the entry bytes stored since the last snapshot.
	stored atomic.Int64
	// requesting is set while a snapshot request is out.
	requesting atomic.Bool
	raft       atomic.Pointer[snapshotter]

	// deleteMu keeps two compactions from interleaving their chunks.
	deleteMu sync.Mutex
}

// newSizedLogStore wraps inner; budget is the log bytes that make a
// snapshot (0 or less: never by bytes).
func newSizedLogStore(inner raft.LogStore, budget int64, logger *slog.Logger) *sizedLogStore {
	return &sizedLogStore{LogStore: inner, budget: budget, logger: logger}
}

// attach names the raft to ask for snapshots; until then none is asked.
func (s *sizedLogStore) attach(r snapshotter) { s.raft.Store(&r) }

// StoreLog stores one entry.
func (s *sizedLogStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

// StoreLogs stores entries and counts their bytes.
func (s *sizedLogStore) StoreLogs(logs []*raft.Log) error {
	if err := s.LogStore.StoreLogs(logs); err != nil {
		return err
	}
	var n int64
	for _, l := range logs {
		n += int64(len(l.Data) + len(l.Extensions))
	}
	if total := s.stored.Add(n); s.budget > 0 && total >= s.budget {
		s.requestSnapshot(total)
	}
	return nil
}

// requestSnapshot asks raft for a snapshot unless a request is out.
func (s *sizedLogStore) requestSnapshot(total int64) {
	p := s.raft.Load()
	if p == nil || !s.requesting.CompareAndSwap(false, true) {
		return
	}
	go func() {
		s.logger.Info("snapshot: log bytes since the last one over the budget", "bytes", total, "budget", s.budget)
		err := (*p).Snapshot().Error()
		switch {
		case err == nil, errors.Is(err, raft.ErrNothingNewToSnapshot):
			// What was counted when asking is in the snapshot (or in an
			// earlier one); what came since may not be.
			s.discount(total)
		case errors.Is(err, raft.ErrRaftShutdown):
		default:
			s.logger.Warn("snapshot by log bytes failed", "err", err)
			time.Sleep(snapshotRetryDelay)
		}
		s.requesting.Store(false)
	}()
}

// discount subtracts n bytes from the count, not going below zero (a
// compaction may have reset it meanwhile).
func (s *sizedLogStore) discount(n int64) {
	for {
		old := s.stored.Load()
		if s.stored.CompareAndSwap(old, max(old-n, 0)) {
			return
		}
	}
}

// DeleteRange deletes entries min to max. Deleting from the first entry
// is a compaction after a snapshot: it goes in chunks, and the byte count
// starts over (the snapshot covers what was counted, up to the entries
// stored while it was taken).
func (s *sizedLogStore) DeleteRange(min, max uint64) error {
	if first, err := s.LogStore.FirstIndex(); err != nil || min > first || min > max {
		return s.LogStore.DeleteRange(min, max)
	}
	s.deleteMu.Lock()
	defer s.deleteMu.Unlock()
	for lo := min; ; lo += logDeleteChunk {
		hi := max
		if max-lo >= logDeleteChunk {
			hi = lo + logDeleteChunk - 1
		}
		if err := s.LogStore.DeleteRange(lo, hi); err != nil {
			return err
		}
		if hi == max {
			break
		}
	}
	s.stored.Store(0)
	return nil
}
