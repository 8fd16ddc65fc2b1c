package transport

import (
	"context"

	"github.com/wharfmq/wharf/fsm"
)

// createQueue answers CreateQueue.
func (s *Server) createQueue(ctx context.Context, c *call, in *createQueueInput) (any, error) {
	if err := validQueueName(in.QueueName); err != nil {
		return nil, err
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}
	key := fsm.QueueKey{Region: c.region, Account: c.account, Name: in.QueueName}
	err := s.cfg.Backend.CreateQueue(ctx, fsm.CreateQueue{Queue: key, Attributes: in.Attributes, Tags: in.Tags})
	if err != nil {
		return nil, err
	}
	return queueURLResult{QueueUrl: c.queueURL(key.Account, key.Name)}, nil
}

// getQueueURL answers GetQueueUrl.
func (s *Server) getQueueURL(ctx context.Context, c *call, in *getQueueURLInput) (any, error) {
	if in.QueueName == "" {
		return nil, missing("QueueName")
	}
	account := in.QueueOwnerAWSAccountID
	if account == "" {
		account = c.account
	}
	key := fsm.QueueKey{Region: c.region, Account: account, Name: in.QueueName}
	if _, err := s.cfg.Backend.GetQueue(ctx, key); err != nil {
		return nil, err
	}
	return queueURLResult{QueueUrl: c.queueURL(key.Account, key.Name)}, nil
}

// listQueues answers ListQueues.
func (s *Server) listQueues(ctx context.Context, c *call, in *listQueuesInput) (any, error) {
	p, err := newPager(in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	names, err := s.cfg.Backend.ListQueues(ctx, c.region, c.account, in.QueueNamePrefix)
	if err != nil {
		return nil, err
	}
	page, next := p.page(names)
	res := listQueuesResult{NextToken: next}
	for _, n := range page {
		res.QueueUrls = append(res.QueueUrls, c.queueURL(c.account, n))
	}
	return res, nil
}

// deleteQueue answers DeleteQueue.
func (s *Server) deleteQueue(ctx context.Context, c *call, in *queueURLInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	return nil, s.cfg.Backend.DeleteQueue(ctx, key)
}

// purgeQueue answers PurgeQueue.
func (s *Server) purgeQueue(ctx context.Context, c *call, in *queueURLInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	return nil, s.cfg.Backend.PurgeQueue(ctx, key)
}

// setQueueAttributes answers SetQueueAttributes. Attribute names and values
// are the backend's to check.
func (s *Server) setQueueAttributes(ctx context.Context, c *call, in *setQueueAttributesInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.Attributes) == 0 {
		return nil, missing("Attributes")
	}
	return nil, s.cfg.Backend.SetQueueAttributes(ctx, fsm.SetQueueAttributes{Queue: key, Attributes: in.Attributes})
}

// queueAttributeNames are the names GetQueueAttributes accepts
// (QueueAttributeName in the model).
var queueAttributeNames = map[string]bool{
	"All": true, "Policy": true, "VisibilityTimeout": true, "MaximumMessageSize": true,
	"MessageRetentionPeriod": true, "ApproximateNumberOfMessages": true,
	"ApproximateNumberOfMessagesNotVisible": true, "CreatedTimestamp": true,
	"LastModifiedTimestamp": true, "QueueArn": true, "ApproximateNumberOfMessagesDelayed": true,
	"DelaySeconds": true, "ReceiveMessageWaitTimeSeconds": true, "RedrivePolicy": true,
	"FifoQueue": true, "ContentBasedDeduplication": true, "KmsMasterKeyId": true,
	"KmsDataKeyReusePeriodSeconds": true, "DeduplicationScope": true,
	"FifoThroughputLimit": true, "RedriveAllowPolicy": true, "SqsManagedSseEnabled": true,
}

// getQueueAttributes answers GetQueueAttributes: the backend returns every
// attribute, this keeps the ones asked for.
func (s *Server) getQueueAttributes(ctx context.Context, c *call, in *getQueueAttributesInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	all := false
	for _, n := range in.AttributeNames {
		if !queueAttributeNames[n] {
			return nil, errf(fsm.CodeInvalidAttributeName, "Unknown Attribute %s.", n)
		}
		all = all || n == "All"
	}
	view, err := s.cfg.Backend.GetQueue(ctx, key)
	if err != nil {
		return nil, err
	}
	res := attributesResult{Attributes: nameValueMap{}}
	for _, n := range in.AttributeNames {
		if n == "All" {
			continue
		}
		if v, ok := view.Attributes[n]; ok {
			res.Attributes[n] = v
		}
	}
	if all {
		for n, v := range view.Attributes {
			res.Attributes[n] = v
		}
	}
	return res, nil
}

// listDeadLetterSourceQueues answers ListDeadLetterSourceQueues.
func (s *Server) listDeadLetterSourceQueues(ctx context.Context, c *call, in *listDLQSourcesInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	p, err := newPager(in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	names, err := s.cfg.Backend.ListDeadLetterSourceQueues(ctx, key)
	if err != nil {
		return nil, err
	}
	page, next := p.page(names)
	res := dlqSourcesResult{QueueUrls: []string{}, NextToken: next}
	for _, n := range page {
		res.QueueUrls = append(res.QueueUrls, c.queueURL(key.Account, n))
	}
	return res, nil
}
