package fsm

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

const (
	// deletedQueueMemory is how long a deleted queue's name stays taken.
	deletedQueueMemory = 60_000
	// purgeInterval is the least time between two purges of a queue.
	purgeInterval = 60_000
	// maxInFlight is the in-flight limit of a standard queue.
	maxInFlight = 120_000
	// maxVisibilityMillis caps the total visibility of one receive.
	maxVisibilityMillis = 43_200_000
)

// FSM is the state machine. Apply is called by one goroutine at a time
// (raft's); reads may run concurrently from any goroutine.
type FSM struct {
	mu      sync.RWMutex
	now     int64
	applied uint64
	queues  map[QueueKey]*queue
	deleted map[QueueKey]int64

	// SNS state: topics, subscriptions by ARN, the push outbox and the
	// signing identity. wakeOutbox is set by an apply that changed the
	// outbox, so its watchers are woken after the lock is released.
	topics     map[TopicKey]*topic
	subs       map[string]*subscription
	outbox     outbox
	identity   signingIdentity
	wakeOutbox bool

	// moveTasks are the message move tasks, in start order (entries are
	// replaced, never changed in place).
	moveTasks []*moveTask

	watchMu sync.Mutex
	watch   map[QueueKey]*watchers
}

// New returns an empty state machine.
func New() *FSM {
	return &FSM{
		queues:  make(map[QueueKey]*queue),
		deleted: make(map[QueueKey]int64),
		topics:  make(map[TopicKey]*topic),
		subs:    make(map[string]*subscription),
		outbox:  newOutbox(),
		watch:   make(map[QueueKey]*watchers),
	}
}

// Apply applies one raft log entry and returns its result: a typed result
// ([]SendResult, []ReceivedMessage, []EntryResult), nil, or an *Error; for
// a Batch, a []any of those. It panics on an entry it cannot decode: going
// on would let replicas diverge.
func (f *FSM) Apply(index uint64, data []byte) any {
	var wake []QueueKey
	f.mu.Lock()
	f.applied = index
	res := f.applyEncoded(index, 0, data, &wake)
	if f.wakeOutbox {
		f.wakeOutbox = false
		wake = append(wake, outboxKey)
	}
	f.mu.Unlock()
	for _, k := range wake {
		f.notify(k)
	}
	return res
}

// applyEncoded decodes and applies one command. sub numbers the commands
// of a batch, so that each gets its own identity within the entry.
func (f *FSM) applyEncoded(index uint64, sub int, data []byte, wake *[]QueueKey) any {
	cmdNow, cmd, err := Decode(data)
	if err == errUnknownIgnorable {
		return nil
	}
	if err != nil {
		panic(fmt.Sprintf("fsm: cannot decode log entry %d: %v", index, err))
	}
	if cmdNow > f.now {
		f.now = cmdNow
	}
	spec := commandByType[data[0]]
	if b, ok := cmd.(Batch); ok {
		if sub != 0 {
			panic(fmt.Sprintf("fsm: log entry %d nests a batch", index))
		}
		results := make([]any, len(b.Commands))
		for i, c := range b.Commands {
			results[i] = f.applyEncoded(index, i+1, c, wake)
		}
		return results
	}
	res := spec.apply(f, applyArgs{id: index<<16 | uint64(sub), now: f.now, wake: wake}, cmd)
	if e, ok := res.(*Error); ok && e == nil {
		return nil
	}
	return res
}

// queueByARN finds a queue by its ARN.
func (f *FSM) queueByARN(arn string) *queue {
	k, ok := parseQueueARN(arn)
	if !ok {
		return nil
	}
	return f.queues[k]
}

