package fsm

import (
	"encoding/json"
	"strconv"

	"github.com/google/btree"
)

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
	// groups is a FIFO queue's per-group state (fifo.go); nil otherwise.
	groups *fifoGroups
	// attempts are a FIFO queue's remembered ReceiveRequestAttemptIds, by
	// ID and by expiry.
	attempts         map[string]*receiveAttempt
	attemptsByExpiry *btree.BTreeG[*receiveAttempt]
	dedup            dedupTable
	redrive          *redrivePolicy
	allow            *redriveAllowPolicy
	// senders interns the sender IDs of the queue's messages: most queues
	// see a few senders, so their messages share one string each.
	senders map[string]string
}

func newQueue(meta queueMeta) *queue {
	q := &queue{
		queueMeta: meta,
		all:       btree.NewG(btreeDegree, bySeq),
		ready:     btree.NewG(btreeDegree, bySeq),
		waiting:   btree.NewG(btreeDegree, byVisibleAt),
		expiry:    btree.NewG(btreeDegree, byExpiresAt),
		dedup:     newDedupTable(),

		groupInFlight:    make(map[string]int),
		attempts:         make(map[string]*receiveAttempt),
		attemptsByExpiry: btree.NewG(btreeDegree, attemptByExpiry),
		senders:          make(map[string]string),
	}
	if q.fifo() {
		q.groups = newFifoGroups()
	}
	q.parsePolicies()
	return q
}

// maxInternedSenders bounds a queue's interned sender IDs; past it, new
// senders keep their own strings.
const maxInternedSenders = 64

// internSender returns the queue's copy of the sender ID s. Interning
// changes no value, only how many copies of it exist.
func (q *queue) internSender(s string) string {
	if v, ok := q.senders[s]; ok {
		return v
	}
	if len(q.senders) < maxInternedSenders {
		q.senders[s] = s
	}
	return s
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
	g := m.groupID()
	if g == "" {
		return
	}
	n := q.groupInFlight[g] + delta
	if n > 0 {
		q.groupInFlight[g] = n
	} else {
		delete(q.groupInFlight, g)
	}
	if q.groups != nil && (n == 0 || n == 1 && delta > 0) {
		// The group just got locked or unlocked.
		q.groups.lockChanged(g, n > 0)
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

// advance brings the queue to time now: messages past retention, keys
// and receive attempts past their window are removed, and waiting
// messages whose time has come become ready. It reports whether any
// message became ready. Each step looks only at what is due.
func (q *queue) advance(now int64) bool {
	q.dedup.expire(now)
	q.expireAttempts(now)
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
	if q.groups != nil {
		q.groups = newFifoGroups()
	}
	q.waiting.Clear(false)
	q.expiry.Clear(false)
	q.waitingInFlight = 0
	clear(q.groupInFlight)
	clear(q.attempts)
	q.attemptsByExpiry.Clear(false)
}
