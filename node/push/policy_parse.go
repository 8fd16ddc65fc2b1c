package push

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PolicyError is a DeliveryPolicy AWS would refuse. Its text is AWS's
// reason, "DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be
// greater than or equal to 1"; the API layer prefixes "Invalid parameter: "
// (Set*Attributes) or "Invalid parameter: Attributes Reason: "
// (CreateTopic, Subscribe) and answers InvalidParameter.
type PolicyError struct {
	Reason string
}

// Error returns "DeliveryPolicy: " and the reason.
func (e *PolicyError) Error() string { return "DeliveryPolicy: " + e.Reason }

func policyErr(format string, args ...any) error {
	return &PolicyError{Reason: fmt.Sprintf(format, args...)}
}

// Members each part of a policy document may have.
var (
	subscriptionMembers = []string{"healthyRetryPolicy", "throttlePolicy", "requestPolicy", "sicklyRetryPolicy", "guaranteed"}
	topicMembers        = []string{"http"}
	topicHTTPMembers    = []string{"defaultHealthyRetryPolicy", "disableSubscriptionOverrides", "defaultThrottlePolicy", "defaultRequestPolicy", "defaultSicklyRetryPolicy"}
	retryMembers        = []string{"minDelayTarget", "maxDelayTarget", "numRetries", "numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries", "backoffFunction"}
	throttleMembers     = []string{"maxReceivesPerSecond"}
	requestMembers      = []string{"headerContentType"}
)

// ParseDeliveryPolicy parses and validates either form of the
// DeliveryPolicy attribute: the topic form when the document has an "http"
// member, else the subscription form. An empty document (or "null") is
// DefaultDeliveryPolicy. Errors are *PolicyError.
func ParseDeliveryPolicy(doc string) (DeliveryPolicy, error) {
	obj, err := decodePolicy(doc)
	if err != nil || obj == nil {
		return DefaultDeliveryPolicy(), err
	}
	if _, ok := obj["http"]; ok {
		return parseTopicPolicy(obj)
	}
	return parseSubscriptionPolicy(obj)
}

// ParseSubscriptionDeliveryPolicy parses the subscription form,
// {"healthyRetryPolicy":{...},"throttlePolicy":{...},"requestPolicy":{...}},
// as SetSubscriptionAttributes validates it.
func ParseSubscriptionDeliveryPolicy(doc string) (DeliveryPolicy, error) {
	obj, err := decodePolicy(doc)
	if err != nil || obj == nil {
		return DefaultDeliveryPolicy(), err
	}
	return parseSubscriptionPolicy(obj)
}

// ParseTopicDeliveryPolicy parses the topic form, {"http":{
// "defaultHealthyRetryPolicy":{...},"disableSubscriptionOverrides":bool,
// "defaultThrottlePolicy":{...},"defaultRequestPolicy":{...}}}, as
// SetTopicAttributes validates it.
func ParseTopicDeliveryPolicy(doc string) (DeliveryPolicy, error) {
	obj, err := decodePolicy(doc)
	if err != nil || obj == nil {
		return DefaultDeliveryPolicy(), err
	}
	return parseTopicPolicy(obj)
}

// decodePolicy decodes a document into a JSON object, nil for an empty or
// null document.
func decodePolicy(doc string) (map[string]any, error) {
	doc = strings.TrimSpace(doc)
	if doc == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, policyErr("failed to parse JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, policyErr("failed to parse JSON")
	}
	if v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, policyErr("the policy must be a JSON object")
	}
	return obj, nil
}

func parseSubscriptionPolicy(obj map[string]any) (DeliveryPolicy, error) {
	p := DefaultDeliveryPolicy()
	if err := checkMembers(obj, subscriptionMembers); err != nil {
		return p, err
	}
	if err := parseParts(&p, obj, "healthyRetryPolicy", "throttlePolicy", "requestPolicy", "sicklyRetryPolicy", ""); err != nil {
		return DefaultDeliveryPolicy(), err
	}
	if v, ok := obj["guaranteed"]; ok && v != nil {
		if _, err := boolValue(v, "guaranteed"); err != nil {
			return DefaultDeliveryPolicy(), err
		}
	}
	return p, nil
}

