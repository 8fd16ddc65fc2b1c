package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"github.com/wharfmq/wharf/fsm"
)

// raftFSM adapts fsm.FSM to raft.FSM.
type raftFSM struct {
	f *fsm.FSM
	m *metrics
}

func (r raftFSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	return r.f.Apply(l.Index, l.Data)
}

func (r raftFSM) Snapshot() (raft.FSMSnapshot, error) { return fsmSnapshot{r.f.Snapshot(), r.m}, nil }

func (r raftFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	return r.f.Restore(rc)
}

type fsmSnapshot struct {
	s *fsm.Snapshot
	m *metrics
}

func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	defer s.m.observeSnapshot(time.Now())
	if err := s.s.Persist(sink); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s fsmSnapshot) Release() {}

// raftParts is what openRaft builds; close releases the stores.
type raftParts struct {
	raft  *raft.Raft
	store *raftboltdb.BoltStore
	trans *raft.NetworkTransport
	// streams is the raft port's listener, shared by raft and the
	// command RPC (streams.go); trans closes it.
	streams *streamLayer
}

func (p *raftParts) close() {
	if p.trans != nil {
		p.trans.Close()
	} else if p.streams != nil {
		p.streams.Close()
	}
	if p.store != nil {
		p.store.Close()
	}
}

// logCacheEntries is how many recent log entries each node keeps in memory.
const logCacheEntries = 128

// openRaft opens the stores under the data dir and starts raft. The log
// store fsyncs every write (raft-boltdb's default): nothing is
// acknowledged before it is on disk on a majority.
func openRaft(cfg *Config, f *fsm.FSM, m *metrics, advertiseRaft string, notify chan bool) (*raftParts, error) {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.HeartbeatTimeout = cfg.HeartbeatTimeout
	rc.ElectionTimeout = cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = cfg.LeaderLeaseTimeout
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	rc.TrailingLogs = cfg.TrailingLogs
	rc.SnapshotInterval = cfg.SnapshotInterval
	rc.MaxAppendEntries = 512
	rc.ShutdownOnRemove = false
	rc.NotifyCh = notify
	// raft logs through hclog: warnings and errors, or everything when the
	// node's logger is at debug level.
	level := hclog.Warn
	if cfg.Logger.Enabled(context.Background(), slog.LevelDebug) {
		level = hclog.Debug
	}
	rc.Logger = hclog.New(&hclog.LoggerOptions{
		Name:   "raft " + cfg.NodeID,
		Level:  level,
		Output: os.Stderr,
	})

	p := &raftParts{}
	// The freelist is rebuilt on open instead of written on every commit:
	// one page less to write per fsync (as Consul and Vault do).
	store, err := raftboltdb.New(raftboltdb.Options{
		Path:        filepath.Join(cfg.DataDir, "raft.db"),
		BoltOptions: &bbolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType},
	})
	if err != nil {
		return nil, fmt.Errorf("node: open raft log: %w", err)
	}
	p.store = store
	snaps, err := raft.NewFileSnapshotStoreWithLogger(filepath.Join(cfg.DataDir, "snapshots"), 2, rc.Logger)
	if err != nil {
		p.close()
		return nil, fmt.Errorf("node: open snapshots: %w", err)
	}
	addr, err := net.ResolveTCPAddr("tcp", advertiseRaft)
	if err != nil {
		p.close()
		return nil, fmt.Errorf("node: raft address: %w", err)
	}
	// The raft port also carries the command RPC (streams.go).
	streams, err := newStreamLayer(cfg.RaftAddr, addr, cfg.Logger.With("node", cfg.NodeID))
	if err != nil {
		p.close()
		return nil, fmt.Errorf("node: raft transport: %w", err)
	}
	p.streams = streams
	// Keep few idle connections per peer: a pooled connection to a peer
	// that restarted is dead, and every election RPC that draws one fails
	// (EOF) and costs a whole election timeout. With 5 pooled, a chaos soak
	// saw five failed elections in a row (6.4 s without writes).
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: streams, MaxPool: 2, Timeout: 10 * time.Second, Logger: rc.Logger,
	})
	p.trans = trans
	var logs raft.LogStore = store
	if cfg.wrapLogStore != nil {
		logs = cfg.wrapLogStore(store)
	}
	// Snapshot by log bytes as well as entries, and compact in chunks that
	// let log writes in between (logstore.go).
	sized := newSizedLogStore(logs, cfg.SnapshotLogBytes, cfg.Logger)
	logs = sized
	// Replication reads back what was just written: serve the recent
	// entries from memory instead of bolt (and a msgpack decode). Entries
	// are batches of up to 512 KiB, and a follower in step is an entry or
	// two behind, so the cache is kept short: 1024 entries held a third of
	// a 1M-message backlog's bytes a second time.
	if logs, err = raft.NewLogCache(logCacheEntries, logs); err != nil {
		p.close()
		return nil, err
	}
	r, err := raft.NewRaft(rc, raftFSM{f, m}, logs, store, snaps, trans)
	if err != nil {
		p.close()
		return nil, fmt.Errorf("node: start raft: %w", err)
	}
	sized.attach(r)
	p.raft = r
	return p, nil
}

// hasState reports whether this node's raft has any state (it was
// bootstrapped or has joined a cluster before).
func (n *Node) hasState() bool {
	return n.raft.LastIndex() > 0
}
