package transport

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wharfmq/wharf/fsm"
)

// cluster is a leader and a follower, each a Server over a memBackend;
// the follower's backend forwards the message commands to the leader's,
// as node does over its command RPC.
type cluster struct {
	leader, follower       *httptest.Server
	leaderMem, followerMem *memBackend
	followerBackend        *forwardingBackend
	mu                     sync.Mutex
	seen                   []*http.Request // requests the leader received
}

// forwardingBackend is a follower's memBackend whose message commands run
// on the leader's memBackend, unless legacy: then the leader is of a
// build that takes no forwarded commands, and transport must forward the
// HTTP request.
type forwardingBackend struct {
	*memBackend
	leaderMem *memBackend
	mu        sync.Mutex
	legacy    bool
	forwarded int // commands run on the leader's backend
}

func (f *forwardingBackend) ForwardsCommands() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.legacy
}

func (f *forwardingBackend) count() {
	f.mu.Lock()
	f.forwarded++
	f.mu.Unlock()
}

func (f *forwardingBackend) forwardedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.forwarded
}

func (f *forwardingBackend) SendMessages(ctx context.Context, req fsm.SendMessages) ([]fsm.SendResult, error) {
	f.count()
	return f.leaderMem.SendMessages(ctx, req)
}

func (f *forwardingBackend) ReceiveMessages(ctx context.Context, req fsm.ReceiveMessages, wait time.Duration) ([]fsm.ReceivedMessage, error) {
	f.count()
	return f.leaderMem.ReceiveMessages(ctx, req, wait)
}

func (f *forwardingBackend) DeleteMessages(ctx context.Context, req fsm.DeleteMessages) ([]fsm.EntryResult, error) {
	f.count()
	return f.leaderMem.DeleteMessages(ctx, req)
}

func (f *forwardingBackend) ChangeVisibility(ctx context.Context, req fsm.ChangeVisibility) ([]fsm.EntryResult, error) {
	f.count()
	return f.leaderMem.ChangeVisibility(ctx, req)
}

func (f *forwardingBackend) Publish(ctx context.Context, req fsm.Publish) ([]fsm.PublishResult, error) {
	f.count()
	return f.leaderMem.Publish(ctx, req)
}

func newCluster(t *testing.T, wrap func(http.Handler) http.Handler) *cluster {
	t.Helper()
	c := &cluster{leaderMem: newMemBackend(), followerMem: newMemBackend()}
	c.followerBackend = &forwardingBackend{memBackend: c.followerMem, leaderMem: c.leaderMem}
	var h http.Handler = New(Config{Backend: c.leaderMem, Region: "us-east-1", AccountID: testAccount, Logger: quietLogger}).Handler()
	if wrap != nil {
		h = wrap(h)
	}
	c.leader = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.seen = append(c.seen, r.Clone(context.Background()))
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(c.leader.Close)
	c.followerMem.leader = false
	c.followerMem.addr = strings.TrimPrefix(c.leader.URL, "http://")
	c.follower = httptest.NewServer(New(Config{Backend: c.followerBackend, Region: "us-east-1", AccountID: testAccount, Logger: quietLogger, LeaderWait: 300 * time.Millisecond}).Handler())
	t.Cleanup(c.follower.Close)
	return c
}

