package transport

import (
	"context"

	"github.com/wharfmq/wharf/fsm"
)

// The permission and message-move-task actions.

type addPermissionInput struct {
	QueueUrl      string   //nolint:revive
	Label         string   //nolint:revive
	AWSAccountIds []string //nolint:revive
	Actions       []string //nolint:revive
}

type removePermissionInput struct {
	QueueUrl string //nolint:revive
	Label    string //nolint:revive
}

type startMoveTaskInput struct {
	SourceArn                    string //nolint:revive
	DestinationArn               string //nolint:revive
	MaxNumberOfMessagesPerSecond optInt //nolint:revive
}

type cancelMoveTaskInput struct {
	TaskHandle string //nolint:revive
}

type listMoveTasksInput struct {
	SourceArn  string //nolint:revive
	MaxResults optInt //nolint:revive
}

type startMoveTaskResult struct {
	TaskHandle string `json:"TaskHandle" xml:"TaskHandle"` //nolint:revive
}

type cancelMoveTaskResult struct {
	ApproximateNumberOfMessagesMoved int64 `json:"ApproximateNumberOfMessagesMoved" xml:"ApproximateNumberOfMessagesMoved"` //nolint:revive
}

type moveTaskEntry struct {
	TaskHandle                        string `json:"TaskHandle,omitempty" xml:"TaskHandle,omitempty"`                                               //nolint:revive
	Status                            string `json:"Status" xml:"Status"`                                                                           //nolint:revive
	SourceArn                         string `json:"SourceArn" xml:"SourceArn"`                                                                     //nolint:revive
	DestinationArn                    string `json:"DestinationArn,omitempty" xml:"DestinationArn,omitempty"`                                       //nolint:revive
	MaxNumberOfMessagesPerSecond      int    `json:"MaxNumberOfMessagesPerSecond,omitempty" xml:"MaxNumberOfMessagesPerSecond,omitempty"`           //nolint:revive
	ApproximateNumberOfMessagesMoved  int64  `json:"ApproximateNumberOfMessagesMoved" xml:"ApproximateNumberOfMessagesMoved"`                       //nolint:revive
	ApproximateNumberOfMessagesToMove int64  `json:"ApproximateNumberOfMessagesToMove,omitempty" xml:"ApproximateNumberOfMessagesToMove,omitempty"` //nolint:revive
	FailureReason                     string `json:"FailureReason,omitempty" xml:"FailureReason,omitempty"`                                         //nolint:revive
	StartedTimestamp                  int64  `json:"StartedTimestamp" xml:"StartedTimestamp"`                                                       //nolint:revive
}

type listMoveTasksResult struct {
	Results []moveTaskEntry `json:"Results" xml:"ListMessageMoveTasksResultEntry"` //nolint:revive
}

func (s *Server) addPermission(ctx context.Context, c *call, in *addPermissionInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.Label == "" {
		return nil, missing("Label")
	}
	return nil, s.cfg.Backend.AddPermission(ctx, fsm.AddPermission{Queue: key, Label: in.Label, Accounts: in.AWSAccountIds, Actions: in.Actions})
}

func (s *Server) removePermission(ctx context.Context, c *call, in *removePermissionInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.Label == "" {
		return nil, missing("Label")
	}
	return nil, s.cfg.Backend.RemovePermission(ctx, fsm.RemovePermission{Queue: key, Label: in.Label})
}

func (s *Server) startMessageMoveTask(ctx context.Context, c *call, in *startMoveTaskInput) (any, error) {
	if in.SourceArn == "" {
		return nil, missing("SourceArn")
	}
	rate, err := intParam(in.MaxNumberOfMessagesPerSecond, "MaxNumberOfMessagesPerSecond", 1, fsm.MaxMoveRate, 0,
		"Must be between 1 and 500.")
	if err != nil {
		return nil, err
	}
	handle, err := s.cfg.Backend.StartMoveTask(ctx, fsm.StartMoveTask{Source: in.SourceArn, Destination: in.DestinationArn, Rate: rate})
	if err != nil {
		return nil, err
	}
	return startMoveTaskResult{TaskHandle: handle}, nil
}

func (s *Server) cancelMessageMoveTask(ctx context.Context, c *call, in *cancelMoveTaskInput) (any, error) {
	if in.TaskHandle == "" {
		return nil, missing("TaskHandle")
	}
	v, err := s.cfg.Backend.CancelMoveTask(ctx, in.TaskHandle)
	if err != nil {
		return nil, err
	}
	return cancelMoveTaskResult{ApproximateNumberOfMessagesMoved: v.Moved}, nil
}

func (s *Server) listMessageMoveTasks(ctx context.Context, c *call, in *listMoveTasksInput) (any, error) {
	if in.SourceArn == "" {
		return nil, missing("SourceArn")
	}
	max, err := intParam(in.MaxResults, "MaxResults", 1, 10, 1, "Must be between 1 and 10.")
	if err != nil {
		return nil, err
	}
	tasks, err := s.cfg.Backend.ListMoveTasks(ctx, in.SourceArn, max)
	if err != nil {
		return nil, err
	}
	res := listMoveTasksResult{Results: []moveTaskEntry{}}
	for _, t := range tasks {
		e := moveTaskEntry{
			Status: t.Status, SourceArn: t.SourceArn, DestinationArn: t.DestinationArn,
			MaxNumberOfMessagesPerSecond: t.Rate, ApproximateNumberOfMessagesMoved: t.Moved,
			ApproximateNumberOfMessagesToMove: t.ToMove, FailureReason: t.FailureReason, StartedTimestamp: t.StartedAt,
		}
		if t.Status == fsm.MoveTaskRunning {
			e.TaskHandle = t.TaskHandle
		}
		res.Results = append(res.Results, e)
	}
	return res, nil
}