func (f *FSM) createQueue(id uint64, now int64, c CreateQueue) *Error {
	if c.Queue.Name == "" {
		return Errorf(CodeInvalidParameterValue, "Queue name cannot be empty.")
	}
	for k, at := range f.deleted {
		if now-at >= deletedQueueMemory {
			delete(f.deleted, k)
		}
	}
	attrs, err := normalizeAttributes(c.Queue, c.Attributes, true, f.queueByARN)
	if err != nil {
		return err
	}
	fifo := isFifoName(c.Queue.Name)
	if fifo && attrs[AttrFifoQueue] != "true" {
		return Errorf(CodeInvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if q, ok := f.queues[c.Queue]; ok {
		for name, v := range attrs {
			have, ok := q.Attributes[name]
			if !ok {
				have = defaultAttributes[name]
			}
			if have != v {
				return Errorf(CodeQueueNameExists, "A queue already exists with the same name and a different value for attribute %s", name)
			}
		}
		return nil
	}
	if _, ok := f.deleted[c.Queue]; ok {
		return Errorf(CodeQueueDeletedRecently, "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
	}
	merged := make(map[string]string, len(defaultAttributes)+len(attrs))
	for k, v := range defaultAttributes {
		merged[k] = v
	}
	if fifo {
		for k, v := range fifoDefaults {
			merged[k] = v
		}
	}
	for k, v := range attrs {
		if v == "" {
			delete(merged, k)
			continue
		}
		merged[k] = v
	}
	if fifo {
		if err := checkFifoAttributes(merged); err != nil {
			return err
		}
	}
	tags := make(map[string]string, len(c.Tags))
	for k, v := range c.Tags {
		tags[k] = v
	}
	f.queues[c.Queue] = newQueue(queueMeta{
		Key: c.Queue, ID: id, Attributes: merged, Tags: tags,
		CreatedAt: now, ModifiedAt: now, NextSeq: 1,
	})
	return nil
}

func (f *FSM) deleteQueue(now int64, c DeleteQueue, wake *[]QueueKey) *Error {
	if _, ok := f.queues[c.Queue]; !ok {
		return queueNotFound()
	}
	delete(f.queues, c.Queue)
	f.deleted[c.Queue] = now
	*wake = append(*wake, c.Queue)
	return nil
}

func (f *FSM) setQueueAttributes(now int64, c SetQueueAttributes, wake *[]QueueKey) *Error {
	q, ok := f.queues[c.Queue]
	if !ok {
		return queueNotFound()
	}
	attrs, err := normalizeAttributes(c.Queue, c.Attributes, false, f.queueByARN)
	if err != nil {
		return err
	}
	merged := make(map[string]string, len(q.Attributes)+len(attrs))
	for k, v := range q.Attributes {
		merged[k] = v
	}
	for k, v := range attrs {
		if v == "" {
			delete(merged, k)
			continue
		}
		merged[k] = v
	}
	if q.fifo() {
		if err := checkFifoAttributes(merged); err != nil {
			return err
		}
	}
	oldDelay := q.intAttr(AttrDelaySeconds)
	q.Attributes = merged
	q.ModifiedAt = now
	q.parsePolicies()
	if q.fifo() && q.intAttr(AttrDelaySeconds) != oldDelay {
		// On a FIFO queue a new delay applies to the messages still
		// waiting out the old one (a standard queue keeps their delays).
		q.redelay(now, wake)
	}
	return nil
}

func (f *FSM) tagQueue(now int64, c TagQueue) *Error {
	q, ok := f.queues[c.Queue]
	if !ok {
		return queueNotFound()
	}
	tags := make(map[string]string, len(q.Tags)+len(c.Tags))
	for k, v := range q.Tags {
		tags[k] = v
	}
	for k, v := range c.Tags {
		tags[k] = v
	}
	q.Tags = tags
	return nil
}

func (f *FSM) untagQueue(now int64, c UntagQueue) *Error {
	q, ok := f.queues[c.Queue]
	if !ok {
		return queueNotFound()
	}
	tags := make(map[string]string, len(q.Tags))
	for k, v := range q.Tags {
		tags[k] = v
	}
	for _, k := range c.Keys {
		delete(tags, k)
	}
	q.Tags = tags
	return nil
}

func (f *FSM) purgeQueue(now int64, c PurgeQueue) *Error {
	q, ok := f.queues[c.Queue]
	if !ok {
		return queueNotFound()
	}
	if q.LastPurgeAt != 0 && now-q.LastPurgeAt < purgeInterval {
		return Errorf(CodePurgeQueueInProgress, "Only one PurgeQueue operation on %s is allowed every 60 seconds.", c.Queue.Name)
	}
	q.purge()
	q.LastPurgeAt = now
	return nil
}

func (f *FSM) sendMessages(now int64, c SendMessages, wake *[]QueueKey) any {
	q, ok := f.queues[c.Queue]
	if !ok {
		return queueNotFound()
	}
	q.advance(now)
	maxSize := q.intAttr(AttrMaximumMessageSize)
	retention := int64(q.intAttr(AttrMessageRetentionPeriod)) * 1000
	results := make([]SendResult, len(c.Entries))
	visibleNow := false
	for i, e := range c.Entries {
		results[i].ID = e.ID
		if err := q.checkSendEntry(e); err != nil {
			results[i].Err = err
			continue
		}
		if e.IdempotencyKey != "" {
			if seen, ok := q.dedup.lookup(e.IdempotencyKey, now); ok {
				results[i].MessageID = seen.MessageID
				if q.fifo() {
					results[i].SequenceNumber = sequenceNumber(seen.Seq)
				}
				continue
			}
		}
		fifoKey := ""
		if q.fifo() {
			dedupID, err := q.fifoDedupID(e)
			if err != nil {
				results[i].Err = err
				continue
			}
			e.DeduplicationID = dedupID
			fifoKey = q.fifoDedupKey(e.MessageGroupID, dedupID)
			if seen, ok := q.dedup.lookup(fifoKey, now); ok {
				results[i].MessageID = seen.MessageID
				results[i].SequenceNumber = sequenceNumber(seen.Seq)
				continue
			}
		}
		m := newMessage(e.MessageID, e.Body, q.internSender(c.SenderID), e.Attributes, e.SystemAttributes, e.MessageGroupID, e.DeduplicationID)
		m.SentAt, m.ExpiresAt = now, now+retention
		if size := m.size(); size > maxSize {
			results[i].Err = Errorf(CodeInvalidParameterValue, "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", maxSize)
			continue
		}
		delay := e.DelaySeconds
		if delay < 0 || q.fifo() {
			delay = q.intAttr(AttrDelaySeconds)
		}
		m.VisibleAt = now + int64(delay)*1000
		m.Seq = q.NextSeq
		q.NextSeq++
		q.insert(m, now)
		if e.IdempotencyKey != "" {
			q.dedup.remember(&dedupEntry{Key: e.IdempotencyKey, MessageID: e.MessageID, Seq: m.Seq, ExpiresAt: now + dedupWindow})
		}
		if fifoKey != "" {
			q.dedup.remember(&dedupEntry{Key: fifoKey, MessageID: e.MessageID, Seq: m.Seq, ExpiresAt: now + dedupWindow})
			results[i].SequenceNumber = sequenceNumber(m.Seq)
		}
		results[i].MessageID = e.MessageID
		if delay == 0 {
			visibleNow = true
		}
	}
	if visibleNow {
		*wake = append(*wake, c.Queue)
	}
	return results
}

func (f *FSM) receiveMessages(now int64, c ReceiveMessages, wake *[]QueueKey) any {
	q, ok := f.queues[c.Queue]
	if !ok {
		return queueNotFound()
	}
	q.advance(now)
	vt := c.VisibilityTimeout
	if vt < 0 {
		vt = q.intAttr(AttrVisibilityTimeout)
	}
	if c.AttemptID != "" && q.fifo() {
		if res, ok := q.replayAttempt(c.AttemptID, now, vt); ok {
			return res
		}
	}
	limit := maxInFlight
	if q.fifo() {
		limit = maxFifoInFlight
	}
	if q.waitingInFlight >= limit {
		return Errorf(CodeOverLimit, "Too many messages in flight: the queue has %d in-flight messages.", q.waitingInFlight)
	}
	var dlq *queue
	if q.redrive != nil {
		dlq = f.queueByARN(q.redrive.DeadLetterTargetArn)
	}
	out := make([]ReceivedMessage, 0, c.Max)
	var taken []*message
	next := q.nextReady(c.Max)
	for len(taken) < c.Max {
		m, ok := next()
		if !ok {
			break
		}
		if dlq != nil && int(m.ReceiveCount) >= q.redrive.MaxReceiveCount {
			q.forget(m)
			if f.moveToDeadLetter(now, m, q, dlq) {
				*wake = append(*wake, dlq.Key)
			}
			continue
		}
		nonce := messageNonce(c.Nonce, len(taken))
		u := m.received(now, now+int64(vt)*1000, nonce)
		taken = append(taken, u)
		r := u.view()
		r.ReceiptHandle = receipt{QueueID: q.ID, Seq: u.Seq, ReceiveCount: uint32(u.ReceiveCount), Nonce: nonce}.encode()
		if q.fifo() {
			r.SequenceNumber = sequenceNumber(u.Seq)
		}
		out = append(out, r)
	}
	for _, u := range taken {
		q.store(u)
		q.index(u, now)
	}
	if c.AttemptID != "" && q.fifo() {
		q.rememberAttempt(&receiveAttempt{ID: c.AttemptID, ExpiresAt: now + attemptWindow, Result: out})
	}
	return out
}

// moveToDeadLetter enqueues m, removed from src, on dlq. Its retention
// still counts from when it was first sent. It reports whether the
// message was stored (it is dropped if already past the DLQ's retention).
func (f *FSM) moveToDeadLetter(now int64, m *message, src, dlq *queue) bool {
	dlq.advance(now)
	u := *m
	u.Seq = dlq.NextSeq
	u.ExpiresAt = m.SentAt + int64(dlq.intAttr(AttrMessageRetentionPeriod))*1000
	if u.ExpiresAt <= now {
		return false
	}
	dlq.NextSeq++
	u.VisibleAt = now
	u.resetReceives(src.Key.ARN())
	dlq.insert(&u, now)
	return true
}

// lookupHandle finds the message a receipt handle names. It returns an
// *Error for a malformed handle or one of another queue, and a nil
// message when the message is gone or the handle is not its latest.
func lookupHandle(q *queue, handle string) (*message, *Error) {
	r, ok := decodeReceipt(handle)
	if !ok || r.QueueID != q.ID {
		return nil, Errorf(CodeReceiptHandleIsInvalid, "The input receipt handle \"%s\" is not a valid receipt handle.", handle)
	}
	m, ok := q.all.Get(&message{Seq: r.Seq})
	if !ok || uint32(m.ReceiveCount) != r.ReceiveCount || m.receiptNonce() != r.Nonce {
		return nil, nil
	}
	return m, nil
}

// forEachHandle runs one entry of a delete or visibility batch per receipt
// handle: do gets the message the handle names (nil when gone or not the
// latest receive) and returns the entry's error.
func (f *FSM) forEachHandle(now int64, key QueueKey, entries []HandleEntry, do func(q *queue, e HandleEntry, m *message) *Error) any {
	q, ok := f.queues[key]
	if !ok {
		return queueNotFound()
	}
	q.advance(now)
	results := make([]EntryResult, len(entries))
	for i, e := range entries {
		results[i].ID = e.ID
		m, err := lookupHandle(q, e.ReceiptHandle)
		if err == nil {
			err = do(q, e, m)
		}
		results[i].Err = err
	}
	return results
}

func (f *FSM) deleteMessages(now int64, c DeleteMessages, wake *[]QueueKey) any {
	return f.forEachHandle(now, c.Queue, c.Entries, func(q *queue, _ HandleEntry, m *message) *Error {
		if m != nil {
			// Deleting an in-flight message of a FIFO queue may unlock
			// its group: wake the long polls.
			if q.fifo() && m.inFlightAt(now) {
				*wake = append(*wake, q.Key)
			}
			q.remove(m)
		}
		return nil
	})
}

func (f *FSM) changeVisibility(now int64, c ChangeVisibility, wake *[]QueueKey) any {
	return f.forEachHandle(now, c.Queue, c.Entries, func(q *queue, e HandleEntry, m *message) *Error {
		if m == nil {
			return Errorf(CodeInvalidParameterValue, "Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", e.ReceiptHandle)
		}
		if !m.inFlightAt(now) {
			return Errorf(CodeMessageNotInflight, "The message referred to is not in flight.")
		}
		visibleAt := now + int64(e.VisibilityTimeout)*1000
		if visibleAt-m.lastReceiveAt() > maxVisibilityMillis {
			return Errorf(CodeInvalidParameterValue, "Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]", e.VisibilityTimeout)
		}
		q.replace(m, m.withVisibleAt(visibleAt), now)
		if visibleAt <= now {
			*wake = append(*wake, q.Key)
		}
		return nil
	})
}

func (f *FSM) sweep(now int64, wake *[]QueueKey) {
	for k, q := range f.queues {
		if q.advance(now) {
			*wake = append(*wake, k)
		}
	}
	for k, at := range f.deleted {
		if now-at >= deletedQueueMemory {
			delete(f.deleted, k)
		}
	}
	f.expirePending(now)
	sort.Slice(*wake, func(i, j int) bool { return lessKey((*wake)[i], (*wake)[j]) })
}

func lessKey(a, b QueueKey) bool {
	if a.Region != b.Region {
		return a.Region < b.Region
	}
	if a.Account != b.Account {
		return a.Account < b.Account
	}
	return a.Name < b.Name
}

// AppliedIndex is the index of the last applied log entry.
func (f *FSM) AppliedIndex() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.applied
}

// Now is the latest command time applied (epoch milliseconds).
func (f *FSM) Now() int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.now
}

// NeedsSweep reports whether some message is past its retention at now,
// so the leader should propose a Sweep.
func (f *FSM) NeedsSweep(now int64) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, q := range f.queues {
		if q.expiryDue(now) {
			return true
		}
		if e, ok := q.dedup.byExpiry.Min(); ok && e.ExpiresAt <= now {
			return true
		}
	}
	for _, s := range f.subs {
		if s.Pending && s.CreatedAt > 0 && s.CreatedAt+pendingLifetime <= now {
			return true
		}
	}
	return false
}