func parseTopicPolicy(obj map[string]any) (DeliveryPolicy, error) {
	p := DefaultDeliveryPolicy()
	if err := checkMembers(obj, topicMembers); err != nil {
		return p, err
	}
	httpPart, ok, err := section(obj, "http", "http")
	if err != nil || !ok {
		return p, err
	}
	if err := checkMembers(httpPart, topicHTTPMembers); err != nil {
		return p, err
	}
	if err := parseParts(&p, httpPart, "defaultHealthyRetryPolicy", "defaultThrottlePolicy", "defaultRequestPolicy", "defaultSicklyRetryPolicy", "http."); err != nil {
		return DefaultDeliveryPolicy(), err
	}
	if v, ok := httpPart["disableSubscriptionOverrides"]; ok && v != nil {
		b, err := boolValue(v, "http.disableSubscriptionOverrides")
		if err != nil {
			return DefaultDeliveryPolicy(), err
		}
		p.DisableSubscriptionOverrides = b
	}
	return p, nil
}

// parseParts reads the retry, throttle and request parts of obj under the
// given member names into p; prefix starts every error path. The sickly
// retry policy, a member AWS still echoes as null, is accepted when it is
// an object or null and otherwise ignored.
func parseParts(p *DeliveryPolicy, obj map[string]any, retryKey, throttleKey, requestKey, sicklyKey, prefix string) error {
	if sec, ok, err := section(obj, retryKey, prefix+retryKey); err != nil {
		return err
	} else if ok {
		r, err := parseRetryPolicy(sec, prefix+retryKey)
		if err != nil {
			return err
		}
		p.HealthyRetryPolicy = r
		p.hasRetry = true
	}
	if _, _, err := section(obj, sicklyKey, prefix+sicklyKey); err != nil {
		return err
	}
	if sec, ok, err := section(obj, throttleKey, prefix+throttleKey); err != nil {
		return err
	} else if ok {
		t, err := parseThrottlePolicy(sec, prefix+throttleKey)
		if err != nil {
			return err
		}
		p.ThrottlePolicy = &t
	}
	if sec, ok, err := section(obj, requestKey, prefix+requestKey); err != nil {
		return err
	} else if ok {
		r, err := parseRequestPolicy(sec, prefix+requestKey)
		if err != nil {
			return err
		}
		p.RequestPolicy = &r
	}
	return nil
}

// parseRetryPolicy validates a retry policy as AWS does: minDelayTarget,
// maxDelayTarget and numRetries are required; the rest default to 0 and
// "linear".
func parseRetryPolicy(obj map[string]any, path string) (RetryPolicy, error) {
	var r RetryPolicy
	if err := checkMembers(obj, retryMembers); err != nil {
		return r, err
	}
	for _, name := range []string{"minDelayTarget", "maxDelayTarget", "numRetries"} {
		if obj[name] == nil {
			return r, policyErr("%s.%s must be specified", path, name)
		}
	}
	fields := []struct {
		name string
		dst  *int
	}{
		{"minDelayTarget", &r.MinDelayTarget},
		{"maxDelayTarget", &r.MaxDelayTarget},
		{"numRetries", &r.NumRetries},
		{"numNoDelayRetries", &r.NumNoDelayRetries},
		{"numMinDelayRetries", &r.NumMinDelayRetries},
		{"numMaxDelayRetries", &r.NumMaxDelayRetries},
	}
	for _, f := range fields {
		if v := obj[f.name]; v != nil {
			n, err := intValue(v, path+"."+f.name)
			if err != nil {
				return r, err
			}
			*f.dst = n
		}
	}
	r.BackoffFunction = BackoffLinear
	if v := obj["backoffFunction"]; v != nil {
		s, ok := v.(string)
		if !ok {
			return r, policyErr("%s.backoffFunction must be a string", path)
		}
		r.BackoffFunction = strings.ToLower(s)
	}
	return r, r.validate(path)
}