func TestForwardToLeader(t *testing.T) {
	c := newCluster(t, nil)
	cl := newSDKClient(c.follower)
	ctx := context.Background()
	out, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fw")})
	if err != nil {
		t.Fatal(err)
	}
	if want := c.follower.URL + "/" + testAccount + "/fw"; *out.QueueUrl != want {
		t.Fatalf("QueueUrl = %s, want the follower's host %s", *out.QueueUrl, want)
	}
	if _, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("via follower")}); err != nil {
		t.Fatal(err)
	}
	rm, err := cl.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl, MessageSystemAttributeNames: []types.MessageSystemAttributeName{"SenderId"}})
	if err != nil || len(rm.Messages) != 1 || *rm.Messages[0].Body != "via follower" || rm.Messages[0].Attributes["SenderId"] != "AKIDTEST" {
		t.Fatalf("receive via follower: %+v %v", rm, err)
	}
	if c.followerMem.callCount() != 0 {
		t.Fatal("the follower ran a data call itself")
	}
	c.mu.Lock()
	seen := c.seen
	c.mu.Unlock()
	for _, r := range seen {
		if r.Header.Get(headerForwarded) != "1" || !strings.Contains(r.Header.Get("Authorization"), "Credential=AKIDTEST/") ||
			r.Host != strings.TrimPrefix(c.follower.URL, "http://") {
			t.Fatalf("forwarded request: host %s headers %v", r.Host, r.Header)
		}
	}

	// The query protocol, posted to the queue URL (unsigned: us-east-1).
	if r := postQuery(t, c.follower.URL, "/", form("Action", "CreateQueue", "QueueName", "fw")); r.status != 200 {
		t.Fatalf("query CreateQueue via follower: %d %s", r.status, r.body)
	}
	r := postQuery(t, c.follower.URL, "/"+testAccount+"/fw", form("Action", "GetQueueAttributes", "AttributeName.1", "QueueArn"))
	if r.status != 200 || !strings.Contains(r.body, "arn:aws:sqs:us-east-1:"+testAccount+":fw") {
		t.Fatalf("query via follower: %d %s", r.status, r.body)
	}
}

