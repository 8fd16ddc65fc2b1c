package main

// The bare raft reference: three hashicorp/raft nodes, each a process of
// its own as Wharf's nodes are, with the same engine, log store and
// settings Wharf runs on, and a trivial state machine. The leader (this
// process) applies one entry per operation; the two followers are
// `wharf bench ref raft-node` children.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// raftRefOptions are the flags of `wharf bench ref raft`.
type raftRefOptions struct {
	workers  []int
	runs     int
	duration time.Duration
	size     int
	dir      string
}

// raftRefLine is one run of the raft reference: one JSON line on stdout.
type raftRefLine struct {
	Workers int `json:"workers"`
	Run     int `json:"run"`
	runResult
	// CPUSeconds is the CPU the three node processes used in the run.
	CPUSeconds float64 `json:"cpu_s"`
}

// countFSM is the reference's state machine: it counts applied bytes.
type countFSM struct{ bytes atomic.Int64 }

func (f *countFSM) Apply(l *raft.Log) any {
	f.bytes.Add(int64(len(l.Data)))
	return nil
}

func (f *countFSM) Snapshot() (raft.FSMSnapshot, error) { return countSnapshot(f.bytes.Load()), nil }

func (f *countFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var b [8]byte
	if _, err := io.ReadFull(rc, b[:]); err != nil {
		return err
	}
	f.bytes.Store(int64(binary.BigEndian.Uint64(b[:])))
	return nil
}

// countSnapshot is a countFSM snapshot: the count, 8 bytes.
type countSnapshot int64

func (s countSnapshot) Persist(sink raft.SnapshotSink) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(s))
	if _, err := sink.Write(b[:]); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (countSnapshot) Release() {}

// refNode is one raft node of the reference.
type refNode struct {
	raft  *raft.Raft
	store *raftboltdb.BoltStore
	trans *raft.NetworkTransport
}

// newRefNode opens a node under dir, configured as node/raft.go configures
// Wharf's: raft-boltdb with fsync on and the freelist not synced, a log
// cache of 1024, a TCP transport on loopback with a pool of 2, 512
// entries per AppendEntries and Wharf's snapshot thresholds. Timeouts are
// raft's defaults.
func newRefNode(dir, id, addr string) (*refNode, error) {
	logger := hclog.New(&hclog.LoggerOptions{Name: "raft-ref " + id, Level: hclog.Error, Output: os.Stderr})
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	n := &refNode{}
	store, err := raftboltdb.New(raftboltdb.Options{
		Path:        filepath.Join(dir, "raft.db"),
		BoltOptions: &bbolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType},
	})
	if err != nil {
		return nil, err
	}
	n.store = store
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, logger)
	if err != nil {
		n.close()
		return nil, err
	}
	trans, err := raft.NewTCPTransportWithLogger(addr, nil, 2, 10*time.Second, logger)
	if err != nil {
		n.close()
		return nil, err
	}
	n.trans = trans
	logs, err := raft.NewLogCache(1024, store)
	if err != nil {
		n.close()
		return nil, err
	}
	cfg := raft.DefaultConfig()
	cfg.LocalID = raft.ServerID(id)
	cfg.MaxAppendEntries = 512
	cfg.SnapshotThreshold = 32768
	cfg.TrailingLogs = 16384
	cfg.SnapshotInterval = 10 * time.Second
	cfg.Logger = logger
	if n.raft, err = raft.NewRaft(cfg, &countFSM{}, logs, store, snaps, trans); err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

func (n *refNode) close() {
	if n.raft != nil {
		_ = n.raft.Shutdown().Error()
	}
	if n.trans != nil {
		n.trans.Close()
	}
	if n.store != nil {
		n.store.Close()
	}
}

