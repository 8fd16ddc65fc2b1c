package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharfmq/wharf/fsm"
	"github.com/wharfmq/wharf/node"
)

// TestBadInput sends malformed requests in both protocols: each gets its
// AWS error in the caller's protocol and none reaches the backend.
func TestBadInput(t *testing.T) {
	srv, mem := newTestServer(t)
	q := srv.URL + "/" + testAccount + "/q"
	entries := func(prefix string, n int, extra string) string {
		var parts []string
		for i := 0; i < n; i++ {
			parts = append(parts, fmt.Sprintf(`{"Id":"e%d",%s}`, i, extra))
		}
		return `{"QueueUrl":"` + q + `","Entries":[` + strings.Join(parts, ",") + `]}`
	}
	big := strings.Repeat("x", 200*1024)
	tooLongBatch := entries("", 6, `"MessageBody":"`+big+`"`)

	type tc struct {
		name       string
		req        func() *http.Request
		status     int
		code       string // JSON shape (checked in __type) or query code
		headerCode string // JSON only: x-amzn-query-error code
	}
	jsonReq := func(target, ct, body string) func() *http.Request {
		return func() *http.Request {
			r, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(body))
			r.Header.Set("X-Amz-Target", target)
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			return r
		}
	}
	js := func(action, body string) func() *http.Request {
		return jsonReq("AmazonSQS."+action, "application/x-amz-json-1.0", body)
	}
	queryReq := func(ct, body string) func() *http.Request {
		return func() *http.Request {
			r, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(body))
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			return r
		}
	}
	qs := func(body string) func() *http.Request { return queryReq("application/x-www-form-urlencoded", body) }

	cases := []tc{
		{"json malformed", js("SendMessage", `{"QueueUrl":`), 400, "SerializationException", "MalformedInput"},
		{"json not an object", js("SendMessage", `[1,2]`), 400, "SerializationException", "MalformedInput"},
		{"json wrong type", js("SendMessage", `{"QueueUrl":5}`), 400, "SerializationException", "MalformedInput"},
		{"json trailing data", js("ListQueues", `{} {}`), 400, "SerializationException", "MalformedInput"},
		{"json bad base64", js("SendMessage", `{"QueueUrl":"`+q+`","MessageBody":"x","MessageAttributes":{"a":{"DataType":"Binary","BinaryValue":"!!"}}}`), 400, "SerializationException", "MalformedInput"},
		{"json unknown target", js("Frobnicate", `{}`), 400, "UnknownOperationException", "InvalidAction"},
		{"json other service", jsonReq("AmazonSNS.Publish", "application/x-amz-json-1.0", `{}`), 400, "UnknownOperationException", "InvalidAction"},
		{"json wrong content type", jsonReq("AmazonSQS.ListQueues", "text/plain", `{}`), 400, "UnknownOperationException", "InvalidAction"},
		{"json missing QueueUrl", js("SendMessage", `{"MessageBody":"x"}`), 400, "MissingRequiredParameterException", "MissingParameter"},
		{"json malformed QueueUrl", js("SendMessage", `{"QueueUrl":"nope","MessageBody":"x"}`), 404, "InvalidAddress", "InvalidAddress"},
		{"json missing body", js("SendMessage", `{"QueueUrl":"`+q+`"}`), 400, "MissingRequiredParameterException", "MissingParameter"},
		{"json invalid chars", js("SendMessage", `{"QueueUrl":"`+q+`","MessageBody":"a\u0001b"}`), 400, "InvalidMessageContents", "InvalidMessageContents"},
		{"json delay too big", js("SendMessage", `{"QueueUrl":"`+q+`","MessageBody":"x","DelaySeconds":901}`), 400, "InvalidParameterValueException", "InvalidParameterValue"},
		{"json 11 attributes", js("SendMessage", `{"QueueUrl":"`+q+`","MessageBody":"x","MessageAttributes":{`+func() string {
			var p []string
			for i := 0; i < 11; i++ {
				p = append(p, fmt.Sprintf(`"a%d":{"DataType":"String","StringValue":"v"}`, i))
			}
			return strings.Join(p, ",")
		}()+`}}`), 400, "InvalidParameterValueException", "InvalidParameterValue"},
		{"json empty batch", js("SendMessageBatch", `{"QueueUrl":"`+q+`","Entries":[]}`), 400, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest"},
		{"json 11 entries", js("SendMessageBatch", entries("", 11, `"MessageBody":"x"`)), 400, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
		{"json duplicate ids", js("DeleteMessageBatch", `{"QueueUrl":"`+q+`","Entries":[{"Id":"a","ReceiptHandle":"x"},{"Id":"a","ReceiptHandle":"y"}]}`), 400, "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
		{"json bad entry id", js("ChangeMessageVisibilityBatch", `{"QueueUrl":"`+q+`","Entries":[{"Id":"a b","ReceiptHandle":"x","VisibilityTimeout":1}]}`), 400, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId"},
		{"json batch too long", js("SendMessageBatch", tooLongBatch), 400, "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong"},
		{"json empty receipt handle", js("DeleteMessage", `{"QueueUrl":"`+q+`","ReceiptHandle":""}`), 400, "MissingRequiredParameterException", "MissingParameter"},
		{"json visibility missing", js("ChangeMessageVisibility", `{"QueueUrl":"`+q+`","ReceiptHandle":"rh"}`), 400, "MissingRequiredParameterException", "MissingParameter"},
		{"json visibility too big", js("ChangeMessageVisibility", `{"QueueUrl":"`+q+`","ReceiptHandle":"rh","VisibilityTimeout":43201}`), 400, "InvalidParameterValueException", "InvalidParameterValue"},
		{"json receive max 0", js("ReceiveMessage", `{"QueueUrl":"`+q+`","MaxNumberOfMessages":0}`), 400, "InvalidParameterValueException", "InvalidParameterValue"},
		{"json wait 21", js("ReceiveMessage", `{"QueueUrl":"`+q+`","WaitTimeSeconds":21}`), 400, "InvalidParameterValueException", "InvalidParameterValue"},
		{"json wait float", js("ReceiveMessage", `{"QueueUrl":"`+q+`","WaitTimeSeconds":1.5}`), 400, "InvalidParameterValueException", "InvalidParameterValue"},
		{"json queue name", js("CreateQueue", `{"QueueName":"a/b"}`), 400, "InvalidParameterValueException", "InvalidParameterValue"},
		{"json no queue name", js("CreateQueue", `{}`), 400, "MissingRequiredParameterException", "MissingParameter"},
		{"json bad tag", js("CreateQueue", `{"QueueName":"a","tags":{"aws:k":"v"}}`), 400, "InvalidParameterValueException", "InvalidParameterValue"},
		{"json untag no keys", js("UntagQueue", `{"QueueUrl":"`+q+`"}`), 400, "MissingRequiredParameterException", "MissingParameter"},
		{"json set no attributes", js("SetQueueAttributes", `{"QueueUrl":"`+q+`"}`), 400, "MissingRequiredParameterException", "MissingParameter"},
		{"json unknown queue attribute", js("GetQueueAttributes", `{"QueueUrl":"`+q+`","AttributeNames":["Bogus"]}`), 400, "InvalidAttributeName", "InvalidAttributeName"},
		{"json list max 1001", js("ListQueues", `{"MaxResults":1001}`), 400, "InvalidParameterValueException", "InvalidParameterValue"},
		{"json too large", js("SendMessage", `{"QueueUrl":"`+q+`","MessageBody":"`+strings.Repeat("y", DefaultMaxBodyBytes)+`"}`), 400, "InvalidParameterValueException", "InvalidParameterValue"},

		{"query unknown action", qs("Action=Frobnicate"), 400, "InvalidAction", ""},
		{"query no action", qs("QueueName=x"), 400, "MissingAction", ""},
		{"query malformed form", qs("Action=ListQueues&x=%zz"), 400, "MalformedQueryString", ""},
		{"query wrong content type", queryReq("application/json", `{"Action":"ListQueues"}`), 400, "InvalidParameterValue", ""},
		{"query bad index", qs("Action=SendMessageBatch&QueueUrl=" + q + "&SendMessageBatchRequestEntry.x.Id=a"), 400, "InvalidParameterValue", ""},
		{"query huge index", qs("Action=SendMessageBatch&QueueUrl=" + q + "&SendMessageBatchRequestEntry.99999999999.Id=a"), 400, "InvalidParameterValue", ""},
		{"query bad int", qs("Action=ReceiveMessage&QueueUrl=" + q + "&MaxNumberOfMessages=abc"), 400, "InvalidParameterValue", ""},
		{"query bad base64", qs("Action=SendMessage&QueueUrl=" + q + "&MessageBody=x&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=Binary&MessageAttribute.1.Value.BinaryValue=%21%21"), 400, "InvalidParameterValue", ""},
		{"query invalid chars", qs("Action=SendMessage&QueueUrl=" + q + "&MessageBody=%00"), 400, "InvalidMessageContents", ""},
		{"query bad utf8", qs("Action=SendMessage&QueueUrl=" + q + "&MessageBody=%FF%FE"), 400, "InvalidMessageContents", ""},
		{"query 11 entries", qs(func() string {
			s := "Action=DeleteMessageBatch&QueueUrl=" + q
			for i := 1; i <= 11; i++ {
				s += fmt.Sprintf("&DeleteMessageBatchRequestEntry.%d.Id=e%d&DeleteMessageBatchRequestEntry.%d.ReceiptHandle=rh", i, i, i)
			}
			return s
		}()), 400, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", ""},
		{"query empty batch", qs("Action=SendMessageBatch&QueueUrl=" + q), 400, "AWS.SimpleQueueService.EmptyBatchRequest", ""},
		{"query empty receipt handle", qs("Action=DeleteMessage&QueueUrl=" + q + "&ReceiptHandle="), 400, "MissingParameter", ""},
		{"query no queue url", qs("Action=PurgeQueue"), 400, "MissingParameter", ""},
	}
	for _, c := range cases {
		before := mem.callCount()
		req := c.req()
		r := do(t, req)
		isJSON := req.Header.Get("X-Amz-Target") != ""
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d: %.300s", c.name, r.status, c.status, r.body)
			continue
		}
		if isJSON {
			if !strings.Contains(r.body, `#`+c.code+`"`) || r.header.Get("x-amzn-query-error") != c.headerCode+";Sender" {
				t.Errorf("%s: %v %.300s", c.name, r.header.Get("x-amzn-query-error"), r.body)
			}
		} else if between(r.body, "Code") != c.code || between(r.body, "Type") != "Sender" {
			t.Errorf("%s: %.300s", c.name, r.body)
		}
		if mem.callCount() != before {
			t.Errorf("%s: reached the backend", c.name)
		}
	}
}

// TestBackendErrors: retry errors from the node answer a 5xx, never a 4xx;
// unexpected errors a 500.
func TestBackendErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{node.ErrNotLeader, 503, "ServiceUnavailable"},
		{node.ErrNoLeader, 503, "ServiceUnavailable"},
		{node.ErrShuttingDown, 503, "ServiceUnavailable"},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), 503, "ServiceUnavailable"},
		{context.Canceled, 503, "ServiceUnavailable"},
		{node.ErrIndeterminate, 500, "InternalError"},
		{errors.New("disk on fire"), 500, "InternalError"},
		{fsm.Errorf(fsm.CodePurgeQueueInProgress, "wait"), 403, "AWS.SimpleQueueService.PurgeQueueInProgress"},
		{fsm.Errorf(fsm.CodeOverLimit, "too many"), 403, "OverLimit"},
	} {
		srv, mem := newTestServer(t)
		mem.failWith = tc.err
		r := postQuery(t, srv.URL, "/"+testAccount+"/q", form("Action", "PurgeQueue"))
		if r.status != tc.status || between(r.body, "Code") != tc.code {
			t.Errorf("%v: query %d %s", tc.err, r.status, r.body)
		}
		if tc.status >= 500 && between(r.body, "Type") != "Receiver" {
			t.Errorf("%v: fault type %s", tc.err, r.body)
		}
		r = postJSON(t, srv.URL, "PurgeQueue", `{"QueueUrl":"http://x/`+testAccount+`/q"}`)
		if r.status != tc.status || !strings.HasPrefix(r.header.Get("x-amzn-query-error"), tc.code+";") {
			t.Errorf("%v: json %d %v %s", tc.err, r.status, r.header, r.body)
		}
	}
}

