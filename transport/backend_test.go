package transport

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharfmq/wharf/fsm"
	"github.com/wharfmq/wharf/node"
)

// memBackend is a tiny in-memory Backend for unit tests of the protocol
// layer. It keeps messages in order, hands out receipt handles "rh-<id>-<n>"
// and never waits: long polls return at once.
type memBackend struct {
	mu       sync.Mutex
	queues   map[fsm.QueueKey]*memQueue
	nextID   int
	leader   bool
	addr     string
	ready    bool
	calls    int // backend calls, to prove bad input never reaches it
	lastWait time.Duration
	lastRecv fsm.ReceiveMessages
	lastSend fsm.SendMessages
	failWith error // returned by every data call when set
	// transferredTo and removed record the cluster operations.
	transferredTo string
	removed       []string
}

type memQueue struct {
	attrs    map[string]string
	tags     map[string]string
	messages []*memMessage
}

type memMessage struct {
	fsm.ReceivedMessage
	inflight bool
}

func newMemBackend() *memBackend {
	return &memBackend{queues: map[fsm.QueueKey]*memQueue{}, leader: true, ready: true}
}

func notFound() error {
	return fsm.Errorf(fsm.CodeQueueDoesNotExist, "The specified queue does not exist.")
}

func (b *memBackend) enter() error {
	b.mu.Lock()
	b.calls++
	return b.failWith
}

func (b *memBackend) CreateQueue(_ context.Context, req fsm.CreateQueue) error {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return err
	}
	if q, ok := b.queues[req.Queue]; ok {
		for k, v := range req.Attributes {
			if q.attrs[k] != v {
				return fsm.Errorf(fsm.CodeQueueNameExists, "A queue already exists with the same name and a different value for attribute %s", k)
			}
		}
		return nil
	}
	attrs := map[string]string{
		"VisibilityTimeout": "30", "DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "0",
		"CreatedTimestamp": "1700000000", "QueueArn": req.Queue.ARN(),
		"ApproximateNumberOfMessages": "0",
	}
	for k, v := range req.Attributes {
		if k == "Bogus" {
			return fsm.Errorf(fsm.CodeInvalidAttributeName, "Unknown Attribute %s.", k)
		}
		attrs[k] = v
	}
	tags := map[string]string{}
	for k, v := range req.Tags {
		tags[k] = v
	}
	b.queues[req.Queue] = &memQueue{attrs: attrs, tags: tags}
	return nil
}

func (b *memBackend) queue(key fsm.QueueKey) (*memQueue, error) {
	q, ok := b.queues[key]
	if !ok {
		return nil, notFound()
	}
	return q, nil
}

func (b *memBackend) DeleteQueue(_ context.Context, key fsm.QueueKey) error {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return err
	}
	if _, err := b.queue(key); err != nil {
		return err
	}
	delete(b.queues, key)
	return nil
}

func (b *memBackend) SetQueueAttributes(_ context.Context, req fsm.SetQueueAttributes) error {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return err
	}
	q, err := b.queue(req.Queue)
	if err != nil {
		return err
	}
	for k, v := range req.Attributes {
		q.attrs[k] = v
	}
	return nil
}

func (b *memBackend) TagQueue(_ context.Context, req fsm.TagQueue) error {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return err
	}
	q, err := b.queue(req.Queue)
	if err != nil {
		return err
	}
	for k, v := range req.Tags {
		q.tags[k] = v
	}
	return nil
}

func (b *memBackend) UntagQueue(_ context.Context, req fsm.UntagQueue) error {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return err
	}
	q, err := b.queue(req.Queue)
	if err != nil {
		return err
	}
	for _, k := range req.Keys {
		delete(q.tags, k)
	}
	return nil
}

func (b *memBackend) PurgeQueue(_ context.Context, key fsm.QueueKey) error {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return err
	}
	q, err := b.queue(key)
	if err != nil {
		return err
	}
	q.messages = nil
	return nil
}

func (b *memBackend) SendMessages(_ context.Context, req fsm.SendMessages) ([]fsm.SendResult, error) {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return nil, err
	}
	b.lastSend = req
	q, err := b.queue(req.Queue)
	if err != nil {
		return nil, err
	}
	var out []fsm.SendResult
	for _, e := range req.Entries {
		if e.Body == "reject-me" {
			out = append(out, fsm.SendResult{ID: e.ID, Err: fsm.Errorf(fsm.CodeInvalidParameterValue, "rejected")})
			continue
		}
		b.nextID++
		id := fmt.Sprintf("m%04d", b.nextID)
		q.messages = append(q.messages, &memMessage{ReceivedMessage: fsm.ReceivedMessage{
			MessageID: id, Body: e.Body, Attributes: e.Attributes, SystemAttributes: e.SystemAttributes,
			SenderID: req.SenderID, SentTimestamp: 1700000000123, MessageGroupID: e.MessageGroupID,
			DeduplicationID: e.DeduplicationID,
		}})
		out = append(out, fsm.SendResult{ID: e.ID, MessageID: id})
	}
	return out, nil
}

func (b *memBackend) PeekMessages(_ context.Context, key fsm.QueueKey, max int) ([]fsm.ReceivedMessage, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return nil, err
	}
	return []fsm.ReceivedMessage{}, nil
}

