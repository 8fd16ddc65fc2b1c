package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wharfmq/wharf/fsm"
)

// fakeSnapshots counts snapshot requests; each waits for release.
type fakeSnapshots struct {
	mu       sync.Mutex
	requests int
	release  chan error
}

type fakeFuture struct{ err error }

func (f fakeFuture) Error() error { return f.err }
func (f fakeFuture) Open() (*raft.SnapshotMeta, io.ReadCloser, error) {
	return nil, nil, f.err
}

func (f *fakeSnapshots) Snapshot() raft.SnapshotFuture {
	f.mu.Lock()
	f.requests++
	f.mu.Unlock()
	return fakeFuture{<-f.release}
}

func (f *fakeSnapshots) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// recordingStore records the ranges deleted from an in-memory log.
type recordingStore struct {
	*raft.InmemStore
	mu      sync.Mutex
	deleted [][2]uint64
}

func (r *recordingStore) DeleteRange(min, max uint64) error {
	r.mu.Lock()
	r.deleted = append(r.deleted, [2]uint64{min, max})
	r.mu.Unlock()
	return r.InmemStore.DeleteRange(min, max)
}

func storeEntries(t *testing.T, s raft.LogStore, from, n uint64, size int) {
	t.Helper()
	var logs []*raft.Log
	for i := from; i < from+n; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: make([]byte, size)})
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
}

// until waits for cond, polling.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitFor(t, 5*time.Second, func() error {
		if cond() {
			return nil
		}
		return fmt.Errorf("waiting for %s", what)
	})
}

// Past the byte budget the store asks for one snapshot, without making
// the writes wait for it, and counts again from what the snapshot covered.
func TestLogStoreSnapshotsByBytes(t *testing.T) {
	snaps := &fakeSnapshots{release: make(chan error)}
	s := newSizedLogStore(raft.NewInmemStore(), 10_000, slog.New(slog.DiscardHandler))
	storeEntries(t, s, 1, 9, 1000) // under the budget, and not attached yet
	s.attach(snaps)
	storeEntries(t, s, 10, 1, 1000) // 10,000 bytes: ask
	until(t, "a snapshot request", func() bool { return snaps.count() == 1 })
	storeEntries(t, s, 11, 20, 1000) // the request is still out: writes go on, no second one
	if n := snaps.count(); n != 1 {
		t.Fatalf("%d snapshot requests while one was out", n)
	}
	snaps.release <- nil
	until(t, "the request to finish", func() bool { return !s.requesting.Load() })
	if got := s.stored.Load(); got != 20_000 {
		t.Fatalf("counted %d bytes after the snapshot, want the 20,000 stored while it ran", got)
	}
	storeEntries(t, s, 31, 1, 1) // still over: ask again
	until(t, "a second request", func() bool { return snaps.count() == 2 })
	snaps.release <- raft.ErrRaftShutdown
}

// A compaction deletes in chunks, oldest first, and restarts the count; a
// suffix goes in one call.
func TestLogStoreDeletesInChunks(t *testing.T) {
	inner := &recordingStore{InmemStore: raft.NewInmemStore()}
	s := newSizedLogStore(inner, 0, slog.New(slog.DiscardHandler))
	storeEntries(t, s, 1, 6000, 10)
	if err := s.DeleteRange(5000, 6000); err != nil { // a follower's conflicting suffix
		t.Fatal(err)
	}
	if err := s.DeleteRange(1, 4500); err != nil { // compaction
		t.Fatal(err)
	}
	want := "[[5000 6000] [1 2048] [2049 4096] [4097 4500]]"
	if got := fmt.Sprint(inner.deleted); got != want {
		t.Fatalf("deleted %s, want %s", got, want)
	}
	if first, _ := s.FirstIndex(); first != 4501 {
		t.Fatalf("first index %d after compaction", first)
	}
	if last, _ := s.LastIndex(); last != 4999 {
		t.Fatalf("last index %d", last)
	}
	if s.stored.Load() != 0 {
		t.Fatalf("count %d after a compaction", s.stored.Load())
	}
}

// A node snapshots once its log grew by SnapshotLogBytes, long before the
// entry threshold, and comes back from that snapshot after a restart.
func TestNodeSnapshotsByLogBytes(t *testing.T) {
	c := newTestCluster(t, 1)
	c.nodes[0].Close()
	c.cfgs[0].SnapshotLogBytes = 64 << 10
	c.start(0)
	n := c.leader()
	ctx := context.Background()
	q := fsm.QueueKey{Region: "us-east-1", Account: "000000000000", Name: "bytes"}
	if err := n.CreateQueue(ctx, fsm.CreateQueue{Queue: q}); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("x", 4096)
	for i := 0; i < 40; i++ { // 160 KiB of bodies in 40 entries
		if _, err := n.SendMessages(ctx, fsm.SendMessages{Queue: q, Entries: []fsm.SendEntry{{Body: body, DelaySeconds: -1}}}); err != nil {
			t.Fatal(err)
		}
	}
	until(t, "a snapshot", func() bool { return n.raft.Stats()["last_snapshot_index"] != "0" })
	n.Close()
	c.start(0)
	n = c.leader()
	waitFor(t, 10*time.Second, func() error {
		v, err := n.GetQueue(ctx, q)
		if err != nil {
			return err
		}
		if got := v.Attributes[fsm.AttrApproximateNumberOfMessages]; got != "40" {
			return fmt.Errorf("%s messages after the restart", got)
		}
		return nil
	})
}