// panicBackend panics on every SQS call.
type panicBackend struct{ *memBackend }

func (panicBackend) ListQueues(context.Context, string, string, string) ([]string, error) {
	panic("boom")
}

func TestPanicAnswers500(t *testing.T) {
	srv := httptest.NewServer(New(Config{Backend: panicBackend{newMemBackend()}, AccountID: testAccount, Logger: quietLogger}).Handler())
	defer srv.Close()
	r := postJSON(t, srv.URL, "ListQueues", `{}`)
	if r.status != 500 || !strings.Contains(r.body, "InternalFailure") {
		t.Fatalf("json: %d %s", r.status, r.body)
	}
	r = postQuery(t, srv.URL, "/", form("Action", "ListQueues"))
	if r.status != 500 || between(r.body, "Code") != "InternalError" {
		t.Fatalf("query: %d %s", r.status, r.body)
	}
}

func TestReceiveWaitAbsentMeansQueueDefault(t *testing.T) {
	srv, mem := newTestServer(t)
	postJSON(t, srv.URL, "CreateQueue", `{"QueueName":"q","Attributes":{"ReceiveMessageWaitTimeSeconds":"7"}}`)
	q := srv.URL + "/" + testAccount + "/q"
	r := postJSON(t, srv.URL, "ReceiveMessage", `{"QueueUrl":"`+q+`","VisibilityTimeout":9}`)
	// Absent WaitTimeSeconds reaches the backend as -1: the queue's default.
	if r.status != 200 || mem.lastWait >= 0 || mem.lastRecv.VisibilityTimeout != 9 || mem.lastRecv.Max != 1 {
		t.Fatalf("%d %s wait=%v recv=%+v", r.status, r.body, mem.lastWait, mem.lastRecv)
	}
	r = postJSON(t, srv.URL, "ReceiveMessage", `{"QueueUrl":"`+q+`","WaitTimeSeconds":0}`)
	if r.status != 200 || mem.lastWait != 0 {
		t.Fatalf("explicit 0: wait=%v", mem.lastWait)
	}
}