// ReceiveReady reports whether a receive on the queue at now could return
// a message; if not, wakeAt is the next time one becomes visible (0: none
// pending).
func (f *FSM) ReceiveReady(key QueueKey, now int64) (ready bool, wakeAt int64, err error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	q, ok := f.queues[key]
	if !ok {
		return false, 0, queueNotFound()
	}
	if q.fifo() {
		if q.groups.avail.Len() > 0 {
			return true, 0, nil
		}
	} else if q.ready.Len() > 0 {
		return true, 0, nil
	}
	if m, ok := q.waiting.Min(); ok {
		if m.VisibleAt <= now {
			return true, 0, nil
		}
		return false, m.VisibleAt, nil
	}
	return false, 0, nil
}

// DefaultWait is the queue's ReceiveMessageWaitTimeSeconds.
func (f *FSM) DefaultWait(key QueueKey) (int, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	q, ok := f.queues[key]
	if !ok {
		return 0, queueNotFound()
	}
	return q.intAttr(AttrReceiveMessageWaitTimeSeconds), nil
}

// GetQueue returns a queue's attributes as of now, counters included.
func (f *FSM) GetQueue(key QueueKey, now int64) (QueueView, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	q, ok := f.queues[key]
	if !ok {
		return QueueView{}, queueNotFound()
	}
	attrs := make(map[string]string, len(q.Attributes)+len(ReadOnlyAttributes))
	for k, v := range q.Attributes {
		attrs[k] = v
	}
	visible, inFlight, delayed := q.counts(now)
	attrs[AttrApproximateNumberOfMessages] = strconv.Itoa(visible)
	attrs[AttrApproximateNumberOfMessagesNotVisible] = strconv.Itoa(inFlight)
	attrs[AttrApproximateNumberOfMessagesDelayed] = strconv.Itoa(delayed)
	attrs[AttrCreatedTimestamp] = strconv.FormatInt(q.CreatedAt/1000, 10)
	attrs[AttrLastModifiedTimestamp] = strconv.FormatInt(q.ModifiedAt/1000, 10)
	attrs[AttrQueueArn] = key.ARN()
	return QueueView{Key: key, Attributes: attrs}, nil
}

