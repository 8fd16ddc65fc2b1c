package transport

import (
	"context"

	"github.com/wharfmq/wharf/fsm"
)

// tagQueue answers TagQueue.
func (s *Server) tagQueue(ctx context.Context, c *call, in *tagQueueInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, missing("Tags")
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}
	return nil, s.cfg.Backend.TagQueue(ctx, fsm.TagQueue{Queue: key, Tags: in.Tags})
}

// untagQueue answers UntagQueue.
func (s *Server) untagQueue(ctx context.Context, c *call, in *untagQueueInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, missing("TagKeys")
	}
	for _, k := range in.TagKeys {
		if err := validTagKey(k); err != nil {
			return nil, err
		}
	}
	return nil, s.cfg.Backend.UntagQueue(ctx, fsm.UntagQueue{Queue: key, Keys: in.TagKeys})
}

// listQueueTags answers ListQueueTags.
func (s *Server) listQueueTags(ctx context.Context, c *call, in *queueURLInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	tags, err := s.cfg.Backend.ListQueueTags(ctx, key)
	if err != nil {
		return nil, err
	}
	return tagsResult{Tags: tags}, nil
}
