package transport

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/wharfmq/wharf/fsm"
	"github.com/wharfmq/wharf/node/push"
)

// topicNamePattern is AWS's rule for topic names (.fifo for FIFO topics).
var topicNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// checkTopicName validates a topic name.
func checkTopicName(name string) error {
	base := strings.TrimSuffix(name, ".fifo")
	if !topicNamePattern.MatchString(base) {
		return snsInvalid("Topic Name")
	}
	return nil
}

// checkTopicAttributeValue validates what needs more than the FSM knows:
// a topic's DeliveryPolicy.
func checkTopicAttributeValue(name, value string) error {
	if name == fsm.TopicAttrDeliveryPolicy && value != "" {
		if _, err := push.ParseDeliveryPolicy(value); err != nil {
			return snsInvalid("DeliveryPolicy: %s", err.Error())
		}
	}
	return nil
}

func (s *Server) snsCreateTopic(ctx context.Context, c *call, p url.Values) (any, error) {
	name, err := snsRequired(p, "Name")
	if err != nil {
		return nil, err
	}
	if err := checkTopicName(name); err != nil {
		return nil, err
	}
	attrs := snsMap(p, "Attributes.entry", "key", "value")
	for k, v := range attrs {
		if err := checkTopicAttributeValue(k, v); err != nil {
			return nil, err
		}
	}
	tags, err := snsTags(p)
	if err != nil {
		return nil, err
	}
	key := fsm.TopicKey{Region: c.region, Account: c.account, Name: name}
	arn, err := s.cfg.Backend.CreateTopic(ctx, fsm.CreateTopic{Topic: key, Attributes: attrs, Tags: tags})
	if err != nil {
		return nil, err
	}
	return snsTopicArnResult{TopicArn: arn}, nil
}

func (s *Server) snsDeleteTopic(ctx context.Context, c *call, p url.Values) (any, error) {
	key, err := snsTopicKey(p, "TopicArn")
	if err != nil {
		return nil, err
	}
	return nil, s.cfg.Backend.DeleteTopic(ctx, key)
}

func (s *Server) snsListTopics(ctx context.Context, c *call, p url.Values) (any, error) {
	arns, err := s.cfg.Backend.ListTopics(ctx, c.region, c.account)
	if err != nil {
		return nil, err
	}
	page, next, err := snsPage(arns, func(arn string) string { return arn }, p.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	out := snsListTopicsResult{NextToken: next}
	for _, a := range page {
		out.Topics.Member = append(out.Topics.Member, snsTopicArnResult{TopicArn: a})
	}
	return out, nil
}

func (s *Server) snsGetTopicAttributes(ctx context.Context, c *call, p url.Values) (any, error) {
	key, err := snsTopicKey(p, "TopicArn")
	if err != nil {
		return nil, err
	}
	v, err := s.cfg.Backend.GetTopic(ctx, key)
	if err != nil {
		return nil, err
	}
	return snsAttributes(v.Attributes), nil
}

func (s *Server) snsSetTopicAttributes(ctx context.Context, c *call, p url.Values) (any, error) {
	key, err := snsTopicKey(p, "TopicArn")
	if err != nil {
		return nil, err
	}
	name, err := snsRequired(p, "AttributeName")
	if err != nil {
		return nil, err
	}
	value := p.Get("AttributeValue")
	if err := checkTopicAttributeValue(name, value); err != nil {
		return nil, err
	}
	return nil, s.cfg.Backend.SetTopicAttributes(ctx, fsm.SetTopicAttributes{Topic: key, Name: name, Value: value})
}

// snsTags reads Tags.member.N.Key/Value with AWS's limits.
func snsTags(p url.Values) (map[string]string, error) {
	tags := map[string]string{}
	for _, m := range snsMembers(p, "Tags.member") {
		k, v := m.Get("Key"), m.Get("Value")
		if k == "" || len(k) > 128 {
			return nil, snsInvalid("Tags Reason: Tag keys must be between 1 and 128 characters long")
		}
		if len(v) > 256 {
			return nil, snsInvalid("Tags Reason: Tag values must be at most 256 characters long")
		}
		tags[k] = v
	}
	if len(tags) > 50 {
		return nil, errf("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	return tags, nil
}

// snsResourceTopic resolves the ResourceArn of the tagging actions (only
// topics carry tags here).
func snsResourceTopic(p url.Values) (fsm.TopicKey, error) {
	arn, err := snsRequired(p, "ResourceArn")
	if err != nil {
		return fsm.TopicKey{}, err
	}
	k, ok := fsm.ParseTopicARN(arn)
	if !ok {
		return fsm.TopicKey{}, snsInvalid("ResourceArn")
	}
	return k, nil
}

func (s *Server) snsTagResource(ctx context.Context, c *call, p url.Values) (any, error) {
	key, err := snsResourceTopic(p)
	if err != nil {
		return nil, err
	}
	tags, err := snsTags(p)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, snsInvalid("Tags")
	}
	if err := s.cfg.Backend.TagTopic(ctx, fsm.TagTopic{Topic: key, Tags: tags}); err != nil {
		return nil, err
	}
	return snsEmptyResult{}, nil
}

func (s *Server) snsUntagResource(ctx context.Context, c *call, p url.Values) (any, error) {
	key, err := snsResourceTopic(p)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, m := range snsMembers(p, "TagKeys.member") {
		keys = append(keys, m.Get(""))
	}
	if len(keys) == 0 {
		return nil, snsInvalid("TagKeys")
	}
	if err := s.cfg.Backend.UntagTopic(ctx, fsm.UntagTopic{Topic: key, Keys: keys}); err != nil {
		return nil, err
	}
	return snsEmptyResult{}, nil
}

func (s *Server) snsListTagsForResource(ctx context.Context, c *call, p url.Values) (any, error) {
	key, err := snsResourceTopic(p)
	if err != nil {
		return nil, err
	}
	tags, err := s.cfg.Backend.ListTopicTags(ctx, key)
	if err != nil {
		return nil, err
	}
	out := snsTagsResult{}
	for _, e := range snsAttributes(tags).Attributes.Entry {
		out.Tags.Member = append(out.Tags.Member, snsTag{Key: e.Key, Value: e.Value})
	}
	return out, nil
}