func TestReceiveAttributeSelection(t *testing.T) {
	attrs := map[string]fsm.MessageAttribute{
		"a.x": {DataType: "String", StringValue: "1"},
		"a.y": {DataType: "String", StringValue: "2"},
		"b":   {DataType: "Binary", BinaryValue: []byte{9}},
	}
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{nil, ""},
		{[]string{"All"}, "a.x,a.y,b"},
		{[]string{".*"}, "a.x,a.y,b"},
		{[]string{"a.*"}, "a.x,a.y"},
		{[]string{"b", "zz"}, "b"},
		{[]string{"a"}, ""},
	} {
		got := pickAttributes(attrs, tc.names)
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		m := map[string]string{}
		for _, k := range keys {
			m[k] = ""
		}
		if strings.Join(sortedKeys(m), ",") != tc.want {
			t.Errorf("pickAttributes(%v) = %v, want %s", tc.names, keys, tc.want)
		}
	}
	m := received(&fsm.ReceivedMessage{MessageID: "m", Body: "hello", Attributes: attrs, SenderID: "s", SentTimestamp: 5, ReceiveCount: 2},
		wantedSystemAttributes([]string{"SentTimestamp"}, []string{"ApproximateReceiveCount", "MessageGroupId"}), []string{"b"})
	if len(m.Attributes) != 2 || m.Attributes["SentTimestamp"] != "5" || m.Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("system attributes %v", m.Attributes)
	}
	if m.MD5OfMessageAttributes != md5OfAttributes(map[string]fsm.MessageAttribute{"b": attrs["b"]}) || len(m.MessageAttributes) != 1 {
		t.Fatalf("MD5 over the subset: %+v", m)
	}
}
