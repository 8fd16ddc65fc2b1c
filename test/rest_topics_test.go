package test

// The REST topic routes (/v1/topics, /v1/subscriptions) against a real
// cluster: every route, through followers (forwarded to the leader) and
// the leader, SQS and HTTP delivery, and the errors.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// restCall calls the native REST API and returns the status and the
// body, whatever the status.
func restCall(t *testing.T, method, url string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctxT(t, 30*time.Second), method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// restExpect calls the REST API, checks the status and decodes the answer
// into out (when not nil).
func restExpect(t *testing.T, want int, method, url string, body, out any) {
	t.Helper()
	status, b := restCall(t, method, url, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
}

// restExpectError calls the REST API and checks the error's status and
// code (and the one error shape).
func restExpectError(t *testing.T, status int, code, method, url string, body any) {
	t.Helper()
	got, b := restCall(t, method, url, body)
	var e struct {
		Error *struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			Retryable *bool  `json:"retryable"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Error == nil || e.Error.Message == "" || e.Error.Retryable == nil {
		t.Fatalf("%s %s: not the REST error shape: %d %s", method, url, got, b)
	}
	if got != status || e.Error.Code != code || *e.Error.Retryable {
		t.Fatalf("%s %s: %d %s, want %d %s", method, url, got, b, status, code)
	}
}

// restSub is a subscription as the REST API answers it.
type restSub struct {
	ID         string            `json:"id"`
	ARN        string            `json:"arn"`
	Topic      string            `json:"topic"`
	TopicARN   string            `json:"topic_arn"`
	Protocol   string            `json:"protocol"`
	Endpoint   string            `json:"endpoint"`
	Pending    bool              `json:"pending"`
	Attributes map[string]string `json:"attributes"`
}

// restMsg is a received message as the REST API answers it.
type restMsg struct {
	MessageID     string `json:"message_id"`
	ReceiptHandle string `json:"receipt_handle"`
	Body          string `json:"body"`
	Attributes    map[string]struct {
		DataType    string `json:"data_type"`
		StringValue string `json:"string_value"`
	} `json:"attributes"`
}

// restReceiveAll receives (and deletes) messages of a queue through the REST
// API until want arrived, then waits a little more for extra ones.
func restReceiveAll(t *testing.T, endpoint, queue string, want int) []restMsg {
	t.Helper()
	var got []restMsg
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		var out struct {
			Messages []restMsg `json:"messages"`
		}
		restExpect(t, 200, "POST", endpoint+"/v1/queues/"+queue+"/messages/receive", map[string]any{"max": 10, "wait_seconds": 1}, &out)
		var handles []string
		for _, m := range out.Messages {
			got = append(got, m)
			handles = append(handles, m.ReceiptHandle)
		}
		if len(handles) > 0 {
			restExpect(t, 200, "POST", endpoint+"/v1/queues/"+queue+"/messages/delete", map[string]any{"receipt_handles": handles}, nil)
		}
	}
	if len(got) != want {
		t.Fatalf("queue %s: received %d messages, want %d: %+v", queue, len(got), want, got)
	}
	// Nothing more: SQS delivery is part of the publish's command.
	var out struct {
		Messages []restMsg `json:"messages"`
	}
	restExpect(t, 200, "GET", endpoint+"/v1/queues/"+queue+"/messages", nil, &out)
	if len(out.Messages) != 0 {
		t.Fatalf("queue %s: %d more messages: %+v", queue, len(out.Messages), out.Messages)
	}
	return got
}

// topicHook is an HTTP endpoint that records the SNS messages pushed
// to it.
type topicHook struct {
	*httptest.Server
	mu   sync.Mutex
	msgs []map[string]string
}

func newTopicHook(t *testing.T) *topicHook {
	e := &topicHook{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		m := map[string]string{"Type": "raw", "Message": string(b)}
		var doc map[string]any
		if json.Unmarshal(b, &doc) == nil {
			m = map[string]string{}
			for k, v := range doc {
				if s, ok := v.(string); ok {
					m[k] = s
				}
			}
		}
		m["x-amz-sns-message-type"] = r.Header.Get("x-amz-sns-message-type")
		e.mu.Lock()
		e.msgs = append(e.msgs, m)
		e.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(e.Close)
	return e
}

// wait returns the first message pushed whose Type and Message match.
func (e *topicHook) wait(t *testing.T, typ, message string) map[string]string {
	t.Helper()
	var found map[string]string
	WaitFor(t, 30*time.Second, func() error {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, m := range e.msgs {
			if m["Type"] == typ && (message == "" || m["Message"] == message) {
				found = m
				return nil
			}
		}
		return fmt.Errorf("no %s %q pushed yet (%d messages)", typ, message, len(e.msgs))
	})
	return found
}

func TestRESTTopics(t *testing.T) {
	cl := shared(t)
	leader := cl.Leader(t)
	// Each call goes to another node: followers forward to the leader.
	n := 0
	ep := func() string { n++; return cl.Endpoint((leader + n) % len(cl.Nodes)) }
	name := uniq("rt")
	rawQ, filtQ := name+"-raw", name+"-filt"
	queueARN := map[string]string{}
	for _, q := range []string{rawQ, filtQ} {
		var ref struct{ ARN string }
		restExpect(t, 201, "POST", ep()+"/v1/queues", map[string]any{"name": q}, &ref)
		queueARN[q] = ref.ARN
	}

	// Create: 201, then 200 for the same attributes and tags, 400 for others.
	create := map[string]any{"name": name, "attributes": map[string]string{"DisplayName": "Orders"}, "tags": map[string]string{"team": "shop"}}
	var ref struct{ Name, ARN string }
	restExpect(t, 201, "POST", ep()+"/v1/topics", create, &ref)
	if ref.Name != name || ref.ARN != "arn:aws:sns:us-east-1:000000000000:"+name {
		t.Fatalf("create: %+v", ref)
	}
	restExpect(t, 200, "POST", ep()+"/v1/topics", create, nil)
	restExpectError(t, 400, "InvalidParameter", "POST", ep()+"/v1/topics", map[string]any{"name": name, "attributes": map[string]string{"DisplayName": "Other"}})
	restExpectError(t, 400, "InvalidParameter", "POST", ep()+"/v1/topics", map[string]any{"name": "bad name"})
	restExpectError(t, 400, "MissingRequiredParameterException", "POST", ep()+"/v1/topics", map[string]any{})

	// List, get, patch.
	var list struct {
		Topics []struct{ Name, ARN string } `json:"topics"`
	}
	restExpect(t, 200, "GET", ep()+"/v1/topics?prefix="+name, nil, &list)
	if len(list.Topics) != 1 || list.Topics[0].Name != name || list.Topics[0].ARN != ref.ARN {
		t.Fatalf("list: %+v", list)
	}
	var topic struct {
		Name, ARN  string
		Attributes map[string]string
		Tags       map[string]string
	}
	restExpect(t, 200, "GET", ep()+"/v1/topics/"+name, nil, &topic)
	if topic.Attributes["DisplayName"] != "Orders" || topic.Attributes["TopicArn"] != ref.ARN || topic.Attributes["SubscriptionsConfirmed"] != "0" || topic.Tags["team"] != "shop" {
		t.Fatalf("get: %+v", topic)
	}
	restExpect(t, 200, "PATCH", ep()+"/v1/topics/"+name, map[string]any{"attributes": map[string]string{"DisplayName": "Orders!"}}, &topic)
	if topic.Attributes["DisplayName"] != "Orders!" {
		t.Fatalf("patch: %+v", topic)
	}
	restExpectError(t, 400, "InvalidParameter", "PATCH", ep()+"/v1/topics/"+name, map[string]any{"attributes": map[string]string{"NoSuchAttribute": "x"}})

	// Subscribe two queues (raw; filtered) and an HTTP endpoint.
	var raw, filt, hook restSub
	subURL := ep() + "/v1/topics/" + name + "/subscriptions"
	restExpect(t, 201, "POST", subURL, map[string]any{"protocol": "sqs", "endpoint": queueARN[rawQ], "attributes": map[string]string{"RawMessageDelivery": "true"}}, &raw)
	if raw.ID == "" || raw.ARN != ref.ARN+":"+raw.ID || raw.Pending || raw.Topic != name || raw.Attributes["RawMessageDelivery"] != "true" {
		t.Fatalf("subscribe raw: %+v", raw)
	}
	var again restSub
	restExpect(t, 200, "POST", subURL, map[string]any{"protocol": "SQS", "endpoint": queueARN[rawQ], "attributes": map[string]string{"RawMessageDelivery": "true"}}, &again)
	if again.ID != raw.ID {
		t.Fatalf("subscribing again made %s, want %s", again.ID, raw.ID)
	}
	restExpect(t, 201, "POST", subURL, map[string]any{"protocol": "sqs", "endpoint": queueARN[filtQ], "attributes": map[string]string{"FilterPolicy": `{"kind":["new"]}`}}, &filt)
	hookSrv := newTopicHook(t)
	restExpect(t, 201, "POST", subURL, map[string]any{"protocol": "http", "endpoint": hookSrv.URL + "/sns"}, &hook)
	if !hook.Pending || hook.ARN == "" || hook.Protocol != "http" {
		t.Fatalf("subscribe http: %+v", hook)
	}
	restExpectError(t, 400, "InvalidParameter", "POST", subURL, map[string]any{"protocol": "email", "endpoint": "a@b.c"})
	restExpectError(t, 400, "InvalidParameter", "POST", subURL, map[string]any{"protocol": "sqs", "endpoint": queueARN[filtQ], "attributes": map[string]string{"FilterPolicy": "not json"}})
	restExpectError(t, 400, "MissingRequiredParameterException", "POST", subURL, map[string]any{"protocol": "sqs"})

	// The endpoint gets a SubscriptionConfirmation; its token confirms.
	conf := hookSrv.wait(t, "SubscriptionConfirmation", "")
	if conf["Token"] == "" || conf["TopicArn"] != ref.ARN || !strings.Contains(conf["SubscribeURL"], "ConfirmSubscription") {
		t.Fatalf("confirmation: %v", conf)
	}
	restExpectError(t, 400, "InvalidParameter", "POST", ep()+"/v1/topics/"+name+"/confirm", map[string]any{"token": "not-the-token"})
	var confirmed restSub
	restExpect(t, 200, "POST", ep()+"/v1/topics/"+name+"/confirm", map[string]any{"token": conf["Token"]}, &confirmed)
	if confirmed.ID != hook.ID || confirmed.Pending {
		t.Fatalf("confirmed: %+v", confirmed)
	}

	// Lists and reads.
	var subs struct {
		Subscriptions []restSub `json:"subscriptions"`
	}
	restExpect(t, 200, "GET", subURL, nil, &subs)
	if len(subs.Subscriptions) != 3 || subs.Subscriptions[0].ID != raw.ID || subs.Subscriptions[1].ID != filt.ID || subs.Subscriptions[2].ID != hook.ID ||
		subs.Subscriptions[2].Pending || subs.Subscriptions[1].Attributes["FilterPolicy"] != `{"kind":["new"]}` {
		t.Fatalf("topic subscriptions: %+v", subs)
	}
	restExpect(t, 200, "GET", ep()+"/v1/subscriptions", nil, &subs)
	mine := 0
	for _, s := range subs.Subscriptions {
		if s.Topic == name {
			mine++
		}
	}
	if mine != 3 {
		t.Fatalf("/v1/subscriptions has %d of the topic's subscriptions: %+v", mine, subs)
	}
	restExpect(t, 200, "GET", ep()+"/v1/topics/"+name, nil, &topic)
	if topic.Attributes["SubscriptionsConfirmed"] != "3" || topic.Attributes["SubscriptionsPending"] != "0" {
		t.Fatalf("topic counts: %+v", topic.Attributes)
	}
	var got restSub
	restExpect(t, 200, "GET", subURL+"/"+filt.ID, nil, &got)
	if got.ARN != filt.ARN || got.Attributes["FilterPolicyScope"] != "MessageAttributes" || got.Endpoint != queueARN[filtQ] {
		t.Fatalf("get subscription: %+v", got)
	}
	restExpect(t, 200, "PATCH", subURL+"/"+raw.ID, map[string]any{"attributes": map[string]string{"RawMessageDelivery": "false"}}, &got)
	if got.Attributes["RawMessageDelivery"] != "false" {
		t.Fatalf("patch subscription: %+v", got)
	}
	restExpect(t, 200, "PATCH", subURL+"/"+raw.ID, map[string]any{"attributes": map[string]string{"RawMessageDelivery": "true"}}, &got)
	restExpectError(t, 400, "InvalidParameter", "PATCH", subURL+"/"+raw.ID, map[string]any{"attributes": map[string]string{"RawMessageDelivery": "maybe"}})
	// A nested (body) policy and its scope in one PATCH, and back.
	restExpect(t, 200, "PATCH", subURL+"/"+filt.ID, map[string]any{"attributes": map[string]string{
		"FilterPolicy": `{"order":{"kind":["new"]}}`, "FilterPolicyScope": "MessageBody"}}, &got)
	if got.Attributes["FilterPolicyScope"] != "MessageBody" || got.Attributes["FilterPolicy"] != `{"order":{"kind":["new"]}}` {
		t.Fatalf("patch to the body scope: %+v", got.Attributes)
	}
	restExpect(t, 200, "PATCH", subURL+"/"+filt.ID, map[string]any{"attributes": map[string]string{
		"FilterPolicy": `{"kind":["new"]}`, "FilterPolicyScope": "MessageAttributes"}}, &got)
	if got.Attributes["FilterPolicyScope"] != "MessageAttributes" {
		t.Fatalf("patch back to the attributes scope: %+v", got.Attributes)
	}

	// Publish: the raw queue gets the bare message and its attributes,
	// the filtered one an envelope only for kind=new, the endpoint a
	// Notification.
	var pub struct {
		MessageID string `json:"message_id"`
	}
	restExpect(t, 200, "POST", ep()+"/v1/topics/"+name+"/publish", map[string]any{
		"message": "order 1", "subject": "orders",
		"attributes": map[string]any{"kind": map[string]string{"data_type": "String", "string_value": "new"}},
	}, &pub)
	if pub.MessageID == "" {
		t.Fatal("no message_id")
	}
	restExpect(t, 200, "POST", ep()+"/v1/topics/"+name+"/publish", map[string]any{
		"message":           `{"default":"order 2","sqs":"order 2 for queues"}`,
		"message_structure": "json",
		"attributes":        map[string]any{"kind": map[string]string{"data_type": "String", "string_value": "old"}},
	}, nil)
	rawMsgs := restReceiveAll(t, ep(), rawQ, 2)
	bodies := map[string]bool{}
	for _, m := range rawMsgs {
		bodies[m.Body] = true
		if m.Attributes["kind"].StringValue == "" {
			t.Fatalf("raw message without its attributes: %+v", m)
		}
	}
	if !bodies["order 1"] || !bodies["order 2 for queues"] {
		t.Fatalf("raw queue got %v", bodies)
	}
	filtMsgs := restReceiveAll(t, ep(), filtQ, 1)
	var env map[string]any
	if err := json.Unmarshal([]byte(filtMsgs[0].Body), &env); err != nil {
		t.Fatalf("filtered queue: not an envelope: %s", filtMsgs[0].Body)
	}
	if env["Type"] != "Notification" || env["Message"] != "order 1" || env["Subject"] != "orders" || env["MessageId"] != pub.MessageID || env["TopicArn"] != ref.ARN {
		t.Fatalf("envelope: %v", env)
	}
	note := hookSrv.wait(t, "Notification", "order 1")
	if note["MessageId"] != pub.MessageID || note["x-amz-sns-message-type"] != "Notification" {
		t.Fatalf("pushed: %v", note)
	}
	hookSrv.wait(t, "Notification", "order 2")

	// Batch: an invalid entry fails alone.
	var batch struct {
		Results []struct {
			ID        string `json:"id"`
			MessageID string `json:"message_id"`
			Error     *struct{ Code string }
		} `json:"results"`
	}
	restExpect(t, 200, "POST", ep()+"/v1/topics/"+name+"/publish/batch", map[string]any{"messages": []map[string]any{
		{"id": "a", "message": "b1"}, {"id": "b", "message": ""}, {"id": "c", "message": "b3", "subject": "s"},
	}}, &batch)
	if len(batch.Results) != 3 || batch.Results[0].MessageID == "" || batch.Results[1].Error == nil || batch.Results[1].Error.Code != "InvalidParameter" ||
		batch.Results[2].MessageID == "" || batch.Results[2].ID != "c" {
		t.Fatalf("batch: %+v", batch)
	}
	restReceiveAll(t, ep(), rawQ, 2)
	restExpectError(t, 400, "TooManyEntriesInBatchRequest", "POST", ep()+"/v1/topics/"+name+"/publish/batch", map[string]any{"messages": restPublishEntries(11)})
	restExpectError(t, 400, "EmptyBatchRequest", "POST", ep()+"/v1/topics/"+name+"/publish/batch", map[string]any{"messages": []any{}})

	// A FIFO topic: a group is required, a repeated deduplication ID
	// delivers once, answers carry the sequence number.
	fifo := name + ".fifo"
	restExpectError(t, 400, "InvalidParameter", "POST", ep()+"/v1/topics", map[string]any{"name": fifo})
	restExpect(t, 201, "POST", ep()+"/v1/topics", map[string]any{"name": fifo, "attributes": map[string]string{"FifoTopic": "true"}}, nil)
	var fq struct{ ARN string }
	restExpect(t, 201, "POST", ep()+"/v1/queues", map[string]any{"name": name + "-q.fifo", "attributes": map[string]string{"FifoQueue": "true"}}, &fq)
	restExpect(t, 201, "POST", ep()+"/v1/topics/"+fifo+"/subscriptions", map[string]any{"protocol": "sqs", "endpoint": fq.ARN, "attributes": map[string]string{"RawMessageDelivery": "true"}}, nil)
	restExpectError(t, 400, "InvalidParameter", "POST", ep()+"/v1/topics/"+fifo+"/publish", map[string]any{"message": "m", "message_deduplication_id": "d"})
	var seq1, seq2 struct {
		MessageID      string `json:"message_id"`
		SequenceNumber string `json:"sequence_number"`
	}
	restExpect(t, 200, "POST", ep()+"/v1/topics/"+fifo+"/publish", map[string]any{"message": "f1", "message_group_id": "g", "message_deduplication_id": "d1"}, &seq1)
	restExpect(t, 200, "POST", ep()+"/v1/topics/"+fifo+"/publish", map[string]any{"message": "f1 again", "message_group_id": "g", "message_deduplication_id": "d1"}, &seq2)
	if seq1.SequenceNumber == "" || seq2.MessageID != seq1.MessageID {
		t.Fatalf("FIFO publishes: %+v %+v", seq1, seq2)
	}
	if m := restReceiveAll(t, ep(), name+"-q.fifo", 1); m[0].Body != "f1" {
		t.Fatalf("FIFO queue got %+v", m)
	}
	restExpect(t, 204, "DELETE", ep()+"/v1/topics/"+fifo, nil, nil)

	// Errors.
	missing := uniq("rt-missing")
	restExpectError(t, 404, "NotFound", "GET", ep()+"/v1/topics/"+missing, nil)
	restExpectError(t, 404, "NotFound", "PATCH", ep()+"/v1/topics/"+missing, map[string]any{"attributes": map[string]string{"DisplayName": "x"}})
	restExpectError(t, 404, "NotFound", "POST", ep()+"/v1/topics/"+missing+"/publish", map[string]any{"message": "x"})
	restExpectError(t, 404, "NotFound", "POST", ep()+"/v1/topics/"+missing+"/publish/batch", map[string]any{"messages": []map[string]any{{"id": "a", "message": "x"}}})
	restExpectError(t, 404, "NotFound", "POST", ep()+"/v1/topics/"+missing+"/subscriptions", map[string]any{"protocol": "sqs", "endpoint": queueARN[rawQ]})
	restExpectError(t, 404, "NotFound", "GET", ep()+"/v1/topics/"+missing+"/subscriptions", nil)
	restExpectError(t, 404, "NotFound", "GET", subURL+"/00000000-0000-0000-0000-000000000000", nil)
	restExpectError(t, 404, "NotFound", "POST", ep()+"/v1/topics/"+missing+"/confirm", map[string]any{"token": "x"})
	restExpectError(t, 400, "InvalidParameter", "POST", ep()+"/v1/topics/"+name+"/publish", map[string]any{"message": ""})
	restExpectError(t, 400, "MissingRequiredParameterException", "POST", ep()+"/v1/topics/"+name+"/publish", map[string]any{"subject": "s"})
	restExpectError(t, 400, "SerializationException", "POST", ep()+"/v1/topics/"+name+"/publish", map[string]any{"message": "m", "body": "b"})
	restExpectError(t, 400, "InvalidParameterValueException", "DELETE", subURL+"/not.an.id", nil)
	restExpectError(t, 405, "UnknownOperationException", "PUT", ep()+"/v1/topics/"+name, map[string]any{})

	// Unsubscribe (twice), delete the topic (twice).
	restExpect(t, 204, "DELETE", subURL+"/"+filt.ID, nil, nil)
	restExpectError(t, 404, "NotFound", "DELETE", subURL+"/"+filt.ID, nil)
	restExpect(t, 200, "GET", subURL, nil, &subs)
	if len(subs.Subscriptions) != 2 {
		t.Fatalf("after unsubscribe: %+v", subs)
	}
	restExpect(t, 204, "DELETE", ep()+"/v1/topics/"+name, nil, nil)
	restExpectError(t, 404, "NotFound", "DELETE", ep()+"/v1/topics/"+name, nil)
	restExpectError(t, 404, "NotFound", "GET", subURL+"/"+raw.ID, nil)
	restExpect(t, 200, "GET", ep()+"/v1/topics?prefix="+name, nil, &list)
	if len(list.Topics) != 0 {
		t.Fatalf("list after delete: %+v", list)
	}
}

func restPublishEntries(n int) []map[string]any {
	var out []map[string]any
	for i := 0; i < n; i++ {
		out = append(out, map[string]any{"id": fmt.Sprint("e", i), "message": "m"})
	}
	return out
}
