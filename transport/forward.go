package transport

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"time"

	"github.com/labstack/echo/v4"
)

// headerForwarded marks a request a follower forwarded to the leader; a
// node that is not the leader answers such a request 503 rather than
// forwarding it again.
const headerForwarded = "X-Wharf-Forwarded"

// leaderKey keys the leader's address in a forwarded request's context.
type leaderKey struct{}

// forwardToLeader sends SQS requests that reach a follower to the leader,
// once, and relays the answer.
func (s *Server) forwardToLeader(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		b := s.cfg.Backend
		if b.IsLeader() {
			return next(ec)
		}
		r := ec.Request()
		c := callFrom(r.Context())
		if r.Header.Get(headerForwarded) != "" {
			s.answerError(ec.Response(), c, errf(codeServiceUnavail, "This node is not the leader (forwarded request); retry."))
			return nil
		}
		addr, leader := s.waitForLeader(r.Context())
		if leader {
			return next(ec)
		}
		if addr == "" {
			s.answerError(ec.Response(), c, errf(codeServiceUnavail, "The cluster has no leader; retry."))
			return nil
		}
		s.proxy.ServeHTTP(ec.Response(), r.WithContext(context.WithValue(r.Context(), leaderKey{}, addr)))
		return nil
	}
}

// waitForLeader polls, with a short backoff and up to the configured wait,
// until this node becomes the leader or learns the leader's API address.
func (s *Server) waitForLeader(ctx context.Context) (addr string, isLeader bool) {
	b := s.cfg.Backend
	deadline := time.Now().Add(s.cfg.LeaderWait)
	delay := 20 * time.Millisecond
	for {
		if b.IsLeader() {
			return "", true
		}
		if addr := b.LeaderAPIAddr(); addr != "" {
			return addr, false
		}
		left := time.Until(deadline)
		if left <= 0 {
			return "", false
		}
		t := time.NewTimer(min(delay, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return "", false
		case <-t.C:
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
}

// newProxy builds the reverse proxy to the leader. It keeps every header
// (the SigV4 ones and Host: the leader builds queue URLs from the host the
// client used) and allows long polls: no timeout but the request's own,
// and a generous bound on the leader's first byte.
func (s *Server) newProxy() *httputil.ReverseProxy {
	tr := &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   3 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 90 * time.Second,
		DisableCompression:    true,
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			addr, _ := pr.In.Context().Value(leaderKey{}).(string)
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = addr
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set(headerForwarded, "1")
		},
		Transport:    tr,
		ErrorHandler: s.proxyError,
		ErrorLog:     nil,
	}
}

// proxyError answers a failed forward in the caller's protocol with a
// retryable 5xx: 503 when the leader could not be reached (nothing was
// sent), 502 when the exchange broke (the outcome is unknown).
func (s *Server) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	c := callFrom(r.Context())
	if r.Context().Err() != nil {
		return // the client is gone
	}
	var oe *net.OpError
	code, msg := codeBadGateway, "The request to the leader failed; its outcome is unknown, retry."
	if errors.As(err, &oe) && oe.Op == "dial" {
		code, msg = codeServiceUnavail, "The leader could not be reached; retry."
	}
	s.log.Warn("forward to leader failed", "action", c.action, "leader", r.Context().Value(leaderKey{}), "err", err)
	writeError(w, c.proto, c.requestID, errf(code, "%s", msg))
}
