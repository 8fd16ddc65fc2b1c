package main

// The bare raft reference: three hashicorp/raft nodes in one process, with
// the same engine, log store and settings Wharf runs on, and a trivial
// state machine. The leader applies one entry per operation.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
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
	// CPUSeconds is the CPU the process (all three nodes) used in the run.
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
func newRefNode(dir, id string) (*refNode, error) {
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
	trans, err := raft.NewTCPTransportWithLogger("127.0.0.1:0", nil, 2, 10*time.Second, logger)
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

// startRefCluster starts three nodes under dir, bootstraps them as one
// cluster and returns them with the leader first.
func startRefCluster(ctx context.Context, dir string) ([]*refNode, error) {
	var nodes []*refNode
	var conf raft.Configuration
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("r%d", i)
		n, err := newRefNode(filepath.Join(dir, id), id)
		if err != nil {
			closeRefNodes(nodes)
			return nil, fmt.Errorf("raft reference node %s: %w", id, err)
		}
		nodes = append(nodes, n)
		conf.Servers = append(conf.Servers, raft.Server{ID: raft.ServerID(id), Address: n.trans.LocalAddr()})
	}
	for _, n := range nodes {
		if err := n.raft.BootstrapCluster(conf).Error(); err != nil {
			closeRefNodes(nodes)
			return nil, fmt.Errorf("bootstrap the raft reference: %w", err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		for i, n := range nodes {
			if n.raft.State() == raft.Leader {
				nodes[0], nodes[i] = nodes[i], nodes[0]
				return nodes, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			closeRefNodes(nodes)
			return nil, errors.New("the raft reference elected no leader")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func closeRefNodes(nodes []*refNode) {
	for _, n := range nodes {
		n.close()
	}
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
	nodes, err := startRefCluster(ctx, o.dir)
	if err != nil {
		return err
	}
	defer closeRefNodes(nodes)
	leader := nodes[0].raft
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
			cpu0, _ := procCPU(os.Getpid())
			res, err := runLoad(ctx, loadSpec{workers: w, duration: o.duration}, op)
			if err != nil {
				return err
			}
			cpu1, _ := procCPU(os.Getpid())
			fmt.Fprintf(stderr, "bench: raft %2d in flight, run %d/%d: %.0f msg/s, p50 %.2f ms, p99 %.2f ms, %d errors\n",
				w, r, o.runs, res.MsgsPerSec, res.P50Ms, res.P99Ms, res.Errors)
			if err := enc.Encode(raftRefLine{Workers: w, Run: r, runResult: res, CPUSeconds: (cpu1 - cpu0).Seconds()}); err != nil {
				return err
			}
		}
	}
	return nil
}
