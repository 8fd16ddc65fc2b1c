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

// queue is a queue and its messages with ordered indexes: all (by
// sequence: the record of truth, snapshotted), ready (visible, by
// sequence), waiting (delayed or in flight, by VisibleAt) and expiry (by
// ExpiresAt, only the messages that expire out of sequence order: see
// fileExpiry). ready and waiting are split lazily: a message in waiting
// whose VisibleAt has passed is promoted when the queue is next touched, so
// which tree holds it is never observable.
type queue struct {
	queueMeta
	all     *btree.BTreeG[*message]
	ready   *btree.BTreeG[*message]
	waiting *btree.BTreeG[*message]
	expiry  *btree.BTreeG[*message]
	// inOrder counts the messages not in expiry; lastInOrder is the
	// ExpiresAt of the latest one stored, and every one of them has a
	// sequence of at least expiryCursor.
	inOrder      int
	lastInOrder  int64
	expiryCursor uint64
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

// insert adds a new message, m, which has the highest sequence of the
// queue (new messages take NextSeq; a restore inserts in order).
func (q *queue) insert(m *message, now int64) {
	q.all.ReplaceOrInsert(m)
	q.fileExpiry(m)
	q.index(m, now)
}

// Retention without a tree of every message. A message expires at its
// send time plus the queue's retention; send times only grow, so unless
// the retention was lowered or a message came with an older send time (a
// dead-lettered message keeps its first one), the messages of a queue
// expire in sequence order, the order all already keeps. Such "in order"
// messages are found by walking all; only the others go into expiry.
//
// The in-order messages, by sequence, have non-decreasing ExpiresAt: a
// message joins them only with the highest sequence and an ExpiresAt of at
// least lastInOrder, the latest of theirs. So the ones past retention are
// a prefix of them, and advance removes exactly the messages with
// ExpiresAt <= now, whichever way each was filed (which is never
// observable: a restore files them afresh).

// fileExpiry files the new message m (highest sequence, not yet in any
// other tree) as in order or in the expiry tree.
func (q *queue) fileExpiry(m *message) {
	if q.inOrder == 0 || m.ExpiresAt >= q.lastInOrder {
		if q.inOrder == 0 {
			q.expiryCursor = m.Seq
		}
		q.inOrder++
		q.lastInOrder = m.ExpiresAt
		m.outOfOrder = false
		return
	}
	m.outOfOrder = true
	q.expiry.ReplaceOrInsert(m)
}

// forgetExpiry undoes fileExpiry for a message leaving the queue.
func (q *queue) forgetExpiry(m *message) {
	if m.outOfOrder {
		q.expiry.Delete(m)
	} else {
		q.inOrder--
	}
}

// store puts u, a changed copy of a message of the queue with the same
// sequence and ExpiresAt, in place of the old one in all and expiry.
func (q *queue) store(u *message) {
	q.all.ReplaceOrInsert(u)
	if u.outOfOrder {
		q.expiry.ReplaceOrInsert(u)
	}
}

// dueInOrder returns up to max in-order messages past retention at now,
// oldest first, and moves expiryCursor to the first in-order message not
// returned.
func (q *queue) dueInOrder(now int64, max int) []*message {
	var due []*message
	last := q.expiryCursor
	stopped := false
	q.all.AscendGreaterOrEqual(&message{Seq: q.expiryCursor}, func(m *message) bool {
		last = m.Seq
		if m.outOfOrder {
			return true
		}
		if m.ExpiresAt > now || len(due) == max {
			stopped = true
			return false
		}
		due = append(due, m)
		return true
	})
	if stopped {
		q.expiryCursor = last
	} else {
		q.expiryCursor = last + 1
	}
	return due
}

// expire removes the messages past retention at now.
func (q *queue) expire(now int64) {
	for {
		m, ok := q.expiry.Min()
		if !ok || m.ExpiresAt > now {
			break
		}
		q.remove(m)
	}
	for q.inOrder > 0 {
		due := q.dueInOrder(now, 1024)
		if len(due) == 0 {
			return
		}
		for _, m := range due {
			q.remove(m)
		}
	}
}

// expiryDue reports whether a message is past retention at now without
// changing anything. Past a few out-of-order messages after the cursor it
// answers true: the sweep that follows moves the cursor.
func (q *queue) expiryDue(now int64) bool {
	if m, ok := q.expiry.Min(); ok && m.ExpiresAt <= now {
		return true
	}
	if q.inOrder == 0 {
		return false
	}
	due, looked := false, 0
	q.all.AscendGreaterOrEqual(&message{Seq: q.expiryCursor}, func(m *message) bool {
		looked++
		if looked > 256 {
			due = true
			return false
		}
		if m.outOfOrder {
			return true
		}
		due = m.ExpiresAt <= now
		return false
	})
	return due
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
	q.forget(m)
}

// forget deletes m, already out of ready and waiting, from all and expiry.
func (q *queue) forget(m *message) {
	q.all.Delete(m)
	q.forgetExpiry(m)
}

// replace swaps old for its modified copy updated (same sequence and
// ExpiresAt).
func (q *queue) replace(old, updated *message, now int64) {
	q.unindex(old)
	q.store(updated)
	q.index(updated, now)
}

// advance brings the queue to time now: messages past retention, keys
// and receive attempts past their window are removed, and waiting
// messages whose time has come become ready. It reports whether any
// message became ready. Each step looks only at what is due.
func (q *queue) advance(now int64) bool {
	q.dedup.expire(now)
	q.expireAttempts(now)
	q.expire(now)
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
	q.inOrder = 0
	q.waitingInFlight = 0
	clear(q.groupInFlight)
	clear(q.attempts)
	q.attemptsByExpiry.Clear(false)
}
