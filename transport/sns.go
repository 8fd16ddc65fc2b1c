package transport

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/wharfmq/wharf/fsm"
)

// snsHandler runs one SNS action on its query parameters.
type snsHandler func(s *Server, ctx context.Context, c *call, p url.Values) (any, error)

// snsActions are the SNS actions served, by name.
var snsActions map[string]snsHandler

func init() {
	snsActions = map[string]snsHandler{
		"CreateTopic":               (*Server).snsCreateTopic,
		"DeleteTopic":               (*Server).snsDeleteTopic,
		"ListTopics":                (*Server).snsListTopics,
		"GetTopicAttributes":        (*Server).snsGetTopicAttributes,
		"SetTopicAttributes":        (*Server).snsSetTopicAttributes,
		"Subscribe":                 (*Server).snsSubscribe,
		"ConfirmSubscription":       (*Server).snsConfirmSubscription,
		"Unsubscribe":               (*Server).snsUnsubscribe,
		"ListSubscriptions":         (*Server).snsListSubscriptions,
		"ListSubscriptionsByTopic":  (*Server).snsListSubscriptionsByTopic,
		"GetSubscriptionAttributes": (*Server).snsGetSubscriptionAttributes,
		"SetSubscriptionAttributes": (*Server).snsSetSubscriptionAttributes,
		"Publish":                   (*Server).snsPublish,
		"PublishBatch":              (*Server).snsPublishBatch,
		"TagResource":               (*Server).snsTagResource,
		"UntagResource":             (*Server).snsUntagResource,
		"ListTagsForResource":       (*Server).snsListTagsForResource,
	}
}

// isSNSRequest tells an SNS request from an SQS one: by the SigV4
// credential's service when signed, else by the action's name.
func isSNSRequest(c *call, action string) bool {
	switch c.service {
	case "sns":
		return true
	case "sqs":
		return false
	}
	_, sns := snsActions[action]
	_, sqs := actions[action]
	return sns && !sqs
}

// dispatchSNS runs one SNS action.
func (s *Server) dispatchSNS(ctx context.Context, c *call, name string, p url.Values) (any, error) {
	h, ok := snsActions[name]
	if !ok {
		return nil, errf("InvalidAction", "The action %s is not valid for this web service.", name)
	}
	return h(s, ctx, c, p)
}

// snsStatus is the HTTP status of SNS's error codes (the others answer 400).
var snsStatus = map[string]int{
	fsm.CodeSNSNotFound:                  http.StatusNotFound,
	"ResourceNotFound":                   http.StatusNotFound,
	"AuthorizationError":                 http.StatusForbidden,
	fsm.CodeSNSFilterPolicyLimitExceeded: http.StatusForbidden,
	"SubscriptionLimitExceeded":          http.StatusForbidden,
	"TopicLimitExceeded":                 http.StatusForbidden,
	"Throttled":                          http.StatusTooManyRequests,
}

// snsInfo is how an error code appears in an SNS answer: SNS codes are
// their own query codes; the shared transport codes map to SNS's.
func snsInfo(code string) codeInfo {
	if st, ok := snsStatus[code]; ok {
		return codeInfo{query: code, status: st}
	}
	switch code {
	case codeInvalidParam, codeMissingParam, codeMalformedQuery:
		return codeInfo{query: fsm.CodeSNSInvalidParameter, status: http.StatusBadRequest}
	}
	if ci := info(code); ci.status >= 500 {
		return ci
	}
	return codeInfo{query: code, status: http.StatusBadRequest}
}

// snsInvalid is SNS's InvalidParameter error.
func snsInvalid(format string, args ...any) *apiError {
	return errf(fsm.CodeSNSInvalidParameter, "Invalid parameter: "+format, args...)
}

// snsRequired returns a required parameter, or SNS's error for its absence.
func snsRequired(p url.Values, name string) (string, error) {
	v := p.Get(name)
	if v == "" {
		return "", snsInvalid("%s", name)
	}
	return v, nil
}

// snsMembers groups the parameters of a flattened list: prefix.N.rest=v
// becomes, for each N in ascending order, the values {rest: v}; a plain
// prefix.N=v gives {"": v}.
func snsMembers(p url.Values, prefix string) []url.Values {
	byIndex := map[int]url.Values{}
	pre := prefix + "."
	for k, vs := range p {
		if !strings.HasPrefix(k, pre) || len(vs) == 0 {
			continue
		}
		rest := k[len(pre):]
		idx, sub, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(idx)
		if err != nil || n < 1 || n > maxFlatIndex {
			continue
		}
		if byIndex[n] == nil {
			byIndex[n] = url.Values{}
		}
		byIndex[n].Set(sub, vs[0])
	}
	idx := make([]int, 0, len(byIndex))
	for n := range byIndex {
		idx = append(idx, n)
	}
	sort.Ints(idx)
	out := make([]url.Values, len(idx))
	for i, n := range idx {
		out[i] = byIndex[n]
	}
	return out
}

// snsMap reads a flattened map (Attributes.entry.N.key / .value).
func snsMap(p url.Values, prefix, key, value string) map[string]string {
	out := map[string]string{}
	for _, m := range snsMembers(p, prefix) {
		if k := m.Get(key); k != "" {
			out[k] = m.Get(value)
		}
	}
	return out
}

// snsTopicKey resolves a TopicArn parameter.
func snsTopicKey(p url.Values, name string) (fsm.TopicKey, error) {
	arn, err := snsRequired(p, name)
	if err != nil {
		return fsm.TopicKey{}, err
	}
	k, ok := fsm.ParseTopicARN(arn)
	if !ok {
		return fsm.TopicKey{}, snsInvalid("%s Reason: An ARN must have at least 6 elements, not %d", name, strings.Count(arn, ":")+1)
	}
	return k, nil
}

// snsPage cuts one page of at most 100 items out of a list, in the order
// of key (unique per item). The token is the last key of the page before,
// so a page starts after it however the list changed in between: an offset
// repeated or skipped items when topics or subscriptions were created or
// deleted between two pages.
func snsPage[T any](items []T, key func(T) string, token string) (page []T, next string, err error) {
	const pageSize = 100
	sorted := append([]T(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool { return key(sorted[i]) < key(sorted[j]) })
	start := 0
	if token != "" {
		after, decErr := base64.RawURLEncoding.DecodeString(token)
		if decErr != nil || len(after) == 0 {
			return nil, "", snsInvalid("NextToken")
		}
		start = sort.Search(len(sorted), func(i int) bool { return key(sorted[i]) > string(after) })
	}
	end := min(start+pageSize, len(sorted))
	if end < len(sorted) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(sorted[end-1])))
	}
	return sorted[start:end], next, nil
}
