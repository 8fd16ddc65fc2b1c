package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/wharfmq/wharf/fsm"
)

// The topic routes up to the backend call: validation never reaches it,
// SNS's errors get their REST status. Their behaviour against a real
// cluster is tested in test/rest_topics_test.go.

func restFailWith(err error) func(t *testing.T, mem *memBackend) {
	return func(t *testing.T, mem *memBackend) { mem.failWith = err }
}

func TestRESTTopicValidation(t *testing.T) {
	tags := map[string]string{}
	for i := 0; i < 51; i++ {
		tags[fmt.Sprint("k", i)] = "v"
	}
	tooManyTags := fmt.Sprintf(`{"name":"t","tags":%s}`, restMustJSON(tags))
	bad := func(name, method, path, body, code string) restCase {
		return restCase{name: name, method: method, path: path, body: body, status: 400, code: code, untouched: true}
	}
	inv := fsm.CodeSNSInvalidParameter
	runRESTCases(t, []restCase{
		bad("create without name", "POST", "/v1/topics", `{}`, codeMissingParam),
		bad("create bad name", "POST", "/v1/topics", `{"name":"a b"}`, inv),
		bad("create long name", "POST", "/v1/topics", `{"name":"`+strings.Repeat("a", 257)+`"}`, inv),
		bad("create bad delivery policy", "POST", "/v1/topics", `{"name":"t","attributes":{"DeliveryPolicy":"{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":-1}}}"}}`, inv),
		bad("create with 51 tags", "POST", "/v1/topics", tooManyTags, "TagLimitExceeded"),
		bad("create with an empty tag key", "POST", "/v1/topics", `{"name":"t","tags":{"":"v"}}`, inv),
		bad("create unknown field", "POST", "/v1/topics", `{"name":"t","colour":"red"}`, codeSerialization),
		bad("get bad name", "GET", "/v1/topics/a.b", "", inv),
		bad("patch without attributes", "PATCH", "/v1/topics/t", `{}`, codeMissingParam),
		bad("patch bad delivery policy", "PATCH", "/v1/topics/t", `{"attributes":{"DeliveryPolicy":"nope"}}`, inv),
		bad("delete bad name", "DELETE", "/v1/topics/a.b", "", inv),
		bad("subscribe without protocol", "POST", "/v1/topics/t/subscriptions", `{"endpoint":"x"}`, codeMissingParam),
		bad("subscribe without endpoint", "POST", "/v1/topics/t/subscriptions", `{"protocol":"sqs"}`, codeMissingParam),
		bad("subscribe email", "POST", "/v1/topics/t/subscriptions", `{"protocol":"email","endpoint":"a@b.c"}`, inv),
		bad("subscribe bad queue ARN", "POST", "/v1/topics/t/subscriptions", `{"protocol":"sqs","endpoint":"arn:aws:sns:us-east-1:000000000000:q"}`, inv),
		bad("subscribe URL of another protocol", "POST", "/v1/topics/t/subscriptions", `{"protocol":"https","endpoint":"http://127.0.0.1/x"}`, inv),
		bad("subscribe private endpoint", "POST", "/v1/topics/t/subscriptions", `{"protocol":"http","endpoint":"http://127.0.0.1/x"}`, inv),
		bad("subscribe bad delivery policy", "POST", "/v1/topics/t/subscriptions", `{"protocol":"sqs","endpoint":"arn:aws:sqs:us-east-1:000000000000:q","attributes":{"DeliveryPolicy":"nope"}}`, inv),
		bad("subscription bad id", "GET", "/v1/topics/t/subscriptions/a.b", "", codeInvalidParam),
		bad("subscription long id", "DELETE", "/v1/topics/t/subscriptions/"+strings.Repeat("a", 129), "", codeInvalidParam),
		bad("patch subscription without attributes", "PATCH", "/v1/topics/t/subscriptions/abc", `{"attributes":{}}`, codeMissingParam),
		bad("confirm without token", "POST", "/v1/topics/t/confirm", `{}`, codeMissingParam),
		bad("publish without message", "POST", "/v1/topics/t/publish", `{"subject":"s"}`, codeMissingParam),
		bad("publish empty message", "POST", "/v1/topics/t/publish", `{"message":""}`, inv),
		bad("publish empty subject", "POST", "/v1/topics/t/publish", `{"message":"m","subject":""}`, inv),
		bad("publish subject with a newline", "POST", "/v1/topics/t/publish", `{"message":"m","subject":"a\nb"}`, inv),
		bad("publish too long", "POST", "/v1/topics/t/publish", `{"message":"`+strings.Repeat("x", 256*1024+1)+`"}`, inv),
		bad("publish bad structure", "POST", "/v1/topics/t/publish", `{"message":"m","message_structure":"xml"}`, inv),
		bad("publish json without default", "POST", "/v1/topics/t/publish", `{"message":"{\"sqs\":\"x\"}","message_structure":"json"}`, inv),
		bad("publish json not an object", "POST", "/v1/topics/t/publish", `{"message":"x","message_structure":"json"}`, inv),
		bad("publish attribute without type", "POST", "/v1/topics/t/publish", `{"message":"m","attributes":{"a":{"data_type":"","string_value":"v"}}}`, fsm.CodeSNSInvalidParameterValue),
		bad("publish bad number", "POST", "/v1/topics/t/publish", `{"message":"m","attributes":{"a":{"data_type":"Number","string_value":"x"}}}`, fsm.CodeSNSInvalidParameterValue),
		bad("publish unknown attribute type", "POST", "/v1/topics/t/publish", `{"message":"m","attributes":{"a":{"data_type":"Date","string_value":"x"}}}`, fsm.CodeSNSInvalidParameterValue),
		bad("publish 11 attributes", "POST", "/v1/topics/t/publish", `{"message":"m","attributes":`+restAttrsJSON(11)+`}`, inv),
		bad("publish unknown field", "POST", "/v1/topics/t/publish", `{"message":"m","body":"x"}`, codeSerialization),
		bad("batch empty", "POST", "/v1/topics/t/publish/batch", `{"messages":[]}`, fsm.CodeEmptyBatchRequest),
		bad("batch of 11", "POST", "/v1/topics/t/publish/batch", restPublishBatchOf(11), fsm.CodeTooManyEntriesInBatch),
		bad("batch without id", "POST", "/v1/topics/t/publish/batch", `{"messages":[{"message":"m"}]}`, codeMissingParam),
		bad("batch bad id", "POST", "/v1/topics/t/publish/batch", `{"messages":[{"id":"a.b","message":"m"}]}`, fsm.CodeInvalidBatchEntryID),
		bad("batch repeated id", "POST", "/v1/topics/t/publish/batch", `{"messages":[{"id":"a","message":"m"},{"id":"a","message":"m"}]}`, fsm.CodeBatchEntryIdsNotDistinct),
		bad("batch too long", "POST", "/v1/topics/t/publish/batch",
			`{"messages":[{"id":"a","message":"`+strings.Repeat("x", 200*1024)+`"},{"id":"b","message":"`+strings.Repeat("x", 100*1024)+`"}]}`, fsm.CodeBatchRequestTooLong),
		bad("bad region", "GET", "/v1/topics?region=US_EAST", "", codeInvalidParam),
	})
}