// Peek returns up to max messages visible at now, oldest first, without
// receiving them: no receipt handle, no receive count, nothing changes.
func (f *FSM) Peek(key QueueKey, now int64, max int) ([]ReceivedMessage, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	q, ok := f.queues[key]
	if !ok {
		return nil, queueNotFound()
	}
	out := []ReceivedMessage{}
	q.all.Ascend(func(m *message) bool {
		if m.VisibleAt <= now && m.ExpiresAt > now {
			v := m.view()
			v.DeduplicationID = "" // a peek never showed it
			out = append(out, v)
		}
		return len(out) < max
	})
	return out, nil
}

// ListQueues returns the sorted names of the queues of an account in a
// region that start with prefix.
func (f *FSM) ListQueues(region, account, prefix string) []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var names []string
	for k := range f.queues {
		if k.Region == region && k.Account == account && strings.HasPrefix(k.Name, prefix) {
			names = append(names, k.Name)
		}
	}
	sort.Strings(names)
	return names
}

// ListTags returns a copy of a queue's tags.
func (f *FSM) ListTags(key QueueKey) (map[string]string, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	q, ok := f.queues[key]
	if !ok {
		return nil, queueNotFound()
	}
	tags := make(map[string]string, len(q.Tags))
	for k, v := range q.Tags {
		tags[k] = v
	}
	return tags, nil
}

// DeadLetterSources returns the sorted names of the queues whose redrive
// policy targets key.
func (f *FSM) DeadLetterSources(key QueueKey) ([]string, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if _, ok := f.queues[key]; !ok {
		return nil, queueNotFound()
	}
	arn := key.ARN()
	var names []string
	for k, q := range f.queues {
		if q.redrive != nil && q.redrive.DeadLetterTargetArn == arn {
			names = append(names, k.Name)
		}
	}
	sort.Strings(names)
	return names, nil
}
