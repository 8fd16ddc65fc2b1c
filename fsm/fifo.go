package fsm

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/google/btree"
)

// FIFO queues: per-group order, group locks, deduplication and receive
// attempt replay. The queue's sequence numbers double as the SQS
// SequenceNumber, so they are strictly increasing per queue.

// maxFifoInFlight is the in-flight limit of a FIFO queue.
const maxFifoInFlight = 20_000

// attemptWindow is how long a ReceiveRequestAttemptId is remembered.
const attemptWindow = 5 * 60 * 1000

// receiveAttempt remembers what a receive with a ReceiveRequestAttemptId
// returned, so a retry of it returns the same messages and handles.
type receiveAttempt struct {
	ID        string
	ExpiresAt int64
	Result    []ReceivedMessage
}

func attemptByExpiry(a, b *receiveAttempt) bool {
	if a.ExpiresAt != b.ExpiresAt {
		return a.ExpiresAt < b.ExpiresAt
	}
	return a.ID < b.ID
}

// rememberAttempt records a receive attempt, replacing an earlier one of
// the same ID.
func (q *queue) rememberAttempt(a *receiveAttempt) {
	if old, ok := q.attempts[a.ID]; ok {
		q.attemptsByExpiry.Delete(old)
	}
	q.attempts[a.ID] = a
	q.attemptsByExpiry.ReplaceOrInsert(a)
}

// expireAttempts forgets the attempts whose window ended by now, looking
// only at those (they are ordered by expiry).
func (q *queue) expireAttempts(now int64) {
	for {
		a, ok := q.attemptsByExpiry.Min()
		if !ok || a.ExpiresAt > now {
			return
		}
		q.attemptsByExpiry.DeleteMin()
		delete(q.attempts, a.ID)
	}
}

// fifoGroup is one message group of a FIFO queue: its ready messages in
// order and whether an in-flight message locks it.
type fifoGroup struct {
	id     string
	ready  *btree.BTreeG[*message]
	locked bool
	// head is the sequence of the oldest ready message, the group's key
	// in fifoGroups.avail while inAvail.
	head    uint64
	inAvail bool
}

func groupByHead(a, b *fifoGroup) bool { return a.head < b.head }

// fifoGroups is a FIFO queue's per-group state, kept up to date as
// messages become ready, leave ready, and lock or unlock their group, so
// that a receive or a long poll's readiness check finds the receivable
// messages without scanning the ones of locked groups.
type fifoGroups struct {
	byID map[string]*fifoGroup
	// avail holds the unlocked groups with ready messages, oldest head
	// first: the order a receive serves them in.
	avail *btree.BTreeG[*fifoGroup]
	// free recycles the nodes of the groups' trees.
	free *btree.FreeListG[*message]
}

func newFifoGroups() *fifoGroups {
	return &fifoGroups{
		byID:  make(map[string]*fifoGroup),
		avail: btree.NewG(btreeDegree, groupByHead),
		free:  btree.NewFreeListG[*message](btree.DefaultFreeListSize),
	}
}

// group returns the group id, created if absent.
func (gs *fifoGroups) group(id string) *fifoGroup {
	g, ok := gs.byID[id]
	if !ok {
		g = &fifoGroup{id: id, ready: btree.NewWithFreeListG(btreeDegree, bySeq, gs.free)}
		gs.byID[id] = g
	}
	return g
}

// add files the ready message m under its group.
func (gs *fifoGroups) add(m *message) {
	g := gs.group(m.groupID())
	g.ready.ReplaceOrInsert(m)
	gs.refresh(g)
}

// remove takes m out of its group's ready messages.
func (gs *fifoGroups) remove(m *message) {
	if g, ok := gs.byID[m.groupID()]; ok {
		g.ready.Delete(m)
		gs.refresh(g)
	}
}

// lockChanged records that group id got locked or unlocked.
func (gs *fifoGroups) lockChanged(id string, locked bool) {
	g := gs.group(id)
	g.locked = locked
	gs.refresh(g)
}

// refresh puts g in avail under its current head, or takes it out, and
// forgets a group with nothing left to track.
func (gs *fifoGroups) refresh(g *fifoGroup) {
	head, ok := g.ready.Min()
	want := ok && !g.locked
	if g.inAvail && (!want || g.head != head.Seq) {
		gs.avail.Delete(g)
		g.inAvail = false
	}
	if want && !g.inAvail {
		g.head = head.Seq
		gs.avail.ReplaceOrInsert(g)
		g.inAvail = true
	}
	if !ok && !g.locked {
		delete(gs.byID, g.id)
	}
}

