package push

import (
	"errors"
	"reflect"
	"testing"
)

// awsPolicyExample is the subscription delivery policy of AWS's "Creating
// an HTTP/S delivery policy" section: 3 immediate retries, 2 one second
// apart, 10 with exponential backoff from 1 to 60 s, 35 a minute apart.
const awsPolicyExample = `{
  "healthyRetryPolicy": {
    "minDelayTarget": 1,
    "maxDelayTarget": 60,
    "numRetries": 50,
    "numNoDelayRetries": 3,
    "numMinDelayRetries": 2,
    "numMaxDelayRetries": 35,
    "backoffFunction": "exponential"
  },
  "throttlePolicy": {
    "maxReceivesPerSecond": 10
  },
  "requestPolicy": {
    "headerContentType": "application/json"
  }
}`

func TestParseSubscriptionPolicy(t *testing.T) {
	p, err := ParseDeliveryPolicy(awsPolicyExample)
	if err != nil {
		t.Fatal(err)
	}
	want := RetryPolicy{MinDelayTarget: 1, MaxDelayTarget: 60, NumRetries: 50, NumNoDelayRetries: 3, NumMinDelayRetries: 2, NumMaxDelayRetries: 35, BackoffFunction: "exponential"}
	if p.HealthyRetryPolicy != want {
		t.Fatalf("retry policy %+v", p.HealthyRetryPolicy)
	}
	if p.ThrottlePolicy == nil || p.ThrottlePolicy.MaxReceivesPerSecond != 10 {
		t.Fatalf("throttle policy %+v", p.ThrottlePolicy)
	}
	if p.ContentType() != "application/json" {
		t.Fatalf("content type %q", p.ContentType())
	}
	if p2, err := ParseSubscriptionDeliveryPolicy(awsPolicyExample); err != nil || !reflect.DeepEqual(p, p2) {
		t.Fatalf("ParseSubscriptionDeliveryPolicy differs: %+v, %v", p2, err)
	}
}

func TestParseTopicPolicy(t *testing.T) {
	doc := `{"http":{
	  "defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},
	  "disableSubscriptionOverrides":true,
	  "defaultThrottlePolicy":{"maxReceivesPerSecond":1},
	  "defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"},
	  "defaultSicklyRetryPolicy":null}}`
	p, err := ParseDeliveryPolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	if p.HealthyRetryPolicy != DefaultRetryPolicy() || !p.DisableSubscriptionOverrides ||
		p.ThrottlePolicy.MaxReceivesPerSecond != 1 || p.ContentType() != "text/plain; charset=UTF-8" {
		t.Fatalf("topic policy %+v", p)
	}
	if _, err := ParseTopicDeliveryPolicy(doc); err != nil {
		t.Fatal(err)
	}
	// The forms do not mix.
	if _, err := ParseTopicDeliveryPolicy(awsPolicyExample); err == nil || err.Error() != "DeliveryPolicy: Unexpected JSON member: healthyRetryPolicy" {
		t.Fatalf("subscription form as topic policy: %v", err)
	}
	if _, err := ParseSubscriptionDeliveryPolicy(doc); err == nil || err.Error() != "DeliveryPolicy: Unexpected JSON member: http" {
		t.Fatalf("topic form as subscription policy: %v", err)
	}
}

func TestParseEmptyAndEchoedPolicies(t *testing.T) {
	for _, doc := range []string{"", "  ", "null", "{}", `{"http":{}}`, `{"http":null}`,
		// What AWS echoes in EffectiveDeliveryPolicy, fed back in.
		`{"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"sicklyRetryPolicy":null,"throttlePolicy":null,"guaranteed":false}`,
	} {
		p, err := ParseDeliveryPolicy(doc)
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if p.HealthyRetryPolicy != DefaultRetryPolicy() || p.ThrottlePolicy != nil || p.RequestPolicy != nil || p.ContentType() != DefaultContentType {
			t.Fatalf("%q parsed to %+v", doc, p)
		}
	}
}

