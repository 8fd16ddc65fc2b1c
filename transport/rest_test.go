package transport

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfmq/wharf/fsm"
	"github.com/wharfmq/wharf/node"
)

// restCase is one call of the native API against a fresh server over a
// memBackend.
type restCase struct {
	name   string
	setup  func(t *testing.T, mem *memBackend)
	method string
	path   string
	body   string
	status int
	// code is the expected error code; "" expects success.
	code string
	// untouched: the call must not reach the backend (bad input).
	untouched bool
	check     func(t *testing.T, r reply, mem *memBackend)
}

// restQueueKey is the key of a queue the test server serves by default.
func restQueueKey(name string) fsm.QueueKey {
	return fsm.QueueKey{Region: "us-east-1", Account: testAccount, Name: name}
}

// seedQueue creates queue name in mem, with n messages "m1".."mn".
func seedQueue(name string, n int) func(t *testing.T, mem *memBackend) {
	return func(t *testing.T, mem *memBackend) {
		t.Helper()
		ctx := context.Background()
		if err := mem.CreateQueue(ctx, fsm.CreateQueue{Queue: restQueueKey(name), Tags: map[string]string{"team": "blue"}}); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= n; i++ {
			body := "m" + string(rune('0'+i))
			if _, err := mem.SendMessages(ctx, fsm.SendMessages{Queue: restQueueKey(name), Entries: []fsm.SendEntry{{Body: body, DelaySeconds: -1}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// seedInflight creates queue q with 2 messages, both received once
// (receipt handles rh-m0001-1 and rh-m0002-1).
func seedInflight(t *testing.T, mem *memBackend) {
	t.Helper()
	seedQueue("q", 2)(t, mem)
	if _, err := mem.ReceiveMessages(context.Background(), fsm.ReceiveMessages{Queue: restQueueKey("q"), Max: 2}, 0); err != nil {
		t.Fatal(err)
	}
}

func restDo(t *testing.T, base, method, path, body string) reply {
	t.Helper()
	var req *http.Request
	if body == "" {
		req, _ = http.NewRequest(method, base+path, nil)
	} else {
		req, _ = http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, req)
}

// restErr decodes the one error shape, failing on any other body.
func restErr(t *testing.T, r reply) restError {
	t.Helper()
	var e restErrorBody
	dec := json.NewDecoder(strings.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not the REST error shape (%v): %d %s", err, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type %q", ct)
	}
	return e.Error
}

func decodeReply(t *testing.T, r reply, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func runRESTCases(t *testing.T, cases []restCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, mem := newTestServer(t)
			if tc.setup != nil {
				tc.setup(t, mem)
			}
			before := mem.callCount()
			r := restDo(t, srv.URL, tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if r.header.Get(headerRequestID) == "" {
				t.Fatalf("no request ID header: %v", r.header)
			}
			if tc.code != "" {
				e := restErr(t, r)
				if e.Code != tc.code {
					t.Fatalf("code %s, want %s: %s", e.Code, tc.code, r.body)
				}
				if e.Retryable != (r.status >= 500) {
					t.Fatalf("retryable %v with status %d", e.Retryable, r.status)
				}
			} else if r.status != http.StatusNoContent && r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
			}
			if tc.untouched && mem.callCount() != before {
				t.Fatalf("bad input reached the backend (%d calls)", mem.callCount()-before)
			}
			if tc.check != nil {
				tc.check(t, r, mem)
			}
		})
	}
}

func TestRESTQueues(t *testing.T) {
	runRESTCases(t, []restCase{
		{name: "create", method: "POST", path: "/v1/queues", body: `{"name":"q","attributes":{"VisibilityTimeout":"60"},"tags":{"env":"dev"}}`, status: 201,
			check: func(t *testing.T, r reply, mem *memBackend) {
				var out restQueueRef
				decodeReply(t, r, &out)
				if out.Name != "q" || !strings.HasPrefix(out.URL, "http://127.0.0.1:") || !strings.HasSuffix(out.URL, "/"+testAccount+"/q") ||
					out.ARN != "arn:aws:sqs:us-east-1:"+testAccount+":q" {
					t.Fatalf("%+v", out)
				}
				q := mem.queues[restQueueKey("q")]
				if q == nil || q.attrs["VisibilityTimeout"] != "60" || q.tags["env"] != "dev" {
					t.Fatalf("queue not created as asked: %+v", q)
				}
			}},
		{name: "create existing same attributes", setup: seedQueue("q", 0), method: "POST", path: "/v1/queues", body: `{"name":"q","attributes":{"VisibilityTimeout":"30"}}`, status: 200},
		{name: "create existing other attributes", setup: seedQueue("q", 0), method: "POST", path: "/v1/queues", body: `{"name":"q","attributes":{"VisibilityTimeout":"31"}}`, status: 409, code: fsm.CodeQueueNameExists},
		{name: "create in region", method: "POST", path: "/v1/queues?region=eu-west-1", body: `{"name":"q"}`, status: 201,
			check: func(t *testing.T, r reply, mem *memBackend) {
				if !strings.Contains(r.body, `"arn:aws:sqs:eu-west-1:`+testAccount+`:q"`) {
					t.Fatal(r.body)
				}
				if mem.queues[fsm.QueueKey{Region: "eu-west-1", Account: testAccount, Name: "q"}] == nil {
					t.Fatal("not created in eu-west-1")
				}
			}},
		{name: "create bad region", method: "POST", path: "/v1/queues?region=EU_1", body: `{"name":"q"}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "create missing name", method: "POST", path: "/v1/queues", body: `{"attributes":{}}`, status: 400, code: codeMissingParam, untouched: true},
		{name: "create empty body", method: "POST", path: "/v1/queues", status: 400, code: codeMissingParam, untouched: true},
		{name: "create invalid name", method: "POST", path: "/v1/queues", body: `{"name":"no spaces"}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "create name too long", method: "POST", path: "/v1/queues", body: `{"name":"` + strings.Repeat("a", 81) + `"}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "create reserved tag", method: "POST", path: "/v1/queues", body: `{"name":"q","tags":{"aws:x":"1"}}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "create unknown attribute", method: "POST", path: "/v1/queues", body: `{"name":"q","attributes":{"Bogus":"1"}}`, status: 400, code: fsm.CodeInvalidAttributeName},
		{name: "create malformed JSON", method: "POST", path: "/v1/queues", body: `{"name":`, status: 400, code: codeSerialization, untouched: true},
		{name: "create not an object", method: "POST", path: "/v1/queues", body: `["q"]`, status: 400, code: codeSerialization, untouched: true},
		{name: "create wrong type", method: "POST", path: "/v1/queues", body: `{"name":7}`, status: 400, code: codeSerialization, untouched: true},
		{name: "create unknown field", method: "POST", path: "/v1/queues", body: `{"name":"q","atributes":{}}`, status: 400, code: codeSerialization, untouched: true},
		{name: "create trailing data", method: "POST", path: "/v1/queues", body: `{"name":"q"} {}`, status: 400, code: codeSerialization, untouched: true},
		{name: "create invalid UTF-8", method: "POST", path: "/v1/queues", body: "{\"name\":\"\xff\"}", status: 400, code: codeSerialization, untouched: true},

		{name: "list", setup: func(t *testing.T, mem *memBackend) {
			seedQueue("beta", 0)(t, mem)
			seedQueue("alpha", 0)(t, mem)
			seedQueue("alpine", 0)(t, mem)
		}, method: "GET", path: "/v1/queues?prefix=alp", status: 200,
			check: func(t *testing.T, r reply, _ *memBackend) {
				var out restListQueuesOutput
				decodeReply(t, r, &out)
				if len(out.Queues) != 2 || out.Queues[0].Name != "alpha" || out.Queues[1].Name != "alpine" ||
					!strings.HasSuffix(out.Queues[0].URL, "/"+testAccount+"/alpha") || out.Queues[1].ARN != restQueueKey("alpine").ARN() {
					t.Fatalf("%+v", out)
				}
			}},
		{name: "list empty", method: "GET", path: "/v1/queues", status: 200,
			check: func(t *testing.T, r reply, _ *memBackend) {
				if r.body != `{"queues":[]}` {
					t.Fatal(r.body)
				}
			}},

		{name: "get", setup: seedQueue("q", 3), method: "GET", path: "/v1/queues/q", status: 200,
			check: func(t *testing.T, r reply, _ *memBackend) {
				var out restQueue
				decodeReply(t, r, &out)
				if out.Name != "q" || out.ARN != restQueueKey("q").ARN() || !strings.HasSuffix(out.URL, "/q") ||
					out.Attributes["ApproximateNumberOfMessages"] != "3" || out.Attributes["VisibilityTimeout"] != "30" || out.Tags["team"] != "blue" {
					t.Fatalf("%+v", out)
				}
			}},
		{name: "get missing", method: "GET", path: "/v1/queues/nope", status: 404, code: fsm.CodeQueueDoesNotExist},
		{name: "get invalid name", method: "GET", path: "/v1/queues/bad.name", status: 400, code: codeInvalidParam, untouched: true},

		{name: "patch", setup: seedQueue("q", 0), method: "PATCH", path: "/v1/queues/q", body: `{"attributes":{"VisibilityTimeout":"90"}}`, status: 200,
			check: func(t *testing.T, r reply, _ *memBackend) {
				var out restQueue
				decodeReply(t, r, &out)
				if out.Attributes["VisibilityTimeout"] != "90" || out.Tags["team"] != "blue" || out.Name != "q" {
					t.Fatalf("%+v", out)
				}
			}},
		{name: "patch no attributes", setup: seedQueue("q", 0), method: "PATCH", path: "/v1/queues/q", body: `{"attributes":{}}`, status: 400, code: codeMissingParam, untouched: true},
		{name: "patch bad type", setup: seedQueue("q", 0), method: "PATCH", path: "/v1/queues/q", body: `{"attributes":{"VisibilityTimeout":90}}`, status: 400, code: codeSerialization, untouched: true},
		{name: "patch missing", method: "PATCH", path: "/v1/queues/nope", body: `{"attributes":{"VisibilityTimeout":"90"}}`, status: 404, code: fsm.CodeQueueDoesNotExist},

		{name: "delete", setup: seedQueue("q", 1), method: "DELETE", path: "/v1/queues/q", status: 204,
			check: func(t *testing.T, r reply, mem *memBackend) {
				if r.body != "" || mem.queues[restQueueKey("q")] != nil {
					t.Fatalf("body %q, queue still there", r.body)
				}
			}},
		{name: "delete missing", method: "DELETE", path: "/v1/queues/nope", status: 404, code: fsm.CodeQueueDoesNotExist},
		{name: "purge", setup: seedQueue("q", 2), method: "POST", path: "/v1/queues/q/purge", status: 204,
			check: func(t *testing.T, _ reply, mem *memBackend) {
				if n := len(mem.queues[restQueueKey("q")].messages); n != 0 {
					t.Fatalf("%d messages left", n)
				}
			}},
		{name: "purge missing", method: "POST", path: "/v1/queues/nope/purge", status: 404, code: fsm.CodeQueueDoesNotExist},
	})
}

func TestRESTSend(t *testing.T) {
	q := seedQueue("q", 0)
	big := strings.Repeat("x", 600<<10)
	runRESTCases(t, []restCase{
		{name: "send", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"hello","idempotency_key":"k-1"}`, status: 201,
			check: func(t *testing.T, r reply, mem *memBackend) {
				var out restSendOutput
				decodeReply(t, r, &out)
				if out.MessageID != "m0001" || out.MD5OfBody != md5Hex("hello") {
					t.Fatalf("%+v", out)
				}
				e := mem.lastSend.Entries[0]
				if e.IdempotencyKey != "k-1" || e.DelaySeconds != -1 || e.Body != "hello" || mem.lastSend.SenderID != testAccount {
					t.Fatalf("sent %+v", mem.lastSend)
				}
			}},
		{name: "send with delay and attributes", setup: q, method: "POST", path: "/v1/queues/q/messages",
			body: `{"body":"b","delay_seconds":5,"attributes":{"s":{"data_type":"String","string_value":"v"},"n":{"data_type":"Number.int","string_value":"42"},"b":{"data_type":"Binary","binary_value":"AAEC"}}}`, status: 201,
			check: func(t *testing.T, _ reply, mem *memBackend) {
				e := mem.lastSend.Entries[0]
				if e.DelaySeconds != 5 || e.Attributes["s"].StringValue != "v" || e.Attributes["n"].DataType != "Number.int" ||
					string(e.Attributes["b"].BinaryValue) != "\x00\x01\x02" {
					t.Fatalf("sent %+v", e)
				}
			}},
		{name: "send missing body", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{}`, status: 400, code: codeMissingParam, untouched: true},
		{name: "send empty body", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":""}`, status: 400, code: codeMissingParam, untouched: true},
		{name: "send invalid character", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"a\u0000b"}`, status: 400, code: fsm.CodeInvalidMessageContents, untouched: true},
		{name: "send delay too long", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"b","delay_seconds":901}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "send delay negative", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"b","delay_seconds":-1}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "send delay not an integer", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"b","delay_seconds":1.5}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "send attribute bad type", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"b","attributes":{"a":{"data_type":"Float","string_value":"1"}}}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "send attribute reserved name", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"b","attributes":{"AWS.x":{"data_type":"String","string_value":"1"}}}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "send attribute not a number", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"b","attributes":{"a":{"data_type":"Number","string_value":"x"}}}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "send attribute bad base64", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"b","attributes":{"a":{"data_type":"Binary","binary_value":"!!"}}}`, status: 400, code: codeSerialization, untouched: true},
		{name: "send idempotency key too long", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"b","idempotency_key":"` + strings.Repeat("k", 129) + `"}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "send idempotency key with space", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"b","idempotency_key":"a b"}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "send unknown field", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"b","id":"1"}`, status: 400, code: codeSerialization, untouched: true},
		{name: "send missing queue", method: "POST", path: "/v1/queues/nope/messages", body: `{"body":"b"}`, status: 404, code: fsm.CodeQueueDoesNotExist},
		{name: "send rejected", setup: q, method: "POST", path: "/v1/queues/q/messages", body: `{"body":"reject-me"}`, status: 400, code: codeInvalidParam},

		{name: "batch", setup: q, method: "POST", path: "/v1/queues/q/messages/batch",
			body: `{"messages":[{"id":"a","body":"one","idempotency_key":"ka"},{"id":"b","body":"reject-me"},{"id":"c","body":""},{"id":"d","body":"two","delay_seconds":3}]}`, status: 200,
			check: func(t *testing.T, r reply, mem *memBackend) {
				var out restSendBatchOutput
				decodeReply(t, r, &out)
				res := out.Results
				if len(res) != 4 || res[0].ID != "a" || res[0].MessageID == "" || res[0].Error != nil ||
					res[1].ID != "b" || res[1].Error == nil || res[1].Error.Code != codeInvalidParam || res[1].MessageID != "" ||
					res[2].ID != "c" || res[2].Error == nil || res[2].Error.Code != codeMissingParam || res[2].Error.Retryable ||
					res[3].ID != "d" || res[3].MessageID == "" {
					t.Fatalf("%s", r.body)
				}
				if res[0].MD5OfBody != md5Hex("one") || res[3].MD5OfBody != md5Hex("two") || res[1].MD5OfBody != "" {
					t.Fatalf("batch MD5s: %s", r.body)
				}
				if len(mem.lastSend.Entries) != 3 || mem.lastSend.Entries[0].IdempotencyKey != "ka" || mem.lastSend.Entries[2].DelaySeconds != 3 {
					t.Fatalf("sent %+v", mem.lastSend)
				}
			}},
		{name: "batch 11 messages", setup: q, method: "POST", path: "/v1/queues/q/messages/batch", body: batchOf(11), status: 400, code: fsm.CodeTooManyEntriesInBatch, untouched: true},
		{name: "batch empty", setup: q, method: "POST", path: "/v1/queues/q/messages/batch", body: `{"messages":[]}`, status: 400, code: fsm.CodeEmptyBatchRequest, untouched: true},
		{name: "batch no messages field", setup: q, method: "POST", path: "/v1/queues/q/messages/batch", body: `{}`, status: 400, code: fsm.CodeEmptyBatchRequest, untouched: true},
		{name: "batch repeated id", setup: q, method: "POST", path: "/v1/queues/q/messages/batch", body: `{"messages":[{"id":"a","body":"1"},{"id":"a","body":"2"}]}`, status: 400, code: fsm.CodeBatchEntryIdsNotDistinct, untouched: true},
		{name: "batch invalid id", setup: q, method: "POST", path: "/v1/queues/q/messages/batch", body: `{"messages":[{"id":"a b","body":"1"}]}`, status: 400, code: fsm.CodeInvalidBatchEntryID, untouched: true},
		{name: "batch missing id", setup: q, method: "POST", path: "/v1/queues/q/messages/batch", body: `{"messages":[{"body":"1"}]}`, status: 400, code: codeMissingParam, untouched: true},
		{name: "batch too long", setup: q, method: "POST", path: "/v1/queues/q/messages/batch", body: `{"messages":[{"id":"a","body":"` + big + `"},{"id":"b","body":"` + big + `"}]}`, status: 400, code: fsm.CodeBatchRequestTooLong, untouched: true},
		{name: "batch all invalid, missing queue", method: "POST", path: "/v1/queues/nope/messages/batch", body: `{"messages":[{"id":"a","body":""}]}`, status: 404, code: fsm.CodeQueueDoesNotExist},
		{name: "batch all invalid", setup: q, method: "POST", path: "/v1/queues/q/messages/batch", body: `{"messages":[{"id":"a","body":"b","delay_seconds":1000}]}`, status: 200,
			check: func(t *testing.T, r reply, _ *memBackend) {
				if !strings.Contains(r.body, `{"id":"a","error":{"code":"InvalidParameterValueException"`) {
					t.Fatal(r.body)
				}
			}},
	})
}

// batchOf is a send batch of n valid messages.
func batchOf(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, `{"id":"e`+string(rune('a'+i))+`","body":"x"}`)
	}
	return `{"messages":[` + strings.Join(parts, ",") + `]}`
}

func TestRESTReceive(t *testing.T) {
	q := seedQueue("q", 3)
	runRESTCases(t, []restCase{
		{name: "receive", setup: func(t *testing.T, mem *memBackend) {
			q(t, mem)
			m := mem.queues[restQueueKey("q")].messages[0]
			m.Attributes = map[string]fsm.MessageAttribute{
				"s": {DataType: "String", StringValue: "v"},
				"b": {DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
			}
		}, method: "POST", path: "/v1/queues/q/messages/receive", body: `{"max":2}`, status: 200,
			check: func(t *testing.T, r reply, mem *memBackend) {
				var out restReceiveOutput
				decodeReply(t, r, &out)
				if len(out.Messages) != 2 {
					t.Fatal(r.body)
				}
				m := out.Messages[0]
				if m.MessageID != "m0001" || m.ReceiptHandle != "rh-m0001-1" || m.Body != "m1" || m.MD5OfBody != md5Hex("m1") ||
					m.ReceiveCount != 1 || m.SentTimestamp != 1700000000123 || m.FirstReceiveTimestamp != 1700000000456 ||
					*m.Attributes["s"].StringValue != "v" || string(m.Attributes["b"].BinaryValue) != "\x00\x01\x02" {
					t.Fatalf("%+v", m)
				}
				if !strings.Contains(r.body, `"b":{"data_type":"Binary","binary_value":"AAEC"}`) || !strings.Contains(r.body, `"attributes":{}`) {
					t.Fatal(r.body)
				}
				if mem.lastWait != -time.Second || mem.lastRecv.VisibilityTimeout != -1 || mem.lastRecv.Max != 2 {
					t.Fatalf("wait %v, request %+v: absent values must mean the queue's defaults", mem.lastWait, mem.lastRecv)
				}
			}},
		{name: "receive long poll", setup: q, method: "POST", path: "/v1/queues/q/messages/receive", body: `{"wait_seconds":20,"visibility_timeout":43200}`, status: 200,
			check: func(t *testing.T, r reply, mem *memBackend) {
				if mem.lastWait != 20*time.Second || mem.lastRecv.VisibilityTimeout != 43200 || mem.lastRecv.Max != 1 {
					t.Fatalf("wait %v, request %+v", mem.lastWait, mem.lastRecv)
				}
			}},
		{name: "receive empty body", setup: q, method: "POST", path: "/v1/queues/q/messages/receive", status: 200},
		{name: "receive nothing", setup: seedQueue("q", 0), method: "POST", path: "/v1/queues/q/messages/receive", body: `{}`, status: 200,
			check: func(t *testing.T, r reply, _ *memBackend) {
				if r.body != `{"messages":[]}` {
					t.Fatal(r.body)
				}
			}},
		{name: "receive max 11", setup: q, method: "POST", path: "/v1/queues/q/messages/receive", body: `{"max":11}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "receive max 0", setup: q, method: "POST", path: "/v1/queues/q/messages/receive", body: `{"max":0}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "receive wait 21", setup: q, method: "POST", path: "/v1/queues/q/messages/receive", body: `{"wait_seconds":21}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "receive wait negative", setup: q, method: "POST", path: "/v1/queues/q/messages/receive", body: `{"wait_seconds":-1}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "receive visibility too long", setup: q, method: "POST", path: "/v1/queues/q/messages/receive", body: `{"visibility_timeout":43201}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "receive max not a number", setup: q, method: "POST", path: "/v1/queues/q/messages/receive", body: `{"max":"ten"}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "receive unknown field", setup: q, method: "POST", path: "/v1/queues/q/messages/receive", body: `{"max_messages":2}`, status: 400, code: codeSerialization, untouched: true},
		{name: "receive missing queue", method: "POST", path: "/v1/queues/nope/messages/receive", body: `{}`, status: 404, code: fsm.CodeQueueDoesNotExist},
	})
}

func TestRESTDeleteAndVisibility(t *testing.T) {
	runRESTCases(t, []restCase{
		{name: "delete", setup: seedInflight, method: "POST", path: "/v1/queues/q/messages/delete", body: `{"receipt_handles":["rh-m0001-1","bogus",""]}`, status: 200,
			check: func(t *testing.T, r reply, mem *memBackend) {
				var out restDeleteOutput
				decodeReply(t, r, &out)
				res := out.Results
				if len(res) != 3 || res[0].ReceiptHandle != "rh-m0001-1" || res[0].Error != nil ||
					res[1].ReceiptHandle != "bogus" || res[1].Error == nil || res[1].Error.Code != fsm.CodeReceiptHandleIsInvalid ||
					res[2].Error == nil || res[2].Error.Code != codeMissingParam {
					t.Fatal(r.body)
				}
				if n := len(mem.queues[restQueueKey("q")].messages); n != 1 {
					t.Fatalf("%d messages left, want 1", n)
				}
			}},
		{name: "delete 11", setup: seedInflight, method: "POST", path: "/v1/queues/q/messages/delete", body: `{"receipt_handles":["1","2","3","4","5","6","7","8","9","10","11"]}`, status: 400, code: fsm.CodeTooManyEntriesInBatch, untouched: true},
		{name: "delete none", setup: seedInflight, method: "POST", path: "/v1/queues/q/messages/delete", body: `{"receipt_handles":[]}`, status: 400, code: fsm.CodeEmptyBatchRequest, untouched: true},
		{name: "delete wrong type", setup: seedInflight, method: "POST", path: "/v1/queues/q/messages/delete", body: `{"receipt_handles":"rh-m0001-1"}`, status: 400, code: codeSerialization, untouched: true},
		{name: "delete missing queue", method: "POST", path: "/v1/queues/nope/messages/delete", body: `{"receipt_handles":["rh-m0001-1"]}`, status: 404, code: fsm.CodeQueueDoesNotExist},
		{name: "delete only empty handles, missing queue", method: "POST", path: "/v1/queues/nope/messages/delete", body: `{"receipt_handles":[""]}`, status: 404, code: fsm.CodeQueueDoesNotExist},

		{name: "visibility", setup: seedInflight, method: "POST", path: "/v1/queues/q/messages/visibility", body: `{"receipt_handle":"rh-m0002-1","visibility_timeout":0}`, status: 204,
			check: func(t *testing.T, r reply, mem *memBackend) {
				if r.body != "" || mem.queues[restQueueKey("q")].messages[1].inflight {
					t.Fatalf("body %q; the message is still in flight", r.body)
				}
			}},
		{name: "visibility missing handle", setup: seedInflight, method: "POST", path: "/v1/queues/q/messages/visibility", body: `{"visibility_timeout":10}`, status: 400, code: codeMissingParam, untouched: true},
		{name: "visibility missing timeout", setup: seedInflight, method: "POST", path: "/v1/queues/q/messages/visibility", body: `{"receipt_handle":"rh-m0002-1"}`, status: 400, code: codeMissingParam, untouched: true},
		{name: "visibility out of range", setup: seedInflight, method: "POST", path: "/v1/queues/q/messages/visibility", body: `{"receipt_handle":"rh-m0002-1","visibility_timeout":43201}`, status: 400, code: codeInvalidParam, untouched: true},
		{name: "visibility invalid handle", setup: seedInflight, method: "POST", path: "/v1/queues/q/messages/visibility", body: `{"receipt_handle":"bogus","visibility_timeout":5}`, status: 400, code: fsm.CodeReceiptHandleIsInvalid},
		{name: "visibility missing queue", method: "POST", path: "/v1/queues/nope/messages/visibility", body: `{"receipt_handle":"rh-m0002-1","visibility_timeout":5}`, status: 404, code: fsm.CodeQueueDoesNotExist},
	})
}

func TestRESTCluster(t *testing.T) {
	runRESTCases(t, []restCase{
		{name: "members", method: "GET", path: "/v1/cluster/members", status: 200,
			check: func(t *testing.T, r reply, _ *memBackend) {
				var out struct {
					Members []node.Member `json:"members"`
				}
				decodeReply(t, r, &out)
				if len(out.Members) != 2 || out.Members[0].ID != "n1" || out.Members[1].GossipStatus != "dead" {
					t.Fatal(r.body)
				}
			}},
		{name: "transfer", method: "POST", path: "/v1/cluster/leader/transfer", body: `{"to":"n2"}`, status: 204,
			check: func(t *testing.T, _ reply, mem *memBackend) {
				if mem.transferredTo != "n2" {
					t.Fatalf("transferred to %q", mem.transferredTo)
				}
			}},
		{name: "transfer to anyone", method: "POST", path: "/v1/cluster/leader/transfer", status: 204},
		{name: "transfer to unknown", method: "POST", path: "/v1/cluster/leader/transfer", body: `{"to":"n9"}`, status: 400, code: codeInvalidParam},
		{name: "transfer malformed", method: "POST", path: "/v1/cluster/leader/transfer", body: `{"to":`, status: 400, code: codeSerialization, untouched: true},
		{name: "remove", method: "DELETE", path: "/v1/cluster/members/n2", status: 204,
			check: func(t *testing.T, _ reply, mem *memBackend) {
				if len(mem.removed) != 1 || mem.removed[0] != "n2" {
					t.Fatalf("removed %v", mem.removed)
				}
			}},
		{name: "remove unknown", method: "DELETE", path: "/v1/cluster/members/n9", status: 400, code: codeInvalidParam},
	})
}

func TestRESTErrors(t *testing.T) {
	fail := func(err error) func(t *testing.T, mem *memBackend) {
		return func(t *testing.T, mem *memBackend) {
			seedQueue("q", 0)(t, mem)
			mem.failWith = err
		}
	}
	notApplied := func(want string) func(t *testing.T, r reply, _ *memBackend) {
		return func(t *testing.T, r reply, _ *memBackend) {
			if r.header.Get(headerNotApplied) != want {
				t.Fatalf("%s = %q, want %q", headerNotApplied, r.header.Get(headerNotApplied), want)
			}
		}
	}
	runRESTCases(t, []restCase{
		{name: "not leader", setup: fail(node.ErrNotLeader), method: "POST", path: "/v1/queues/q/messages", body: `{"body":"x"}`, status: 503, code: codeServiceUnavail, check: notApplied("1")},
		{name: "no leader", setup: fail(node.ErrNoLeader), method: "GET", path: "/v1/queues", status: 503, code: codeServiceUnavail, check: notApplied("1")},
		{name: "indeterminate", setup: fail(node.ErrIndeterminate), method: "POST", path: "/v1/queues/q/purge", status: 500, code: codeInternal, check: notApplied("")},
		{name: "shutting down", setup: fail(node.ErrShuttingDown), method: "GET", path: "/v1/queues/q", status: 503, code: codeServiceUnavail, check: notApplied("")},
		{name: "deadline", setup: fail(context.DeadlineExceeded), method: "POST", path: "/v1/queues/q/messages/receive", status: 503, code: codeServiceUnavail},
		{name: "unexpected error", setup: fail(errors.New("disk on fire")), method: "DELETE", path: "/v1/queues/q", status: 500, code: codeInternal,
			check: func(t *testing.T, r reply, _ *memBackend) {
				if strings.Contains(r.body, "fire") {
					t.Fatal("internal details leaked: " + r.body)
				}
			}},
		{name: "purge in progress", setup: fail(fsm.Errorf(fsm.CodePurgeQueueInProgress, "wait")), method: "POST", path: "/v1/queues/q/purge", status: 409, code: fsm.CodePurgeQueueInProgress},
		{name: "unknown path", method: "GET", path: "/v1/nope", status: 404, code: codeUnknownOperation},
		{name: "unknown deep path", method: "POST", path: "/v1/queues/q/messages/nope", status: 404, code: codeUnknownOperation},
		{name: "bare prefix", method: "GET", path: "/v1", status: 404, code: codeUnknownOperation},
		{name: "method not allowed", method: "PUT", path: "/v1/queues", status: 405, code: codeUnknownOperation,
			check: func(t *testing.T, r reply, _ *memBackend) {
				if r.header.Get("Allow") != "POST, GET" {
					t.Fatalf("Allow %q", r.header.Get("Allow"))
				}
			}},
		{name: "method not allowed with param", method: "GET", path: "/v1/queues/q/purge", status: 405, code: codeUnknownOperation},
	})
}

func TestRESTThrottledIsRetryable(t *testing.T) {
	srv, mem := newTestServer(t)
	seedQueue("q", 0)(t, mem)
	mem.failWith = fsm.Errorf(fsm.CodeRequestThrottled, "slow down")
	r := restDo(t, srv.URL, "POST", "/v1/queues/q/messages", `{"body":"x"}`)
	if e := restErr(t, r); r.status != 429 || e.Code != fsm.CodeRequestThrottled || !e.Retryable {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestRESTBodyTooLarge(t *testing.T) {
	mem := newMemBackend()
	srv := httptest.NewServer(New(Config{Backend: mem, Region: "us-east-1", AccountID: testAccount, Logger: quietLogger, MaxBodyBytes: 64}).Handler())
	t.Cleanup(srv.Close)
	r := restDo(t, srv.URL, "POST", "/v1/queues", `{"name":"`+strings.Repeat("a", 100)+`"}`)
	if e := restErr(t, r); r.status != 400 || e.Code != codeInvalidParam || mem.callCount() != 0 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// The SQS protocols are untouched by the /v1 routes.
func TestRESTLeavesSQSAlone(t *testing.T) {
	srv, _ := newTestServer(t)
	if r := postJSON(t, srv.URL, "CreateQueue", `{"QueueName":"v1"}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r := postQuery(t, srv.URL, "/"+testAccount+"/v1", form("Action", "GetQueueAttributes", "AttributeName.1", "QueueArn"))
	if r.status != 200 || !strings.Contains(r.body, ":v1</Value>") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// A REST call that reaches a follower runs on the leader; the queue URL
// names the host the client used, cluster members are answered locally.
func TestRESTForwardToLeader(t *testing.T) {
	c := newCluster(t, nil)
	r := restDo(t, c.follower.URL, "POST", "/v1/queues", `{"name":"fw"}`)
	if r.status != 201 || !strings.Contains(r.body, `"url":"`+c.follower.URL+"/"+testAccount+`/fw"`) {
		t.Fatalf("create via follower: %d %s", r.status, r.body)
	}
	if r := restDo(t, c.follower.URL, "POST", "/v1/queues/fw/messages", `{"body":"via follower","idempotency_key":"k"}`); r.status != 201 {
		t.Fatalf("send via follower: %d %s", r.status, r.body)
	}
	r = restDo(t, c.follower.URL, "POST", "/v1/queues/fw/messages/receive", `{"wait_seconds":1}`)
	var out restReceiveOutput
	decodeReply(t, r, &out)
	if r.status != 200 || len(out.Messages) != 1 || out.Messages[0].Body != "via follower" {
		t.Fatalf("receive via follower: %d %s", r.status, r.body)
	}
	if c.leaderMem.lastWait != time.Second || c.leaderMem.lastSend.Entries[0].IdempotencyKey != "k" {
		t.Fatalf("leader saw wait %v, send %+v", c.leaderMem.lastWait, c.leaderMem.lastSend)
	}
	if r := restDo(t, c.follower.URL, "POST", "/v1/cluster/leader/transfer", `{"to":"n2"}`); r.status != 204 || c.leaderMem.transferredTo != "n2" {
		t.Fatalf("transfer via follower: %d %s", r.status, r.body)
	}
	if r := restDo(t, c.follower.URL, "DELETE", "/v1/cluster/members/n2", ""); r.status != 204 || len(c.leaderMem.removed) != 1 {
		t.Fatalf("remove via follower: %d %s", r.status, r.body)
	}
	if c.followerMem.callCount() != 0 {
		t.Fatal("the follower ran a data call itself")
	}
	c.mu.Lock()
	forwarded := len(c.seen)
	for _, r := range c.seen {
		if r.Header.Get(headerForwarded) != "1" || r.Host != strings.TrimPrefix(c.follower.URL, "http://") {
			t.Fatalf("forwarded request: host %s headers %v", r.Host, r.Header)
		}
	}
	c.mu.Unlock()
	// Send and receive are not among them: the follower's backend takes
	// them to the leader as commands.
	if forwarded != 3 || c.followerBackend.forwardedCount() != 2 {
		t.Fatalf("leader saw %d requests, want 3; %d commands forwarded, want 2", forwarded, c.followerBackend.forwardedCount())
	}
	for _, path := range []string{"/v1/cluster/members", "/v1/cluster/status", "/v1/cluster/state-hash"} {
		if r := restDo(t, c.follower.URL, "GET", path, ""); r.status != 200 {
			t.Fatalf("%s on follower: %d %s", path, r.status, r.body)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seen) != forwarded {
		t.Fatal("a local cluster read was forwarded")
	}
}

func TestRESTForwardNoLeader(t *testing.T) {
	c := newCluster(t, nil)
	c.followerMem.mu.Lock()
	c.followerMem.addr = ""
	c.followerMem.mu.Unlock()
	r := restDo(t, c.follower.URL, "POST", "/v1/queues", `{"name":"x"}`)
	if e := restErr(t, r); r.status != 503 || e.Code != codeServiceUnavail || !e.Retryable {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// A forwarded request that reaches a non-leader is not applied.
	req, _ := http.NewRequest("GET", c.follower.URL+"/v1/queues", nil)
	req.Header.Set(headerForwarded, "1")
	r = do(t, req)
	if e := restErr(t, r); r.status != 503 || e.Code != codeServiceUnavail || r.header.Get(headerNotApplied) != "1" {
		t.Fatalf("%d %v %s", r.status, r.header, r.body)
	}
}

func TestRESTForwardRetriesAfterNotLeader(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	c := newCluster(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			first := calls == 1
			mu.Unlock()
			if first {
				w.Header().Set(headerNotApplied, "1")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	r := restDo(t, c.follower.URL, "POST", "/v1/queues", `{"name":"again"}`)
	mu.Lock()
	defer mu.Unlock()
	if r.status != 201 || calls != 2 {
		t.Fatalf("%d %s after %d calls", r.status, r.body, calls)
	}
}

func TestRESTRecoversPanic(t *testing.T) {
	srv := httptest.NewServer(New(Config{Backend: panicBackend{newMemBackend()}, Region: "us-east-1", AccountID: testAccount, Logger: quietLogger}).Handler())
	t.Cleanup(srv.Close)
	r := restDo(t, srv.URL, "GET", "/v1/queues", "") // panicBackend: badinput_test.go
	if e := restErr(t, r); r.status != 500 || e.Code != codeInternal || !e.Retryable {
		t.Fatalf("%d %s", r.status, r.body)
	}
}