func (b *memBackend) ReceiveMessages(_ context.Context, req fsm.ReceiveMessages, wait time.Duration) ([]fsm.ReceivedMessage, error) {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return nil, err
	}
	b.lastWait, b.lastRecv = wait, req
	q, err := b.queue(req.Queue)
	if err != nil {
		return nil, err
	}
	var out []fsm.ReceivedMessage
	for _, m := range q.messages {
		if len(out) == req.Max {
			break
		}
		if m.inflight {
			continue
		}
		m.inflight = true
		m.ReceiveCount++
		if m.FirstReceiveTimestamp == 0 {
			m.FirstReceiveTimestamp = 1700000000456
		}
		m.ReceiptHandle = "rh-" + m.MessageID + "-" + strconv.Itoa(m.ReceiveCount)
		out = append(out, m.ReceivedMessage)
	}
	return out, nil
}

func (b *memBackend) handleResults(key fsm.QueueKey, entries []fsm.HandleEntry, apply func(q *memQueue, i int)) ([]fsm.EntryResult, error) {
	q, err := b.queue(key)
	if err != nil {
		return nil, err
	}
	var out []fsm.EntryResult
	for _, e := range entries {
		r := fsm.EntryResult{ID: e.ID}
		found := -1
		for i, m := range q.messages {
			if m.ReceiptHandle == e.ReceiptHandle {
				found = i
			}
		}
		switch {
		case !strings.HasPrefix(e.ReceiptHandle, "rh-"):
			r.Err = fsm.Errorf(fsm.CodeReceiptHandleIsInvalid, "The input receipt handle \"%s\" is not a valid receipt handle.", e.ReceiptHandle)
		case found >= 0:
			apply(q, found)
		}
		out = append(out, r)
	}
	return out, nil
}

func (b *memBackend) DeleteMessages(_ context.Context, req fsm.DeleteMessages) ([]fsm.EntryResult, error) {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return nil, err
	}
	return b.handleResults(req.Queue, req.Entries, func(q *memQueue, i int) {
		q.messages = append(q.messages[:i], q.messages[i+1:]...)
	})
}

func (b *memBackend) ChangeVisibility(_ context.Context, req fsm.ChangeVisibility) ([]fsm.EntryResult, error) {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return nil, err
	}
	return b.handleResults(req.Queue, req.Entries, func(q *memQueue, i int) {
		q.messages[i].inflight = false
	})
}

func (b *memBackend) GetQueue(_ context.Context, key fsm.QueueKey) (fsm.QueueView, error) {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return fsm.QueueView{}, err
	}
	q, err := b.queue(key)
	if err != nil {
		return fsm.QueueView{}, err
	}
	attrs := map[string]string{}
	for k, v := range q.attrs {
		attrs[k] = v
	}
	attrs["ApproximateNumberOfMessages"] = strconv.Itoa(len(q.messages))
	return fsm.QueueView{Key: key, Attributes: attrs}, nil
}

func (b *memBackend) ListQueues(_ context.Context, region, account, prefix string) ([]string, error) {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return nil, err
	}
	var names []string
	for k := range b.queues {
		if k.Region == region && k.Account == account && strings.HasPrefix(k.Name, prefix) {
			names = append(names, k.Name)
		}
	}
	sort.Strings(names)
	return names, nil
}

func (b *memBackend) ListQueueTags(_ context.Context, key fsm.QueueKey) (map[string]string, error) {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return nil, err
	}
	q, err := b.queue(key)
	if err != nil {
		return nil, err
	}
	return q.tags, nil
}

func (b *memBackend) ListDeadLetterSourceQueues(_ context.Context, key fsm.QueueKey) ([]string, error) {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return nil, err
	}
	if _, err := b.queue(key); err != nil {
		return nil, err
	}
	var names []string
	for k, q := range b.queues {
		if strings.Contains(q.attrs["RedrivePolicy"], key.ARN()) {
			names = append(names, k.Name)
		}
	}
	sort.Strings(names)
	return names, nil
}

func (b *memBackend) Status() node.Status {
	return node.Status{NodeID: "n1", State: "Leader", LeaderAPIAddr: b.addr, Members: []node.Member{
		{ID: "n1", APIAddr: b.addr, RaftAddr: "127.0.0.1:7001", Voter: true, GossipStatus: "alive"},
		{ID: "n2", APIAddr: "127.0.0.1:9002", RaftAddr: "127.0.0.1:7002", Voter: true, GossipStatus: "dead"},
	}}
}

func (b *memBackend) IsLeader() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.leader
}

// ForwardsCommands: a lone memBackend is the leader, or forwards nothing
// (forwardingBackend forwards).
func (b *memBackend) ForwardsCommands() bool { return true }

func (b *memBackend) LeaderAPIAddr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addr
}

func (b *memBackend) Ready() bool { return b.ready }

func (b *memBackend) StateHash() (uint64, string) { return 0, "" }

func (b *memBackend) callCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

func (b *memBackend) TransferLeadership(_ context.Context, to string) error {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return err
	}
	if !b.leader {
		return node.ErrNotLeader
	}
	if to != "" && to != "n2" {
		return fsm.Errorf(fsm.CodeInvalidParameterValue, "no voter with ID %s", to)
	}
	b.transferredTo = to
	return nil
}

func (b *memBackend) RemoveMember(_ context.Context, id string) error {
	defer b.mu.Unlock()
	if err := b.enter(); err != nil {
		return err
	}
	if !b.leader {
		return node.ErrNotLeader
	}
	if id != "n2" {
		return fsm.Errorf(fsm.CodeInvalidParameterValue, "no member with ID %s", id)
	}
	b.removed = append(b.removed, id)
	return nil
}