func TestParseLenientValues(t *testing.T) {
	p, err := ParseDeliveryPolicy(`{"healthyRetryPolicy":{"minDelayTarget":"5","maxDelayTarget":10.0,"numRetries":"4","backoffFunction":"Geometric"},
		"requestPolicy":{"headerContentType":"Application/JSON; charset=utf-8"}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := RetryPolicy{MinDelayTarget: 5, MaxDelayTarget: 10, NumRetries: 4, BackoffFunction: "geometric"}
	if p.HealthyRetryPolicy != want || p.ContentType() != "Application/JSON; charset=utf-8" {
		t.Fatalf("parsed %+v %q", p.HealthyRetryPolicy, p.ContentType())
	}
	if p, err := ParseDeliveryPolicy(`{"http":{"disableSubscriptionOverrides":"true"}}`); err != nil || !p.DisableSubscriptionOverrides {
		t.Fatalf("string boolean: %+v %v", p, err)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	retry := func(fields string) string { return `{"healthyRetryPolicy":{` + fields + `}}` }
	base := `"minDelayTarget":1,"maxDelayTarget":20,"numRetries":3`
	cases := []struct{ doc, want string }{
		{`{`, "failed to parse JSON"},
		{`{} {}`, "failed to parse JSON"},
		{`[1]`, "the policy must be a JSON object"},
		{`{"throttlePolicy":{"maxReceivesPerSecond":1},"bogus":1}`, "Unexpected JSON member: bogus"},
		{`{"http":{"defaultHealthyRetryPolicy":{}},"throttlePolicy":{}}`, "Unexpected JSON member: throttlePolicy"},
		{`{"healthyRetryPolicy":5}`, "healthyRetryPolicy must be a JSON object"},
		{retry(base + `,"numRetrys":3`), "Unexpected JSON member: numRetrys"},
		{retry(`"maxDelayTarget":20,"numRetries":3`), "healthyRetryPolicy.minDelayTarget must be specified"},
		{retry(`"minDelayTarget":1,"numRetries":3`), "healthyRetryPolicy.maxDelayTarget must be specified"},
		{retry(`"minDelayTarget":1,"maxDelayTarget":20`), "healthyRetryPolicy.numRetries must be specified"},
		{retry(`"minDelayTarget":0,"maxDelayTarget":0,"numRetries":0`), "healthyRetryPolicy.minDelayTarget must be greater than or equal to 1"},
		{retry(`"minDelayTarget":1,"maxDelayTarget":3601,"numRetries":0`), "healthyRetryPolicy.maxDelayTarget must be less than or equal to 3600"},
		{retry(`"minDelayTarget":5,"maxDelayTarget":3,"numRetries":3`), "healthyRetryPolicy.maxDelayTarget must be greater than or equal to minDelayTarget"},
		{retry(`"minDelayTarget":1,"maxDelayTarget":1,"numRetries":-1`), "healthyRetryPolicy.numRetries must be greater than or equal to 0"},
		{retry(`"minDelayTarget":1,"maxDelayTarget":1,"numRetries":101`), "healthyRetryPolicy.numRetries must be less than or equal to 100"},
		{retry(`"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1e20`), "healthyRetryPolicy.numRetries must be less than or equal to 100"},
		{retry(base + `,"numNoDelayRetries":-1`), "healthyRetryPolicy.numNoDelayRetries must be greater than or equal to 0"},
		{retry(base + `,"numMinDelayRetries":-2`), "healthyRetryPolicy.numMinDelayRetries must be greater than or equal to 0"},
		{retry(base + `,"numMaxDelayRetries":-3`), "healthyRetryPolicy.numMaxDelayRetries must be greater than or equal to 0"},
		{retry(`"minDelayTarget":2,"maxDelayTarget":3,"numRetries":20,"numMaxDelayRetries":7,"numMinDelayRetries":7,"numNoDelayRetries":7`),
			"healthyRetryPolicy.numRetries must be greater than or equal to total of numMinDelayRetries, numNoDelayRetries and numMaxDelayRetries"},
		{retry(base + `,"backoffFunction":"superlinear"`), "healthyRetryPolicy.backoffFunction must be one of linear, arithmetic, geometric, exponential"},
		{retry(base + `,"backoffFunction":3`), "healthyRetryPolicy.backoffFunction must be a string"},
		{retry(`"minDelayTarget":1.5,"maxDelayTarget":20,"numRetries":3`), "healthyRetryPolicy.minDelayTarget must be an integer"},
		{retry(`"minDelayTarget":"soon","maxDelayTarget":20,"numRetries":3`), "healthyRetryPolicy.minDelayTarget must be an integer"},
		{retry(`"minDelayTarget":true,"maxDelayTarget":20,"numRetries":3`), "healthyRetryPolicy.minDelayTarget must be an integer"},
		{retry(`"minDelayTarget":3600,"maxDelayTarget":3600,"numRetries":2`), "healthyRetryPolicy: total retry time (7200 seconds) must be less than or equal to 3600 seconds"},
		{`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":101}}}`,
			"http.defaultHealthyRetryPolicy.numRetries must be less than or equal to 100"},
		{`{"http":{"defaultHealthyRetryPolicy":{"numRetries":5}}}`, "http.defaultHealthyRetryPolicy.minDelayTarget must be specified"},
		{`{"http":{"disableSubscriptionOverrides":"maybe"}}`, "http.disableSubscriptionOverrides must be true or false"},
		{`{"http":{"bogus":{}}}`, "Unexpected JSON member: bogus"},
		{`{"http":[]}`, "http must be a JSON object"},
		{`{"throttlePolicy":{}}`, "throttlePolicy.maxReceivesPerSecond must be specified"},
		{`{"throttlePolicy":{"maxReceivesPerSecond":0}}`, "throttlePolicy.maxReceivesPerSecond must be greater than or equal to 1"},
		{`{"http":{"defaultThrottlePolicy":{"maxReceivesPerSecond":-1}}}`, "http.defaultThrottlePolicy.maxReceivesPerSecond must be greater than or equal to 1"},
		{`{"throttlePolicy":{"maxReceivesPerSecond":1,"burst":2}}`, "Unexpected JSON member: burst"},
		{`{"requestPolicy":{"headerContentType":"image/png"}}`, `requestPolicy.headerContentType "image/png" is not a supported content type`},
		{`{"requestPolicy":{"headerContentType":7}}`, "requestPolicy.headerContentType must be a string"},
		{`{"requestPolicy":{}}`, "requestPolicy.headerContentType must be specified"},
		{`{"http":{"defaultRequestPolicy":{"headerContentType":"video/mp4"}}}`, `http.defaultRequestPolicy.headerContentType "video/mp4" is not a supported content type`},
		{`{"sicklyRetryPolicy":"no"}`, "sicklyRetryPolicy must be a JSON object"},
		{`{"guaranteed":"perhaps"}`, "guaranteed must be true or false"},
	}
	for _, c := range cases {
		p, err := ParseDeliveryPolicy(c.doc)
		var pe *PolicyError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want a PolicyError", c.doc, err)
			continue
		}
		if pe.Reason != c.want || err.Error() != "DeliveryPolicy: "+c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.doc, err.Error(), "DeliveryPolicy: "+c.want)
		}
		if !reflect.DeepEqual(p, DefaultDeliveryPolicy()) {
			t.Errorf("%s: a refused policy returned %+v", c.doc, p)
		}
	}
}