func TestRESTTopicErrors(t *testing.T) {
	notFound := restFailWith(fsm.Errorf(fsm.CodeSNSNotFound, "Topic does not exist"))
	runRESTCases(t, []restCase{
		{name: "get missing topic", setup: notFound, method: "GET", path: "/v1/topics/t", status: 404, code: fsm.CodeSNSNotFound},
		{name: "delete missing topic", setup: notFound, method: "DELETE", path: "/v1/topics/t", status: 404, code: fsm.CodeSNSNotFound},
		{name: "subscribe to a missing topic", setup: notFound, method: "POST", path: "/v1/topics/t/subscriptions",
			body: `{"protocol":"sqs","endpoint":"arn:aws:sqs:us-east-1:000000000000:q"}`, status: 404, code: fsm.CodeSNSNotFound},
		{name: "missing subscription", setup: restFailWith(fsm.Errorf(fsm.CodeSNSNotFound, "Subscription does not exist")), method: "DELETE",
			path: "/v1/topics/t/subscriptions/0f6c9b1e-2a0e-4c43-9a61-1d7f3b2d8c11", status: 404, code: fsm.CodeSNSNotFound},
		{name: "missing resource", setup: restFailWith(fsm.Errorf("ResourceNotFound", "Resource does not exist")), method: "GET", path: "/v1/topics/t", status: 404, code: "ResourceNotFound"},
		{name: "publish to a missing topic", setup: notFound, method: "POST", path: "/v1/topics/t/publish", body: `{"message":"m","subject":"s"}`, status: 404, code: fsm.CodeSNSNotFound},
		{name: "batch of invalid messages to a missing topic", setup: notFound, method: "POST", path: "/v1/topics/t/publish/batch",
			body: `{"messages":[{"id":"a","message":""}]}`, status: 404, code: fsm.CodeSNSNotFound},
		{name: "confirm with a bad token", setup: restFailWith(fsm.Errorf(fsm.CodeSNSInvalidParameter, "Invalid parameter: Token")), method: "POST",
			path: "/v1/topics/t/confirm", body: `{"token":"nope"}`, status: 400, code: fsm.CodeSNSInvalidParameter},
		{name: "filter policy limit", setup: restFailWith(fsm.Errorf(fsm.CodeSNSFilterPolicyLimitExceeded, "Filter policy limit exceeded")), method: "PATCH",
			path: "/v1/topics/t/subscriptions/abc", body: `{"attributes":{"FilterPolicy":"{}"}}`, status: 403, code: fsm.CodeSNSFilterPolicyLimitExceeded},
		{name: "method not allowed", method: "PUT", path: "/v1/topics/t/subscriptions/abc", status: 405, code: codeUnknownOperation,
			check: func(t *testing.T, r reply, _ *memBackend) {
				if r.header.Get("Allow") != "GET, PATCH, DELETE" {
					t.Fatalf("Allow %q", r.header.Get("Allow"))
				}
			}},
		{name: "unknown topic path", method: "POST", path: "/v1/topics/t/nope", status: 404, code: codeUnknownOperation},
	})
}

