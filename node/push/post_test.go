package push

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestClassifyStatus(t *testing.T) {
	cases := []struct {
		code                 int
		delivered, retryable bool
	}{
		{100, false, true}, {101, false, true},
		{200, true, false}, {201, true, false}, {204, true, false}, {299, true, false},
		{301, false, false}, {302, false, false}, {304, false, false},
		{400, false, false}, {401, false, false}, {403, false, false}, {404, false, false}, {410, false, false},
		{429, false, true},
		{500, false, true}, {502, false, true}, {503, false, true}, {504, false, true}, {599, false, true},
		{600, false, false}, {0, false, false},
	}
	for _, c := range cases {
		d, r := ClassifyStatus(c.code)
		if d != c.delivered || r != c.retryable {
			t.Errorf("ClassifyStatus(%d) = %v, %v; want %v, %v", c.code, d, r, c.delivered, c.retryable)
		}
	}
}

func TestPostStatuses(t *testing.T) {
	var status atomic.Int32
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got.Store(struct {
			method string
			header http.Header
			body   string
		}{r.Method, r.Header.Clone(), string(body)})
		w.WriteHeader(int(status.Load()))
		_, _ = io.WriteString(w, "ignored response body")
	}))
	defer srv.Close()
	client := NewHTTPClient(true)
	e := awsNotification()
	body, _ := e.MarshalJSON()
	h := Headers(e, "arn:sub", false, "")

	for _, c := range []struct {
		code      int
		ok, retry bool
	}{
		{200, true, false}, {204, true, false},
		{500, false, true}, {503, false, true}, {429, false, true},
		{400, false, false}, {403, false, false}, {404, false, false},
	} {
		status.Store(int32(c.code))
		err := Post(context.Background(), client, srv.URL+"/hook", body, h)
		if c.ok {
			if err != nil {
				t.Fatalf("HTTP %d: %v", c.code, err)
			}
			continue
		}
		var de *DeliveryError
		if !errors.As(err, &de) || de.StatusCode != c.code || de.Retryable != c.retry || IsRetryable(err) != c.retry {
			t.Fatalf("HTTP %d: err = %#v, want status %d retryable %v", c.code, err, c.code, c.retry)
		}
	}

	req := got.Load().(struct {
		method string
		header http.Header
		body   string
	})
	if req.method != http.MethodPost || req.body != string(body) {
		t.Fatalf("endpoint got %s with body %q", req.method, req.body)
	}
	for _, name := range []string{HeaderMessageType, HeaderMessageID, HeaderTopicArn, HeaderSubscriptionArn, "Content-Type", "User-Agent"} {
		if req.header.Get(name) != h.Get(name) {
			t.Errorf("endpoint got %s = %q, want %q", name, req.header.Get(name), h.Get(name))
		}
	}
}

// Redirects are not followed: the 3xx is the answer, and permanent.
func TestPostDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", http.StatusFound) })
	mux.HandleFunc("/new", func(http.ResponseWriter, *http.Request) { followed.Store(true) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	err := Post(context.Background(), NewHTTPClient(true), srv.URL+"/old", []byte("x"), nil)
	var de *DeliveryError
	if !errors.As(err, &de) || de.StatusCode != http.StatusFound || de.Retryable {
		t.Fatalf("redirect: %v", err)
	}
	if followed.Load() {
		t.Fatal("the redirect was followed")
	}
}

// stallingServer never answers: its handler reads the request and waits
// until the client goes away or the test ends.
func stallingServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv
}

func TestPostTimeoutIsRetryable(t *testing.T) {
	srv := stallingServer(t)
	client := NewHTTPClient(true)
	client.Timeout = 100 * time.Millisecond

	start := time.Now()
	err := Post(context.Background(), client, srv.URL, []byte("x"), nil)
	if !IsRetryable(err) {
		t.Fatalf("timeout: %v, want retryable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("timeout took %v", d)
	}
}

func TestPostConnectionRefusedIsRetryable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	err = Post(context.Background(), NewHTTPClient(true), "http://"+addr+"/", []byte("x"), nil)
	if !IsRetryable(err) {
		t.Fatalf("refused connection: %v, want retryable", err)
	}
}

func TestPostCallerCancel(t *testing.T) {
	srv := stallingServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	err := Post(ctx, NewHTTPClient(true), srv.URL, []byte("x"), nil)
	if !IsRetryable(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled attempt: %v, want retryable wrapping context.Canceled", err)
	}
}

func TestPostBadURLIsPermanent(t *testing.T) {
	for _, u := range []string{"://nope", "http://[::1"} {
		err := Post(context.Background(), NewHTTPClient(true), u, nil, nil)
		var de *DeliveryError
		if !errors.As(err, &de) || de.Retryable {
			t.Fatalf("Post(%q) = %v, want a permanent DeliveryError", u, err)
		}
	}
	if err := Post(context.Background(), nil, "http://127.0.0.1/", nil, nil); err == nil || IsRetryable(err) {
		t.Fatalf("nil client: %v", err)
	}
}

// The dial hook of a client without allowPrivate refuses the loopback
// test server before connecting; the refusal is permanent.
func TestHTTPClientRefusesPrivateAtDial(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()

	err := Post(context.Background(), NewHTTPClient(false), srv.URL, []byte("x"), nil)
	if !errors.Is(err, ErrPrivateEndpoint) || IsRetryable(err) {
		t.Fatalf("private dial: %v, want permanent ErrPrivateEndpoint", err)
	}
	if hits.Load() != 0 {
		t.Fatal("the request reached the loopback server")
	}
	if err := Post(context.Background(), NewHTTPClient(true), srv.URL, []byte("x"), nil); err != nil {
		t.Fatalf("allowPrivate client: %v", err)
	}
	if hits.Load() != 1 {
		t.Fatalf("server hits = %d", hits.Load())
	}
}

func TestNewHTTPClientSettings(t *testing.T) {
	c := NewHTTPClient(false)
	if c.Timeout != AttemptTimeout || AttemptTimeout != 15*time.Second {
		t.Fatalf("client timeout %v", c.Timeout)
	}
	tr := c.Transport.(*http.Transport)
	if tr.Proxy != nil {
		t.Fatal("client uses a proxy, which would hide the real destination from the dial check")
	}
}
