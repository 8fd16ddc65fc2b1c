package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTopicCalls(t *testing.T) {
	f := newFake(t, 3)
	f.leader = 1
	c := newTestClient(t, f.urls()[:1])
	ctx := ctxT(t, 10*time.Second)

	info, err := c.CreateTopic(ctx, "orders", map[string]string{"DisplayName": "Orders"}, WithTags(map[string]string{"team": "shop"}))
	if err != nil || info.Name != "orders" || !strings.HasSuffix(info.ARN, ":orders") {
		t.Fatalf("create: %+v %v", info, err)
	}
	if n := f.count(1, "/v1/topics"); n != 1 {
		t.Fatalf("the leader got %d creates", n)
	}
	ts, err := c.ListTopics(ctx, "ord")
	if err != nil || len(ts) != 1 || ts[0].Name != "orders" {
		t.Fatalf("list: %+v %v", ts, err)
	}
	if ts, err := c.ListTopics(ctx, "zzz"); err != nil || ts == nil || len(ts) != 0 {
		t.Fatalf("empty list: %#v %v", ts, err)
	}
	topic := c.Topic("orders")
	if topic.Name() != "orders" {
		t.Fatal(topic.Name())
	}
	if a, err := topic.SetAttributes(ctx, map[string]string{"DisplayName": "O"}); err != nil || a.Attributes["DisplayName"] != "O" {
		t.Fatalf("set attributes: %+v %v", a, err)
	}

	sub, err := topic.Subscribe(ctx, "sqs", "arn:aws:sqs:us-east-1:000000000000:q", map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"a":["b"]}`})
	if err != nil || sub.ID != "s1" || sub.Pending || !sub.RawMessageDelivery() || sub.FilterPolicy() != `{"a":["b"]}` {
		t.Fatalf("subscribe: %+v %v", sub, err)
	}
	hook, err := topic.Subscribe(ctx, "https", "https://h/x", nil)
	if err != nil || !hook.Pending {
		t.Fatalf("subscribe https: %+v %v", hook, err)
	}
	if _, err := topic.Subscribe(ctx, "email", "a@b.c", nil); !errors.Is(err, ErrInvalidParameter) {
		t.Fatalf("subscribe email: %v", err)
	}
	if s, err := topic.ConfirmSubscription(ctx, "token-"+hook.ID); err != nil || s.Pending {
		t.Fatalf("confirm: %+v %v", s, err)
	}
	if _, err := topic.ConfirmSubscription(ctx, "bogus"); !errors.Is(err, ErrInvalidParameter) {
		t.Fatalf("confirm bogus: %v", err)
	}
	subs, err := topic.Subscriptions(ctx)
	if err != nil || len(subs) != 2 || subs[1].Pending {
		t.Fatalf("subscriptions: %+v %v", subs, err)
	}
	all, err := c.Subscriptions(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("all subscriptions: %+v %v", all, err)
	}
	// By ID or ARN.
	if s, err := topic.Subscription(ctx, sub.ARN); err != nil || s.ID != sub.ID {
		t.Fatalf("subscription by ARN: %+v %v", s, err)
	}
	if _, err := topic.Subscription(ctx, "arn:aws:sns:us-east-1:000000000000:other:s1"); err == nil {
		t.Fatal("a subscription ARN of another topic was accepted")
	}
	if s, err := topic.SetSubscriptionAttributes(ctx, sub.ID, map[string]string{"RawMessageDelivery": "false"}); err != nil || s.RawMessageDelivery() {
		t.Fatalf("set subscription attributes: %+v %v", s, err)
	}

	id, err := topic.Publish(ctx, "hello", WithSubject("greeting"), WithPublishAttribute("a", StringAttr("b")), WithMessageStructure(""))
	if err != nil || id == "" {
		t.Fatalf("publish: %q %v", id, err)
	}
	f.mu.Lock()
	p := f.topics["orders"].published[0]
	f.mu.Unlock()
	if p.Message != "hello" || p.Subject == nil || *p.Subject != "greeting" || *p.Attributes["a"].StringValue != "b" {
		t.Fatalf("published %+v", p)
	}

	// 25 entries: requests of 10, 10, 5; two big messages go alone.
	var entries []PublishEntry
	for i := 0; i < 25; i++ {
		entries = append(entries, PublishEntry{Message: fmt.Sprint("m", i)})
	}
	entries[7].Message = ""
	res, err := topic.PublishBatch(ctx, entries)
	if err != nil || len(res) != 25 {
		t.Fatalf("batch: %d %v", len(res), err)
	}
	for i, r := range res {
		if (i == 7) != (r.Err != nil) || r.ID != fmt.Sprint(i) {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if !errors.Is(res[7].Err, ErrInvalidParameter) {
		t.Fatalf("entry error: %v", res[7].Err)
	}
	big := strings.Repeat("x", 200*1024)
	res, err = topic.PublishBatch(ctx, []PublishEntry{{Message: big}, {Message: big}, {Message: "small"}})
	if err != nil || len(res) != 3 || res[0].Err != nil || res[1].Err != nil || res[2].Err != nil {
		t.Fatalf("big batch: %+v %v", res, err)
	}
	if n := f.count(1, "/v1/topics/orders/publish/batch"); n != 3+2 {
		t.Fatalf("batch requests: %d, want 5", n)
	}

	if err := topic.Unsubscribe(ctx, sub.ARN); err != nil {
		t.Fatal(err)
	}
	if err := topic.Unsubscribe(ctx, sub.ID); !errors.Is(err, ErrNotFound) || !IsNotFound(err) {
		t.Fatalf("unsubscribe twice: %v", err)
	}
	if err := topic.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = topic.Publish(ctx, "x")
	var e *Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &e) || e.Status != 404 || e.Retryable || !IsNotFound(err) {
		t.Fatalf("publish to a deleted topic: %#v", err)
	}
	if err := topic.Delete(ctx); !IsNotFound(err) {
		t.Fatalf("delete twice: %v", err)
	}
}

// A publish whose answer is lost is retried (and may be delivered twice:
// there is no idempotency key); a topic delete whose answer is lost
// succeeds on the retry's NotFound.
func TestTopicRetries(t *testing.T) {
	f := newFake(t, 1)
	c := newTestClient(t, f.urls())
	ctx := ctxT(t, 10*time.Second)
	if _, err := c.CreateTopic(ctx, "t", nil); err != nil {
		t.Fatal(err)
	}
	lost := map[string]int{}
	f.hook = func(node int, w http.ResponseWriter, r *http.Request, body []byte) bool {
		key := r.Method + " " + r.URL.Path
		if (key == "POST /v1/topics/t/publish" || key == "DELETE /v1/topics/t") && lost[key] == 0 {
			lost[key]++
			// Apply, then lose the answer.
			f.mu.Lock()
			f.serveTopics(httptestDiscard{}, r, strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/"), "/"), body)
			f.mu.Unlock()
			writeErr(w, 502, "ServiceUnavailable", "lost", true)
			return true
		}
		return false
	}
	if _, err := c.Topic("t").Publish(ctx, "once"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	n := len(f.topics["t"].published)
	f.mu.Unlock()
	if n != 2 {
		t.Fatalf("published %d times, want 2 (a retried publish may duplicate)", n)
	}
	if err := c.Topic("t").Delete(ctx); err != nil {
		t.Fatalf("delete with a lost answer: %v", err)
	}
}

// httptestDiscard is a ResponseWriter that drops the answer.
type httptestDiscard struct{}

func (httptestDiscard) Header() http.Header         { return http.Header{} }
func (httptestDiscard) Write(b []byte) (int, error) { return len(b), nil }
func (httptestDiscard) WriteHeader(int)             {}
