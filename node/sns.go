package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"

	"github.com/wharfmq/wharf/fsm"
	"github.com/wharfmq/wharf/fsm/envelope"
	"github.com/wharfmq/wharf/node/push"
)

// The SNS service operations. Like the SQS ones, writes are raft commands
// run on the leader, which stamps IDs, times, tokens and signatures into
// them first; reads are linearizable.

// SigningCertPath is where the API serves the certificate SNS messages
// are signed with (their SigningCertURL).
const SigningCertPath = "/SimpleNotificationService.pem"

// signerCache holds the parsed signing key of the identity in the FSM.
type signerCache struct {
	mu     sync.Mutex
	keyPEM string
	signer *push.Signer
}

// publicURL is the base of the URLs SNS messages carry.
func (n *Node) publicURL() string {
	if n.cfg.PublicURL != "" {
		return n.cfg.PublicURL
	}
	return "http://" + n.advAPI
}

// signer returns the signer of the cluster's identity, creating and
// replicating the identity first if the cluster has none. Leader only.
func (n *Node) signer(ctx context.Context) (*push.Signer, error) {
	n.signing.mu.Lock()
	defer n.signing.mu.Unlock()
	key, _ := n.fsm.SigningIdentity()
	if key == "" {
		k, cert, err := push.GenerateIdentity()
		if err != nil {
			return nil, err
		}
		if _, err := n.apply(ctx, fsm.SetSigningIdentity{KeyPEM: k, CertPEM: cert}); err != nil {
			return nil, err
		}
		// A concurrent leader may have installed another first: use
		// whatever the FSM holds.
		key, _ = n.fsm.SigningIdentity()
	}
	if n.signing.signer == nil || n.signing.keyPEM != key {
		s, err := push.NewSigner(key)
		if err != nil {
			return nil, err
		}
		n.signing.signer, n.signing.keyPEM = s, key
	}
	return n.signing.signer, nil
}

// SigningCertificate returns the PEM certificate endpoints verify SNS
// signatures with ("" until the first topic needs one). Any node answers
// from its own state.
func (n *Node) SigningCertificate() string {
	_, cert := n.fsm.SigningIdentity()
	return cert
}

// sign signs a notice for a topic with the topic's signature version.
func (n *Node) sign(ctx context.Context, topicArn string, notice *fsm.Notice) error {
	s, err := n.signer(ctx)
	if err != nil {
		return err
	}
	e := notice.Envelope(topicArn, "")
	if err := s.Sign(e, notice.SignatureVersion); err != nil {
		return err
	}
	notice.Signature = e.Signature
	notice.SigningCertURL = n.publicURL() + SigningCertPath
	return nil
}

// CreateTopic creates a topic (idempotent) and returns its ARN.
func (n *Node) CreateTopic(ctx context.Context, req fsm.CreateTopic) (string, error) {
	res, err := n.apply(ctx, req)
	if err != nil {
		return "", err
	}
	return res.(string), nil
}

// DeleteTopic deletes a topic and its subscriptions.
func (n *Node) DeleteTopic(ctx context.Context, key fsm.TopicKey) error {
	_, err := n.apply(ctx, fsm.DeleteTopic{Topic: key})
	return err
}

// SetTopicAttributes sets one topic attribute.
func (n *Node) SetTopicAttributes(ctx context.Context, req fsm.SetTopicAttributes) error {
	_, err := n.apply(ctx, req)
	return err
}

// TagTopic adds tags to a topic.
func (n *Node) TagTopic(ctx context.Context, req fsm.TagTopic) error {
	_, err := n.apply(ctx, req)
	return err
}

// UntagTopic removes tags from a topic.
func (n *Node) UntagTopic(ctx context.Context, req fsm.UntagTopic) error {
	_, err := n.apply(ctx, req)
	return err
}

// Subscribe subscribes an endpoint. An HTTP/S subscription starts pending:
// the node stamps and signs the SubscriptionConfirmation its endpoint will
// be sent.
func (n *Node) Subscribe(ctx context.Context, req fsm.Subscribe) (fsm.SubscribeResult, error) {
	if !n.isLeaderReady() {
		return fsm.SubscribeResult{}, ErrNotLeader
	}
	req.SubscriptionID = newMessageID()
	req.Token = newToken()
	if req.Protocol == "http" || req.Protocol == "https" {
		topicArn := req.Topic.ARN()
		req.Confirmation = fsm.Notice{
			Type: "SubscriptionConfirmation", MessageID: newMessageID(), Token: req.Token,
			Message:          envelope.SubscriptionConfirmationMessage(topicArn),
			Timestamp:        nowMillis(),
			SubscribeURL:     n.publicURL() + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topicArn) + "&Token=" + req.Token,
			SignatureVersion: n.fsm.TopicSignatureVersion(req.Topic),
		}
		if err := n.sign(ctx, topicArn, &req.Confirmation); err != nil {
			return fsm.SubscribeResult{}, err
		}
	}
	res, err := n.apply(ctx, req)
	if err != nil {
		return fsm.SubscribeResult{}, err
	}
	return res.(fsm.SubscribeResult), nil
}

