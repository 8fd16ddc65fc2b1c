package fsm

import "github.com/google/btree"

// dedupWindow is how long a send's idempotency key is remembered
// (milliseconds): a retry of the send within it returns the first send's
// message ID and enqueues nothing.
const dedupWindow = 5 * 60 * 1000

// dedupEntry remembers one idempotency key of a queue.
type dedupEntry struct {
	Key       string
	MessageID string
	// Seq is the message's sequence (a FIFO queue's SequenceNumber).
	Seq       uint64 `codec:",omitempty"`
	ExpiresAt int64
}

func dedupByExpiry(a, b *dedupEntry) bool {
	if a.ExpiresAt != b.ExpiresAt {
		return a.ExpiresAt < b.ExpiresAt
	}
	return a.Key < b.Key
}

// dedupTable is a queue's remembered keys: a map to look them up (a
// lookup is the hot path of every send with a key, and a tree of a
// million random keys cost a cache miss per level) and a tree by expiry,
// which also gives snapshots their order. Entries are immutable, so a
// cloned expiry tree can be snapshotted while applies go on; the map is
// only read for lookups, never iterated.
type dedupTable struct {
	byKey    map[string]*dedupEntry
	byExpiry *btree.BTreeG[*dedupEntry]
}

func newDedupTable() dedupTable {
	return dedupTable{byKey: make(map[string]*dedupEntry), byExpiry: btree.NewG(btreeDegree, dedupByExpiry)}
}

// lookup returns the entry for key if it is still in its window.
func (t dedupTable) lookup(key string, now int64) (*dedupEntry, bool) {
	e, ok := t.byKey[key]
	if !ok || e.ExpiresAt <= now {
		return nil, false
	}
	return e, true
}

// remember records key for a new message.
func (t dedupTable) remember(e *dedupEntry) {
	if old, ok := t.byKey[e.Key]; ok {
		t.byExpiry.Delete(old)
	}
	t.byKey[e.Key] = e
	t.byExpiry.ReplaceOrInsert(e)
}

// expire forgets the keys whose window ended by now.
func (t dedupTable) expire(now int64) {
	for {
		e, ok := t.byExpiry.Min()
		if !ok || e.ExpiresAt > now {
			return
		}
		t.byExpiry.DeleteMin()
		delete(t.byKey, e.Key)
	}
}

// snapshot is a copy of the entries, in expiry order, that later changes
// do not touch.
func (t dedupTable) snapshot() *btree.BTreeG[*dedupEntry] { return t.byExpiry.Clone() }
