package push

import "strings"

// Backoff functions of RetryPolicy.BackoffFunction.
const (
	BackoffLinear      = "linear"
	BackoffArithmetic  = "arithmetic"
	BackoffGeometric   = "geometric"
	BackoffExponential = "exponential"
)

// Limits AWS puts on an HTTP/S retry policy.
const (
	MaxNumRetries     = 100
	MaxDelayTarget    = 3600
	MaxTotalRetryTime = 3600 // seconds, summed over every retry's delay
)

// DeliveryPolicy is the HTTP/S delivery policy in effect for a
// subscription: its own DeliveryPolicy attribute, else the topic's "http"
// defaults, else DefaultDeliveryPolicy.
type DeliveryPolicy struct {
	HealthyRetryPolicy RetryPolicy
	// ThrottlePolicy is nil when deliveries are not throttled.
	ThrottlePolicy *ThrottlePolicy
	// RequestPolicy is nil when the default Content-Type applies.
	RequestPolicy *RequestPolicy
	// DisableSubscriptionOverrides is the topic form's flag: when set, the
	// topic's policy applies even to subscriptions that have their own.
	DisableSubscriptionOverrides bool

	// hasRetry records that the document set a retry policy, so
	// EffectiveDeliveryPolicy knows which layer supplies it.
	hasRetry bool
}

// RetryPolicy is a healthyRetryPolicy: delays are in whole seconds. The
// first NumNoDelayRetries retries go at once, the next NumMinDelayRetries
// after MinDelayTarget, then the backoff phase climbs from MinDelayTarget
// to MaxDelayTarget with BackoffFunction, and the last NumMaxDelayRetries
// wait MaxDelayTarget. NumRetries counts all four phases.
type RetryPolicy struct {
	MinDelayTarget     int
	MaxDelayTarget     int
	NumRetries         int
	NumNoDelayRetries  int
	NumMinDelayRetries int
	NumMaxDelayRetries int
	BackoffFunction    string
}

// ThrottlePolicy caps deliveries per second to one subscription.
type ThrottlePolicy struct {
	MaxReceivesPerSecond int
}

// RequestPolicy shapes the HTTP request; only the Content-Type so far.
type RequestPolicy struct {
	HeaderContentType string
}

// DefaultRetryPolicy is AWS's HTTP/S default: three retries, 20 s apart.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MinDelayTarget:  20,
		MaxDelayTarget:  20,
		NumRetries:      3,
		BackoffFunction: BackoffLinear,
	}
}

// DefaultDeliveryPolicy is the policy of a subscription whose topic and
// itself set none: DefaultRetryPolicy, no throttling, default Content-Type.
func DefaultDeliveryPolicy() DeliveryPolicy {
	return DeliveryPolicy{HealthyRetryPolicy: DefaultRetryPolicy()}
}

// ContentType is the Content-Type deliveries carry under p.
func (p DeliveryPolicy) ContentType() string {
	if p.RequestPolicy != nil && p.RequestPolicy.HeaderContentType != "" {
		return p.RequestPolicy.HeaderContentType
	}
	return DefaultContentType
}

// EffectiveDeliveryPolicy resolves the policy for one subscription from its
// DeliveryPolicy attribute (subscription form) and its topic's (topic
// form); either may be "". Each part (retry, throttle, request) comes from
// the subscription when it sets it and the topic does not disable
// subscription overrides, else from the topic, else from the defaults.
func EffectiveDeliveryPolicy(subscriptionDoc, topicDoc string) (DeliveryPolicy, error) {
	topic, err := ParseTopicDeliveryPolicy(topicDoc)
	if err != nil {
		return DeliveryPolicy{}, err
	}
	sub, err := ParseSubscriptionDeliveryPolicy(subscriptionDoc)
	if err != nil {
		return DeliveryPolicy{}, err
	}
	eff := DefaultDeliveryPolicy()
	eff.overlay(topic)
	if !topic.DisableSubscriptionOverrides {
		eff.overlay(sub)
	}
	eff.DisableSubscriptionOverrides = topic.DisableSubscriptionOverrides
	return eff, nil
}

// overlay replaces the parts of p that o sets.
func (p *DeliveryPolicy) overlay(o DeliveryPolicy) {
	if o.hasRetry {
		p.HealthyRetryPolicy = o.HealthyRetryPolicy
		p.hasRetry = true
	}
	if o.ThrottlePolicy != nil {
		t := *o.ThrottlePolicy
		p.ThrottlePolicy = &t
	}
	if o.RequestPolicy != nil {
		r := *o.RequestPolicy
		p.RequestPolicy = &r
	}
}

// allowedContentTypes are the media types AWS accepts for
// requestPolicy.headerContentType; parameters such as "; charset=UTF-8"
// may follow.
var allowedContentTypes = []string{
	"application/atom+xml",
	"application/json",
	"application/octet-stream",
	"application/soap+xml",
	"application/x-www-form-urlencoded",
	"application/xhtml+xml",
	"application/xml",
	"text/css",
	"text/csv",
	"text/html",
	"text/plain",
	"text/xml",
}

// contentTypeAllowed reports whether ct's media type is in
// allowedContentTypes.
func contentTypeAllowed(ct string) bool {
	media, _, _ := strings.Cut(ct, ";")
	media = strings.ToLower(strings.TrimSpace(media))
	for _, a := range allowedContentTypes {
		if media == a {
			return true
		}
	}
	return false
}
