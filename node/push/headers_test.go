package push

import (
	"net/http"
	"testing"

	"github.com/wharfmq/wharf/fsm/envelope"
)

func TestHeadersNotification(t *testing.T) {
	sub := "arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96"
	h := Headers(awsNotification(), sub, false, "")
	want := map[string]string{
		"x-amz-sns-message-type":     "Notification",
		"x-amz-sns-message-id":       "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		"x-amz-sns-topic-arn":        "arn:aws:sns:us-west-2:123456789012:MyTopic",
		"x-amz-sns-subscription-arn": sub,
		"Content-Type":               "text/plain; charset=UTF-8",
		"User-Agent":                 "Amazon Simple Notification Service Agent",
	}
	checkHeaders(t, h, want)
	if h.Get(HeaderRawDelivery) != "" {
		t.Fatal("raw delivery header on a non-raw delivery")
	}

	raw := Headers(awsNotification(), sub, true, "application/json")
	want["x-amz-sns-rawdelivery"] = "true"
	want["Content-Type"] = "application/json"
	checkHeaders(t, raw, want)
}

func TestHeadersConfirmations(t *testing.T) {
	sub := "arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39"
	c := Headers(confirmation(), sub, true, "")
	checkHeaders(t, c, map[string]string{
		"x-amz-sns-message-type": "SubscriptionConfirmation",
		"x-amz-sns-message-id":   "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		"x-amz-sns-topic-arn":    "arn:aws:sns:us-west-2:123456789012:MyTopic",
		"Content-Type":           DefaultContentType,
		"User-Agent":             UserAgent,
	})

	u := confirmation()
	u.Type = envelope.TypeUnsubscribeConfirmation
	checkHeaders(t, Headers(u, sub, false, ""), map[string]string{
		"x-amz-sns-message-type":     "UnsubscribeConfirmation",
		"x-amz-sns-message-id":       "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		"x-amz-sns-topic-arn":        "arn:aws:sns:us-west-2:123456789012:MyTopic",
		"x-amz-sns-subscription-arn": sub,
		"Content-Type":               DefaultContentType,
		"User-Agent":                 UserAgent,
	})
}

// checkHeaders wants exactly the given headers, one value each.
func checkHeaders(t *testing.T, h http.Header, want map[string]string) {
	t.Helper()
	if len(h) != len(want) {
		t.Errorf("got %d headers, want %d: %v", len(h), len(want), h)
	}
	for name, value := range want {
		if got := h.Values(name); len(got) != 1 || got[0] != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
}
