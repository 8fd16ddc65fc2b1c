package fsm

import (
	"encoding/json"
	"strconv"

	"github.com/google/btree"
)

// message is one stored message. Messages are immutable once in a tree:
// a change replaces the message with a modified copy, so trees cloned for
// a snapshot keep seeing the old value. Body and attribute maps are shared.
type message struct {
	Seq              uint64
	ID               string
	Body             string
	Attributes       map[string]MessageAttribute `codec:",omitempty"`
	SystemAttributes map[string]MessageAttribute `codec:",omitempty"`
	SenderID         string
	SentAt           int64
	// VisibleAt is when the message can next be received (delay or
	// in-flight deadline); ExpiresAt ends its retention.
	VisibleAt      int64
	ExpiresAt      int64
	ReceiveCount   int
	FirstReceiveAt int64
	LastReceiveAt  int64
	// ReceiptNonce belongs to the latest receive; only its handle deletes.
	ReceiptNonce        uint64
	MessageGroupID      string `codec:",omitempty"`
	DeduplicationID     string `codec:",omitempty"`
	DeadLetterSourceArn string `codec:",omitempty"`
}

func (m *message) inFlightAt(now int64) bool { return m.ReceiveCount > 0 && m.VisibleAt > now }

func (m *message) size() int {
	n := len(m.Body)
	for name, a := range m.Attributes {
		n += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}

func bySeq(a, b *message) bool { return a.Seq < b.Seq }

func byVisibleAt(a, b *message) bool {
	if a.VisibleAt != b.VisibleAt {
		return a.VisibleAt < b.VisibleAt
	}
	return a.Seq < b.Seq
}

func byExpiresAt(a, b *message) bool {
	if a.ExpiresAt != b.ExpiresAt {
		return a.ExpiresAt < b.ExpiresAt
	}
	return a.Seq < b.Seq
}

const btreeDegree = 16

// queueMeta is the part of a queue that is not messages. Its maps are
// replaced, never changed in place, so a snapshot may share them.
type queueMeta struct {
	Key         QueueKey
	ID          uint64 // raft index of the create: tells re-created queues apart
	Attributes  map[string]string
	Tags        map[string]string
	CreatedAt   int64
	ModifiedAt  int64
	LastPurgeAt int64
	NextSeq     uint64
}

// queue is a queue and its messages with three ordered indexes:
// all (by sequence: the record of truth, snapshotted), ready (visible,
// by sequence), waiting (delayed or in flight, by VisibleAt) and expiry
// (by ExpiresAt). ready and waiting are split lazily: a message in waiting
// whose VisibleAt has passed is promoted when the queue is next touched, so
// which tree holds it is never observable.
type queue struct {
	queueMeta
	all     *btree.BTreeG[*message]
	ready   *btree.BTreeG[*message]
	waiting *btree.BTreeG[*message]
	expiry  *btree.BTreeG[*message]
	// waitingInFlight counts messages in waiting that were received at
	// least once (the rest of waiting is delayed).
	waitingInFlight int
	// groupInFlight counts, per message group, the messages of waitingInFlight:
	// a FIFO queue's group is locked while it has one.
	groupInFlight map[string]int
	// fair indexes a standard queue's ready messages by group once it has
	// seen a MessageGroupId (fair queues); nil until then.
	fair map[string]*btree.BTreeG[*message]
	// attempts are a FIFO queue's remembered ReceiveRequestAttemptIds.
	attempts map[string]*receiveAttempt
	dedup    dedupTable
	redrive  *redrivePolicy
	allow    *redriveAllowPolicy
}

func newQueue(meta queueMeta) *queue {
	q := &queue{
		queueMeta: meta,
		all:       btree.NewG(btreeDegree, bySeq),
		ready:     btree.NewG(btreeDegree, bySeq),
		waiting:   btree.NewG(btreeDegree, byVisibleAt),
		expiry:    btree.NewG(btreeDegree, byExpiresAt),
		dedup:     newDedupTable(),

		groupInFlight: make(map[string]int),
		attempts:      make(map[string]*receiveAttempt),
	}
	q.parsePolicies()
	return q
}

// parsePolicies caches the parsed redrive policies of the attributes.
func (q *queue) parsePolicies() {
	q.redrive, q.allow = nil, nil
	if v := q.Attributes[AttrRedrivePolicy]; v != "" {
		if rp, err := parseRedrivePolicy(v); err == nil {
			q.redrive = &rp
		}
	}
	if v := q.Attributes[AttrRedriveAllowPolicy]; v != "" {
		var p redriveAllowPolicy
		if json.Unmarshal([]byte(v), &p) == nil {
			q.allow = &p
		}
	}
}

func (q *queue) allowsRedriveFrom(sourceArn string) bool {
	if q.allow == nil {
		return true
	}
	switch q.allow.RedrivePermission {
	case "denyAll":
		return false
	case "byQueue":
		for _, a := range q.allow.SourceQueueArns {
			if a == sourceArn {
				return true
			}
		}
		return false
	}
	return true
}

func (q *queue) intAttr(name string) int {
	n, _ := strconv.Atoi(q.Attributes[name])
	return n
}

// insert adds a new message (its Seq must be unused).
func (q *queue) insert(m *message, now int64) {
	q.all.ReplaceOrInsert(m)
	q.expiry.ReplaceOrInsert(m)
	q.index(m, now)
}

// index files m under ready or waiting.
func (q *queue) index(m *message, now int64) {
	if m.VisibleAt <= now {
		q.addReady(m)
		return
	}
	q.waiting.ReplaceOrInsert(m)
	if m.ReceiveCount > 0 {
		q.inFlightChanged(m, 1)
	}
}

// inFlightChanged counts m into (delta 1) or out of (-1) the in-flight
// messages.
func (q *queue) inFlightChanged(m *message, delta int) {
	q.waitingInFlight += delta
	if m.MessageGroupID == "" {
		return
	}
	if n := q.groupInFlight[m.MessageGroupID] + delta; n > 0 {
		q.groupInFlight[m.MessageGroupID] = n
	} else {
		delete(q.groupInFlight, m.MessageGroupID)
	}
}

// fifo reports whether this is a FIFO queue.
func (q *queue) fifo() bool { return isFifoName(q.Key.Name) }

// unindex removes m from ready or waiting.
func (q *queue) unindex(m *message) {
	if q.deleteReady(m) {
		return
	}
	if _, ok := q.waiting.Delete(m); ok && m.ReceiveCount > 0 {
		q.inFlightChanged(m, -1)
	}
}

// remove deletes m from every index.
func (q *queue) remove(m *message) {
	q.unindex(m)
	q.all.Delete(m)
	q.expiry.Delete(m)
}

// replace swaps old for its modified copy updated.
func (q *queue) replace(old, updated *message, now int64) {
	q.unindex(old)
	if old.ExpiresAt != updated.ExpiresAt {
		q.expiry.Delete(old)
	}
	q.all.ReplaceOrInsert(updated)
	q.expiry.ReplaceOrInsert(updated)
	q.index(updated, now)
}

// advance brings the queue to time now: messages past retention and
// idempotency keys past their window are removed, and waiting messages
// whose time has come become ready. It reports whether any message became
// ready.
func (q *queue) advance(now int64) bool {
	q.dedup.expire(now)
	for id, a := range q.attempts {
		if a.ExpiresAt <= now {
			delete(q.attempts, id)
		}
	}
	for {
		m, ok := q.expiry.Min()
		if !ok || m.ExpiresAt > now {
			break
		}
		q.remove(m)
	}
	promoted := false
	for {
		m, ok := q.waiting.Min()
		if !ok || m.VisibleAt > now {
			break
		}
		q.waiting.DeleteMin()
		if m.ReceiveCount > 0 {
			q.inFlightChanged(m, -1)
		}
		q.addReady(m)
		promoted = true
	}
	return promoted
}

// counts returns the visible, in-flight and delayed message counts at now
// without changing the queue.
func (q *queue) counts(now int64) (visible, inFlight, delayed int) {
	visible = q.ready.Len()
	inFlight = q.waitingInFlight
	delayed = q.waiting.Len() - q.waitingInFlight
	q.waiting.Ascend(func(m *message) bool {
		if m.VisibleAt > now {
			return false
		}
		visible++
		if m.ReceiveCount > 0 {
			inFlight--
		} else {
			delayed--
		}
		return true
	})
	return
}

// purge removes every message.
func (q *queue) purge() {
	q.all.Clear(false)
	q.ready.Clear(false)
	if q.fair != nil {
		q.fair = map[string]*btree.BTreeG[*message]{}
	}
	q.waiting.Clear(false)
	q.expiry.Clear(false)
	q.waitingInFlight = 0
	clear(q.groupInFlight)
	clear(q.attempts)
}