func TestEveryAllowedContentType(t *testing.T) {
	for _, ct := range allowedContentTypes {
		if _, err := ParseDeliveryPolicy(`{"requestPolicy":{"headerContentType":"` + ct + `"}}`); err != nil {
			t.Errorf("%s: %v", ct, err)
		}
	}
}

func TestEffectiveDeliveryPolicy(t *testing.T) {
	topic := `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":10,"numRetries":4},
		"defaultThrottlePolicy":{"maxReceivesPerSecond":3},
		"defaultRequestPolicy":{"headerContentType":"application/xml"}}}`
	sub := `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":2,"numRetries":1},"requestPolicy":{"headerContentType":"application/json"}}`
	topicRetry := RetryPolicy{MinDelayTarget: 5, MaxDelayTarget: 10, NumRetries: 4, BackoffFunction: "linear"}
	subRetry := RetryPolicy{MinDelayTarget: 1, MaxDelayTarget: 2, NumRetries: 1, BackoffFunction: "linear"}

	cases := []struct {
		name, sub, topic string
		retry            RetryPolicy
		throttle         int
		contentType      string
	}{
		{"nothing set", "", "", DefaultRetryPolicy(), 0, DefaultContentType},
		{"topic only", "", topic, topicRetry, 3, "application/xml"},
		{"subscription only", sub, "", subRetry, 0, "application/json"},
		{"subscription overrides what it sets", sub, topic, subRetry, 3, "application/json"},
		{"throttle-only subscription keeps topic retry", `{"throttlePolicy":{"maxReceivesPerSecond":9}}`, topic, topicRetry, 9, "application/xml"},
		{"overrides disabled", sub, `{"http":{"disableSubscriptionOverrides":true,"defaultThrottlePolicy":{"maxReceivesPerSecond":2}}}`, DefaultRetryPolicy(), 2, DefaultContentType},
	}
	for _, c := range cases {
		p, err := EffectiveDeliveryPolicy(c.sub, c.topic)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		throttle := 0
		if p.ThrottlePolicy != nil {
			throttle = p.ThrottlePolicy.MaxReceivesPerSecond
		}
		if p.HealthyRetryPolicy != c.retry || throttle != c.throttle || p.ContentType() != c.contentType {
			t.Errorf("%s: got retry %+v throttle %d content type %q", c.name, p.HealthyRetryPolicy, throttle, p.ContentType())
		}
	}
	if _, err := EffectiveDeliveryPolicy(`{"bogus":1}`, ""); err == nil {
		t.Fatal("a bad subscription policy resolved")
	}
	if _, err := EffectiveDeliveryPolicy("", `{"bogus":1}`); err == nil {
		t.Fatal("a bad topic policy resolved")
	}
}