// startRefCluster starts this process's node under dir as a cluster of
// one, then two follower processes, and adds them as voters. It returns
// the leader and the followers' processes.
func startRefCluster(ctx context.Context, dir string, stderr io.Writer) (*refNode, []*benchChild, error) {
	leader, err := newRefNode(filepath.Join(dir, "r1"), "r1", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("raft reference node r1: %w", err)
	}
	conf := raft.Configuration{Servers: []raft.Server{{ID: "r1", Address: leader.trans.LocalAddr()}}}
	if err := leader.raft.BootstrapCluster(conf).Error(); err != nil {
		leader.close()
		return nil, nil, fmt.Errorf("bootstrap the raft reference: %w", err)
	}
	var followers []*benchChild
	fail := func(err error) (*refNode, []*benchChild, error) {
		stopRefFollowers(followers)
		leader.close()
		return nil, nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for leader.raft.State() != raft.Leader {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fail(errors.New("the raft reference elected no leader"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	self, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	for _, id := range []string{"r2", "r3"} {
		out := &lineWriter{lines: make(chan string, 1)}
		c, err := startChild("raft reference "+id, self, []string{"bench", "ref", "raft-node", "--id", id, "--dir", filepath.Join(dir, id)}, out, stderr)
		if err != nil {
			return fail(err)
		}
		followers = append(followers, c)
		var addr string
		select {
		case addr = <-out.lines:
		case <-c.done:
			return fail(fmt.Errorf("raft reference %s exited: %v", id, c.err))
		case <-time.After(30 * time.Second):
			return fail(fmt.Errorf("raft reference %s did not start", id))
		}
		if err := leader.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, 30*time.Second).Error(); err != nil {
			return fail(fmt.Errorf("add %s to the raft reference: %w", id, err))
		}
	}
	return leader, followers, nil
}

// stopRefFollowers kills the follower processes and waits for them.
func stopRefFollowers(followers []*benchChild) {
	for _, c := range followers {
		c.signal(syscall.SIGKILL)
		c.wait(10 * time.Second)
	}
}

// lineWriter hands the first line written to it to lines and drops the
// rest.
type lineWriter struct {
	mu    sync.Mutex
	buf   []byte
	sent  bool
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.sent {
		w.buf = append(w.buf, p...)
		if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
			w.sent = true
			w.lines <- strings.TrimSpace(string(w.buf[:i]))
		}
	}
	return len(p), nil
}

// serveRefFollower runs one follower node of the reference until ctx ends;
// it prints its raft address on the first line of stdout.
func serveRefFollower(ctx context.Context, dir, id string, stdout io.Writer) error {
	n, err := newRefNode(dir, id, "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer n.close()
	fmt.Fprintln(stdout, n.trans.LocalAddr())
	<-ctx.Done()
	return nil
}

// runRaftRef runs the reference: for each worker count, o.runs runs of
// o.duration, each worker applying one o.size-byte entry and waiting for
// it, and prints one raftRefLine per run on stdout.
func runRaftRef(ctx context.Context, o raftRefOptions, stdout, stderr io.Writer) error {
	if o.dir == "" {
		d, err := os.MkdirTemp("", "wharf-bench-raft-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.dir = d
	}
	node, followers, err := startRefCluster(ctx, o.dir, stderr)
	if err != nil {
		return err
	}
	defer stopRefFollowers(followers)
	defer node.close()
	leader := node.raft
	pids := []int{os.Getpid()}
	for _, c := range followers {
		pids = append(pids, c.pid())
	}
	cpu := func() (total time.Duration) {
		for _, pid := range pids {
			d, _ := procCPU(pid)
			total += d
		}
		return total
	}
	payload := []byte(benchBody(o.size))
	op := func(ctx context.Context, _ int, t *tally) {
		t0 := time.Now()
		err := leader.Apply(payload, 10*time.Second).Error()
		if t.request(ctx, 0, t0, err) {
			t.messages(1)
		}
	}
	enc := json.NewEncoder(stdout)
	for _, w := range o.workers {
		for r := 1; r <= o.runs; r++ {
			cpu0 := cpu()
			res, err := runLoad(ctx, loadSpec{workers: w, duration: o.duration}, op)
			if err != nil {
				return err
			}
			cpu1 := cpu()
			fmt.Fprintf(stderr, "bench: raft %2d in flight, run %d/%d: %.0f msg/s, p50 %.2f ms, p99 %.2f ms, %d errors\n",
				w, r, o.runs, res.MsgsPerSec, res.P50Ms, res.P99Ms, res.Errors)
			if err := enc.Encode(raftRefLine{Workers: w, Run: r, runResult: res, CPUSeconds: (cpu1 - cpu0).Seconds()}); err != nil {
				return err
			}
		}
	}
	return nil
}
