package fsm

import (
	"encoding/base64"
	"encoding/json"
)

// Message move tasks (StartMessageMoveTask and friends) move the messages
// of a dead-letter queue back to their source queues, or to a given
// queue. A task is replicated state: the leader proposes MoveMessages
// steps at the task's rate, each step moves messages atomically (removed
// from the source and stored in the destination in one apply), so a new
// leader simply goes on and no message is lost or moved twice.

// Move task statuses, as ListMessageMoveTasks reports them.
const (
	MoveTaskRunning   = "RUNNING"
	MoveTaskCompleted = "COMPLETED"
	MoveTaskCancelled = "CANCELLED"
	MoveTaskFailed    = "FAILED"
)

// MaxMoveRate is the fastest a task moves (messages per second), and the
// rate of a task that names none.
const MaxMoveRate = 500

// moveTaskHistory is how many tasks per source queue are remembered.
const moveTaskHistory = 10

// StartMoveTask starts a move task; TaskID is stamped by the leader.
// Destination "" sends each message back to the queue it was dead-lettered
// from; Rate 0 means MaxMoveRate.
type StartMoveTask struct {
	TaskID      string
	Source      string
	Destination string `codec:",omitempty"`
	Rate        int    `codec:",omitempty"`
}

// MoveMessages is one step of a running task: it moves up to Max messages.
type MoveMessages struct {
	TaskID string
	Max    int
}

// CancelMoveTask cancels a running task by its handle.
type CancelMoveTask struct {
	TaskHandle string
}

// MoveTaskView is a task as ListMessageMoveTasks shows it.
type MoveTaskView struct {
	TaskID         string
	TaskHandle     string
	Status         string
	SourceArn      string
	DestinationArn string
	Rate           int
	Moved          int64
	ToMove         int64
	FailureReason  string
	StartedAt      int64
}

// moveTask is the replicated state of one task.
type moveTask struct {
	MoveTaskView
	Source QueueKey
	// SourceID tells the source queue from a later queue of its name.
	SourceID uint64
	// Watermark: only messages stored before the task started (sequence
	// below it) are moved.
	Watermark uint64
}

// moveTaskHandle is the opaque handle of a task, as AWS builds it: base64
// of a small JSON naming the task and its source.
func moveTaskHandle(id, source string) string {
	b, _ := json.Marshal(struct {
		TaskID    string `json:"taskId"`
		SourceArn string `json:"sourceArn"`
	}{id, source})
	return base64.StdEncoding.EncodeToString(b)
}

// isDeadLetterQueue reports whether some queue's redrive policy targets arn.
func (f *FSM) isDeadLetterQueue(arn string) bool {
	for _, q := range f.queues {
		if q.redrive != nil && q.redrive.DeadLetterTargetArn == arn {
			return true
		}
	}
	return false
}

