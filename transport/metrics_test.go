package transport

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// regBackend is a memBackend that owns a registry, as *node.Node does.
type regBackend struct {
	*memBackend
	reg *prometheus.Registry
}

func (b regBackend) Registry() *prometheus.Registry { return b.reg }

func getBody(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func TestMetricsEndpoint(t *testing.T) {
	b := regBackend{newMemBackend(), prometheus.NewRegistry()}
	srv := httptest.NewServer(New(Config{Backend: b, Region: "us-east-1", AccountID: testAccount, Logger: quietLogger}).Handler())
	t.Cleanup(srv.Close)

	if r := postJSON(t, srv.URL, "CreateQueue", `{"QueueName":"m"}`); r.status != 200 {
		t.Fatalf("CreateQueue: %d %s", r.status, r.body)
	}
	for i := 0; i < 2; i++ {
		if r := postQuery(t, srv.URL, "/", form("Action", "SendMessage", "QueueUrl", srv.URL+"/"+testAccount+"/m", "MessageBody", "x")); r.status != 200 {
			t.Fatalf("SendMessage: %d %s", r.status, r.body)
		}
	}
	postQuery(t, srv.URL, "/", form("Action", "NoSuchAction"))
	postQuery(t, srv.URL, "/", form("Action", strings.Repeat("x", 40)))
	getBody(t, srv.URL+"/v1/cluster/status")
	getBody(t, srv.URL+"/healthz")

	status, h, text := getBody(t, srv.URL+"/metrics")
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", status, h.Get("Content-Type"))
	}
	for _, want := range []string{
		`wharf_http_request_duration_seconds_count{action="CreateQueue",protocol="json"} 1`,
		`wharf_http_request_duration_seconds_count{action="SendMessage",protocol="query"} 2`,
		`wharf_http_request_duration_seconds_count{action="unknown",protocol="query"} 2`,
		`wharf_http_request_duration_seconds_count{action="GET /v1/cluster/status",protocol="rest"} 1`,
		`wharf_http_requests_total{action="SendMessage",protocol="query",status="2xx"} 2`,
		`wharf_http_requests_total{action="unknown",protocol="query",status="4xx"} 2`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(text, "healthz") || strings.Contains(text, `action="/metrics"`) {
		t.Error("non-API endpoints are measured")
	}
	// The instruments are on the backend's registry.
	if n := testutil.CollectAndCount(b.reg, "wharf_http_request_duration_seconds"); n < 4 {
		t.Fatalf("backend registry holds %d latency series", n)
	}
	// A second server over the same backend shares the instruments.
	New(Config{Backend: b, Logger: quietLogger})
}

func TestMetricsOfForwardedRequests(t *testing.T) {
	c := newCluster(t, nil)
	if r := postQuery(t, c.follower.URL, "/", form("Action", "CreateQueue", "QueueName", "fwm")); r.status != 200 {
		t.Fatalf("CreateQueue via follower: %d %s", r.status, r.body)
	}
	if r := postJSON(t, c.follower.URL, "ListQueues", `{}`); r.status != 200 {
		t.Fatalf("ListQueues via follower: %d %s", r.status, r.body)
	}
	_, _, text := getBody(t, c.follower.URL+"/metrics")
	for _, want := range []string{
		`wharf_http_request_duration_seconds_count{action="CreateQueue",protocol="query"} 1`,
		`wharf_http_request_duration_seconds_count{action="ListQueues",protocol="json"} 1`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("follower /metrics lacks %q", want)
		}
	}
}

func TestCORSForTheConsole(t *testing.T) {
	srv, _ := newTestServer(t)
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/v1/queues/q/messages", nil)
	req.Header.Set("Origin", "http://127.0.0.1:1")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "content-type") {
		t.Fatalf("preflight: %d %v", res.StatusCode, res.Header)
	}
	_, h, _ := getBody(t, srv.URL+"/v1/cluster/status")
	if h.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("GET /v1: %v", h)
	}
	_, h, _ = getBody(t, srv.URL+"/metrics")
	if h.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("GET /metrics: %v", h)
	}
	// The AWS protocols get no CORS headers.
	r := postJSON(t, srv.URL, "ListQueues", `{}`)
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("SQS answer has CORS headers: %v", r.header)
	}
}

func TestConsoleIsServed(t *testing.T) {
	srv, _ := newTestServer(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(srv.URL + "/ui")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/ui/" {
		t.Fatalf("/ui: %d %v", res.StatusCode, res.Header)
	}
	for path, want := range map[string]string{
		"/ui/":          `<table id="members">`,
		"/ui/app.js":    "/v1/cluster/status",
		"/ui/style.css": "font",
	} {
		status, h, body := getBody(t, srv.URL+path)
		if status != 200 || !strings.Contains(body, want) {
			t.Fatalf("%s: %d %q", path, status, body[:min(len(body), 200)])
		}
		if h.Get("Content-Security-Policy") == "" {
			t.Fatalf("%s: no CSP", path)
		}
	}
	if status, _, _ := getBody(t, srv.URL+"/ui/nope.js"); status != 404 {
		t.Fatalf("/ui/nope.js: %d", status)
	}
	// Nothing outside the embedded directory is reachable.
	if status, _, body := getBody(t, srv.URL+"/ui/../ui.go"); status == 200 && strings.Contains(body, "package transport") {
		t.Fatal("source served")
	}
}
