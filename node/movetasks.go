package node

import (
	"context"
	"slices"
	"time"

	"github.com/wharfmq/wharf/fsm"
)

// moveTick is how often the leader steps the running move tasks.
const moveTick = 100 * time.Millisecond

// AddPermission adds a statement to a queue's policy.
func (n *Node) AddPermission(ctx context.Context, req fsm.AddPermission) error {
	_, err := n.apply(ctx, req)
	return err
}

// RemovePermission removes a statement from a queue's policy.
func (n *Node) RemovePermission(ctx context.Context, req fsm.RemovePermission) error {
	_, err := n.apply(ctx, req)
	return err
}

// StartMoveTask starts a message move task and returns its handle; the
// node stamps the task's ID.
func (n *Node) StartMoveTask(ctx context.Context, req fsm.StartMoveTask) (string, error) {
	req.TaskID = newMessageID()
	res, err := n.apply(ctx, req)
	if err != nil {
		return "", err
	}
	return res.(string), nil
}

// CancelMoveTask cancels a running move task.
func (n *Node) CancelMoveTask(ctx context.Context, handle string) (fsm.MoveTaskView, error) {
	res, err := n.apply(ctx, fsm.CancelMoveTask{TaskHandle: handle})
	if err != nil {
		return fsm.MoveTaskView{}, err
	}
	return res.(fsm.MoveTaskView), nil
}

// ListMoveTasks lists a source queue's move tasks, most recent first.
func (n *Node) ListMoveTasks(ctx context.Context, sourceArn string, max int) ([]fsm.MoveTaskView, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return nil, err
	}
	return n.fsm.ListMoveTasks(sourceArn, max)
}

// mover runs on the leader: every tick it proposes one step of each
// running task, sized to the task's rate. Steps are commands, so a new
// leader continues where the old one stopped.
func (n *Node) mover(stop <-chan struct{}) {
	tick := time.NewTicker(moveTick)
	defer tick.Stop()
	// credit accrues each task's rate, so slow rates move a message
	// every few ticks.
	credit := map[string]float64{}
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		running := n.fsm.RunningMoveTasks()
		for id := range credit {
			if !slices.ContainsFunc(running, func(t fsm.MoveTaskView) bool { return t.TaskID == id }) {
				delete(credit, id)
			}
		}
		for _, t := range running {
			rate := t.Rate
			if rate == 0 {
				rate = fsm.MaxMoveRate
			}
			credit[t.TaskID] += float64(rate) * moveTick.Seconds()
			perTick := int(credit[t.TaskID])
			if perTick == 0 {
				continue
			}
			credit[t.TaskID] -= float64(perTick)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if _, err := n.apply(ctx, fsm.MoveMessages{TaskID: t.TaskID, Max: perTick}); err != nil {
				n.log.Warn("move task step failed", "task", t.TaskID, "err", err)
			}
			cancel()
		}
	}
}