func (f *FSM) startMoveTask(now int64, c StartMoveTask) any {
	src := f.queueByARN(c.Source)
	if src == nil {
		return Errorf("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	if !f.isDeadLetterQueue(c.Source) {
		return Errorf(CodeInvalidParameterValue, "Source queue must be configured as a Dead Letter Queue.")
	}
	if c.Rate < 0 || c.Rate > MaxMoveRate {
		return Errorf(CodeInvalidParameterValue, "Value %d for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and %d.", c.Rate, MaxMoveRate)
	}
	if c.Destination != "" {
		dst := f.queueByARN(c.Destination)
		if dst == nil {
			return Errorf("ResourceNotFoundException", "The resource that you specified for the DestinationArn parameter doesn't exist.")
		}
		if dst == src {
			return Errorf(CodeInvalidParameterValue, "Source and destination queues must be different.")
		}
		if dst.fifo() != src.fifo() {
			return Errorf(CodeInvalidParameterValue, "Source and destination queues must be of the same type.")
		}
	}
	for _, t := range f.moveTasks {
		if t.SourceArn == c.Source && t.Status == MoveTaskRunning {
			return Errorf(CodeInvalidParameterValue, "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
		}
	}
	src.advance(now)
	t := &moveTask{
		MoveTaskView: MoveTaskView{
			TaskID: c.TaskID, TaskHandle: moveTaskHandle(c.TaskID, c.Source), Status: MoveTaskRunning,
			SourceArn: c.Source, DestinationArn: c.Destination, Rate: c.Rate,
			ToMove: int64(src.all.Len()), StartedAt: now,
		},
		Source: src.Key, SourceID: src.ID, Watermark: src.NextSeq,
	}
	f.moveTasks = append(f.moveTasks, t)
	f.trimMoveTasks(c.Source)
	return t.TaskHandle
}

// trimMoveTasks forgets the oldest finished tasks of a source beyond the
// history kept.
func (f *FSM) trimMoveTasks(source string) {
	n := 0
	for i := len(f.moveTasks) - 1; i >= 0; i-- {
		t := f.moveTasks[i]
		if t.SourceArn != source {
			continue
		}
		n++
		if n > moveTaskHistory && t.Status != MoveTaskRunning {
			f.moveTasks = append(f.moveTasks[:i], f.moveTasks[i+1:]...)
		}
	}
}

func (f *FSM) taskByID(id string) *moveTask {
	for _, t := range f.moveTasks {
		if t.TaskID == id {
			return t
		}
	}
	return nil
}

// replaceTask stores a changed copy of a task (snapshots share the old).
func (f *FSM) replaceTask(old *moveTask, u *moveTask) {
	for i, t := range f.moveTasks {
		if t == old {
			f.moveTasks[i] = u
		}
	}
}

func (f *FSM) moveMessages(now int64, c MoveMessages, wake *[]QueueKey) any {
	t := f.taskByID(c.TaskID)
	if t == nil || t.Status != MoveTaskRunning {
		return 0
	}
	u := *t
	defer f.replaceTask(t, &u)
	src, ok := f.queues[t.Source]
	if !ok || src.ID != t.SourceID {
		u.Status, u.FailureReason = MoveTaskFailed, "The source queue was deleted."
		return 0
	}
	src.advance(now)
	var batch []*message
	src.ready.Ascend(func(m *message) bool {
		if m.Seq >= t.Watermark || len(batch) == c.Max {
			return false
		}
		batch = append(batch, m)
		return true
	})
	moved := 0
	for _, m := range batch {
		dest := t.DestinationArn
		if dest == "" {
			dest = m.deadLetterSource()
		}
		dq := f.queueByARN(dest)
		if dq == nil || dq == src {
			u.Status, u.FailureReason = MoveTaskFailed, "CouldNotDetermineMessageSource: the destination queue "+dest+" does not exist."
			break
		}
		if dq.fifo() && m.groupID() == "" {
			u.Status, u.FailureReason = MoveTaskFailed, "A message without a MessageGroupId cannot move to the FIFO queue "+dest+"."
			break
		}
		src.remove(m)
		dq.advance(now)
		n := *m
		n.Seq = dq.NextSeq
		dq.NextSeq++
		n.VisibleAt = now
		n.ExpiresAt = now + int64(dq.intAttr(AttrMessageRetentionPeriod))*1000
		n.resetReceives("")
		dq.insert(&n, now)
		*wake = append(*wake, dq.Key)
		moved++
	}
	u.Moved += int64(moved)
	if u.Status == MoveTaskRunning {
		if first, ok := src.all.Min(); !ok || first.Seq >= t.Watermark {
			u.Status = MoveTaskCompleted
		}
	}
	return moved
}

func (f *FSM) cancelMoveTask(now int64, c CancelMoveTask) any {
	for _, t := range f.moveTasks {
		if t.TaskHandle != c.TaskHandle {
			continue
		}
		if t.Status != MoveTaskRunning {
			return Errorf(CodeInvalidParameterValue, "Only active tasks can be cancelled.")
		}
		u := *t
		u.Status = MoveTaskCancelled
		f.replaceTask(t, &u)
		return u.MoveTaskView
	}
	return Errorf("ResourceNotFoundException", "Task does not exist.")
}

// RunningMoveTasks returns the running tasks, oldest first, for the
// leader's mover.
func (f *FSM) RunningMoveTasks() []MoveTaskView {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []MoveTaskView
	for _, t := range f.moveTasks {
		if t.Status == MoveTaskRunning {
			out = append(out, t.MoveTaskView)
		}
	}
	return out
}

// ListMoveTasks returns up to max tasks of a source queue, most recent
// first.
func (f *FSM) ListMoveTasks(sourceArn string, max int) ([]MoveTaskView, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.queueByARN(sourceArn) == nil {
		return nil, Errorf("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	var out []MoveTaskView
	for i := len(f.moveTasks) - 1; i >= 0 && len(out) < max; i-- {
		if t := f.moveTasks[i]; t.SourceArn == sourceArn {
			out = append(out, t.MoveTaskView)
		}
	}
	return out, nil
}
