package push

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// AttemptTimeout bounds one delivery attempt, request and response
// headers and all, as SNS's 15-second request timeout does.
const AttemptTimeout = 15 * time.Second

// maxDrain is how much of a response body Post reads so the connection can
// be reused; the body itself is ignored, as SNS ignores it.
const maxDrain = 64 << 10

// DeliveryError is a failed delivery attempt. Retryable says whether SNS
// would try again under the delivery policy; a permanent failure goes
// straight to the dead-letter queue, if any.
type DeliveryError struct {
	// StatusCode is the endpoint's HTTP status, 0 when no response came.
	StatusCode int
	Retryable  bool
	Err        error
}

// Error describes the failure and its class.
func (e *DeliveryError) Error() string {
	class := "permanent"
	if e.Retryable {
		class = "retryable"
	}
	if e.StatusCode != 0 {
		return fmt.Sprintf("push: endpoint answered HTTP %d (%s)", e.StatusCode, class)
	}
	return fmt.Sprintf("push: delivery failed (%s): %v", class, e.Err)
}

// Unwrap returns the transport error, if any.
func (e *DeliveryError) Unwrap() error { return e.Err }

// IsRetryable reports whether err is a DeliveryError SNS would retry.
func IsRetryable(err error) bool {
	var de *DeliveryError
	return errors.As(err, &de) && de.Retryable
}

// ClassifyStatus maps an endpoint's HTTP status to the delivery outcome.
// 2xx is delivered. AWS's delivery-policy guide names 100-101 and 500-599
// as failed attempts it retries and 400-499 as permanent failures; 429 is
// the one 4xx retried here, since it asks the sender to slow down rather
// than refusing the message. 3xx is permanent: redirects are not followed
// and AWS does not list 3xx among retried statuses.
func ClassifyStatus(code int) (delivered, retryable bool) {
	switch {
	case code >= 200 && code <= 299:
		return true, false
	case code == http.StatusTooManyRequests:
		return false, true
	case code >= 100 && code <= 199, code >= 500 && code <= 599:
		return false, true
	default:
		return false, false
	}
}

// Post makes one delivery attempt: it POSTs body with headers h to
// endpoint, bounded by ctx and AttemptTimeout. It returns nil when the
// endpoint answered 2xx and a *DeliveryError otherwise: timeouts, refused
// connections, TLS and other transport failures are retryable, like the
// statuses ClassifyStatus names; a bad URL and an address CheckEndpoint
// forbids (from NewHTTPClient's dial check) are permanent. When ctx itself
// ends, the error is retryable and wraps ctx.Err().
func Post(ctx context.Context, client *http.Client, endpoint string, body []byte, h http.Header) error {
	if client == nil {
		return &DeliveryError{Err: errors.New("push: nil HTTP client")}
	}
	attemptCtx, cancel := context.WithTimeout(ctx, AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(attemptCtx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return &DeliveryError{Err: err}
	}
	for name, values := range h {
		req.Header[name] = append([]string(nil), values...)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return &DeliveryError{Retryable: true, Err: ctx.Err()}
		}
		return &DeliveryError{Retryable: !errors.Is(err, ErrPrivateEndpoint), Err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	_ = resp.Body.Close()
	delivered, retryable := ClassifyStatus(resp.StatusCode)
	if delivered {
		return nil
	}
	return &DeliveryError{StatusCode: resp.StatusCode, Retryable: retryable}
}
