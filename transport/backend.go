package transport

import (
	"context"
	"time"

	"github.com/wharfmq/wharf/fsm"
	"github.com/wharfmq/wharf/node"
)

// Backend is what the HTTP layer needs from a cluster member; *node.Node
// implements it. Domain errors come back as *fsm.Error; node.ErrNotLeader,
// node.ErrNoLeader, node.ErrIndeterminate, node.ErrShuttingDown and context
// errors mean "retry" and are answered with a 5xx.
//
// SendMessages, ReceiveMessages, DeleteMessages, ChangeVisibility and
// Publish work on any member (a follower forwards them to the leader, see
// ForwardsCommands); called with no entries, SendMessages, DeleteMessages,
// ChangeVisibility and Publish only check that the queue or topic exists.
// Every other operation runs on the leader only.
type Backend interface {
	// The SQS operations, one per command or read of node's service API.
	CreateQueue(ctx context.Context, req fsm.CreateQueue) error
	DeleteQueue(ctx context.Context, key fsm.QueueKey) error
	SetQueueAttributes(ctx context.Context, req fsm.SetQueueAttributes) error
	TagQueue(ctx context.Context, req fsm.TagQueue) error
	UntagQueue(ctx context.Context, req fsm.UntagQueue) error
	PurgeQueue(ctx context.Context, key fsm.QueueKey) error
	SendMessages(ctx context.Context, req fsm.SendMessages) ([]fsm.SendResult, error)
	ReceiveMessages(ctx context.Context, req fsm.ReceiveMessages, wait time.Duration) ([]fsm.ReceivedMessage, error)
	DeleteMessages(ctx context.Context, req fsm.DeleteMessages) ([]fsm.EntryResult, error)
	ChangeVisibility(ctx context.Context, req fsm.ChangeVisibility) ([]fsm.EntryResult, error)
	GetQueue(ctx context.Context, key fsm.QueueKey) (fsm.QueueView, error)
	ListQueues(ctx context.Context, region, account, prefix string) ([]string, error)
	ListQueueTags(ctx context.Context, key fsm.QueueKey) (map[string]string, error)
	PeekMessages(ctx context.Context, key fsm.QueueKey, max int) ([]fsm.ReceivedMessage, error)
	ListDeadLetterSourceQueues(ctx context.Context, key fsm.QueueKey) ([]string, error)
	AddPermission(ctx context.Context, req fsm.AddPermission) error
	RemovePermission(ctx context.Context, req fsm.RemovePermission) error
	StartMoveTask(ctx context.Context, req fsm.StartMoveTask) (string, error)
	CancelMoveTask(ctx context.Context, handle string) (fsm.MoveTaskView, error)
	ListMoveTasks(ctx context.Context, sourceArn string, max int) ([]fsm.MoveTaskView, error)

	// The SNS operations.
	CreateTopic(ctx context.Context, req fsm.CreateTopic) (string, error)
	DeleteTopic(ctx context.Context, key fsm.TopicKey) error
	SetTopicAttributes(ctx context.Context, req fsm.SetTopicAttributes) error
	TagTopic(ctx context.Context, req fsm.TagTopic) error
	UntagTopic(ctx context.Context, req fsm.UntagTopic) error
	Subscribe(ctx context.Context, req fsm.Subscribe) (fsm.SubscribeResult, error)
	ConfirmSubscription(ctx context.Context, req fsm.ConfirmSubscription) (string, error)
	Unsubscribe(ctx context.Context, arn string) error
	SetSubscriptionAttributes(ctx context.Context, req fsm.SetSubscriptionAttributes) error
	Publish(ctx context.Context, req fsm.Publish) ([]fsm.PublishResult, error)
	GetTopic(ctx context.Context, key fsm.TopicKey) (fsm.TopicView, error)
	ListTopics(ctx context.Context, region, account string) ([]string, error)
	ListTopicTags(ctx context.Context, key fsm.TopicKey) (map[string]string, error)
	GetSubscription(ctx context.Context, arn string) (fsm.SubscriptionView, error)
	ListSubscriptions(ctx context.Context, region, account string) ([]fsm.SubscriptionView, error)
	ListSubscriptionsByTopic(ctx context.Context, key fsm.TopicKey) ([]fsm.SubscriptionView, error)
	// SigningCertificate is the PEM certificate SNS signatures verify
	// with, "" until one exists.
	SigningCertificate() string

	// TransferLeadership hands leadership to the voter with ID to, or to
	// the most up-to-date voter when to is ""; it runs on the leader only.
	TransferLeadership(ctx context.Context, to string) error
	// RemoveMember removes a failed member from the raft configuration; it
	// runs on the leader only.
	RemoveMember(ctx context.Context, id string) error

	// Status is the node's view of the cluster, for GET /v1/cluster/status.
	Status() node.Status
	// IsLeader reports whether this node is the raft leader.
	IsLeader() bool
	// ForwardsCommands reports whether the message operations
	// (SendMessages, ReceiveMessages, DeleteMessages, ChangeVisibility,
	// Publish) reach the leader from this node by themselves; false when
	// the leader cannot take them that way (an older build), and the HTTP
	// request must be forwarded.
	ForwardsCommands() bool
	// LeaderAPIAddr is the host:port of the leader's API, "" when unknown.
	LeaderAPIAddr() string
	// Ready reports whether the node knows a leader and its FSM caught up.
	Ready() bool
	// StateHash is a hash of the state machine and the index it reflects;
	// replicas at the same index must agree.
	StateHash() (index uint64, hash string)
}