// SNS's Throttled answers 429, retryable, like SQS's RequestThrottled.
func TestRESTTopicThrottled(t *testing.T) {
	srv, mem := newTestServer(t)
	mem.failWith = fsm.Errorf("Throttled", "slow down")
	r := restDo(t, srv.URL, "GET", "/v1/topics", "")
	if e := restErr(t, r); r.status != 429 || e.Code != "Throttled" || !e.Retryable {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// restPublishEntry hands the REST fields to the SNS validator unchanged.
func TestRESTPublishEntry(t *testing.T) {
	msg, subject, s, n := `{"default":"d","sqs":"q"}`, "hi", "v", "3.5"
	e, err := restPublishEntry(&restPublishInput{
		Message: &msg, Subject: &subject, MessageStructure: "json",
		Attributes: map[string]restAttr{
			"s": {DataType: "String", StringValue: &s},
			"n": {DataType: "Number", StringValue: &n},
			"b": {DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.Message != "d" || e.ProtocolMessages["sqs"] != "q" || e.Subject != "hi" {
		t.Fatalf("entry %+v", e)
	}
	if e.Attributes["s"].StringValue != "v" || e.Attributes["n"].DataType != "Number" || !bytes.Equal(e.Attributes["b"].BinaryValue, []byte{0, 1, 2}) {
		t.Fatalf("attributes %+v", e.Attributes)
	}
	group := "g"
	if e, err := restPublishEntry(&restPublishInput{Message: &group, MessageGroupID: "g1", DeduplicationID: "d1"}); err != nil || e.MessageGroupID != "g1" || e.DeduplicationID != "d1" {
		t.Fatalf("FIFO fields: %+v %v", e, err)
	}
	plain := "plain"
	if e, err := restPublishEntry(&restPublishInput{Message: &plain}); err != nil || e.Message != "plain" || e.Subject != "" || e.Attributes != nil {
		t.Fatalf("plain: %+v %v", e, err)
	}
}

func TestRESTSubscriptionOf(t *testing.T) {
	arn := "arn:aws:sns:us-east-1:000000000000:t:abc-123"
	v := fsm.SubscriptionView{SubscriptionArn: "PendingConfirmation", TopicArn: "arn:aws:sns:us-east-1:000000000000:t",
		Protocol: "http", Endpoint: "http://h/x", Pending: true, Attributes: map[string]string{"SubscriptionArn": arn}}
	s := restSubscriptionOf(v)
	if s.ID != "abc-123" || s.ARN != arn || s.Topic != "t" || !s.Pending || s.Protocol != "http" {
		t.Fatalf("%+v", s)
	}
}

func restMustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func restAttrsJSON(n int) string {
	m := map[string]map[string]string{}
	for i := 0; i < n; i++ {
		m[fmt.Sprint("a", i)] = map[string]string{"data_type": "String", "string_value": "v"}
	}
	return restMustJSON(m)
}

func restPublishBatchOf(n int) string {
	var parts []string
	for i := 0; i < n; i++ {
		parts = append(parts, fmt.Sprintf(`{"id":"m%d","message":"x"}`, i))
	}
	return `{"messages":[` + strings.Join(parts, ",") + `]}`
}
