package fsm

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"

	"github.com/google/btree"
	"github.com/hashicorp/go-msgpack/v2/codec"
)

// snapshotFormat 2 added the SNS record after the queues, format 3 the
// move tasks after it; older snapshots still restore.
const snapshotFormat = 3

// snapshotHeader opens a snapshot stream.
type snapshotHeader struct {
	Format  int
	Index   uint64
	Now     int64
	Queues  int
	Deleted []tombstone
}

// tombstone remembers a deleted queue's name for a while.
type tombstone struct {
	Queue     QueueKey
	DeletedAt int64
}

// queueRecord precedes a queue's messages in a snapshot.
type queueRecord struct {
	Meta     queueMeta
	Messages int
	// Dedup lists the remembered idempotency keys, by key.
	Dedup []*dedupEntry
	// Attempts lists a FIFO queue's remembered receive attempts, by ID.
	Attempts []*receiveAttempt `codec:",omitempty"`
}

// snsRecord follows the queues in a snapshot: topics sorted by key,
// subscriptions by ARN, outbox entries by ID.
type snsRecord struct {
	Topics []topic
	// TopicDedup holds each FIFO topic's remembered deduplication IDs, by
	// key, in the order of Topics.
	TopicDedup   [][]*dedupEntry
	Subs         []subscription
	Outbox       []*delivery
	OutboxNextID uint64
	Identity     signingIdentity
}

// Snapshot is a consistent, immutable view of the state, taken quickly
// (the message trees are cloned copy-on-write) and written out later while
// applies go on.
type Snapshot struct {
	// Index is the last log index the snapshot includes.
	Index  uint64
	header snapshotHeader
	queues []snapshotQueue
	sns    snsRecord
	outbox *btree.BTreeG[*delivery]
	tasks  []*moveTask
	// topicDedup are the topics' dedup trees, cloned, in the order of
	// sns.Topics (nil for standard topics).
	topicDedup []*btree.BTreeG[*dedupEntry]
}

type snapshotQueue struct {
	meta     queueMeta
	msgs     *btree.BTreeG[*message]
	dedup    *btree.BTreeG[*dedupEntry]
	attempts []*receiveAttempt
}

// Snapshot captures the current state.
func (f *FSM) Snapshot() *Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &Snapshot{Index: f.applied, header: snapshotHeader{Format: snapshotFormat, Index: f.applied, Now: f.now, Queues: len(f.queues)}}
	for k, at := range f.deleted {
		s.header.Deleted = append(s.header.Deleted, tombstone{Queue: k, DeletedAt: at})
	}
	sort.Slice(s.header.Deleted, func(i, j int) bool { return lessKey(s.header.Deleted[i].Queue, s.header.Deleted[j].Queue) })
	for _, q := range f.queues {
		s.queues = append(s.queues, snapshotQueue{meta: q.queueMeta, msgs: q.all.Clone(), dedup: q.dedup.byKey.Clone(), attempts: q.sortedAttempts()})
	}
	sort.Slice(s.queues, func(i, j int) bool { return lessKey(s.queues[i].meta.Key, s.queues[j].meta.Key) })
	for _, k := range f.sortedTopicKeys() {
		t := f.topics[k]
		s.sns.Topics = append(s.sns.Topics, *t)
		var d *btree.BTreeG[*dedupEntry]
		if t.dedup.byKey != nil {
			d = t.dedup.byKey.Clone()
		}
		s.topicDedup = append(s.topicDedup, d)
	}
	for _, sub := range f.subs {
		s.sns.Subs = append(s.sns.Subs, *sub)
	}
	sort.Slice(s.sns.Subs, func(i, j int) bool { return s.sns.Subs[i].ARN < s.sns.Subs[j].ARN })
	s.sns.OutboxNextID = f.outbox.NextID
	s.sns.Identity = f.identity
	s.outbox = f.outbox.byID.Clone()
	s.tasks = append([]*moveTask(nil), f.moveTasks...)
	return s
}

