package push

import (
	"net/http"

	"github.com/wharfmq/wharf/fsm/envelope"
)

// HTTP header names and values SNS sends with every POST.
const (
	HeaderMessageType     = "x-amz-sns-message-type"
	HeaderMessageID       = "x-amz-sns-message-id"
	HeaderTopicArn        = "x-amz-sns-topic-arn"
	HeaderSubscriptionArn = "x-amz-sns-subscription-arn"
	HeaderRawDelivery     = "x-amz-sns-rawdelivery"

	// DefaultContentType is the Content-Type when the delivery policy sets
	// no requestPolicy.headerContentType.
	DefaultContentType = "text/plain; charset=UTF-8"
	// UserAgent is the User-Agent SNS sends.
	UserAgent = "Amazon Simple Notification Service Agent"
)

// Headers returns the request headers for delivering e to a subscription.
// x-amz-sns-subscription-arn is left out of SubscriptionConfirmation (AWS's
// examples carry it on Notification and UnsubscribeConfirmation only) and
// when subscriptionArn is empty. x-amz-sns-rawdelivery: true marks a raw
// Notification. contentType "" means DefaultContentType.
func Headers(e *envelope.Envelope, subscriptionArn string, raw bool, contentType string) http.Header {
	h := make(http.Header, 8)
	h.Set(HeaderMessageType, e.Type)
	h.Set(HeaderMessageID, e.MessageID)
	h.Set(HeaderTopicArn, e.TopicArn)
	if subscriptionArn != "" && e.Type != envelope.TypeSubscriptionConfirmation {
		h.Set(HeaderSubscriptionArn, subscriptionArn)
	}
	if raw && e.Type == envelope.TypeNotification {
		h.Set(HeaderRawDelivery, "true")
	}
	if contentType == "" {
		contentType = DefaultContentType
	}
	h.Set("Content-Type", contentType)
	h.Set("User-Agent", UserAgent)
	return h
}