// ConfirmSubscription confirms a pending subscription by token and
// returns its ARN.
func (n *Node) ConfirmSubscription(ctx context.Context, req fsm.ConfirmSubscription) (string, error) {
	res, err := n.apply(ctx, req)
	if err != nil {
		return "", err
	}
	return res.(string), nil
}

// Unsubscribe deletes a subscription.
func (n *Node) Unsubscribe(ctx context.Context, arn string) error {
	_, err := n.apply(ctx, fsm.Unsubscribe{SubscriptionArn: arn})
	return err
}

// SetSubscriptionAttributes sets one subscription attribute.
func (n *Node) SetSubscriptionAttributes(ctx context.Context, req fsm.SetSubscriptionAttributes) error {
	_, err := n.apply(ctx, req)
	return err
}

// Publish publishes messages to a topic, fanned out in one command. The
// node stamps message IDs and the time and signs each message once per
// protocol variant (the signature covers no subscriber-specific field).
func (n *Node) Publish(ctx context.Context, req fsm.Publish) ([]fsm.PublishResult, error) {
	if res, routed, err := n.routePublish(ctx, req); routed {
		return res, err
	}
	if !n.isLeaderReady() {
		return nil, ErrNotLeader
	}
	req.Timestamp = nowMillis()
	req.SignatureVersion = n.fsm.TopicSignatureVersion(req.Topic)
	req.BaseURL = n.publicURL()
	req.SigningCertURL = n.publicURL() + SigningCertPath
	topicArn := req.Topic.ARN()
	fifo := strings.HasSuffix(req.Topic.Name, ".fifo")
	// RSA signing costs about a millisecond a message: sign only for the
	// protocols whose subscribers get the envelope (not raw delivery).
	envelopes := n.fsm.TopicEnvelopeProtocols(req.Topic)
	for i := range req.Entries {
		e := &req.Entries[i]
		e.MessageID = newMessageID()
		if fifo || len(envelopes) == 0 {
			continue // FIFO topics' messages carry no signature
		}
		e.Signatures = make(map[string]string, len(envelopes))
		signed := make(map[string]string, 1) // message -> signature
		for _, proto := range []string{"sqs", "http", "https"} {
			if !envelopes[proto] {
				continue
			}
			msg := e.MessageFor(proto)
			if sig, ok := signed[msg]; ok {
				e.Signatures[proto] = sig
				continue
			}
			notice := fsm.Notice{Type: "Notification", MessageID: e.MessageID, Subject: e.Subject,
				Message: msg, Timestamp: req.Timestamp, SignatureVersion: req.SignatureVersion}
			if err := n.sign(ctx, topicArn, &notice); err != nil {
				return nil, err
			}
			e.Signatures[proto], signed[msg] = notice.Signature, notice.Signature
		}
	}
	res, err := n.apply(ctx, req)
	if err != nil {
		return nil, err
	}
	n.metrics.countPublished(req.Topic, res.([]fsm.PublishResult))
	return res.([]fsm.PublishResult), nil
}

// GetTopic reads a topic's attributes.
func (n *Node) GetTopic(ctx context.Context, key fsm.TopicKey) (fsm.TopicView, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return fsm.TopicView{}, err
	}
	return n.fsm.GetTopic(key)
}

// ListTopics lists the ARNs of the topics of an account in a region.
func (n *Node) ListTopics(ctx context.Context, region, account string) ([]string, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return nil, err
	}
	return n.fsm.ListTopics(region, account), nil
}

// ListTopicTags reads a topic's tags.
func (n *Node) ListTopicTags(ctx context.Context, key fsm.TopicKey) (map[string]string, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return nil, err
	}
	return n.fsm.TopicTags(key)
}

// GetSubscription reads a subscription's attributes.
func (n *Node) GetSubscription(ctx context.Context, arn string) (fsm.SubscriptionView, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return fsm.SubscriptionView{}, err
	}
	return n.fsm.GetSubscription(arn)
}

// ListSubscriptions lists the subscriptions of an account in a region.
func (n *Node) ListSubscriptions(ctx context.Context, region, account string) ([]fsm.SubscriptionView, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return nil, err
	}
	return n.fsm.ListSubscriptions(region, account), nil
}

// ListSubscriptionsByTopic lists a topic's subscriptions.
func (n *Node) ListSubscriptionsByTopic(ctx context.Context, key fsm.TopicKey) ([]fsm.SubscriptionView, error) {
	if err := n.linearizableRead(ctx); err != nil {
		return nil, err
	}
	return n.fsm.ListSubscriptionsByTopic(key)
}

// newToken is a subscription confirmation token: 64 random bytes in hex,
// as long as AWS's.
func newToken() string {
	b := make([]byte, 64)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