// Persist streams the snapshot: a header, then each queue (sorted by key)
// followed by its messages in sequence order. The same state always gives
// the same bytes.
func (s *Snapshot) Persist(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := codec.NewEncoder(bw, msgpackHandle)
	if err := enc.Encode(&s.header); err != nil {
		return err
	}
	for _, q := range s.queues {
		rec := queueRecord{Meta: q.meta, Messages: q.msgs.Len(), Attempts: q.attempts}
		q.dedup.Ascend(func(e *dedupEntry) bool {
			rec.Dedup = append(rec.Dedup, e)
			return true
		})
		if err := enc.Encode(&rec); err != nil {
			return err
		}
		var err error
		q.msgs.Ascend(func(m *message) bool {
			err = enc.Encode(m)
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	rec := s.sns
	rec.TopicDedup = make([][]*dedupEntry, len(s.topicDedup))
	for i, d := range s.topicDedup {
		if d != nil {
			d.Ascend(func(e *dedupEntry) bool {
				rec.TopicDedup[i] = append(rec.TopicDedup[i], e)
				return true
			})
		}
	}
	rec.Outbox = make([]*delivery, 0, s.outbox.Len())
	s.outbox.Ascend(func(d *delivery) bool {
		rec.Outbox = append(rec.Outbox, d)
		return true
	})
	if err := enc.Encode(&rec); err != nil {
		return err
	}
	if err := enc.Encode(&s.tasks); err != nil {
		return err
	}
	return bw.Flush()
}

// Restore replaces the whole state with the one read from r. Nothing of
// the old state survives; long polls are woken to look again.
func (f *FSM) Restore(r io.Reader) error {
	dec := codec.NewDecoder(bufio.NewReaderSize(r, 1<<16), msgpackHandle)
	var h snapshotHeader
	if err := dec.Decode(&h); err != nil {
		return fmt.Errorf("fsm: snapshot header: %w", err)
	}
	if h.Format < 1 || h.Format > snapshotFormat {
		return fmt.Errorf("fsm: unknown snapshot format %d", h.Format)
	}
	queues := make(map[QueueKey]*queue, h.Queues)
	for i := 0; i < h.Queues; i++ {
		var rec queueRecord
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("fsm: snapshot queue: %w", err)
		}
		q := newQueue(rec.Meta)
		for _, e := range rec.Dedup {
			q.dedup.remember(e)
		}
		for _, a := range rec.Attempts {
			q.attempts[a.ID] = a
		}
		for j := 0; j < rec.Messages; j++ {
			m := new(message)
			if err := dec.Decode(m); err != nil {
				return fmt.Errorf("fsm: snapshot message: %w", err)
			}
			q.insert(m, h.Now)
		}
		queues[rec.Meta.Key] = q
	}
	deleted := make(map[QueueKey]int64, len(h.Deleted))
	for _, t := range h.Deleted {
		deleted[t.Queue] = t.DeletedAt
	}
	var rec snsRecord
	if h.Format >= 2 {
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("fsm: snapshot SNS state: %w", err)
		}
	}
	var tasks []*moveTask
	if h.Format >= 3 {
		if err := dec.Decode(&tasks); err != nil {
			return fmt.Errorf("fsm: snapshot move tasks: %w", err)
		}
	}
	topics := make(map[TopicKey]*topic, len(rec.Topics))
	for i := range rec.Topics {
		t := &rec.Topics[i]
		t.dedup = newDedupTable()
		if i < len(rec.TopicDedup) {
			for _, e := range rec.TopicDedup[i] {
				t.dedup.remember(e)
			}
		}
		topics[t.Key] = t
	}
	subs := make(map[string]*subscription, len(rec.Subs))
	for i := range rec.Subs {
		sub := &rec.Subs[i]
		sub.filter, _ = checkSubscriptionAttributes(sub.Protocol, sub.Attributes, false)
		subs[sub.ARN] = sub
	}
	box := newOutbox()
	if rec.OutboxNextID > 0 {
		box.NextID = rec.OutboxNextID
	}
	for _, d := range rec.Outbox {
		box.put(d)
	}
	f.mu.Lock()
	f.now = h.Now
	f.applied = h.Index
	f.queues = queues
	f.deleted = deleted
	f.topics = topics
	f.subs = subs
	f.outbox = box
	f.identity = rec.Identity
	f.moveTasks = tasks
	f.mu.Unlock()
	f.notifyAll()
	return nil
}

// StateHash is a SHA-256 of the snapshot encoding of the state: replicas
// at the same applied index must report the same hash.
func (f *FSM) StateHash() (index uint64, hash string) {
	s := f.Snapshot()
	h := sha256.New()
	if err := s.Persist(h); err != nil {
		return s.Index, ""
	}
	return s.Index, hex.EncodeToString(h.Sum(nil))
}
