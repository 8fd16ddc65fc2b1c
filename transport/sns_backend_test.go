package transport

import (
	"context"

	"github.com/wharfmq/wharf/fsm"
)

// The protocol-layer unit tests exercise SNS, permissions and move tasks
// only up to the backend call
// (validation, routing, errors); their behaviour is tested against real
// clusters in test/. memBackend counts the calls and refuses them.

// errNoSNS answers 404 NotFound, so fuzzing treats it as a clean error.
var errNoSNS = fsm.Errorf(fsm.CodeSNSNotFound, "memBackend: no SNS state")

func (b *memBackend) snsCall() error {
	if err := b.enter(); err != nil {
		b.mu.Unlock()
		return err
	}
	b.mu.Unlock()
	return errNoSNS
}

func (b *memBackend) CreateTopic(context.Context, fsm.CreateTopic) (string, error) {
	return "", b.snsCall()
}
func (b *memBackend) DeleteTopic(context.Context, fsm.TopicKey) error { return b.snsCall() }
func (b *memBackend) SetTopicAttributes(context.Context, fsm.SetTopicAttributes) error {
	return b.snsCall()
}
func (b *memBackend) TagTopic(context.Context, fsm.TagTopic) error     { return b.snsCall() }
func (b *memBackend) UntagTopic(context.Context, fsm.UntagTopic) error { return b.snsCall() }
func (b *memBackend) Subscribe(context.Context, fsm.Subscribe) (fsm.SubscribeResult, error) {
	return fsm.SubscribeResult{}, b.snsCall()
}
func (b *memBackend) ConfirmSubscription(context.Context, fsm.ConfirmSubscription) (string, error) {
	return "", b.snsCall()
}
func (b *memBackend) Unsubscribe(context.Context, string) error { return b.snsCall() }
func (b *memBackend) SetSubscriptionAttributes(context.Context, fsm.SetSubscriptionAttributes) error {
	return b.snsCall()
}
func (b *memBackend) Publish(context.Context, fsm.Publish) ([]fsm.PublishResult, error) {
	return nil, b.snsCall()
}
func (b *memBackend) GetTopic(context.Context, fsm.TopicKey) (fsm.TopicView, error) {
	return fsm.TopicView{}, b.snsCall()
}
func (b *memBackend) ListTopics(context.Context, string, string) ([]string, error) {
	return nil, b.snsCall()
}
func (b *memBackend) ListTopicTags(context.Context, fsm.TopicKey) (map[string]string, error) {
	return nil, b.snsCall()
}
func (b *memBackend) GetSubscription(context.Context, string) (fsm.SubscriptionView, error) {
	return fsm.SubscriptionView{}, b.snsCall()
}
func (b *memBackend) ListSubscriptions(context.Context, string, string) ([]fsm.SubscriptionView, error) {
	return nil, b.snsCall()
}
func (b *memBackend) ListSubscriptionsByTopic(context.Context, fsm.TopicKey) ([]fsm.SubscriptionView, error) {
	return nil, b.snsCall()
}
func (b *memBackend) SigningCertificate() string { return "" }

func (b *memBackend) AddPermission(context.Context, fsm.AddPermission) error { return b.snsCall() }
func (b *memBackend) RemovePermission(context.Context, fsm.RemovePermission) error {
	return b.snsCall()
}
func (b *memBackend) StartMoveTask(context.Context, fsm.StartMoveTask) (string, error) {
	return "", b.snsCall()
}
func (b *memBackend) CancelMoveTask(context.Context, string) (fsm.MoveTaskView, error) {
	return fsm.MoveTaskView{}, b.snsCall()
}
func (b *memBackend) ListMoveTasks(context.Context, string, int) ([]fsm.MoveTaskView, error) {
	return nil, b.snsCall()
}
