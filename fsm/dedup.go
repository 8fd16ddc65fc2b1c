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

func dedupByKey(a, b *dedupEntry) bool { return a.Key < b.Key }

// dedupTable is a queue's remembered keys, by key and by expiry. Entries
// are immutable, so cloned trees can be snapshotted.
type dedupTable struct {
	byKey    *btree.BTreeG[*dedupEntry]
	byExpiry *btree.BTreeG[*dedupEntry]
}

func newDedupTable() dedupTable {
	return dedupTable{byKey: btree.NewG(btreeDegree, dedupByKey), byExpiry: btree.NewG(btreeDegree, dedupByExpiry)}
}

// lookup returns the entry for key if it is still in its window.
func (t dedupTable) lookup(key string, now int64) (*dedupEntry, bool) {
	e, ok := t.byKey.Get(&dedupEntry{Key: key})
	if !ok || e.ExpiresAt <= now {
		return nil, false
	}
	return e, true
}

// remember records key for a new message.
func (t dedupTable) remember(e *dedupEntry) {
	if old, ok := t.byKey.ReplaceOrInsert(e); ok {
		t.byExpiry.Delete(old)
	}
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
		t.byKey.Delete(e)
	}
}
