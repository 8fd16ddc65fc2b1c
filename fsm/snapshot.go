package fsm

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"

	"github.com/google/btree"
)

// snapshotFormat is the format Persist writes. Formats 1-3 were msgpack
// throughout (2 added the SNS record after the queues, 3 the move tasks
// after it); they still restore (snapshot_legacy.go). Format 4 opens with
// snapshotMagic and writes messages and dedup entries in a compact binary
// form (snapshot_binary.go): a million messages restore in about a second.
const snapshotFormat = 4

// snapshotMagic opens a binary snapshot. A msgpack snapshot opens with a
// map, never with these bytes ('W' is a msgpack integer).
var snapshotMagic = []byte("WSNP")

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

// queueHead precedes a queue's dedup entries and messages in a binary
// snapshot.
type queueHead struct {
	Meta     queueMeta
	Messages int
	Dedup    int
	// Attempts lists a FIFO queue's remembered receive attempts, by ID.
	Attempts []*receiveAttempt `codec:",omitempty"`
}

// snsRecord follows the queues in a snapshot: topics sorted by key,
// subscriptions by ARN, outbox entries by ID.
type snsRecord struct {
	Topics []topic
	// TopicDedup holds each FIFO topic's remembered deduplication IDs (by
	// key in formats 1-3), in the order of Topics. A binary snapshot writes them after the
	// record instead (the field is empty there).
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
		s.queues = append(s.queues, snapshotQueue{meta: q.queueMeta, msgs: q.all.Clone(), dedup: q.dedup.snapshot(), attempts: q.sortedAttempts()})
	}
	sort.Slice(s.queues, func(i, j int) bool { return lessKey(s.queues[i].meta.Key, s.queues[j].meta.Key) })
	for _, k := range f.sortedTopicKeys() {
		t := f.topics[k]
		s.sns.Topics = append(s.sns.Topics, *t)
		var d *btree.BTreeG[*dedupEntry]
		if t.dedup.byExpiry != nil {
			d = t.dedup.snapshot()
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

// Persist streams the snapshot in format 4: the magic and format number,
// the header, then each queue (sorted by key): its record, its dedup
// entries in expiry order and its messages in sequence order; then the SNS record,
// each topic's dedup entries, and the move tasks. Records are msgpack in a
// length-prefixed frame, dedup entries and messages are binary. The same
// state always gives the same bytes.
func (s *Snapshot) Persist(w io.Writer) error {
	sw := newSnapWriter(w)
	sw.raw(snapshotMagic)
	sw.uvarint(snapshotFormat)
	sw.frame(&s.header)
	for _, q := range s.queues {
		sw.frame(&queueHead{Meta: q.meta, Messages: q.msgs.Len(), Dedup: q.dedup.Len(), Attempts: q.attempts})
		q.dedup.Ascend(func(e *dedupEntry) bool {
			sw.dedupEntry(e, s.header.Now)
			return sw.err == nil
		})
		var prev snapPrev
		q.msgs.Ascend(func(m *message) bool {
			sw.message(m, &prev)
			return sw.err == nil
		})
	}
	rec := s.sns
	rec.Outbox = make([]*delivery, 0, s.outbox.Len())
	s.outbox.Ascend(func(d *delivery) bool {
		rec.Outbox = append(rec.Outbox, d)
		return true
	})
	sw.frame(&rec)
	for _, d := range s.topicDedup {
		n := 0
		if d != nil {
			n = d.Len()
		}
		sw.uvarint(uint64(n))
		if d != nil {
			d.Ascend(func(e *dedupEntry) bool {
				sw.dedupEntry(e, s.header.Now)
				return sw.err == nil
			})
		}
	}
	sw.frame(&s.tasks)
	return sw.flush()
}

// restoredState is a whole state read from a snapshot, before it is
// swapped in.
type restoredState struct {
	header snapshotHeader
	queues map[QueueKey]*queue
	sns    snsRecord
	tasks  []*moveTask
}

// Restore replaces the whole state with the one read from r, in any
// snapshot format. Nothing of the old state survives; long polls are
// woken to look again.
func (f *FSM) Restore(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<16)
	var st *restoredState
	var err error
	if head, _ := br.Peek(len(snapshotMagic)); bytes.Equal(head, snapshotMagic) {
		st, err = readBinarySnapshot(br)
	} else {
		st, err = readMsgpackSnapshot(br)
	}
	if err != nil {
		return err
	}
	f.install(st)
	return nil
}

// newRestoredQueue builds a queue from its snapshot record.
func newRestoredQueue(meta queueMeta, dedup []*dedupEntry, attempts []*receiveAttempt) *queue {
	q := newQueue(meta)
	for _, e := range dedup {
		q.dedup.remember(e)
	}
	for _, a := range attempts {
		q.rememberAttempt(a)
	}
	return q
}

// install swaps a restored state in.
func (f *FSM) install(st *restoredState) {
	h, rec := st.header, st.sns
	deleted := make(map[QueueKey]int64, len(h.Deleted))
	for _, t := range h.Deleted {
		deleted[t.Queue] = t.DeletedAt
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
	f.queues = st.queues
	f.deleted = deleted
	f.topics = topics
	f.subs = subs
	f.outbox = box
	f.identity = rec.Identity
	f.moveTasks = st.tasks
	f.mu.Unlock()
	f.notifyAll()
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

// errSnapshot wraps a snapshot decoding error with what was being read.
func errSnapshot(what string, err error) error {
	return fmt.Errorf("fsm: snapshot %s: %w", what, err)
}