// sequenceNumber renders a message's sequence as SQS's SequenceNumber.
func sequenceNumber(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// fifoDedupKey is the deduplication key of a FIFO send, in the queue's
// dedup table beside idempotency keys (the prefix keeps them apart).
func (q *queue) fifoDedupKey(group, dedupID string) string {
	if q.Attributes[AttrDeduplicationScope] == "messageGroup" {
		return "\x00fifo\x00" + group + "\x00" + dedupID
	}
	return "\x00fifo\x00\x00" + dedupID
}

// fifoDedupID is a FIFO send's deduplication ID: the one given, else the
// SHA-256 of the body when the queue has content-based deduplication.
func (q *queue) fifoDedupID(e SendEntry) (string, *Error) {
	if e.DeduplicationID != "" {
		return e.DeduplicationID, nil
	}
	if q.Attributes[AttrContentBasedDeduplication] == "true" {
		sum := sha256.Sum256([]byte(e.Body))
		return hex.EncodeToString(sum[:]), nil
	}
	return "", Errorf(CodeInvalidParameterValue, "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
}

// checkSendEntry applies the queue type's rules to one send entry.
func (q *queue) checkSendEntry(e SendEntry) *Error {
	if !q.fifo() {
		if e.DeduplicationID != "" {
			return Errorf(CodeInvalidParameterValue, "Value %s for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.", e.DeduplicationID)
		}
		return nil
	}
	if e.MessageGroupID == "" {
		return Errorf(CodeMissingParameter, "The request must contain the parameter MessageGroupId.")
	}
	if e.DelaySeconds > 0 {
		return Errorf(CodeInvalidParameterValue, "Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", e.DelaySeconds)
	}
	return nil
}

// pickFifo chooses up to max visible messages of a FIFO queue: the groups
// not locked by an in-flight message, oldest first, as many messages of
// one group as possible before the next group, each group's messages in
// order.
func (q *queue) pickFifo(max int) []*message {
	var out []*message
	q.groups.avail.Ascend(func(g *fifoGroup) bool {
		g.ready.Ascend(func(m *message) bool {
			out = append(out, m)
			return len(out) < max
		})
		return len(out) < max
	})
	return out
}

// replayAttempt returns what an earlier receive with the same attempt ID
// returned, if every message it handed out is still in flight under that
// receive (none was deleted or had its visibility changed), and restarts
// their visibility timeout of vt seconds, as AWS does for such a retry.
func (q *queue) replayAttempt(id string, now int64, vt int) ([]ReceivedMessage, bool) {
	a, ok := q.attempts[id]
	if !ok || a.ExpiresAt <= now {
		return nil, false
	}
	msgs := make([]*message, 0, len(a.Result))
	for _, r := range a.Result {
		rc, _ := decodeReceipt(r.ReceiptHandle)
		m, ok := q.all.Get(&message{Seq: rc.Seq})
		if !ok || uint32(m.ReceiveCount) != rc.ReceiveCount || m.receiptNonce() != rc.Nonce || !m.inFlightAt(now) {
			return nil, false
		}
		msgs = append(msgs, m)
	}
	for _, m := range msgs {
		q.replace(m, m.withVisibleAt(now+int64(vt)*1000), now)
	}
	return a.Result, true
}

// redelay applies the queue's current DelaySeconds to the messages that
// were never received and still wait out their delay. The queue advances
// first: a message whose delay ended is not waiting any more, whether or
// not a command touched the queue since (a restored replica has it ready).
func (q *queue) redelay(now int64, wake *[]QueueKey) {
	if q.advance(now) {
		*wake = append(*wake, q.Key)
	}
	delay := int64(q.intAttr(AttrDelaySeconds)) * 1000
	var waiting []*message
	q.waiting.Ascend(func(m *message) bool {
		if m.ReceiveCount == 0 {
			waiting = append(waiting, m)
		}
		return true
	})
	for _, m := range waiting {
		u := m.withVisibleAt(m.SentAt + delay)
		q.replace(m, u, now)
		if u.VisibleAt <= now {
			*wake = append(*wake, q.Key)
		}
	}
}

// sortedAttempts lists a queue's attempts by ID, for snapshots.
func (q *queue) sortedAttempts() []*receiveAttempt {
	out := make([]*receiveAttempt, 0, len(q.attempts))
	for _, a := range q.attempts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// nextReady returns an iterator over the messages a receive of up to max
// takes, removing each from ready as it goes: visible messages in order
// for a standard queue, pickFifo's choice for a FIFO queue, pickFair's for
// a fair queue.
func (q *queue) nextReady(max int) func() (*message, bool) {
	switch {
	case q.fifo():
		picked := q.pickFifo(max)
		return func() (*message, bool) {
			if len(picked) == 0 {
				return nil, false
			}
			m := picked[0]
			picked = picked[1:]
			q.deleteReady(m)
			return m, true
		}
	case q.fair != nil:
		// Picked again when used up: a message the receive moves to the
		// dead-letter queue uses up a pick, and the receive must still
		// take up to max, as a queue not (or not yet) fair does. That
		// keeps the two alike while only ungrouped messages are ready,
		// which matters: a replica restored from a snapshot turns the
		// queue fair only once a grouped message is ready again, the
		// replica it was taken from did long before.
		var picked []*message
		return func() (*message, bool) {
			if len(picked) == 0 {
				if picked = q.pickFair(max); len(picked) == 0 {
					return nil, false
				}
			}
			m := picked[0]
			picked = picked[1:]
			q.deleteReady(m)
			return m, true
		}
	}
	return func() (*message, bool) {
		m, ok := q.ready.Min()
		if ok {
			q.deleteReady(m)
		}
		return m, ok
	}
}
