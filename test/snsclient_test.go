package test

// Helpers of the SNS end-to-end tests: aws-sdk-go-v2's SNS client, SNS
// error assertions, an HTTP/S subscription endpoint run inside the test,
// and signature checks with the push package's verifier.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/wharfmq/wharf/fsm/envelope"
	"github.com/wharfmq/wharf/node/push"
)

// newSNSClient returns an SNS client (query protocol) for one endpoint,
// retrying like newSQS.
func newSNSClient(endpoint string, opts ...func(*sns.Options)) *sns.Client {
	o := sns.Options{
		Region:       testRegion,
		Credentials:  staticCreds,
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   sdkHTTP,
		Retryer: retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 10
			so.MaxBackoff = time.Second
			so.RateLimiter = ratelimit.None
		}),
	}
	for _, f := range opts {
		f(&o)
	}
	return sns.New(o)
}

// wantSNSErr asserts that err is the SNS error code (the query code, what
// ErrorCode() reports).
func wantSNSErr(t testing.TB, err error, code, what string) {
	t.Helper()
	var ae smithy.APIError
	switch {
	case err == nil:
		t.Errorf("%s: got success, want error %s", what, code)
	case !errors.As(err, &ae):
		t.Errorf("%s: got non-API error %T %v, want %s", what, err, err, code)
	case ae.ErrorCode() != code:
		t.Errorf("%s: ErrorCode() = %q (%v), want %q", what, ae.ErrorCode(), err, code)
	}
}

// queueArn returns a queue's ARN.
func queueArn(t testing.TB, cl *sqs.Client, url string) string {
	t.Helper()
	return queueAttrs(t, cl, url)["QueueArn"]
}

// hookPost is one POST an SNS subscription endpoint received.
type hookPost struct {
	Path   string
	Header http.Header
	Body   []byte
	At     time.Time
	Status int // what the endpoint answered
}

// Type is the envelope type from x-amz-sns-message-type.
func (p hookPost) Type() string { return p.Header.Get("x-amz-sns-message-type") }

// pushHook is an HTTP endpoint on 127.0.0.1 that SNS subscriptions push
// to. Every POST is recorded once answered; respond picks the status of
// each (200 when nil) and may be called concurrently.
type pushHook struct {
	*httptest.Server
	mu      sync.Mutex
	posts   []hookPost
	respond func(p hookPost, nth int) int // nth: earlier POSTs to the same path
}

func newPushHook(t testing.TB, respond func(p hookPost, nth int) int) *pushHook {
	t.Helper()
	h := &pushHook{respond: respond}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		body, _ := io.ReadAll(r.Body)
		p := hookPost{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, At: time.Now(), Status: http.StatusOK}
		h.mu.Lock()
		nth := 0
		for _, q := range h.posts {
			if q.Path == p.Path {
				nth++
			}
		}
		h.mu.Unlock()
		if h.respond != nil {
			p.Status = h.respond(p, nth) // unlocked: it may take its time
		}
		h.mu.Lock()
		h.posts = append(h.posts, p)
		h.mu.Unlock()
		w.WriteHeader(p.Status)
	}))
	t.Cleanup(h.Close)
	return h
}

// Posts returns the POSTs to path so far, in arrival order.
func (h *pushHook) Posts(path string) []hookPost {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookPost
	for _, p := range h.posts {
		if p.Path == path {
			out = append(out, p)
		}
	}
	return out
}

// WaitPost waits for a POST to path of the given type for which match
// (when not nil) holds, and returns the first such.
func (h *pushHook) WaitPost(t testing.TB, timeout time.Duration, path, typ string, match func(hookPost) bool) hookPost {
	t.Helper()
	var found hookPost
	WaitFor(t, timeout, func() error {
		for _, p := range h.Posts(path) {
			if p.Type() == typ && (match == nil || match(p)) {
				found = p
				return nil
			}
		}
		return fmt.Errorf("no %s POST to %s yet (%d POSTs there)", typ, path, len(h.Posts(path)))
	})
	return found
}

// parseEnvelope reads a POST or SQS body as an SNS envelope.
func parseEnvelope(t testing.TB, body []byte) *envelope.Envelope {
	t.Helper()
	var e envelope.Envelope
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("body is not an SNS envelope: %v: %s", err, body)
	}
	return &e
}

var (
	certMu    sync.Mutex
	certCache = map[string]string{}
)

// verifyEnvelope does what an endpoint does with a message: fetch the
// certificate at SigningCertURL and check the signature with it (as AWS's
// SDK validators do), and check that a tampered copy fails.
func verifyEnvelope(t testing.TB, e *envelope.Envelope, what string) {
	t.Helper()
	url := e.SigningCertURL
	if !strings.HasSuffix(url, "/SimpleNotificationService.pem") {
		t.Errorf("%s: SigningCertURL %q", what, url)
		return
	}
	certMu.Lock()
	cert, ok := certCache[url]
	certMu.Unlock()
	if !ok {
		resp, err := sdkHTTP.Get(url)
		if err != nil {
			t.Errorf("%s: fetching SigningCertURL: %v", what, err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: GET SigningCertURL: HTTP %d: %s", what, resp.StatusCode, b)
			return
		}
		cert = string(b)
		certMu.Lock()
		certCache[url] = cert
		certMu.Unlock()
	}
	if err := push.Verify(e, cert); err != nil {
		t.Errorf("%s: signature (version %s) does not verify: %v", what, e.SignatureVersion, err)
	}
	bad := *e
	bad.Message += "!"
	if push.Verify(&bad, cert) == nil {
		t.Errorf("%s: a tampered message verifies too", what)
	}
}