// validate applies AWS's range checks; path names the policy in errors.
func (r RetryPolicy) validate(path string) error {
	switch {
	case r.MinDelayTarget < 1:
		return policyErr("%s.minDelayTarget must be greater than or equal to 1", path)
	case r.MaxDelayTarget > MaxDelayTarget:
		return policyErr("%s.maxDelayTarget must be less than or equal to %d", path, MaxDelayTarget)
	case r.MaxDelayTarget < r.MinDelayTarget:
		return policyErr("%s.maxDelayTarget must be greater than or equal to minDelayTarget", path)
	case r.NumRetries < 0:
		return policyErr("%s.numRetries must be greater than or equal to 0", path)
	case r.NumRetries > MaxNumRetries:
		return policyErr("%s.numRetries must be less than or equal to %d", path, MaxNumRetries)
	case r.NumNoDelayRetries < 0:
		return policyErr("%s.numNoDelayRetries must be greater than or equal to 0", path)
	case r.NumMinDelayRetries < 0:
		return policyErr("%s.numMinDelayRetries must be greater than or equal to 0", path)
	case r.NumMaxDelayRetries < 0:
		return policyErr("%s.numMaxDelayRetries must be greater than or equal to 0", path)
	case r.NumNoDelayRetries+r.NumMinDelayRetries+r.NumMaxDelayRetries > r.NumRetries:
		return policyErr("%s.numRetries must be greater than or equal to total of numMinDelayRetries, numNoDelayRetries and numMaxDelayRetries", path)
	}
	switch r.BackoffFunction {
	case BackoffLinear, BackoffArithmetic, BackoffGeometric, BackoffExponential:
	default:
		return policyErr("%s.backoffFunction must be one of linear, arithmetic, geometric, exponential", path)
	}
	if total := r.TotalDelay(); total > MaxTotalRetryTime*time.Second {
		return policyErr("%s: total retry time (%d seconds) must be less than or equal to %d seconds",
			path, int64(math.Ceil(total.Seconds())), MaxTotalRetryTime)
	}
	return nil
}

func parseThrottlePolicy(obj map[string]any, path string) (ThrottlePolicy, error) {
	var t ThrottlePolicy
	if err := checkMembers(obj, throttleMembers); err != nil {
		return t, err
	}
	v := obj["maxReceivesPerSecond"]
	if v == nil {
		return t, policyErr("%s.maxReceivesPerSecond must be specified", path)
	}
	n, err := intValue(v, path+".maxReceivesPerSecond")
	if err != nil {
		return t, err
	}
	if n < 1 {
		return t, policyErr("%s.maxReceivesPerSecond must be greater than or equal to 1", path)
	}
	t.MaxReceivesPerSecond = n
	return t, nil
}

func parseRequestPolicy(obj map[string]any, path string) (RequestPolicy, error) {
	var r RequestPolicy
	if err := checkMembers(obj, requestMembers); err != nil {
		return r, err
	}
	v := obj["headerContentType"]
	if v == nil {
		return r, policyErr("%s.headerContentType must be specified", path)
	}
	s, ok := v.(string)
	if !ok {
		return r, policyErr("%s.headerContentType must be a string", path)
	}
	if !contentTypeAllowed(s) {
		return r, policyErr("%s.headerContentType %q is not a supported content type", path, s)
	}
	r.HeaderContentType = strings.TrimSpace(s)
	return r, nil
}

// checkMembers refuses the first member (in byte order) not in allowed.
func checkMembers(obj map[string]any, allowed []string) error {
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names)
outer:
	for _, name := range names {
		for _, a := range allowed {
			if name == a {
				continue outer
			}
		}
		return policyErr("Unexpected JSON member: %s", name)
	}
	return nil
}

// section returns obj[key] as an object; ok is false when it is absent or
// null.
func section(obj map[string]any, key, path string) (map[string]any, bool, error) {
	v, present := obj[key]
	if !present || v == nil {
		return nil, false, nil
	}
	sec, isObj := v.(map[string]any)
	if !isObj {
		return nil, false, policyErr("%s must be a JSON object", path)
	}
	return sec, true, nil
}

// intValue reads a whole number; numeric strings are accepted, as AWS's
// JSON reader coerces them (CloudFormation sends numbers as strings).
// Values are clamped far outside every limit so range checks report them.
func intValue(v any, path string) (int, error) {
	var f float64
	switch x := v.(type) {
	case json.Number:
		parsed, err := strconv.ParseFloat(x.String(), 64)
		if err != nil {
			return 0, policyErr("%s must be an integer", path)
		}
		f = parsed
	case string:
		parsed, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, policyErr("%s must be an integer", path)
		}
		f = parsed
	default:
		return 0, policyErr("%s must be an integer", path)
	}
	if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, policyErr("%s must be an integer", path)
	}
	const limit = 1 << 30
	return int(math.Max(-limit, math.Min(limit, f))), nil
}

// boolValue reads true or false, also as a string.
func boolValue(v any, path string) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
			return b, nil
		}
	}
	return false, policyErr("%s must be true or false", path)
}