func TestForwardedRequestIsNotForwardedAgain(t *testing.T) {
	c := newCluster(t, nil)
	req, _ := http.NewRequest("POST", c.follower.URL+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
	req.Header.Set(headerForwarded, "1")
	r := do(t, req)
	if r.status != 503 || r.header.Get("x-amzn-query-error") != "ServiceUnavailable;Receiver" {
		t.Fatalf("%d %v %s", r.status, r.header, r.body)
	}
	if len(c.seen) != 0 {
		t.Fatal("forwarded twice")
	}
}

func TestForwardNoLeader(t *testing.T) {
	c := newCluster(t, nil)
	c.followerMem.mu.Lock()
	c.followerMem.addr = ""
	c.followerMem.mu.Unlock()
	start := time.Now()
	r := postJSON(t, c.follower.URL, "ListQueues", `{}`)
	if r.status != 503 || !strings.Contains(r.body, "ServiceUnavailable") {
		t.Fatalf("json: %d %s", r.status, r.body)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Fatalf("waited %v for a leader, want about 300ms", d)
	}
	r = postQuery(t, c.follower.URL, "/", form("Action", "ListQueues"))
	if r.status != 503 || between(r.body, "Code") != "ServiceUnavailable" {
		t.Fatalf("query: %d %s", r.status, r.body)
	}
}

func TestForwardLeaderAppearsWhileWaiting(t *testing.T) {
	c := newCluster(t, nil)
	addr := c.followerMem.addr
	c.followerMem.mu.Lock()
	c.followerMem.addr = ""
	c.followerMem.mu.Unlock()
	go func() {
		time.Sleep(100 * time.Millisecond)
		c.followerMem.mu.Lock()
		c.followerMem.addr = addr
		c.followerMem.mu.Unlock()
	}()
	r := postJSON(t, c.follower.URL, "ListQueues", `{}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestForwardLeaderUnreachable(t *testing.T) {
	c := newCluster(t, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	c.followerMem.mu.Lock()
	c.followerMem.addr = dead
	c.followerMem.mu.Unlock()
	// A message command is forwarded over HTTP too when the leader takes
	// no forwarded commands (an older build).
	c.followerBackend.legacy = true
	for _, a := range []struct{ action, json string }{
		{"CreateQueue", `{"QueueName":"q"}`},
		{"SendMessage", `{"QueueUrl":"/1/q","MessageBody":"x"}`},
	} {
		r := postJSON(t, c.follower.URL, a.action, a.json)
		if r.status != 503 || r.header.Get("x-amzn-query-error") != "ServiceUnavailable;Receiver" {
			t.Fatalf("json %s: %d %v %s", a.action, r.status, r.header, r.body)
		}
	}
	r := postQuery(t, c.follower.URL, "/", form("Action", "SendMessage", "QueueUrl", "/1/q", "MessageBody", "x"))
	if r.status != 503 || between(r.body, "Code") != "ServiceUnavailable" {
		t.Fatalf("query: %d %s", r.status, r.body)
	}
}

func TestForwardLeaderDiesMidRequest(t *testing.T) {
	c := newCluster(t, func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
	})
	c.followerBackend.legacy = true // SendMessage goes over HTTP too
	for _, a := range []struct{ action, json string }{
		{"CreateQueue", `{"QueueName":"q"}`},
		{"SendMessage", `{"QueueUrl":"/1/q","MessageBody":"x"}`},
	} {
		r := postJSON(t, c.follower.URL, a.action, a.json)
		if r.status < 500 || !strings.Contains(r.header.Get("x-amzn-query-error"), ";Receiver") {
			t.Fatalf("json %s: %d %v %s", a.action, r.status, r.header, r.body)
		}
	}
	r := postQuery(t, c.follower.URL, "/", form("Action", "SendMessage", "QueueUrl", "/1/q", "MessageBody", "x"))
	if r.status < 500 || between(r.body, "Type") != "Receiver" {
		t.Fatalf("query: %d %s", r.status, r.body)
	}
}

func TestForwardSlowLeader(t *testing.T) {
	c := newCluster(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(1500 * time.Millisecond) // a long poll
			h.ServeHTTP(w, r)
		})
	})
	r := postJSON(t, c.follower.URL, "ListQueues", `{}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestAdminEndpoints(t *testing.T) {
	srv, mem := newTestServer(t)
	mem.addr = "10.0.0.1:9324"
	get := func(path string) reply {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		return do(t, req)
	}
	if r := get("/healthz"); r.status != 200 || r.body != "ok" {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
	if r := get("/readyz"); r.status != 200 {
		t.Fatalf("readyz: %d %s", r.status, r.body)
	}
	mem.ready = false
	if r := get("/readyz"); r.status != 503 {
		t.Fatalf("readyz not ready: %d %s", r.status, r.body)
	}
	r := get("/v1/cluster/status")
	if r.status != 200 || !strings.Contains(r.body, `"node_id":"n1"`) || !strings.Contains(r.body, `"leader_api_addr":"10.0.0.1:9324"`) {
		t.Fatalf("status: %d %s", r.status, r.body)
	}
	// The status is served locally even on a follower.
	mem.leader = false
	if r := get("/v1/cluster/status"); r.status != 200 {
		t.Fatalf("status on follower: %d", r.status)
	}
}

func TestServeAndShutdown(t *testing.T) {
	s := New(Config{Backend: newMemBackend(), AccountID: testAccount, Logger: quietLogger})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	r := do(t, mustRequest("GET", "http://"+l.Addr().String()+"/healthz"))
	if r.status != 200 {
		t.Fatalf("healthz: %d", r.status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v, want nil after Shutdown", err)
	}
}

func mustRequest(method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// A leader that lost leadership answers "not applied"; the follower sends
// the request again once the new leader is known, and the client sees
// only the success.
func TestForwardRetriesAfterNotLeader(t *testing.T) {
	var calls int
	var mu sync.Mutex
	c := newCluster(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			first := calls == 1
			mu.Unlock()
			if first {
				// What a deposed leader answers a forwarded request.
				w.Header().Set(headerNotApplied, "1")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	r := postJSON(t, c.follower.URL, "CreateQueue", `{"QueueName":"again"}`)
	if r.status != 200 || calls != 2 {
		t.Fatalf("%d %s after %d calls", r.status, r.body, calls)
	}
	// The deposed leader's own answer carries the marker.
	req, _ := http.NewRequest("POST", c.follower.URL+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
	req.Header.Set(headerForwarded, "1")
	if resp := do(t, req); resp.header.Get(headerNotApplied) != "1" {
		t.Fatalf("no %s header: %v", headerNotApplied, resp.header)
	}
}
