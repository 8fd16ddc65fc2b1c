package transport

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/wharfmq/wharf/fsm"
	"github.com/wharfmq/wharf/node/push"
)

// snsProtocols are the subscription protocols served.
var snsProtocols = map[string]bool{"sqs": true, "http": true, "https": true}

// checkSubscriptionAttributeValue validates what needs more than the FSM
// knows: a subscription's DeliveryPolicy.
func checkSubscriptionAttributeValue(name, value string) error {
	if name == fsm.SubAttrDeliveryPolicy && value != "" {
		if _, err := push.ParseDeliveryPolicy(value); err != nil {
			return snsInvalid("DeliveryPolicy: %s", err.Error())
		}
	}
	return nil
}

// checkEndpoint validates a subscription endpoint for its protocol.
func (s *Server) checkEndpoint(protocol, endpoint string) error {
	if endpoint == "" {
		return snsInvalid("Endpoint")
	}
	if protocol == "sqs" {
		k, ok := fsm.ParseTopicARN(strings.Replace(endpoint, ":sqs:", ":sns:", 1))
		if !ok || !strings.HasPrefix(endpoint, "arn:aws:sqs:") || k.Name == "" {
			return snsInvalid("SQS endpoint ARN")
		}
		return nil
	}
	if !strings.HasPrefix(strings.ToLower(endpoint), protocol+"://") {
		return snsInvalid("Endpoint must match the specified protocol")
	}
	if err := push.CheckEndpoint(endpoint, protocol, s.cfg.AllowPrivateEndpoints); err != nil {
		return snsInvalid("Endpoint: %s", err.Error())
	}
	return nil
}

func (s *Server) snsSubscribe(ctx context.Context, c *call, p url.Values) (any, error) {
	key, err := snsTopicKey(p, "TopicArn")
	if err != nil {
		return nil, err
	}
	protocol, err := snsRequired(p, "Protocol")
	if err != nil {
		return nil, err
	}
	protocol = strings.ToLower(protocol)
	if !snsProtocols[protocol] {
		return nil, snsInvalid("Amazon SNS does not support this protocol string: %s", p.Get("Protocol"))
	}
	endpoint := p.Get("Endpoint")
	if err := s.checkEndpoint(protocol, endpoint); err != nil {
		return nil, err
	}
	attrs := snsMap(p, "Attributes.entry", "key", "value")
	for k, v := range attrs {
		if err := checkSubscriptionAttributeValue(k, v); err != nil {
			return nil, err
		}
	}
	res, err := s.cfg.Backend.Subscribe(ctx, fsm.Subscribe{
		Topic: key, Protocol: protocol, Endpoint: endpoint, Attributes: attrs, Owner: c.account,
	})
	if err != nil {
		return nil, err
	}
	arn := res.SubscriptionArn
	if res.Pending && !strings.EqualFold(p.Get("ReturnSubscriptionArn"), "true") {
		arn = "pending confirmation"
	}
	return snsSubscriptionArnResult{SubscriptionArn: arn}, nil
}

func (s *Server) snsConfirmSubscription(ctx context.Context, c *call, p url.Values) (any, error) {
	key, err := snsTopicKey(p, "TopicArn")
	if err != nil {
		return nil, err
	}
	token, err := snsRequired(p, "Token")
	if err != nil {
		return nil, err
	}
	arn, err := s.cfg.Backend.ConfirmSubscription(ctx, fsm.ConfirmSubscription{Topic: key, Token: token})
	if err != nil {
		return nil, err
	}
	return snsSubscriptionArnResult{SubscriptionArn: arn}, nil
}

// snsSubscriptionArn reads and checks a SubscriptionArn parameter.
func snsSubscriptionArn(p url.Values) (string, error) {
	arn, err := snsRequired(p, "SubscriptionArn")
	if err != nil {
		return "", err
	}
	if _, ok := fsm.ParseSubscriptionARN(arn); !ok {
		return "", snsInvalid("SubscriptionArn")
	}
	return arn, nil
}

func (s *Server) snsUnsubscribe(ctx context.Context, c *call, p url.Values) (any, error) {
	arn, err := snsSubscriptionArn(p)
	if err != nil {
		return nil, err
	}
	err = s.cfg.Backend.Unsubscribe(ctx, arn)
	var fe *fsm.Error
	if errors.As(err, &fe) && fe.Code == fsm.CodeSNSNotFound {
		// AWS answers Unsubscribe of a subscription that does not exist
		// (any more) with success, though its API reference lists NotFound.
		return nil, nil
	}
	return nil, err
}

func (s *Server) snsGetSubscriptionAttributes(ctx context.Context, c *call, p url.Values) (any, error) {
	arn, err := snsSubscriptionArn(p)
	if err != nil {
		return nil, err
	}
	v, err := s.cfg.Backend.GetSubscription(ctx, arn)
	if err != nil {
		return nil, err
	}
	return snsAttributes(v.Attributes), nil
}

func (s *Server) snsSetSubscriptionAttributes(ctx context.Context, c *call, p url.Values) (any, error) {
	arn, err := snsSubscriptionArn(p)
	if err != nil {
		return nil, err
	}
	name, err := snsRequired(p, "AttributeName")
	if err != nil {
		return nil, err
	}
	value := p.Get("AttributeValue")
	if err := checkSubscriptionAttributeValue(name, value); err != nil {
		return nil, err
	}
	return nil, s.cfg.Backend.SetSubscriptionAttributes(ctx, fsm.SetSubscriptionAttributes{SubscriptionArn: arn, Name: name, Value: value})
}

// subscriptionList renders subscriptions as ListSubscriptions answers.
func subscriptionList(subs []fsm.SubscriptionView, token string) (any, error) {
	// The key is the real ARN: a pending subscription's view shows
	// "PendingConfirmation" instead.
	page, next, err := snsPage(subs, func(v fsm.SubscriptionView) string { return v.Attributes["SubscriptionArn"] }, token)
	if err != nil {
		return nil, err
	}
	out := snsListSubscriptionsResult{NextToken: next}
	for _, v := range page {
		out.Subscriptions.Member = append(out.Subscriptions.Member, snsSubscriptionMember{
			SubscriptionArn: v.SubscriptionArn, Owner: v.Owner, Protocol: v.Protocol, Endpoint: v.Endpoint, TopicArn: v.TopicArn,
		})
	}
	return out, nil
}

func (s *Server) snsListSubscriptions(ctx context.Context, c *call, p url.Values) (any, error) {
	subs, err := s.cfg.Backend.ListSubscriptions(ctx, c.region, c.account)
	if err != nil {
		return nil, err
	}
	return subscriptionList(subs, p.Get("NextToken"))
}

func (s *Server) snsListSubscriptionsByTopic(ctx context.Context, c *call, p url.Values) (any, error) {
	key, err := snsTopicKey(p, "TopicArn")
	if err != nil {
		return nil, err
	}
	subs, err := s.cfg.Backend.ListSubscriptionsByTopic(ctx, key)
	if err != nil {
		return nil, err
	}
	return subscriptionList(subs, p.Get("NextToken"))
}
